"""The second key given on this terminal: the checker steps over and types their own credentials."""

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from teller import authentication
from teller.actor import Actor
from teller.errors import TellerError
from teller.i18n import N_, _
from teller.ui.widgets.credentials import CredentialFields, Credentials
from screens.base import TranslatedBindings


class SecondKeyScreen(TranslatedBindings, ModalScreen[Actor | None]):
    """Returns the authenticated checker, or None if the maker backs out. The service still checks
    that the checker is not the maker and has the authority."""

    HELP_TITLE = N_("Second key")
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), tooltip=N_("Back out without a second key"))]
    DEFAULT_CSS = """
    SecondKeyScreen { align: center middle; }
    SecondKeyScreen > Vertical { width: 64; max-width: 100%; height: auto; border: double $warning;
                                 background: $surface; padding: 0 2; }
    #second-key-message { color: $error; height: auto; margin-top: 1; }
    """

    class Authenticated(Message):
        def __init__(self, checker: Actor) -> None:
            super().__init__()
            self.checker = checker

    class Refused(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, summary: str, *, username: str | None = None, prompt: str | None = None) -> None:
        """`username` fixes who must give the key (the receiving teller of a cash hand-over); `prompt`
        says who steps over, when it is not a supervisor."""
        super().__init__()
        self.summary = summary
        self.username = username
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("Second key required"), id="second-key-title")
            yield Static(self.summary, id="second-key-summary", markup=False)
            yield Static(self.prompt or _("A supervisor types their own user name, password and code."),
                         classes="muted", markup=False)
            yield CredentialFields(self.username, id="credentials")
            yield Static("", id="second-key-message", markup=False)
        yield Footer()

    def on_credential_fields_submitted(self, event: CredentialFields.Submitted) -> None:
        self.query_one("#second-key-message", Static).update(_("Checking…"))
        self.check(event.credentials)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def check(self, credentials: Credentials) -> None:
        try:
            checker = authentication.authenticate(self.app.db, credentials.username, credentials.password,
                                                  credentials.code, self.app.terminal, purpose="second_key")
            self.post_message(self.Authenticated(checker))
        except TellerError as error:
            self.post_message(self.Refused(str(error)))

    def on_second_key_screen_authenticated(self, message: Authenticated) -> None:
        if message.checker.staff_id == self.app.session.actor.staff_id:
            self.query_one("#second-key-message", Static).update(
                _("The second key must come from someone other than you."))
            self.query_one(CredentialFields).clear_secrets(username_too=True)
            return
        self.dismiss(message.checker)

    def on_second_key_screen_refused(self, message: Refused) -> None:
        self.query_one("#second-key-message", Static).update(message.reason)
        self.query_one(CredentialFields).clear_secrets()

    def action_cancel(self) -> None:
        self.dismiss(None)
