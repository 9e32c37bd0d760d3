"""The idle lock: hides everything until the same user types their password and a fresh code."""

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from teller.errors import TellerError
from teller.i18n import N_, _
from teller.ui.widgets.credentials import CredentialFields, Credentials
from screens.base import TranslatedBindings


class LockScreen(TranslatedBindings, Screen):
    HELP_TITLE = N_("Screen locked")
    BINDINGS = [Binding("ctrl+o", "app.sign_out", N_("Sign out"), tooltip=N_("Sign out instead of unlocking"))]
    DEFAULT_CSS = """
    LockScreen { align: center middle; }
    #lock-box { width: 60; max-width: 100%; height: auto; border: round $warning; padding: 0 2; }
    #lock-message { margin-top: 1; color: $error; height: auto; }
    """

    class Unlocked(Message):
        pass

    class Refused(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def compose(self) -> ComposeResult:
        info = self.app.session
        with Center():
            with Vertical(id="lock-box"):
                yield Static(_("Screen locked. {name} may unlock it.").format(name=info.display_name),
                             id="lock-title", markup=False)
                yield CredentialFields(info.actor.username, id="credentials")
                yield Static("", id="lock-message", markup=False)
        yield Footer()

    def on_credential_fields_submitted(self, event: CredentialFields.Submitted) -> None:
        self.query_one("#lock-message", Static).update(_("Checking…"))
        self.unlock(event.credentials)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def unlock(self, credentials: Credentials) -> None:
        from teller import authentication  # loaded at sign-in already; not when the app shell loads

        try:
            authentication.authenticate(self.app.db, credentials.username, credentials.password, credentials.code,
                                        self.app.terminal, purpose="unlock")
            self.post_message(self.Unlocked())
        except TellerError as error:
            self.post_message(self.Refused(str(error)))

    def on_lock_screen_unlocked(self, _message: Unlocked) -> None:
        self.app.unlock()  # and what finished meanwhile shows now

    def on_lock_screen_refused(self, message: Refused) -> None:
        self.query_one("#lock-message", Static).update(message.reason)
        self.query_one(CredentialFields).clear_secrets()
