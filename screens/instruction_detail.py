"""One pending instruction as the checker sees it: every leg, the maker, the customer, its age, the identity
check and any warning. The signed-in supervisor approves with their own password and a fresh code, or
rejects with a reason (which releases the hold)."""

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static

from teller import approvals, instructions
from teller.approvals import InstructionDetail
from teller.errors import TellerError
from teller.i18n import N_, _, format_amount, format_day
from teller.ui.commands import UserCommand
from teller.ui.widgets.credentials import CredentialFields
from teller.ui.widgets.input import Input
from teller.ui.workers import post_if_current
from screens.approval_queue import age_text
from screens.counter import warning_lines
from screens.decision import DecisionScreen
from screens.names import ID_TYPE_NAMES

CLOSE = UserCommand("close_instruction", "escape", "close", N_("Close"), N_("Back to the queue, deciding nothing"))
APPROVE = UserCommand("approve_instruction", "f5", "approve", N_("Approve"),
                      N_("Give your second key: your password and a fresh code"))
REJECT = UserCommand("reject_instruction", "f6", "reject", N_("Reject"),
                     N_("Reject with a reason; the hold is released"))


class InstructionDetailScreen(DecisionScreen):
    """Returns the decided instruction, or None when the checker closes it undecided."""

    HELP_TITLE = N_("Instruction")
    PALETTE_COMMANDS = (APPROVE, REJECT)
    BINDINGS = [command.binding() for command in (CLOSE, *PALETTE_COMMANDS)]
    DEFAULT_CSS = """
    InstructionDetailScreen { align: center middle; }
    InstructionDetailScreen > Vertical { width: 78; max-width: 100%; height: auto; max-height: 100%;
                                         border: double $warning; background: $surface; padding: 0 1; }
    #detail-body { height: auto; max-height: 12; }
    #detail-warnings { color: $warning; height: auto; }
    #decision { height: auto; }
    #decision CredentialFields { margin-top: 0; }
    #reject-reason { display: none; }
    #reject-reason.open { display: block; }
    #decision-message { color: $error; height: auto; }
    """

    class Loaded(Message):
        def __init__(self, detail: InstructionDetail) -> None:
            super().__init__()
            self.detail = detail

    def __init__(self, instruction_id: int) -> None:
        super().__init__()
        self.instruction_id = instruction_id
        self.detail: InstructionDetail | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll(id="detail-body"):
                yield Static(_("Loading…"), id="detail-text", markup=False)
            yield Static("", id="detail-warnings", markup=False)
            with Vertical(id="decision"):
                yield CredentialFields(self.app.session.actor.username, id="approve-credentials")
                yield Input(id="reject-reason", max_length=200, placeholder=_("Why it is rejected; Enter rejects"))
            yield Static("", id=self.MESSAGE_ID, markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def load(self) -> None:
        try:
            post_if_current(self, self.Loaded(approvals.instruction_detail(self.app.db, self.instruction_id)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_instruction_detail_screen_loaded(self, message: Loaded) -> None:
        self.detail = message.detail
        self.query_one("#detail-text", Static).update(detail_text(message.detail))
        self.query_one("#detail-warnings", Static).update("\n".join(warning_lines(message.detail.duplicate, message.detail.large_value)))

    @on(Input.Submitted, "#reject-reason")
    def submit_rejection(self, event: Input.Submitted) -> None:
        self.reject(event.value)

    def action_approve(self) -> None:
        self.query_one("#reject-reason", Input).remove_class("open")
        self.query_one("#approve-credentials").display = True
        self.query_one("#password", Input).focus()

    def action_reject(self) -> None:
        self.query_one("#approve-credentials").display = False
        reason = self.query_one("#reject-reason", Input)
        reason.add_class("open")
        reason.focus()

    def action_close(self) -> None:
        self.dismiss(None)


def detail_text(detail: InstructionDetail) -> str:
    view = detail.instruction
    currency = view.currency

    def line(label: str, value: str) -> str:
        return _("{label}: {value}").format(label=label, value=value)

    lines = [
        _("Instruction {id} · {kind} · {amount} {currency}").format(
            id=view.id, kind=instructions.kind_name(view.kind),
            amount=format_amount(view.amount, currency), currency=currency),
        line(_("Customer"), f"{detail.customer}  {detail.masked_customer_id}" if detail.customer else _("none")),
        line(_("Maker"), _("{maker}, waiting {age}, business day {day}").format(
            maker=detail.maker, age=age_text(detail.age), day=format_day(view.business_date))),
        line(_("Narrative"), view.narrative),
    ]
    if view.required_checkers == 2:
        lines.append(line(_("Keys"), _("two checkers of rising level; first key: {checker}").format(
            checker=detail.checker or _("not yet"))))
    for leg in detail.legs:
        side, amount = (_("Debit"), leg.debit) if leg.debit else (_("Credit"), leg.credit)
        lines.append(f"  {side:<8}{leg.account:<24}{format_amount(amount, currency):>16}  {leg.holder}")
    if detail.identity is not None:
        identity = detail.identity
        lines.append(line(_("Identity checked"), _("{document} {number} by {by}").format(
            document=_(ID_TYPE_NAMES.get(identity.document_type, identity.document_type)),
            number=identity.masked_number, by=identity.confirmed_by)))
    if detail.reverses_instruction_id is not None:
        lines.append(line(_("Corrects"), _("instruction {id}").format(id=detail.reverses_instruction_id)))
    return "\n".join(lines)
