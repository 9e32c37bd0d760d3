"""Repaying an active loan (还款): a repayment of what is due, a prepayment (提前还款) of principal with a
shorter term or a lower installment, the payoff (结清), or the housing provident fund centre's offset. The
screen shows what each part owes today and, as the fields change, how this payment allocates (penalty
interest, fees, interest, principal, broken-period interest, principal prepaid), where the loan stands
after it and, for a prepayment, the regenerated schedule. F9 makes the instruction; the supervisor gives the
second key here, or it waits in the approval queue; the receipt follows the posting."""

from rich import box
from rich.table import Table as RichTable
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, ItemGrid, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Select, Static

from teller import accounts, customers, loan_servicing
from teller.accounts import AccountView
from teller.errors import TellerError
from teller.i18n import N_, _, format_amount, format_day
from teller.loan_servicing import (
    CASH_ROLES, FUND_PRODUCTS, FUND_TRANCHES, PAYMENT_KIND_NAMES, RepaymentDraft,
    RepaymentPreview, TrancheAllocation, TranchePosition, tranche_name,
)
from teller.loan_position import PREPAYMENT_CHOICES
from teller.loans import ORIGINATOR_ROLES, ApplicationView
from teller.ui.widgets.table import Table
from teller.ui.widgets.input import ENTER_MOVES_ON, Input, enter_moves_on
from teller.ui.workers import post_if_current
from screens.counter import warning_lines
from screens.loan_entry import Field, fill_schedule, schedule_columns
from screens.loan_money import BACK, MONEY_FORM_CSS, SUBMIT, MoneyForm, choice, money

COMMANDS = (BACK, SUBMIT)
ALL_PARTS = "all"
AMOUNT_TITLES = {"repayment": N_("Amount paid"), "fund_centre": N_("Amount paid"),
                 "prepayment": N_("Prepay principal")}
SOURCE_CHOICES = {"account": N_("Customer's account"), "cash": N_("Cash at the counter")}


def kinds(application: ApplicationView, roles: tuple[str, ...]) -> tuple[str, ...]:
    """The payments this user may take on this loan: the fund centre's offset only on a housing provident
    fund loan, recorded by a loan officer."""
    offered = ["repayment", "prepayment", "payoff"]
    fund_loan = application.product_code in FUND_PRODUCTS or any(
        tranche.kind in FUND_TRANCHES for tranche in application.tranches)
    if fund_loan and set(roles) & set(ORIGINATOR_ROLES):
        offered.append("fund_centre")
    return tuple(offered)


def sources(roles: tuple[str, ...]) -> tuple[str, ...]:
    return ("account", "cash") if set(roles) & set(CASH_ROLES) else ("account",)


def _table(title: str, parts: list[str]) -> RichTable:
    """Figures by part: a label column and one right-aligned column per part (headed only when there are
    two parts), one space between columns so that a part's figures fit half an 80-column screen."""
    table = RichTable(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                      show_header=len(parts) > 1, show_edge=False, pad_edge=False, expand=False,
                      padding=(0, 1), collapse_padding=True)
    table.add_column("", no_wrap=True)
    for part in parts:
        table.add_column(part, justify="right", no_wrap=True)
    return table


def due_table(positions: tuple[TranchePosition, ...], currency: str) -> RichTable:
    """What each part owes today: installments due and overdue, the charges, the total and the payoff."""
    many = len(positions) > 1
    table = _table(_("Due today"), [tranche_name(item.tranche) if many else "" for item in positions])

    def row(label: str, values: list[str]) -> None:
        table.add_row(label, *values)

    def amount(value: int) -> str:
        return format_amount(value, currency)

    row(_("Installments due"), [str(sum(1 for state in item.position.installments if state.state == "due"))
                                for item in positions])
    row(_("Installments overdue"), [str(sum(1 for state in item.position.installments if state.state == "overdue"))
                                    for item in positions])
    row(_("Days past due"), [str(item.position.days_past_due) for item in positions])
    row(_("Penalty interest"), [amount(item.position.penalty) for item in positions])
    row(_("Fees"), [amount(item.position.fees) for item in positions])
    row(_("Interest"), [amount(item.position.interest_due) for item in positions])
    row(_("Principal"), [amount(item.position.principal_due) for item in positions])
    row(_("Total due"), [amount(item.position.total_due) for item in positions])
    row(_("Payoff amount"), [amount(item.payoff.total) for item in positions])
    return table


