"""The command palette (Ctrl+P): every command the signed-in user's role may take, plus the current
screen's own commands that the screen allows at this moment (as its footer shows them)."""

from functools import partial

from textual.actions import parse
from textual.command import DiscoveryHit, Hit, Hits, Provider

from teller.ui.commands import ALWAYS_AVAILABLE, SIGNED_IN_COMMANDS, WHILE_LOCKED, UserCommand
from teller.i18n import _


class TellerCommands(Provider):
    def _commands(self) -> list[UserCommand]:
        session = self.app.session
        if session is None:
            return list(ALWAYS_AVAILABLE)
        if self.app.is_locked:
            return list(WHILE_LOCKED)
        screen_commands = [command for command in getattr(self.screen, "PALETTE_COMMANDS", ())
                           if self._allowed_now(command)]
        return [command for command in (*screen_commands, *SIGNED_IN_COMMANDS)
                if command.allowed_for(session.actor.roles)]

    def _allowed_now(self, command: UserCommand) -> bool:
        """The screen's `check_action`: a step its state does not allow (a drawer that is not open has no end
        of day) is left out of the palette, as it is out of the footer."""
        _namespace, name, parameters = parse(command.action)
        return bool(self.screen.check_action(name, parameters))

    def _run(self, command: UserCommand):
        return partial(self.screen.run_action, command.action)

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.translated_title, self._run(command), help=_(command.help))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            title = command.translated_title
            score = max(matcher.match(title), matcher.match(_(command.help)) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._run(command), help=_(command.help))
