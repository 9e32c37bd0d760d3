"""F1 help: the keys of the screen the user was on, and how to find every other command."""

from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from teller.i18n import N_, _
from teller.ui.widgets.table import Table


class HelpScreen(ModalScreen[None]):
    SHOWN_OVER_THE_LOCK = True  # the locked terminal's own keys are explained too (teller.ui.locking)
    BINDINGS = [Binding("escape,f1,q", "dismiss", N_("Close"))]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%;
                            border: round $primary; background: $surface; padding: 0 1; }
    HelpScreen DataTable { height: auto; max-height: 18; }
    """

    def __init__(self, title: str, bindings: dict[str, ActiveBinding]) -> None:
        super().__init__()
        self.screen_title = title
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("Keys: {screen}").format(screen=self.screen_title), id="help-title")
            table = Table(id="help-keys", cursor_type="row", zebra_stripes=True)
            table.add_columns(_("Key"), _("Does"))
            for key, active in self.bindings.items():
                if active.binding.action in ("dismiss",) or not active.enabled:
                    continue  # closing help itself, and commands the user's role may not use
                if not active.binding.show and not active.binding.tooltip:
                    continue  # a widget's own editing and scrolling keys (an Input has some 35), not the screen's
                description = active.binding.tooltip or active.binding.description
                table.add_row(self.app.get_key_display(active.binding), description)
            yield table
            yield Static(_("Ctrl+P opens the command palette with every command your role may use. "
                           "Escape goes back."), id="help-hint")
