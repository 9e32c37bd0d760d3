"""The counter for one customer: cash deposit, cash withdrawal or transfer, with the account's balances now
and after, the identity check, the narrative, and warnings shown as the teller types. Submitting makes the
instruction; the supervisor can step over and give the second key right here, or it waits in the queue."""

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label, Select, Static

from teller import clock, counter, customers, instructions
from teller.actor import Actor
from teller.counter import DEPOSIT, TRANSFER, DuplicateWarning, MovementDraft, Preview
from teller.customers import CustomerFile
from teller.errors import InputError, TellerError
from teller.i18n import N_, _, format_amount
from teller.instructions import InstructionView
from teller.drawers import LimitWarning
from teller.large_value import LargeValueFlag
from teller.ui.commands import COUNTER_MAKERS, UserCommand
from teller.ui.workers import post_if_current
from teller.ui.widgets.input import ENTER_MOVES_ON, Input, enter_moves_on
from screens.base import TellerScreen
from screens.confirm import ConfirmScreen
from screens.names import ID_TYPE_NAMES
from screens.receipt import ReceiptScreen
from screens.second_key import SecondKeyScreen

BACK = UserCommand("back", "escape", "back", N_("Back"), N_("Back to the customer file"))
# The kind line names F4, F5 and F6 beside the kind in use, so the footer leaves them out: at 80 columns it
# has room for Back, Submit, the queue and Help only.
# Priority bindings: a kind moves the cursor to its first field, and keys typed right after F4 to F6 belong there.
DEPOSIT_KEY = UserCommand("deposit", "f4", "kind('cash_deposit')", N_("Deposit"), N_("Cash paid in to an account"),
                          roles=COUNTER_MAKERS, show=False, priority=True)
WITHDRAWAL_KEY = UserCommand("withdrawal", "f5", "kind('cash_withdrawal')", N_("Withdrawal"),
                             N_("Cash paid out of an account"), roles=COUNTER_MAKERS, show=False, priority=True)
TRANSFER_KEY = UserCommand("transfer", "f6", "kind('transfer')", N_("Transfer"),
                           N_("From this customer's account to another account"), roles=COUNTER_MAKERS, show=False,
                           priority=True)
SUBMIT = UserCommand("submit", "f9", "submit", N_("Submit"), N_("Make the instruction and ask for the second key"),
                     roles=COUNTER_MAKERS)
FIELD_WIDGETS = {"account": "#account", "amount": "#amount", "to account": "#to-account",
                 "document type": "#document-type", "document number": "#document-number", "narrative": "#narrative"}
FIELD_ORDER = ("account", "to-account", "amount", "document-type", "document-number", "narrative")


