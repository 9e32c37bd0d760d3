"""The small forms of the loan workflow, each a modal over the application file: a reason, the review with
its credit-bureau check, the approver's own credentials, the signing; and for a signed or active loan a
payee registered and a waiver of penalty or fees, each under a supervisor's second key."""

from dataclasses import dataclass
from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Select, Static

from teller import clock, loan_servicing
from teller.actor import Actor
from teller.errors import InputError, TellerError
from teller.i18n import N_, _, format_amount
from teller.days import parse_day
from teller.loan_servicing import (
    MAX_NAME, MAX_REASON, PAYEE_KIND_NAMES, PayeeDraft, PayeeView, WaiverDraft, WaiverView, tranche_name,
)
from teller.loans import CREDIT_RESULT_NAMES, MAX_REFERENCE, CreditCheckEntry
from teller.money import format_minor as money_text, parse_amount
from teller.ui.widgets.credentials import CredentialFields, Credentials
from teller.ui.widgets.input import ENTER_MOVES_ON, Input, enter_moves_on
from screens.base import TranslatedBindings
from screens.loan_entry import Field
from screens.second_key import SecondKeyScreen

CANCEL = Binding("escape", "cancel", N_("Cancel"), tooltip=N_("Close without doing anything"))
MODAL_CSS = """
    {name} {{ align: center middle; }}
    {name} > Vertical {{ width: 70; max-width: 100%; height: auto; max-height: 100%; border: double $accent;
                         background: $surface; padding: 0 2; }}
    {name} .dialog-title {{ text-style: bold; height: auto; }}
    {name} > Vertical > Horizontal, {name} Field > Horizontal {{ height: 1; margin-top: 1; }}
    {name} Horizontal Label {{ width: 18; }}
    {name} Horizontal Input, {name} Horizontal Select {{ width: 1fr; }}
    {name} .dialog-message {{ color: $error; height: auto; margin-top: 1; }}
"""


class Dialog(TranslatedBindings, ModalScreen):
    """A modal form: Enter moves to the next text box and in the last one calls the subclass's `submit`
    (`enter_moves_on`); Escape backs out with None."""

    BINDINGS = [CANCEL, ENTER_MOVES_ON]

    def show_message(self, text: str) -> None:
        self.query_one(".dialog-message", Static).update(text)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_next_field(self) -> None:
        enter_moves_on(self, [field for field in self.query(Input) if not field.disabled], self.submit)


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
            day = parse_day(self.query_one("#report-date", Input).value, field="report date",
                            example="2026-11-24")
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
        self.now_text = clock.in_branch_time(clock.now()).strftime("%Y-%m-%d %H:%M")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("Face-to-face signing: {summary}").format(summary=self.summary), classes="dialog-title",
                         markup=False)
            with Horizontal():
                yield Label(_("Place"))
                yield Input(id="place", max_length=200, compact=True)
            with Horizontal():
                yield Label(_("Signed at"))
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
            signed_at = datetime.strptime(typed, "%Y-%m-%d %H:%M").replace(tzinfo=clock.BRANCH_TIME)
        except ValueError:
            self.show_message(_("Type the time of signing as YYYY-MM-DD HH:MM."))
            return
        self.dismiss(SigningEntry(place, signed_at))


# --- Money: a payee registered under a second key, penalty and fees waived under one ---------------------


class KeyedDialog(Dialog):
    """A modal form whose service call needs a supervisor's second key given on this terminal. Refusals
    about a field show under that field; the dialog closes only once the service has said yes."""

    FIELD_KEYS: dict[str, str] = {}  # the service's field name -> the Field's key

    def show_errors(self, field: str | None = None, message: str | None = None) -> None:
        for key in set(self.FIELD_KEYS.values()):
            self.query_one(f"#field-{key}", Field).show_error(message if key == field else None)

    def refuse(self, error: TellerError) -> None:
        key = self.FIELD_KEYS.get(error.field) if isinstance(error, InputError) else None
        if key is None:
            self.show_errors()
            self.show_message(str(error))
            return
        self.show_errors(key, error.message)
        self.show_message("")
        field = self.query_one(f"#field-{key}", Field)
        if not field.widget.disabled:
            field.widget.focus()


