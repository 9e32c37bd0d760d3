"""The login screen: which ledger this is, and user name, password and authenticator code.

It is the first screen a teller sees, painted while the ledger opens: the services it calls (and SQLAlchemy
under them) are imported by its workers, on their threads, not when this module loads.
"""

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from teller.ui.commands import HELP, QUIT
from teller.errors import TellerError
from teller.i18n import N_, _
from teller.ui.widgets.credentials import CredentialFields, Credentials
from screens.base import TranslatedBindings

if TYPE_CHECKING:
    from teller.staff import SessionInfo


class LoginScreen(TranslatedBindings, Screen):
    HELP_TITLE = N_("Sign in")
    BINDINGS = [HELP.binding(), QUIT.binding()]
    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    #login-box { width: 64; max-width: 100%; height: auto; border: round $primary; padding: 0 1; }
    #login-title { text-style: bold; }
    #ledger-line { color: $text-muted; }
    #login-message { color: $error; height: auto; }
    #demo-codes { width: 64; max-width: 100%; height: auto; border: round $success; padding: 0 1; }
    """

    class SignedIn(Message):
        def __init__(self, info: "SessionInfo") -> None:
            super().__init__()
            self.info = info

    class Refused(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class DemoCodes(Message):
        def __init__(self, password: str, codes: dict[str, str], problem: str | None) -> None:
            super().__init__()
            self.password = password
            self.codes = codes
            self.problem = problem

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="login-box"):
                yield Static(_("Teller workstation: sign in"), id="login-title")
                yield Static(_("Opening the ledger…"), id="ledger-line", markup=False)
                yield CredentialFields(id="credentials")
                yield Static(_("Enter moves to the next field and signs in from the code."), id="login-message",
                             markup=False)
            if self.app.demo_ledger:
                yield Static(_("Demo ledger: loading the demo users' codes…"), id="demo-codes", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "ledger_line", self.show_ledger_line)
        if self.app.demo_ledger:
            self.refresh_demo_codes()
            self.set_interval(2, self.refresh_demo_codes)

    def show_ledger_line(self, line: str) -> None:
        if line:
            self.query_one("#ledger-line", Static).update(line)

    @work(thread=True, exclusive=True, exit_on_error=False, group="demo-codes")
    def refresh_demo_codes(self) -> None:
        if (database := self.app.opened_ledger()) is None:
            return
        from teller import demo  # after the ledger's thread has loaded the layers under it
        try:
            codes = demo.current_codes(database)
        except TellerError as error:
            self.post_message(self.DemoCodes(demo.DEMO_PASSWORD, {}, str(error)))
        else:
            self.post_message(self.DemoCodes(demo.DEMO_PASSWORD, codes, None))

    def on_login_screen_demo_codes(self, message: "LoginScreen.DemoCodes") -> None:
        if message.problem:
            self.query_one("#demo-codes", Static).update(message.problem)
            return
        lines = [_("Demo ledger. Password for every user: {password}").format(password=message.password),
                 _("Authenticator codes now (they change every 30 s):")]
        pairs = [f"{username:<9}{code}" for username, code in message.codes.items()]
        lines += ["  " + "   ".join(pairs[index:index + 3]) for index in range(0, len(pairs), 3)]
        self.query_one("#demo-codes", Static).update("\n".join(lines))

    def on_credential_fields_submitted(self, event: CredentialFields.Submitted) -> None:
        self.sign_in(event.credentials)

    def sign_in(self, credentials: Credentials) -> None:
        self.query_one("#login-message", Static).update(_("Signing in…"))
        self.authenticate(credentials)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def authenticate(self, credentials: Credentials) -> None:
        if (database := self.app.opened_ledger()) is None:
            return
        from teller import authentication, staff  # after the ledger's thread has loaded the layers under them
        try:
            actor = authentication.authenticate(database, credentials.username, credentials.password,
                                                credentials.code, self.app.terminal)
            self.post_message(self.SignedIn(staff.session_info(database, actor)))
        except TellerError as error:
            self.post_message(self.Refused(str(error)))

    def on_login_screen_signed_in(self, message: SignedIn) -> None:
        self.app.start_session(message.info)

    def on_login_screen_refused(self, message: Refused) -> None:
        self.query_one("#login-message", Static).update(message.reason)
        self.query_one(CredentialFields).clear_secrets()