class CounterScreen(TellerScreen):
    HELP_TITLE = N_("Counter")
    PALETTE_COMMANDS = (DEPOSIT_KEY, WITHDRAWAL_KEY, TRANSFER_KEY, SUBMIT)
    BINDINGS = [*(command.binding() for command in (BACK, DEPOSIT_KEY, WITHDRAWAL_KEY, TRANSFER_KEY, SUBMIT)),
                ENTER_MOVES_ON]
    DEFAULT_CSS = """
    CounterScreen #counter-heading { padding: 0 1; text-style: bold; height: 1; }
    CounterScreen #counter-kind { padding: 0 1; height: 1; color: $accent; text-style: bold; margin-bottom: 1; }
    CounterScreen .row { height: 1; margin: 0 1; }
    CounterScreen .row Label { width: 16; }
    CounterScreen .row Input { width: 1fr; }
    CounterScreen .row Select { width: 1fr; }
    CounterScreen #document-type { width: 24; margin-right: 1; }
    CounterScreen .hidden { display: none; }
    CounterScreen #balances { margin: 1 1 0 1; height: auto; }
    CounterScreen #warnings { margin: 0 1; height: auto; color: $warning; }
    CounterScreen #counter-message { margin: 0 1; height: auto; color: $error; }
    CounterScreen #counter-message.done { color: $success; }
    """

    class Loaded(Message):
        def __init__(self, file: CustomerFile) -> None:
            super().__init__()
            self.file = file

    class Previewed(Message):
        def __init__(self, draft: MovementDraft, preview: Preview) -> None:
            super().__init__()
            self.draft = draft
            self.preview = preview

    class Submitted(Message):
        def __init__(self, instruction: InstructionView, preview: Preview) -> None:
            super().__init__()
            self.instruction = instruction
            self.preview = preview

    class Posted(Message):
        def __init__(self, instruction: InstructionView) -> None:
            super().__init__()
            self.instruction = instruction

    class Failed(Message):
        def __init__(self, reason: str, field: str | None = None, draft: MovementDraft | None = None) -> None:
            super().__init__()
            self.reason = reason
            self.field = field
            self.draft = draft

    def __init__(self, customer_id: int, kind: str = DEPOSIT) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.kind = kind
        self.file: CustomerFile | None = None
        self.idempotency_key = counter.new_idempotency_key()
        self.preview: Preview | None = None
        self.submitted_draft: MovementDraft | None = None  # the form as last submitted (F9, or Enter at its end)
        self._offered: set[int] = set()

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(_("Loading…"), id="counter-heading", markup=False)
        yield Static("", id="counter-kind", markup=False)
        with Horizontal(classes="row"):
            yield Label(_("Account"))
            yield Select([], id="account", compact=True, allow_blank=True, prompt=_("Choose the account"))
        with Horizontal(classes="row", id="to-row"):
            yield Label(_("To account"))
            yield Input(id="to-account", compact=True, max_length=40, placeholder=_("Account number to pay"))
        with Horizontal(classes="row"):
            yield Label(_("Amount"))
            yield Input(id="amount", compact=True, max_length=40, placeholder=_("e.g. 1,234.50"))
        with Horizontal(classes="row", id="identity-row"):
            yield Label(_("ID document"))
            yield Select([(_(name), key) for key, name in ID_TYPE_NAMES.items()], id="document-type", compact=True,
                         allow_blank=False)
            yield Input(id="document-number", compact=True, max_length=40,
                        placeholder=_("Number as read from the document"))
        with Horizontal(classes="row"):
            yield Label(_("Narrative"))
            yield Input(id="narrative", compact=True, max_length=200, placeholder=_("What the movement is for"))
        yield Static("", id="balances", markup=False)
        yield Static("", id="warnings", markup=False)
        yield Static("", id="counter-message", markup=False)

    def on_mount(self) -> None:
        self._show_kind()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="counter-load")
    def load(self) -> None:
        try:
            post_if_current(self, self.Loaded(customers.customer_file(self.app.db, self.customer_id)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_counter_screen_loaded(self, message: Loaded) -> None:
        file = self.file = message.file
        self.query_one("#counter-heading", Static).update(f"{file.name}  {file.masked_id}")
        choices = [(f"{account.number}  {format_amount(account.available, account.currency)} {account.currency}",
                    account.number) for account in file.accounts]
        select = self.query_one("#account", Select)
        select.set_options(choices)
        if choices:
            select.value = choices[0][1]
        self.query_one("#document-type", Select).value = file.id_type
        self.set_focus(self.first_field())

    # --- The form ------------------------------------------------------------------------------------

    def _show_kind(self) -> None:
        keys = _("F4 deposit · F5 withdrawal · F6 transfer")
        self.query_one("#counter-kind", Static).update(f"{instructions.kind_name(self.kind)}   ({keys})")
        self.query_one("#to-row").set_class(self.kind != TRANSFER, "hidden")
        self.query_one("#identity-row").set_class(self.kind not in counter.NEEDS_IDENTITY, "hidden")

    def action_kind(self, kind: str) -> None:
        if kind != self.kind:
            self.kind = kind
            self.idempotency_key = counter.new_idempotency_key()
            self._show_kind()
            self.refresh_preview()
            self.set_focus(self.first_field())  # at once: keys typed right after F6 belong to the account to pay

    def first_field(self) -> Input:
        """Where the kind's form starts: the account to pay for a transfer (it stands above the amount), else the
        amount."""
        return self.query_one("#to-account" if self.kind == TRANSFER else "#amount", Input)

    def draft(self) -> MovementDraft:
        account = self.query_one("#account", Select).value
        document_type = self.query_one("#document-type", Select).value
        return MovementDraft(
            kind=self.kind, customer_id=self.customer_id,
            account_number=account if isinstance(account, str) else "",
            amount=self.query_one("#amount", Input).value,
            to_account_number=self.query_one("#to-account", Input).value if self.kind == TRANSFER else "",
            narrative=self.query_one("#narrative", Input).value,
            document_type=document_type if self.kind in counter.NEEDS_IDENTITY and isinstance(document_type, str) else "",
            document_number=self.query_one("#document-number", Input).value if self.kind in counter.NEEDS_IDENTITY else "",
            idempotency_key=self.idempotency_key,
        )

    def has_unsaved_input(self) -> bool:
        return any(self.query_one(f"#{field}", Input).value.strip()
                   for field in ("amount", "to-account", "narrative", "document-number"))

    @on(Input.Changed)
    @on(Select.Changed)
    def refresh_preview(self) -> None:
        if self.file is None:
            return
        if not self.query_one("#amount", Input).value.strip():
            self._clear_preview()
            return
        self.run_preview(self.draft())

    def _clear_preview(self) -> None:
        self.preview = None
        for selector in ("#balances", "#warnings"):
            self.query_one(selector, Static).update("")

    @work(thread=True, exclusive=True, exit_on_error=False, group="counter-preview")
    def run_preview(self, draft: MovementDraft) -> None:
        try:
            self.post_message(self.Previewed(draft, counter.preview(self.app.db, self.app.session.actor, draft)))
        except InputError as error:
            self.post_message(self.Failed(str(error), error.field, draft))
        except TellerError as error:
            self.post_message(self.Failed(str(error), None, draft))

    def on_counter_screen_previewed(self, message: Previewed) -> None:
        if message.draft != self.draft():
            return  # the teller typed on since
        self.preview = message.preview
        self.query_one("#balances", Static).update(balances_text(message.preview))
        self.query_one("#warnings", Static).update("\n".join(warning_lines(
            message.preview.duplicate, message.preview.large_value, message.preview.drawer_limit)))
        if message.draft != self.submitted_draft:  # what was said of a submission stands until the form changes
            self._say("")

    def _say(self, text: str, *, done: bool = False) -> None:
        line = self.query_one("#counter-message", Static)
        line.update(text)
        line.set_class(done, "done")

    def on_counter_screen_failed(self, message: Failed) -> None:
        if message.draft is not None and message.draft != self.draft():
            return
        if message.draft is None and message.field in FIELD_WIDGETS:
            self.query_one(FIELD_WIDGETS[message.field]).focus()  # a refused submission: to the field at fault
        if message.draft is not None:
            self._clear_preview()  # balances of a draft that no longer stands would mislead
        self._say(message.reason)

    def action_next_field(self) -> None:
        """Enter moves on through the visible fields, the lists too (Space or Down opens a list), and in the
        narrative submits (`enter_moves_on`)."""
        visible = [self.query_one(f"#{field}") for field in FIELD_ORDER
                   if not self.query_one(f"#{field}").parent.has_class("hidden")]
        enter_moves_on(self, visible, self.action_submit)

    # --- Submitting and the second key ---------------------------------------------------------------

    def action_submit(self) -> None:
        if self.file is not None:
            self.submitted_draft = self.draft()
            self._say(_("Submitting…"))
            self.submit(self.submitted_draft)

    @work(thread=True, exclusive=False, exit_on_error=False, group="counter-submit")
    def submit(self, draft: MovementDraft) -> None:
        """Submit the form; the second key is asked for with the accounts the submission prepared (the preview
        on screen may still be of the keys before the last)."""
        try:
            self.post_message(self.Submitted(*counter.submit_with_preview(self.app.db, self.app.session.actor, draft)))
        except InputError as error:
            self.post_message(self.Failed(str(error), error.field))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_counter_screen_submitted(self, message: Submitted) -> None:
        made = message.instruction
        if made.id in self._offered:
            return  # the same form submitted twice: one instruction, offered once
        self._offered.add(made.id)
        self._reset_form()
        summary = _("{kind} {amount} {currency}, instruction {id}").format(
            kind=instructions.kind_name(made.kind), amount=format_amount(made.amount, made.currency),
            currency=made.currency, id=made.id)
        shown = message.preview
        summary += f"\n{shown.account.masked_number}  {shown.account.holder}"
        if (payee := shown.to_account) is not None:  # the supervisor sees where the money goes
            summary += "\n" + _("to {account}  {holder}").format(account=payee.masked_number, holder=payee.holder)
        self._say(_("Instruction {id} is pending: the supervisor gives the second key.").format(id=made.id))
        self.app.push_screen(SecondKeyScreen(summary), lambda checker: self._second_key(made, checker))

    def _second_key(self, made: InstructionView, checker: Actor | None) -> None:
        if checker is None:
            self._say(_("Instruction {id} waits in the supervisor's approval queue.").format(id=made.id), done=True)
            return
        self._say(_("Approving…"))
        self.approve(made.id, checker)

    @work(thread=True, exclusive=True, exit_on_error=False, group="counter-approve")
    def approve(self, instruction_id: int, checker: Actor) -> None:
        try:
            self.post_message(self.Posted(instructions.approve(self.app.db, instruction_id, checker)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_counter_screen_posted(self, message: Posted) -> None:
        made = message.instruction
        if made.status == "APPROVED":
            self._say(_("Posted: instruction {id}, entry {entry}.").format(id=made.id, entry=made.entry_id), done=True)
            self.app.push_screen(ReceiptScreen(made.id))
        else:
            self._say(_("First key given to instruction {id}: a more senior checker gives the second.").format(
                id=made.id), done=True)
        self.load()

    def _reset_form(self) -> None:
        self.idempotency_key = counter.new_idempotency_key()
        for field in ("amount", "to-account", "narrative", "document-number"):
            with self.prevent(Input.Changed):
                self.query_one(f"#{field}", Input).value = ""
        self._clear_preview()
        self.set_focus(self.first_field())

    def action_back(self) -> None:
        """Back to the customer file, asking first if the form holds input not yet submitted."""
        if not self.has_unsaved_input():
            self.dismiss(None)
            return

        def leave(confirmed: bool | None) -> None:
            if confirmed:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen(_("Leave the form? What you typed will be lost.")), leave)


def _left(text: str, width: int) -> str:
    """`text` padded to `width` terminal cells (a Chinese character takes two)."""
    return text + " " * max(width - cell_len(text), 0)


def _right(text: str, width: int) -> str:
    return " " * max(width - cell_len(text), 0) + text


def balances_text(preview: Preview) -> str:
    """The account (and a transfer's payee) now and after, in aligned columns."""
    position = preview.account
    currency = position.currency

    def row(label: str, ledger: str, available: str) -> str:
        return _left(label, 12) + _right(ledger, 16) + _right(available, 16)

    lines = [f"{position.masked_number}  {position.holder}  ({currency})",
             row("", _("Ledger"), _("Available")),
             row(_("Now"), format_amount(position.balance, currency), format_amount(position.available, currency)),
             row(_("After"), format_amount(position.balance_after, currency),
                 format_amount(position.available_after, currency))]
    if preview.to_account is not None:
        payee = preview.to_account
        lines.append(_("Pays {account} {holder}: {before} → {after}").format(
            account=payee.masked_number, holder=payee.holder, before=format_amount(payee.balance, currency),
            after=format_amount(payee.balance_after, currency)))
    return "\n".join(lines)


def warning_lines(duplicate: DuplicateWarning | None, large_value: LargeValueFlag | None,
                  drawer_limit: LimitWarning | None = None) -> list[str]:
    """What the teller (and later the checker) should notice: a possible duplicate, large-value cash, cash
    that takes the teller's drawer over its limit."""
    lines = []
    if duplicate is not None:
        lines.append(_("Possible duplicate: instruction {id} had the same amount on this account at {time}.").format(
            id=duplicate.instruction_id, time=clock.in_branch_time(duplicate.created_at).strftime("%H:%M")))
    if large_value is not None:
        flag = large_value
        lines.append(_("Large-value cash: {total} {currency} today reaches the {threshold} reporting threshold.").format(
            total=format_amount(flag.day_total, flag.currency), currency=flag.currency,
            threshold=format_amount(flag.threshold, flag.currency)))
    if drawer_limit is not None:
        lines.append(_("Drawer limit: this cash takes your drawer {excess} {currency} over its limit of {limit}; "
                       "return the excess to the vault (F11, cash drawer) before taking more cash in.").format(
            excess=format_amount(drawer_limit.excess, drawer_limit.currency), currency=drawer_limit.currency,
            limit=format_amount(drawer_limit.limit, drawer_limit.currency)))
    return lines
