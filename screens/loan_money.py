"""What the loan money screens share: amounts as they read, the names of an instruction's status, and the
form that makes a money instruction. Its preview follows the fields; F9 makes the pending instruction; the
supervisor steps over and gives the second key on this terminal, or Escape leaves it in the approval queue
(saying so); once posted, the receipt is printed exactly as at the counter."""

import uuid

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import DataTable, Select, Static

from teller import instructions
from teller.actor import Actor
from teller.errors import InputError, TellerError, labelled_message
from teller.i18n import N_, _, format_amount
from teller.instructions import InstructionView
from teller.loan_position import InstallmentState
from teller.loan_servicing import INSTALLMENT_STATE_NAMES, tranche_name
from teller.ui.commands import UserCommand
from teller.ui.workers import post_if_current
from screens.base import TellerScreen
from screens.loan_entry import Field
from screens.receipt import ReceiptScreen
from screens.second_key import SecondKeyScreen

INSTRUCTION_STATUS_NAMES = {"PENDING": N_("waiting for the second key"), "APPROVED": N_("posted"),
                            "REJECTED": N_("refused"), "CANCELLED": N_("cancelled"), "EXPIRED": N_("expired")}
BACK = UserCommand("back", "escape", "back", N_("Back"), N_("Back to the loan file"))
SUBMIT = UserCommand("submit_money", "f9", "submit", N_("Submit"),
                     N_("Make the instruction and ask for the second key"))
PART_ROW = "part:"
MONEY_FORM_CSS = """
    {name} #money-heading {{ padding: 0 1; text-style: bold; height: auto; }}
    {name} #money-form {{ height: auto; padding: 0 1; }}
    {name} #money-message {{ padding: 0 1; height: auto; color: $error; }}
    {name} #money-message.done {{ color: $success; }}
    {name} #money-message.empty {{ display: none; }}
    {name} .hidden {{ display: none; }}
"""


def money(amount: int, currency: str) -> str:
    return f"{currency} {format_amount(amount, currency)}"


def instruction_status(status: str) -> str:
    return _(INSTRUCTION_STATUS_NAMES[status]) if status in INSTRUCTION_STATUS_NAMES else status


def installment_state(installment: InstallmentState) -> str:
    """An installment's state as the loan file shows it: overdue ones with their days past due."""
    name = _(INSTALLMENT_STATE_NAMES[installment.state])
    if installment.state == "overdue" and installment.days_past_due:
        return _("{state}, {days} d").format(state=name, days=installment.days_past_due)
    return name


def part_heading(table: DataTable, kind: str) -> None:
    """A bold row naming a combined loan's part above its rows (steps and cursors ignore it)."""
    cells = [Text(tranche_name(kind), style="bold"), *([""] * (len(table.columns) - 1))]
    table.add_row(*cells, key=PART_ROW + kind + str(table.row_count))


def choice(select: Select) -> str | None:
    value = select.value
    return value if isinstance(value, str) else None


