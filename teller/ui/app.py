"""The workstation: a Textual app over one ledger. It owns the ledger, the signed-in session and the idle lock;
screens do the work and call services in thread workers.

The login screen paints first: the ledger is opened on a worker thread meanwhile (that is where SQLAlchemy,
the models and the services load), and the screens a signed-in user works in are imported when first shown.
"""

import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive

from teller.actor import terminal_id
from teller.i18n import N_, _
from teller.ui import commands
from teller.ui.locking import HoldsNavigationWhileLocked
from teller.ui.palette import TellerCommands
from screens.confirm import ConfirmScreen
from screens.login import LoginScreen

if TYPE_CHECKING:
    from teller.db import Database
    from teller.staff import SessionInfo

LedgerOpener = Callable[[], "tuple[Database, str]"]  # opens the ledger: its database and a line saying which it is
DEFAULT_IDLE_MINUTES = 5
DARK_THEME, LIGHT_THEME = "textual-dark", "textual-light"


class TellerApp(HoldsNavigationWhileLocked, App[Exception | None]):
    """Runs until the user quits (result None), or until the ledger cannot be opened (result: why not)."""

    TITLE = "Teller"
    COMMANDS = {TellerCommands}
    # Textual's own palette binding, declared here so that its footer label is marked for translation
    # (screens translate binding descriptions when shown); Textual then adds none of its own.
    BINDINGS = [*(command.binding() for command in commands.SIGNED_IN_COMMANDS),
                Binding(App.COMMAND_PALETTE_BINDING, "command_palette", N_("palette"), show=False, priority=True,
                        tooltip=N_("Open the command palette"))]
    CSS = """
    Screen { background: $background; }
    DataTable { height: 1fr; }
    .muted { color: $text-muted; }
    .error { color: $error; }
    .warning { color: $warning; }
    """

    ledger_line: reactive[str] = reactive("")  # which ledger this is, once it has opened (the login screen shows it)

    class LedgerOpened(Message):
        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    class LedgerRefused(Message):
        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    def __init__(self, open_ledger: LedgerOpener, *, idle_seconds: float = DEFAULT_IDLE_MINUTES * 60,
                 terminal: str | None = None, demo_ledger: bool = False) -> None:
        super().__init__()
        self.demo_ledger = demo_ledger
        self.db: "Database | None" = None
        self._open_ledger = open_ledger
        self._ledger_settled = threading.Event()  # set once the ledger has opened, or could not be
        self.terminal = terminal or terminal_id()
        self.idle_seconds = idle_seconds
        self.theme = LIGHT_THEME if os.environ.get("TELLER_THEME") == "light" else DARK_THEME
        self.session: "SessionInfo | None" = None
        self._last_activity = time.monotonic()

    def on_mount(self) -> None:
        self.push_screen(LoginScreen())
        self.set_interval(min(1.0, self.idle_seconds / 4), self._lock_when_idle)

    def on_ready(self) -> None:
        self.call_after_refresh(self.open_ledger)  # once the login screen is on display

    @work(thread=True, exclusive=True, exit_on_error=False, group="ledger")
    def open_ledger(self) -> None:
        """Open the ledger while the login screen shows. Whatever stops it ends the workstation with that error."""
        try:
            database, line = self._open_ledger()
        except Exception as error:  # the command line refuses it once the workstation has closed
            self._ledger_settled.set()
            self.post_message(self.LedgerRefused(error))
            return
        self.db = database
        self._ledger_settled.set()
        self.post_message(self.LedgerOpened(line))

    def on_teller_app_ledger_opened(self, message: LedgerOpened) -> None:
        self.ledger_line = message.line

    def on_teller_app_ledger_refused(self, message: LedgerRefused) -> None:
        self.exit(message.error, return_code=1)

    def opened_ledger(self) -> "Database | None":
        """For worker threads that may run before the ledger has opened (signing in): waits for it; None if it
        could not be opened (the workstation is then closing)."""
        self._ledger_settled.wait()
        return self.db

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self._last_activity = time.monotonic()
        await super().on_event(event)

    def _lock_when_idle(self) -> None:
        if self.session is not None and not self.is_locked and time.monotonic() - self._last_activity >= self.idle_seconds:
            self.action_lock()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Commands that need a signed-in user (and the right role) are hidden until then."""
        for command in commands.SIGNED_IN_COMMANDS:
            if command.action == f"app.{action}" and command not in commands.ALWAYS_AVAILABLE:
                if command is commands.SIGN_OUT:  # the lock screen offers signing out instead of unlocking
                    return self.session is not None
                return self.session is not None and command.allowed_for(self.session.actor.roles) and not self.is_locked
        return True

    async def action_quit(self) -> None:
        """Quit, asking first if the current form holds input that was not saved."""
        unsaved = getattr(self.screen, "has_unsaved_input", None)
        if unsaved is None or not unsaved():
            self.exit()
            return

        def answer(confirmed: bool | None) -> None:
            if confirmed:
                self.exit()

        self.push_screen(ConfirmScreen(_("Quit and lose what you typed in this form?")), answer)

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.theme == DARK_THEME else DARK_THEME

    def start_session(self, info: "SessionInfo") -> None:
        self.session = info
        self._last_activity = time.monotonic()
        self.switch_screen(self.home_screen())
        self.refresh_bindings()

    def home_screen(self):
        """The screen after login, by role: a loan officer's pipeline, a checker's approval queue, everyone
        else's customer search."""
        from screens.approval_queue import ApprovalQueueScreen
        from screens.loan_pipeline import LoanPipelineScreen, officer_view
        from screens.lookup import LookupScreen

        roles = self.session.actor.roles
        if officer_view(roles):
            return LoanPipelineScreen()
        return ApprovalQueueScreen() if commands.APPROVAL_QUEUE.allowed_for(roles) else LookupScreen()

    def action_sign_out(self) -> None:
        self.session = None
        self.drop_held()
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(LoginScreen())
        self.refresh_bindings()

    def action_help(self) -> None:
        from screens.help import HelpScreen

        title = getattr(self.screen, "HELP_TITLE", "") or N_("Teller workstation")
        self.push_screen(HelpScreen(_(title), self.screen.active_bindings))

    def action_find_customer(self) -> None:
        from screens.lookup import LookupScreen

        if self.session is None:
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if isinstance(self.screen, LookupScreen):
            self.screen.focus_search()
        else:
            self.switch_screen(LookupScreen())  # it opens with the search box focused

    def action_loan_pipeline(self) -> None:
        from screens.loan_pipeline import LoanPipelineScreen

        if self.session is None or not commands.LOAN_PIPELINE.allowed_for(self.session.actor.roles):
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if isinstance(self.screen, LoanPipelineScreen):
            self.screen.load()
        else:
            self.switch_screen(LoanPipelineScreen())

    def action_new_customer(self) -> None:
        from screens.customer_form import CustomerFormScreen

        if self.session is not None and commands.NEW_CUSTOMER.allowed_for(self.session.actor.roles):
            self.push_screen(CustomerFormScreen())

    def action_cash_drawer(self) -> None:
        from screens.drawer import DrawerScreen

        if self.session is None or not commands.CASH_DRAWER.allowed_for(self.session.actor.roles):
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if not isinstance(self.screen, DrawerScreen):
            self.push_screen(DrawerScreen())

    def action_approval_queue(self) -> None:
        from screens.approval_queue import ApprovalQueueScreen

        if self.session is None or not commands.APPROVAL_QUEUE.allowed_for(self.session.actor.roles):
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if not isinstance(self.screen, ApprovalQueueScreen):
            self.switch_screen(ApprovalQueueScreen())

    def action_large_value_report(self) -> None:
        from screens.large_value_report import LargeValueReportScreen

        if self.session is not None and commands.LARGE_VALUE_REPORT.allowed_for(self.session.actor.roles):
            self.push_screen(LargeValueReportScreen())