class PayeeScreen(KeyedDialog):
    """Register a payee or escrow account (资金监管账户) for a signed loan, then a supervisor's second key on
    this terminal approves it. Dismisses with the payee (approved, or waiting for its key if the supervisor
    was not there), or None if nothing was registered."""

    HELP_TITLE = N_("Register payee")
    DEFAULT_CSS = MODAL_CSS.format(name="PayeeScreen")
    FIELD_KEYS = {"payee kind": "payee-kind", "payee name": "payee-name", "bank name": "payee-bank",
                  "payee account": "payee-account"}

    class Registered(Message):
        def __init__(self, payee: PayeeView) -> None:
            super().__init__()
            self.payee = payee

    class Approved(Message):
        def __init__(self, payee: PayeeView) -> None:
            super().__init__()
            self.payee = payee

    class Refused(Message):
        def __init__(self, error: TellerError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, application_id: int, summary: str) -> None:
        super().__init__()
        self.application_id = application_id
        self.summary = summary
        self.payee: PayeeView | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("New payee: {summary}").format(summary=self.summary), classes="dialog-title",
                         markup=False)
            yield Field("payee-kind", _("Payee type"), Select(
                [(_(name), kind) for kind, name in PAYEE_KIND_NAMES.items()], id="kind", allow_blank=False,
                compact=True))
            yield Field("payee-name", _("Payee name"), Input(id="name", max_length=MAX_NAME, compact=True))
            yield Field("payee-bank", _("Bank"), Input(id="bank", max_length=MAX_NAME, compact=True))
            yield Field("payee-account", _("Account number"), Input(id="account-number", max_length=40,
                                                                     compact=True))
            yield Static("", classes="dialog-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def submit(self) -> None:
        if self._busy:
            return
        if self.payee is not None:  # registered; the supervisor gives the key now
            self._second_key()
            return
        kind = self.query_one("#kind", Select).value
        draft = PayeeDraft(kind if isinstance(kind, str) else "", self.query_one("#name", Input).value,
                           self.query_one("#bank", Input).value, self.query_one("#account-number", Input).value)
        self._busy = True
        self.show_message(_("Registering…"))
        self.register(draft)

    @work(thread=True, exclusive=True, exit_on_error=False, group="payee")
    def register(self, draft: PayeeDraft) -> None:
        try:
            self.post_message(self.Registered(loan_servicing.register_payee(
                self.app.db, self.app.session.actor, self.application_id, draft)))
        except TellerError as error:
            self.post_message(self.Refused(error))

    def on_payee_screen_registered(self, message: Registered) -> None:
        self._busy = False
        self.payee = message.payee
        self.show_errors()
        for widget in self.query("Input, Select"):
            widget.disabled = True
        self.show_message(_("Payee registered: it counts once a supervisor gives the second key."))
        self._second_key()

    def _second_key(self) -> None:
        payee = self.payee
        summary = _("Payee for {summary}: {payee}").format(summary=self.summary, payee=payee.label)
        self.app.push_screen(SecondKeyScreen(summary), self._checker)

    def _checker(self, checker: Actor | None) -> None:
        if checker is None:
            self.dismiss(self.payee)  # registered, waiting for its key
            return
        self._busy = True
        self.show_message(_("Approving…"))
        self.approve(self.payee.id, checker)

    @work(thread=True, exclusive=True, exit_on_error=False, group="payee")
    def approve(self, payee_id: int, checker: Actor) -> None:
        try:
            self.post_message(self.Approved(loan_servicing.approve_payee(self.app.db, payee_id, checker)))
        except TellerError as error:
            self.post_message(self.Refused(error))

    def on_payee_screen_approved(self, message: Approved) -> None:
        self.dismiss(message.payee)

    def on_payee_screen_refused(self, message: Refused) -> None:
        self._busy = False
        self.refuse(message.error)

    def action_cancel(self) -> None:
        self.dismiss(self.payee)


@dataclass(frozen=True)
class Owed:
    """Penalty interest and fees a part of the loan owes today."""

    tranche: str
    penalty: int
    fees: int


class WaiverScreen(KeyedDialog):
    """Waive penalty interest and/or fees on an active loan, with a reason, under a supervisor's second key
    given on this terminal. What is owed is checked before the supervisor is asked; the service checks
    again. Dismisses with the waiver, or None."""

    HELP_TITLE = N_("Waive penalty or fees")
    DEFAULT_CSS = MODAL_CSS.format(name="WaiverScreen") + """
    WaiverScreen #waiver-owed { height: auto; margin-top: 1; }
    WaiverScreen .hidden { display: none; }
    """
    FIELD_KEYS = {"tranche": "waiver-part", "penalty": "waiver-penalty", "fees": "waiver-fees",
                  "reason": "waiver-reason"}

    class Waived(Message):
        def __init__(self, waiver: WaiverView) -> None:
            super().__init__()
            self.waiver = waiver

    class Refused(Message):
        def __init__(self, error: TellerError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, application_id: int, summary: str, currency: str, owed: tuple[Owed, ...]) -> None:
        super().__init__()
        self.application_id = application_id
        self.summary = summary
        self.currency = currency
        self.owed = owed
        self._busy = False

    def compose(self) -> ComposeResult:
        currency = self.currency
        with Vertical():
            yield Static(_("Waive penalty or fees: {summary}").format(summary=self.summary), classes="dialog-title",
                         markup=False)
            yield Static("\n".join(_("{part}: penalty interest {penalty} · fees {fees} owed").format(
                part=tranche_name(item.tranche), penalty=format_amount(item.penalty, currency),
                fees=format_amount(item.fees, currency)) for item in self.owed), id="waiver-owed", markup=False)
            part = Field("waiver-part", _("Part"), Select([(tranche_name(item.tranche), item.tranche)
                                                             for item in self.owed], id="part", allow_blank=False,
                                                            compact=True))
            part.set_class(len(self.owed) < 2, "hidden")
            yield part
            yield Field("waiver-penalty", _("Penalty interest"), Input(id="penalty", max_length=24, compact=True,
                                                                       placeholder="0.00"))
            yield Field("waiver-fees", _("Fees"), Input(id="fees", max_length=24, compact=True, placeholder="0.00"))
            yield Field("waiver-reason", _("Reason"), Input(id="reason", max_length=MAX_REASON, compact=True,
                                                            placeholder=_("Why are they waived?")))
            yield Static("", classes="dialog-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#penalty", Input).focus()

    def _draft(self) -> WaiverDraft:
        tranche = self.query_one("#part", Select).value if len(self.owed) > 1 else None
        return WaiverDraft(self.application_id, tranche if isinstance(tranche, str) else None,
                           self.query_one("#penalty", Input).value, self.query_one("#fees", Input).value,
                           self.query_one("#reason", Input).value)

    def _check(self, draft: WaiverDraft) -> None:
        """What can be known before a supervisor steps over (the service checks all of it again)."""
        owed = next((item for item in self.owed if item.tranche == draft.tranche), None) or self.owed[0]
        penalty = parse_amount(draft.penalty or "0", self.currency, field="penalty", allow_zero=True).minor
        fees = parse_amount(draft.fees or "0", self.currency, field="fees", allow_zero=True).minor
        if not penalty and not fees:
            raise InputError("penalty", _("type the penalty interest or fees to waive"))
        if draft.tranche is not None or len(self.owed) == 1:
            if penalty > owed.penalty:
                raise InputError("penalty", _("only {owed} of penalty interest is owed").format(
                    owed=money_text(owed.penalty, self.currency)))
            if fees > owed.fees:
                raise InputError("fees", _("only {owed} of fees is owed").format(owed=money_text(owed.fees,
                                                                                              self.currency)))
        if not " ".join(draft.reason.split()):
            raise InputError("reason", _("say why the penalty or fees are waived"))

    def submit(self) -> None:
        if self._busy:
            return
        draft = self._draft()
        try:
            self._check(draft)
        except InputError as error:
            self.refuse(error)
            return
        self.show_errors()
        self.show_message("")
        summary = _("Waive for {summary}: penalty {penalty} · fees {fees} · {reason}").format(
            summary=self.summary, penalty=draft.penalty or "0", fees=draft.fees or "0",
            reason=" ".join(draft.reason.split()))
        self.app.push_screen(SecondKeyScreen(summary), lambda checker: self._checker(draft, checker))

    def _checker(self, draft: WaiverDraft, checker: Actor | None) -> None:
        if checker is None:
            self.show_message(_("Nothing was waived: a supervisor gives the second key."))
            return
        self._busy = True
        self.show_message(_("Waiving…"))
        self.waive(draft, checker)

    @work(thread=True, exclusive=True, exit_on_error=False, group="waiver")
    def waive(self, draft: WaiverDraft, checker: Actor) -> None:
        try:
            self.post_message(self.Waived(loan_servicing.waive(self.app.db, self.app.session.actor, checker, draft)))
        except TellerError as error:
            self.post_message(self.Refused(error))

    def on_waiver_screen_waived(self, message: Waived) -> None:
        self.dismiss(message.waiver)

    def on_waiver_screen_refused(self, message: Refused) -> None:
        self._busy = False
        self.refuse(message.error)