def allocation_table(preview: RepaymentPreview) -> RichTable:
    """How the payment splits on each part, and where the part stands after it."""
    currency = preview.currency
    many = len(preview.before) > 1
    parts = preview.allocations
    table = _table(_("This payment: {total}").format(total=money(preview.total, currency)),
                   [tranche_name(item.tranche) if many else "" for item in parts])

    def row(label: str, values: list[str]) -> None:
        table.add_row(label, *values)

    def amounts(label: str, read) -> None:
        row(label, [format_amount(read(item), currency) for item in parts])

    amounts(_("Penalty interest"), lambda item: item.penalty)
    amounts(_("Fees"), lambda item: item.fees)
    amounts(_("Interest"), lambda item: item.interest)
    amounts(_("Principal"), lambda item: item.principal)
    amounts(_("Accrued interest"), lambda item: item.accrued_interest)
    amounts(_("Prepaid"), lambda item: item.prepaid)
    amounts(_("Remaining principal"), lambda item: item.remaining_principal)
    row(_("Next due"), [_next_due(item, currency) for item in parts])
    return table


def _next_due(item: TrancheAllocation, currency: str) -> str:
    if item.next_due_date is None:
        return _("none")
    return f"{format_day(item.next_due_date)} {format_amount(item.next_due_amount or 0, currency)}"