class MoneyForm(TellerScreen):
    """A form over one loan that makes a money instruction. Subclasses compose `Field`s and define five
    hooks: `draft()` (the typed draft, or None before the form has loaded), `call_preview(draft)` and
    `call_request(draft)` (the service calls, run in workers; a request answers with its instruction and the preview it
    prepared), `show_preview(preview)` and `clear_preview()`."""

    FIELD_KEYS: dict[str, str] = {}  # the service's field name -> the Field's key: a refusal shows under it

    class Previewed(Message):
        def __init__(self, draft, preview) -> None:
            super().__init__()
            self.draft = draft
            self.preview = preview

    class Submitted(Message):
        def __init__(self, instruction: InstructionView, preview) -> None:
            super().__init__()
            self.instruction = instruction
            self.preview = preview  # as the request prepared it for the very draft submitted

    class Posted(Message):
        def __init__(self, instruction: InstructionView) -> None:
            super().__init__()
            self.instruction = instruction

    class Failed(Message):
        def __init__(self, reason: str, field: str | None = None, draft=None, *, preview: bool = False) -> None:
            super().__init__()
            self.reason = reason
            self.field = field
            self.draft = draft
            self.preview = preview

    def __init__(self) -> None:
        super().__init__()
        self.idempotency_key = f"loan-{uuid.uuid4().hex}"  # one per form: a retry never makes a second
        self.preview = None
        self.made: InstructionView | None = None  # the instruction this form made (then it only waits or posts)
        self.submitted_draft = None  # the draft last submitted: what was said of it stands until the form changes
        self._submitting = False

    def summary(self, made: InstructionView) -> str:
        return _("{kind} {amount} {currency}, instruction {id}").format(
            kind=instructions.kind_name(made.kind), amount=format_amount(made.amount, made.currency),
            currency=made.currency, id=made.id)

    # --- Messages about the form ---------------------------------------------------------------------

    def say(self, text: str, *, done: bool = False) -> None:
        line = self.query_one("#money-message", Static)
        line.update(text)
        line.set_class(done, "done")
        line.set_class(not text, "empty")

    def show_field_errors(self, field: str | None = None, message: str | None = None) -> None:
        for key in set(self.FIELD_KEYS.values()):
            self.query_one(f"#field-{key}", Field).show_error(message if key == field else None)

    # --- The preview ---------------------------------------------------------------------------------

    def refresh_preview(self) -> None:
        if self.made is not None:
            return
        draft = self.draft()
        if draft is not None:
            self.run_preview(draft)

    @work(thread=True, exclusive=True, exit_on_error=False, group="money-preview")
    def run_preview(self, draft) -> None:
        try:
            post_if_current(self, self.Previewed(draft, self.call_preview(draft)))
        except InputError as error:
            post_if_current(self, self.Failed(error.message, error.field, draft, preview=True))
        except TellerError as error:
            post_if_current(self, self.Failed(str(error), None, draft, preview=True))

    def on_money_form_previewed(self, message: Previewed) -> None:
        if message.draft != self.draft() or self.made is not None:
            return  # typed on since, or already submitted
        self.preview = message.preview
        if message.draft != self.submitted_draft:  # a preview answering after this draft's refusal keeps it
            self.show_field_errors()
            if not self.query_one("#money-message", Static).has_class("done"):
                self.say("")  # a refusal no longer stands; news of what was done stays
        self.show_preview(message.preview)

    def on_money_form_failed(self, message: Failed) -> None:
        if message.preview and (message.draft != self.draft() or self.made is not None):
            return
        self._submitting = False
        if message.preview:
            self.preview = None
            self.clear_preview()  # figures of a draft that no longer stands would mislead
        key = self.FIELD_KEYS.get(message.field or "")
        if key is not None and not self.query_one(f"#field-{key}", Field).has_class("hidden"):
            self.show_field_errors(key, message.reason)
            if not message.preview:
                self.query_one(f"#field-{key}", Field).widget.focus()  # a refused submission: to the field at fault
            self.say(_("Correct the field marked in red."))
        else:
            self.show_field_errors()
            self.say(message.reason if message.field is None else labelled_message(message.field, message.reason))

    # --- Submitting and the second key ---------------------------------------------------------------

    def action_submit(self) -> None:
        if self.made is not None and self.made.status == "PENDING":
            self.offer_second_key(self.made)  # the supervisor came back: the same instruction, the key again
            return
        if self.made is not None or self._submitting:
            return
        draft = self.draft()
        if draft is None:
            return
        self._submitting = True
        self.submitted_draft = draft
        self.say(_("Submitting…"))
        self.submit(draft)

    @work(thread=True, exclusive=True, exit_on_error=False, group="money-submit")
    def submit(self, draft) -> None:
        """Make the instruction; the request answers with the preview it prepared for this very draft (the one on
        screen may still be of the keys before the last), for the figures left on screen and the second key."""
        try:
            self.post_message(self.Submitted(*self.call_request(draft)))
        except InputError as error:
            self.post_message(self.Failed(error.message, error.field))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_money_form_submitted(self, message: Submitted) -> None:
        self._submitting = False
        self.made = message.instruction
        self.preview = message.preview
        self.show_preview(message.preview)
        self.show_field_errors()
        for widget in self.query("#money-form Input, #money-form Select"):
            widget.disabled = True  # what was submitted stays as it was submitted
        self.refresh_bindings()
        if self.made.status == "APPROVED":  # a retry of an instruction already posted
            self.on_money_form_posted(self.Posted(self.made))
            return
        self.say(_("Instruction {id} is pending: the supervisor gives the second key.").format(id=self.made.id))
        self.offer_second_key(self.made)

    def offer_second_key(self, made: InstructionView) -> None:
        self.app.push_screen(SecondKeyScreen(self.summary(made)), lambda checker: self._second_key(made, checker))

    def _second_key(self, made: InstructionView, checker: Actor | None) -> None:
        if checker is None:
            self.say(_("Instruction {id} waits in the supervisor's approval queue (F9 gives the key here).").format(
                id=made.id), done=True)
            return
        self.say(_("Approving…"))
        self.approve(made.id, checker)

    @work(thread=True, exclusive=True, exit_on_error=False, group="money-approve")
    def approve(self, instruction_id: int, checker: Actor) -> None:
        try:
            self.post_message(self.Posted(instructions.approve(self.app.db, instruction_id, checker)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_money_form_posted(self, message: Posted) -> None:
        made = self.made = message.instruction
        self.refresh_bindings()
        if made.status == "APPROVED":
            self.say(_("Posted: instruction {id}, entry {entry}.").format(id=made.id, entry=made.entry_id), done=True)
            self.app.push_screen(ReceiptScreen(made.id))  # closing it closes this form too (on_screen_resume)
        else:
            self.say(_("First key given to instruction {id}: a more senior checker gives the second.").format(
                id=made.id), done=True)

    def on_screen_resume(self) -> None:
        # Not on top: the unlock resumed this form and at once put the receipt, held under the lock, over it.
        if self.is_active and self.made is not None and self.made.status == "APPROVED":
            self.dismiss()  # the receipt is printed: back to the loan file, which reads the loan afresh

    def action_back(self) -> None:
        self.dismiss()
