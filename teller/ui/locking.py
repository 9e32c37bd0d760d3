"""The lock holds navigation. A screen's worker finishes when it finishes: a customer saved, an instruction
made, a second key checked. Its handler then pushes a screen, switches to one or dismisses its own, and
Textual applies that to the top of the stack, whatever is there: the lock screen too, which would leave a
customer's file on an unattended terminal. So while the lock is up the app holds every such request, and
notifications with them, and carries them out in order once the same user has unlocked.

The unlock resumes the screen under the lock and may cover it at once with what was held: a screen whose
`on_screen_resume` navigates checks first that it is still on top (`is_active`)."""

import asyncio
from contextvars import Context, copy_context
from functools import partial
from typing import Callable

from textual._context import active_message_pump  # the message pump whose handler is running (Textual's own)
from textual.await_complete import AwaitComplete
from textual.dom import DOMNode, NoScreen
from textual.screen import SystemModalScreen

from screens.lock import LockScreen


class HoldsNavigationWhileLocked:
    """Mixed into the App. `session` is the signed-in user's; locking pushes a `LockScreen`, and the lock
    screen calls `unlock` once the user has proved themselves again."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[tuple[Context, Callable[[], object]]] = []
        self._awaited: list[asyncio.Future] = []  # dialogs a worker awaits, held until the unlock

    @property
    def is_locked(self) -> bool:
        """Locked while the lock screen is anywhere on the stack (help or the palette may sit above it)."""
        return self._lock_index() is not None

    def _lock_index(self) -> int | None:
        if self.session is None:  # signing out takes the lock away with everything else
            return None
        return next((index for index, screen in enumerate(self.screen_stack) if isinstance(screen, LockScreen)), None)

    def _asked_from_under_the_lock(self, lock_index: int) -> bool:
        """Whether the handler now running belongs to a screen under the lock (a worker's result arriving)."""
        pump = active_message_pump.get(None)
        if pump is self or not isinstance(pump, DOMNode):
            return False  # the app's own actions, which check_action shuts while locked
        try:
            screen = pump.screen
        except NoScreen:  # a widget no longer on any screen
            return False
        return any(screen is below for below in self.screen_stack[:lock_index])

    def _hold(self, operation: Callable[[], object]) -> AwaitComplete:
        """Keep `operation` for after the unlock, with the context it was asked in: a pushed screen's result
        then goes back to the screen that asked for it, as Textual would have sent it."""
        self._held.append((copy_context(), operation))
        return AwaitComplete.nothing()

    def push_screen(self, screen, callback=None, wait_for_dismiss=False, *, mode=None):
        push = partial(super().push_screen, screen, callback, wait_for_dismiss, mode=mode)
        lock_index = self._lock_index()
        if lock_index is None or (_shown_over_the_lock(screen)
                                  and not self._asked_from_under_the_lock(lock_index)):
            return push()
        if not wait_for_dismiss:
            return self._hold(push)
        answer = asyncio.get_running_loop().create_future()  # a worker awaits the dialog: it opens after the unlock
        self._awaited.append(answer)
        self._hold(lambda: push().add_done_callback(lambda dismissed: answer.set_result(dismissed.result())))
        return answer

    def switch_screen(self, screen):
        if self._lock_index() is not None:
            return self._hold(partial(super().switch_screen, screen))
        return super().switch_screen(screen)

    def pop_screen(self):
        """Help or the palette over the lock close as usual; anything else, the lock itself included, waits."""
        lock_index = self._lock_index()
        if lock_index is not None and (len(self.screen_stack) - 1 == lock_index
                                       or self._asked_from_under_the_lock(lock_index)):
            return self._hold(super().pop_screen)
        return super().pop_screen()

    def notify(self, *args, **kwargs) -> None:
        if self.is_locked:
            self._hold(partial(super().notify, *args, **kwargs))
            return
        super().notify(*args, **kwargs)

    def action_lock(self) -> None:
        """Put the lock screen on top of everything; notifications shown so far leave the screen with the rest."""
        if self.session is not None and not self.is_locked:
            self.clear_notifications()
            self.push_screen(LockScreen())

    def unlock(self) -> None:
        """Take the lock, and whatever was opened on it, off the stack; then do what was held, in order."""
        lock_index = self._lock_index()
        if lock_index is None:
            return
        held, self._held = self._held, []
        self._awaited.clear()  # each resolves when its held dialog is dismissed
        for _screen in self.screen_stack[lock_index:]:
            super().pop_screen()
        for context, operation in held:
            context.run(operation)

    def drop_held(self) -> None:
        """Signing out: what was held belonged to the session that ends (a worker awaiting a held dialog is
        cancelled rather than left waiting for ever)."""
        self._held.clear()
        for answer in self._awaited:
            answer.cancel()
        self._awaited.clear()


def _shown_over_the_lock(screen) -> bool:
    """What may open on top of the lock: help on its keys, and the command palette (which offers signing out)."""
    return getattr(screen, "SHOWN_OVER_THE_LOCK", False) or isinstance(screen, SystemModalScreen)