class LoanRepaymentScreen(MoneyForm):
    HELP_TITLE = N_("Loan repayment")
    PALETTE_COMMANDS = COMMANDS[1:]
    BINDINGS = [*(command.binding() for command in COMMANDS), ENTER_MOVES_ON]
    FIELD_KEYS = {"kind": "kind", "source": "source", "account": "account", "tranche": "part", "amount": "amount",
                  "prepayment choice": "choice", "narrative": "narrative"}
    DEFAULT_CSS = MONEY_FORM_CSS.format(name="LoanRepaymentScreen") + """
    LoanRepaymentScreen #repayment-body { height: 1fr; }
    LoanRepaymentScreen #repayment-figures { height: auto; margin: 0 1; }
    LoanRepaymentScreen #repayment-due { width: auto; height: auto; padding-right: 3; }
    LoanRepaymentScreen #repayment-allocation { width: 1fr; height: auto; }
    LoanRepaymentScreen #repayment-effect { padding: 0 1; height: auto; color: $accent; }
    LoanRepaymentScreen #repayment-schedule { margin: 0 1; height: auto; max-height: 14; }
    """

    class Loaded(Message):
        def __init__(self, deposit_accounts: tuple[AccountView, ...],
                     positions: tuple[TranchePosition, ...]) -> None:
            super().__init__()
            self.deposit_accounts = deposit_accounts
            self.positions = positions

    def __init__(self, application: ApplicationView, kind: str = "repayment") -> None:
        super().__init__()
        self.application = application
        self.initial_kind = kind
        self.loaded = False
        self.combined = len(application.tranches) > 1

    def compose(self) -> ComposeResult:
        view = self.application
        roles = self.app.session.actor.roles
        yield from self.compose_frame()
        yield Static(_("Repay {number} · {name} · {product}").format(
            number=view.number, name=view.customer_name, product=view.product_name), id="money-heading",
            markup=False)
        offered = kinds(view, roles)
        with VerticalScroll(id="money-form"):
            with ItemGrid(min_column_width=50, stretch_height=False):
                yield Field("kind", _("Repayment kind"), Select(
                    [(_(PAYMENT_KIND_NAMES[kind]), kind) for kind in offered], id="kind", compact=True,
                    allow_blank=False, value=self.initial_kind if self.initial_kind in offered else offered[0]))
                yield Field("source", _("Paid from"), Select([(_(SOURCE_CHOICES[source]), source) for source in sources(roles)],
                                                       id="source", compact=True, allow_blank=False))
                yield Field("account", _("Deposit account"), Select([], id="account", compact=True,
                                                                    prompt=_("Choose the account")))
                yield Field("part", _("Part"), Select(
                    [(_("all parts"), ALL_PARTS), *((tranche_name(t.kind), t.kind) for t in view.tranches)],
                    id="part", compact=True, allow_blank=False))
                yield Field("amount", _(AMOUNT_TITLES["repayment"]), Input(
                    id="amount", compact=True, max_length=24, placeholder=_("e.g. 1,234.50")))
                yield Field("choice", _("Schedule after"), Select([(_(name), key) for key, name in PREPAYMENT_CHOICES.items()],
                                                        id="choice", compact=True, prompt=_("Choose")))
                yield Field("narrative", _("Narrative"), Input(id="narrative", compact=True, max_length=200))
        yield Static("", id="money-message", classes="empty", markup=False)
        with VerticalScroll(id="repayment-body"):
            with Horizontal(id="repayment-figures"):
                yield Static(_("Loading…"), id="repayment-due")
                yield Static("", id="repayment-allocation")
            yield Static("", id="repayment-effect", markup=False)
            table = Table(id="repayment-schedule", cursor_type="row", zebra_stripes=True)
            schedule_columns(table)
            yield table

    def on_mount(self) -> None:
        self._arrange()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="repayment-load")
    def load(self) -> None:
        try:
            file = customers.customer_file(self.app.db, self.application.customer_id)
            deposit = tuple(account for account in file.accounts
                            if account.gl_code == accounts.DEPOSIT_GL and account.status == "open")
            figures = loan_servicing.servicing(self.app.db, self.application.id)
            post_if_current(self, self.Loaded(deposit, figures.tranches))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_loan_repayment_screen_loaded(self, message: Loaded) -> None:
        select = self.query_one("#account", Select)
        choices = [(f"{account.number}  {format_amount(account.available, account.currency)} {account.currency}",
                    account.number) for account in message.deposit_accounts]
        select.set_options(choices)
        if choices:
            select.value = choices[0][1]
        self.query_one("#repayment-due", Static).update(due_table(message.positions, self.application.currency))
        self.loaded = True
        self.refresh_preview()
        self.query_one("#amount" if self.kind != "payoff" else "#narrative").focus()

    # --- The form --------------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return choice(self.query_one("#kind", Select)) or "repayment"

    def _arrange(self) -> None:
        kind = self.kind
        source = choice(self.query_one("#source", Select))
        self.query_one("#field-source").set_class(kind == "fund_centre", "hidden")
        self.query_one("#field-account").set_class(kind == "fund_centre" or source != "account", "hidden")
        self.query_one("#field-part").set_class(not self.combined, "hidden")
        self.query_one("#field-amount").set_class(kind == "payoff", "hidden")
        self.query_one("#field-choice").set_class(kind != "prepayment", "hidden")
        if kind in AMOUNT_TITLES:
            self.query_one("#field-amount Label").update(_(AMOUNT_TITLES[kind]))
        self.query_one("#narrative", Input).placeholder = _("{payment} of loan {number}").format(
            payment=_(PAYMENT_KIND_NAMES[kind]), number=self.application.number)

    def draft(self) -> RepaymentDraft | None:
        if not self.loaded:
            return None
        kind = self.kind
        part = choice(self.query_one("#part", Select))
        return RepaymentDraft(
            application_id=self.application.id, kind=kind,
            source=choice(self.query_one("#source", Select)) or "account",
            account_number=choice(self.query_one("#account", Select)) or "",
            amount="" if kind == "payoff" else self.query_one("#amount", Input).value,
            choice=(choice(self.query_one("#choice", Select)) or "") if kind == "prepayment" else "",
            tranche=part if self.combined and part != ALL_PARTS else None,
            narrative=self.query_one("#narrative", Input).value, idempotency_key=self.idempotency_key)

    @on(Select.Changed)
    @on(Input.Changed)
    def changed(self, event) -> None:
        if event.control.id in ("kind", "source"):
            self._arrange()
        self.refresh_preview()

    def refresh_preview(self) -> None:
        if self.made is None and self.kind != "payoff" and not self.query_one("#amount", Input).value.strip():
            self.preview = None  # nothing typed yet: nothing to refuse either
            self.clear_preview()
            self.show_field_errors()
            self.say("")
            return
        super().refresh_preview()

    def action_next_field(self) -> None:
        """Enter moves from the amount to the narrative, and there submits (`enter_moves_on`)."""
        enter_moves_on(self, [self.query_one("#amount", Input), self.query_one("#narrative", Input)],
                       self.action_submit)

    def call_preview(self, draft: RepaymentDraft) -> RepaymentPreview:
        return loan_servicing.preview_repayment(self.app.db, self.app.session.actor, draft)

    def call_request(self, draft: RepaymentDraft):
        return loan_servicing.request_repayment_with_preview(self.app.db, self.app.session.actor, draft)

    def show_preview(self, preview: RepaymentPreview) -> None:
        self.query_one("#repayment-due", Static).update(due_table(preview.before, preview.currency))
        self.query_one("#repayment-allocation", Static).update(allocation_table(preview))
        lines = [_("Debits {source}, {day}").format(source=preview.source_text, day=format_day(preview.on))]
        if preview.settles:
            lines.append(_("This payment settles the loan."))
        lines += warning_lines(None, preview.large_value, preview.drawer_limit)
        rows = next((item.new_schedule for item in preview.allocations if item.new_schedule is not None), None)
        if rows is not None:
            lines.append(_("The schedule from here on ({count} installments):").format(count=len(rows)))
        self.query_one("#repayment-effect", Static).update("\n".join(lines))
        table = self.query_one("#repayment-schedule", DataTable)
        table.set_class(rows is None, "hidden")
        fill_schedule(table, rows or (), preview.currency)

    def clear_preview(self) -> None:
        self.query_one("#repayment-allocation", Static).update("")
        self.query_one("#repayment-effect", Static).update("")
        table = self.query_one("#repayment-schedule", DataTable)
        table.clear()
        table.add_class("hidden")

    def summary(self, made) -> str:
        text = super().summary(made)
        if self.preview is not None:
            text += "\n" + _("{number} {name} {source}").format(
                number=self.application.number, name=self.application.customer_name,
                source=self.preview.source_text)
        return text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return self.made is None or self.made.status == "PENDING"
        return True
