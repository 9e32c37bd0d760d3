"""Correcting a posted transaction: a void on its own business day, a reversal after it. The teller says why;
the correction is an instruction of its own, and the supervisor gives its second key here or from the queue."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from teller import counter, instructions
from teller.actor import Actor
from teller.counter import CorrectionPreview
from teller.errors import TellerError
from teller.i18n import N_, _, format_amount, format_day
from teller.identifiers import mask_account
from teller.instructions import InstructionView
from teller.ui.widgets.input import Input
from screens.base import TranslatedBindings
from screens.counter import warning_lines
from screens.second_key import SecondKeyScreen


class CorrectionScreen(TranslatedBindings, ModalScreen[InstructionView | None]):
    """Returns the correcting instruction (pending or posted), or None if nothing was made."""

    HELP_TITLE = N_("Void or reversal")
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), tooltip=N_("Back out without correcting"))]
    DEFAULT_CSS = """
    CorrectionScreen { align: center middle; }
    CorrectionScreen > Vertical { width: 72; max-width: 100%; height: auto; border: double $warning;
                                  background: $surface; padding: 0 2; }
    #correction-reason { margin-top: 1; }
    #correction-message { color: $error; height: auto; }
    """

    class Loaded(Message):
        def __init__(self, preview: CorrectionPreview) -> None:
            super().__init__()
            self.preview = preview

    class Made(Message):
        def __init__(self, instruction: InstructionView) -> None:
            super().__init__()
            self.instruction = instruction

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, entry_id: int) -> None:
        super().__init__()
        self.entry_id = entry_id
        self.preview: CorrectionPreview | None = None
        self.corrected = ""  # what is corrected, and how: the title and legs shown, for the second key too
        self.reason = ""
        self.idempotency_key = counter.new_idempotency_key()
        self.made: InstructionView | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("Loading…"), id="correction-title", markup=False)
            yield Static("", id="correction-legs", markup=False)
            yield Input(id="correction-reason", max_length=200, placeholder=_("Why it is corrected; Enter submits"),
                        disabled=True)
            yield Static("", id="correction-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="correction")
    def load(self) -> None:
        try:
            self.post_message(self.Loaded(counter.correction_preview(self.app.db, self.app.session.actor, self.entry_id)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_correction_screen_loaded(self, message: Loaded) -> None:
        preview = self.preview = message.preview
        title = _("Void") if preview.kind == counter.VOID else _("Reversal")
        heading = _("{title} of instruction {id}: {kind} {amount} {currency} of {day}").format(
            title=title, id=preview.instruction_id, kind=instructions.kind_name(preview.original_kind),
            amount=format_amount(preview.amount, preview.currency), currency=preview.currency,
            day=format_day(preview.business_date))
        legs = [_("Debit {account} {amount}").format(account=_shown(leg.account_number),
                                                    amount=format_amount(leg.debit, preview.currency))
                if leg.debit else
                _("Credit {account} {amount}").format(account=_shown(leg.account_number),
                                                     amount=format_amount(leg.credit, preview.currency))
                for leg in preview.legs]
        self.corrected = "\n".join([heading, *legs])
        self.query_one("#correction-title", Static).update(heading)
        self.query_one("#correction-legs", Static).update(
            "\n".join(legs + warning_lines(None, None, preview.drawer_limit)))
        reason = self.query_one("#correction-reason", Input)
        reason.disabled = False
        reason.focus()

    @on(Input.Submitted, "#correction-reason")
    def submit_reason(self, event: Input.Submitted) -> None:
        self.query_one("#correction-message", Static).update(_("Submitting…"))
        self.reason = event.value.strip()
        self.submit(event.value)

    @work(thread=True, exclusive=False, exit_on_error=False, group="correction-submit")
    def submit(self, reason: str) -> None:
        try:
            self.post_message(self.Made(counter.request_correction(
                self.app.db, self.app.session.actor, self.entry_id, reason, self.idempotency_key)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_correction_screen_made(self, message: Made) -> None:
        if self.made is not None:
            return  # Enter pressed twice: the same instruction came back
        made = self.made = message.instruction
        summary = _("{kind} {amount} {currency}, instruction {id}").format(
            kind=instructions.kind_name(made.kind), amount=format_amount(made.amount, made.currency),
            currency=made.currency, id=made.id)
        # The supervisor sees what is undone, on which accounts, and why.
        summary = "\n".join([summary, self.corrected, _("Reason: {reason}").format(reason=self.reason)])
        self.app.push_screen(SecondKeyScreen(summary), self._second_key)

    def _second_key(self, checker: Actor | None) -> None:
        if checker is None:
            self.dismiss(self.made)
            return
        self.approve(checker)

    @work(thread=True, exclusive=True, exit_on_error=False, group="correction-approve")
    def approve(self, checker: Actor) -> None:
        try:
            posted = instructions.approve(self.app.db, self.made.id, checker)
            self.app.call_from_thread(self.dismiss, posted)
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_correction_screen_failed(self, message: Failed) -> None:
        self.query_one("#correction-message", Static).update(message.reason)

    def action_cancel(self) -> None:
        self.dismiss(self.made)


def _shown(number: str) -> str:
    """Customers' account numbers masked; the branch's own accounts (drawers, GL) in full."""
    return mask_account(number) if number.isdigit() else number
