"""What every signed-in screen shares: the session bar, the footer, translated key descriptions."""

from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import ActiveBinding
from textual.screen import Screen
from textual.widgets import Footer

from teller.i18n import _
from teller.ui.widgets.session_bar import SessionBar


def translated(bindings: dict[str, ActiveBinding], unlisted: frozenset[str] = frozenset()) -> dict[str, ActiveBinding]:
    """Binding descriptions and tooltips are marked with N_ where defined and translated when shown; the
    `unlisted` actions are left off the footer (F1 still lists them)."""
    return {
        key: active._replace(
            binding=replace(active.binding, description=_(active.binding.description),
                            tooltip=_(active.binding.tooltip) if active.binding.tooltip else "",
                            show=active.binding.show and active.binding.action not in unlisted),
            tooltip=_(active.tooltip) if active.tooltip else active.tooltip,
        )
        for key, active in bindings.items()
    }


class TranslatedBindings:
    """Mixed into every screen with a footer: its key descriptions are shown in the user's language."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        return translated(super().active_bindings, self.unlisted_actions())

    def unlisted_actions(self) -> frozenset[str]:
        """Actions available now that the footer leaves out now, for keys that matter more at this moment
        (80 columns hold about six keys). A command never listed says so with `show=False` instead."""
        return frozenset()


class TellerScreen(TranslatedBindings, Screen):
    """A signed-in screen: session bar on top, the keys of the moment in the footer."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The session it was opened in: a sign-out handled before the screen composes must not leave its bar
        # without one (the screen is then dropped for the login).
        self.opened_in = self.app.session

    def compose_frame(self) -> ComposeResult:
        yield SessionBar(self.opened_in)
        yield Footer()
