"""User name, password and authenticator code: the three fields of signing in, unlocking and the second key."""

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label

from teller.i18n import _
from teller.ui.widgets.input import ENTER_MOVES_ON, Input, enter_moves_on


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    code: str


class CredentialFields(Vertical):
    """Enter moves to the next field; Enter in the code field submits all three.

    Enter is a priority binding (`enter_moves_on`): a fast typist's password never lands in the user-name
    field, and the last Enter submits what was typed in all three."""

    BINDINGS = [ENTER_MOVES_ON]

    DEFAULT_CSS = """
    CredentialFields { height: auto; margin-top: 1; }
    CredentialFields Horizontal { height: 1; margin-bottom: 1; }
    CredentialFields Label { width: 18; }
    CredentialFields Input { height: 1; border: none; padding: 0 1; width: 1fr; background: $boost; }
    CredentialFields Input:focus { border: none; background: $primary 40%; }
    CredentialFields Input:disabled { background: $surface; }
    """

    class Submitted(Message):
        def __init__(self, credentials: Credentials) -> None:
            super().__init__()
            self.credentials = credentials

    def __init__(self, username: str | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fixed_username = username

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(_("User name"))
            yield Input(value=self.fixed_username or "", id="username", max_length=32,
                        disabled=self.fixed_username is not None)
        with Horizontal():
            yield Label(_("Password"))
            yield Input(id="password", password=True, max_length=128)
        with Horizontal():
            yield Label(_("Code (6 digits)"))
            yield Input(id="code", max_length=16)

    def on_mount(self) -> None:
        self.query_one("#password" if self.fixed_username else "#username", Input).focus()

    def action_next_field(self) -> None:
        enter_moves_on(self.screen, list(self.query(Input)),
                       lambda: self.post_message(self.Submitted(self.credentials())))

    def credentials(self) -> Credentials:
        return Credentials(
            self.query_one("#username", Input).value,
            self.query_one("#password", Input).value,
            self.query_one("#code", Input).value,
        )

    def clear_secrets(self, *, username_too: bool = False) -> None:
        """After a refusal: empty the password and code (and the user name when someone else must type
        theirs), and put the cursor in the first empty field."""
        fields = ("username", "password", "code") if username_too and self.fixed_username is None else ("password", "code")
        for field in fields:
            self.query_one(f"#{field}", Input).value = ""
        self.query_one(f"#{fields[0]}", Input).focus()
