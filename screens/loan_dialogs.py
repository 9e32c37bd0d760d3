"""The small forms of the loan workflow, each a modal over the application file: a reason, the review with
its credit-bureau check, the approver's own credentials, and the signing."""

from dataclasses import dataclass
from datetime import UTC, datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Select, Static

from teller import clock
from teller.errors import InputError
from teller.i18n import N_, _
from teller.loan_form import parse_day
from teller.loans import CREDIT_RESULT_NAMES, MAX_REFERENCE, CreditCheckEntry
from teller.ui.widgets.credentials import CredentialFields, Credentials
from screens.base import TranslatedBindings

CANCEL = Binding("escape", "cancel", N_("Cancel"), tooltip=N_("Close without doing anything"))
MODAL_CSS = """
    {name} {{ align: center middle; }}
    {name} > Vertical {{ width: 70; max-width: 100%; height: auto; max-height: 100%; border: double $accent;
                         background: $surface; padding: 0 2; }}
    {name} .dialog-title {{ text-style: bold; height: auto; }}
    {name} Horizontal {{ height: 1; margin-top: 1; }}
    {name} Horizontal Label {{ width: 18; }}
    {name} Horizontal Input, {name} Horizontal Select {{ width: 1fr; }}
    {name} .dialog-message {{ color: $error; height: auto; margin-top: 1; }}
"""


class Dialog(TranslatedBindings, ModalScreen):
    """A modal form: Enter moves to the next field and in the last one calls the subclass's `submit`; Escape
    backs out with None."""

    BINDINGS = [CANCEL]

    def show_message(self, text: str) -> None:
        self.query_one(".dialog-message", Static).update(text)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        fields = [field for field in self.query(Input) if not field.disabled]
        if event.input is fields[-1]:
            self.submit()
        else:
            fields[fields.index(event.input) + 1].focus()


class ReasonScreen(Dialog):
    """One line of text that must not be empty: the reason for a return, a rejection or a waiver."""

    HELP_TITLE = N_("Reason")
    DEFAULT_CSS = MODAL_CSS.format(name="ReasonScreen")

    def __init__(self, title: str, prompt: str) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog-title", markup=False)
            with Horizontal():
                yield Label(_("Reason"))
                yield Input(id="reason", placeholder=self.prompt, max_length=1000, compact=True)
            yield Static("", classes="dialog-message", markup=False)
        yield Footer()

    def submit(self) -> None:
        reason = " ".join(self.query_one("#reason", Input).value.split())
        if not reason:
            self.show_message(self.prompt)
            return
        self.dismiss(reason)


@dataclass(frozen=True)
class ReviewEntry:
    notes: str
    credit_check: CreditCheckEntry


class ReviewScreen(Dialog):
    """Taking an application into review: notes and the credit-bureau (征信) check as read."""

    HELP_TITLE = N_("Start review")
    DEFAULT_CSS = MODAL_CSS.format(name="ReviewScreen")

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("Start review: {summary}").format(summary=self.summary), classes="dialog-title",
                         markup=False)
            with Horizontal():
                yield Label(_("Review notes"))
                yield Input(id="notes", max_length=1000, compact=True)
            with Horizontal():
                yield Label(_("Credit result"))
                yield Select([(_(name), code) for code, name in CREDIT_RESULT_NAMES.items()], id="result",
                             prompt=_("Choose"), compact=True)
            with Horizontal():
                yield Label(_("Report date"))
                yield Input(id="report-date", placeholder="YYYY-MM-DD", max_length=10, compact=True)
            with Horizontal():
                yield Label(_("Report reference"))
                yield Input(id="reference", max_length=MAX_REFERENCE, compact=True)
            yield Static("", classes="dialog-message", markup=False)
        yield Footer()

    def submit(self) -> None:
        notes = " ".join(self.query_one("#notes", Input).value.split())
        result = self.query_one("#result", Select).value
        if not notes:
            self.show_message(_("Write the review notes."))
            return
        if not isinstance(result, str):
            self.show_message(_("Choose the credit result."))
            return
        try:
            day = parse_day(self.query_one("#report-date", Input).value, field="report date")
        except InputError as error:
            self.show_message(str(error))
            return
        self.dismiss(ReviewEntry(notes, CreditCheckEntry(result, day, self.query_one("#reference", Input).value)))


@dataclass(frozen=True)
class ApprovalEntry:
    credentials: Credentials
    note: str


class ApproveScreen(TranslatedBindings, ModalScreen[ApprovalEntry | None]):
    """The approver confirms with their own password and a fresh code (the user name is theirs, fixed)."""

    HELP_TITLE = N_("Approve loan")
    BINDINGS = [CANCEL]
    DEFAULT_CSS = MODAL_CSS.format(name="ApproveScreen") + """
    ApproveScreen #approve-note { margin-top: 1; }
    """

    def __init__(self, summary: str, username: str) -> None:
        super().__init__()
        self.summary = summary
        self.username = username

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("Approve: {summary}").format(summary=self.summary), classes="dialog-title", markup=False)
            yield Input(id="approve-note", placeholder=_("Note for the file (optional)"), max_length=1000,
                        compact=True)
            yield CredentialFields(self.username, id="credentials")
            yield Static("", classes="dialog-message", markup=False)
        yield Footer()

    def on_credential_fields_submitted(self, event: CredentialFields.Submitted) -> None:
        self.dismiss(ApprovalEntry(event.credentials, self.query_one("#approve-note", Input).value))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class SigningEntry:
    place: str
    signed_at: datetime


class SigningScreen(Dialog):
    """The face-to-face signing (面签): where, and when (now unless typed otherwise)."""

    HELP_TITLE = N_("Signing")
    DEFAULT_CSS = MODAL_CSS.format(name="SigningScreen")

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary
        self.now_text = clock.now().strftime("%Y-%m-%d %H:%M")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("Face-to-face signing: {summary}").format(summary=self.summary), classes="dialog-title",
                         markup=False)
            with Horizontal():
                yield Label(_("Place"))
                yield Input(id="place", max_length=200, compact=True)
            with Horizontal():
                yield Label(_("Signed at (UTC)"))
                yield Input(self.now_text, id="signed-at", max_length=16, compact=True)
            yield Static("", classes="dialog-message", markup=False)
        yield Footer()

    def submit(self) -> None:
        place = " ".join(self.query_one("#place", Input).value.split())
        if not place:
            self.show_message(_("Say where the contract was signed."))
            return
        typed = self.query_one("#signed-at", Input).value.strip()
        if typed == self.now_text:  # untouched: signed just now (to the second, not the minute shown)
            self.dismiss(SigningEntry(place, clock.now()))
            return
        try:
            signed_at = datetime.strptime(typed, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        except ValueError:
            self.show_message(_("Type the time of signing as YYYY-MM-DD HH:MM."))
            return
        self.dismiss(SigningEntry(place, signed_at))
