"""Disbursing a signed loan (放款): to one of the borrower's deposit accounts, to a registered payee or
escrow account (registered here under a supervisor's second key), or in cash from the teller's drawer.
The preview shows the credited account, the disbursement date, the first due date, each part's amount and
installment and the schedule fixed from today, or why the service refuses (an incomplete checklist, say).
F9 makes the instruction; the supervisor gives the second key here, or it waits in the approval queue;
the receipt follows the posting."""

from textual import on, work
from textual.app import ComposeResult
from textual.containers import ItemGrid, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Select, Static

from teller import accounts, customers, loan_servicing
from teller.accounts import AccountView
from teller.errors import TellerError
from teller.i18n import N_, _, format_amount, format_day
from teller.loan_quote import QuoteRow
from teller.loan_servicing import (
    CASH_ROLES, DisbursementDraft, DisbursementPreview, PayeeView, tranche_name,
)
from teller.loans import ORIGINATOR_ROLES, ApplicationView
from teller.ui.commands import UserCommand
from teller.ui.widgets.table import Table
from teller.ui.widgets.input import Input
from teller.ui.workers import post_if_current
from screens.counter import warning_lines
from screens.loan_dialogs import PayeeScreen
from screens.loan_entry import Field, fill_schedule, schedule_columns
from screens.loan_money import BACK, MONEY_FORM_CSS, SUBMIT, MoneyForm, choice, money
from screens.second_key import SecondKeyScreen

NEW_PAYEE = UserCommand("register_payee", "f4", "new_payee", N_("New payee"),
                        N_("Register a payee or escrow account, with a supervisor's second key"),
                        roles=ORIGINATOR_ROLES)
PAYEE_KEY = UserCommand("payee_second_key", "f5", "payee_key", N_("Payee key"),
                        N_("A supervisor gives the second key to the chosen payee"), roles=ORIGINATOR_ROLES)
COMMANDS = (BACK, SUBMIT, NEW_PAYEE, PAYEE_KEY)
DESTINATION_CHOICES = {"account": N_("Borrower's account"), "payee": N_("Registered payee"),
                       "cash": N_("Cash from my drawer")}


def destinations(roles: tuple[str, ...]) -> tuple[str, ...]:
    """Where this user may disburse to: a loan officer to an account or payee, a teller in cash."""
    allowed = []
    if set(roles) & set(ORIGINATOR_ROLES):
        allowed += ["account", "payee"]
    if set(roles) & set(CASH_ROLES):
        allowed.append("cash")
    return tuple(allowed)


def whole_loan_rows(preview: DisbursementPreview) -> tuple[QuoteRow, ...]:
    """The parts' installments added per due date, the balance counted down (as the quote shows a loan)."""
    by_date: dict = {}
    for part in preview.tranches:
        for row in part.schedule.installments:
            sums = by_date.setdefault(row.due_date, [0, 0, 0])
            sums[0] += row.payment
            sums[1] += row.principal
            sums[2] += row.interest
    balance, rows = preview.amount, []
    for number, due in enumerate(sorted(by_date), start=1):
        payment, principal, interest = by_date[due]
        balance -= principal
        rows.append(QuoteRow(number, due, payment, principal, interest, balance))
    return tuple(rows)


def payee_label(payee: PayeeView) -> str:
    if payee.approved:
        return payee.label
    return _("{payee} (waiting for its second key)").format(payee=payee.label)


class LoanDisbursementScreen(MoneyForm):
    HELP_TITLE = N_("Loan disbursement")
    PALETTE_COMMANDS = COMMANDS[1:]
    BINDINGS = [command.binding() for command in COMMANDS]
    FIELD_KEYS = {"destination": "destination", "account": "account", "payee": "payee", "narrative": "narrative"}
    DEFAULT_CSS = MONEY_FORM_CSS.format(name="LoanDisbursementScreen") + """
    LoanDisbursementScreen #disbursement-preview { padding: 0 1; height: auto; color: $accent; }
    LoanDisbursementScreen #disbursement-schedule { margin: 0 1; height: 1fr; }
    """

    class Loaded(Message):
        def __init__(self, deposit_accounts: tuple[AccountView, ...], payees: tuple[PayeeView, ...]) -> None:
            super().__init__()
            self.deposit_accounts = deposit_accounts
            self.payees = payees

    def __init__(self, application: ApplicationView) -> None:
        super().__init__()
        self.application = application
        self.payees: tuple[PayeeView, ...] = ()
        self.loaded = False

    def compose(self) -> ComposeResult:
        view = self.application
        yield from self.compose_frame()
        yield Static(_("Disburse {number} · {name} · {amount}").format(
            number=view.number, name=view.customer_name, amount=money(view.amount, view.currency)),
            id="money-heading", markup=False)
        with VerticalScroll(id="money-form"):
            with ItemGrid(min_column_width=50, stretch_height=False):
                allowed = destinations(self.app.session.actor.roles)
                yield Field("destination", _("Pay out"), Select(
                    [(_(DESTINATION_CHOICES[name]), name) for name in allowed], id="destination", compact=True,
                    allow_blank=False) if allowed else Select([], id="destination", compact=True))
                yield Field("account", _("Deposit account"), Select([], id="account", compact=True,
                                                                    prompt=_("Choose the account")))
                yield Field("payee", _("Payee"), Select([], id="payee", compact=True, prompt=_("Choose the payee")))
                yield Field("narrative", _("Narrative"), Input(
                    id="narrative", compact=True, max_length=200,
                    placeholder=_("Disbursement of loan {number}").format(number=view.number)))
        yield Static("", id="money-message", classes="empty", markup=False)
        yield Static(_("Loading…"), id="disbursement-preview", markup=False)
        table = Table(id="disbursement-schedule", cursor_type="row", zebra_stripes=True)
        schedule_columns(table)
        yield table

    def on_mount(self) -> None:
        self._arrange()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="disbursement-load")
    def load(self) -> None:
        try:
            file = customers.customer_file(self.app.db, self.application.customer_id)
            deposit = tuple(account for account in file.accounts
                            if account.gl_code == accounts.DEPOSIT_GL and account.status == "open")
            post_if_current(self, self.Loaded(deposit, loan_servicing.payees(self.app.db, self.application.id)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_loan_disbursement_screen_loaded(self, message: Loaded) -> None:
        select = self.query_one("#account", Select)
        choices = [(f"{account.number}  {format_amount(account.available, account.currency)} {account.currency}",
                    account.number) for account in message.deposit_accounts]
        kept = choice(select)
        select.set_options(choices)
        if kept in {number for _label, number in choices}:
            select.value = kept
        elif choices:
            select.value = choices[0][1]
        self._set_payees(message.payees)
        self.loaded = True
        self.refresh_preview()

    def _set_payees(self, payees: tuple[PayeeView, ...], chosen: int | None = None) -> None:
        self.payees = payees
        select = self.query_one("#payee", Select)
        kept = chosen if chosen is not None else select.value
        select.set_options([(payee_label(payee), payee.id) for payee in payees])
        ids = [payee.id for payee in payees]
        if kept in ids:
            select.value = kept
        elif [payee.id for payee in payees if payee.approved]:
            select.value = next(payee.id for payee in payees if payee.approved)
        self.refresh_bindings()

    # --- The form --------------------------------------------------------------------------------------

    @property
    def destination(self) -> str | None:
        return choice(self.query_one("#destination", Select))

    def _arrange(self) -> None:
        destination = self.destination
        self.query_one("#field-account").set_class(destination != "account", "hidden")
        self.query_one("#field-payee").set_class(destination != "payee", "hidden")
        self.refresh_bindings()

    def draft(self) -> DisbursementDraft | None:
        if not self.loaded:
            return None
        destination = self.destination
        payee = self.query_one("#payee", Select).value
        return DisbursementDraft(
            application_id=self.application.id, destination=destination or "",
            account_number=(choice(self.query_one("#account", Select)) or "") if destination == "account" else "",
            payee_id=payee if destination == "payee" and isinstance(payee, int) else None,
            narrative=self.query_one("#narrative", Input).value, idempotency_key=self.idempotency_key)

    @on(Select.Changed)
    @on(Input.Changed)
    def changed(self, event) -> None:
        if event.control.id == "destination":
            self._arrange()
        if event.control.id == "payee":
            self.refresh_bindings()
        self.refresh_preview()

    @on(Input.Submitted, "#narrative")
    def narrative_entered(self) -> None:
        self.action_submit()

    def call_preview(self, draft: DisbursementDraft) -> DisbursementPreview:
        return loan_servicing.preview_disbursement(self.app.db, self.app.session.actor, draft)

    def call_request(self, draft: DisbursementDraft):
        return loan_servicing.request_disbursement_with_preview(self.app.db, self.app.session.actor, draft)

    def show_preview(self, preview: DisbursementPreview) -> None:
        currency = preview.currency
        lines = [_("Pays {amount}: {destination}").format(amount=money(preview.amount, currency),
                                                          destination=preview.destination_text),
                 _("Credited account {account}").format(account=preview.credited_account),
                 _("Disbursed {day} · first due {first}").format(day=format_day(preview.disbursed_on),
                                                                  first=format_day(preview.first_due))]
        for part in preview.tranches:
            lines.append(_("{part} {account}: {amount}, {months} months, installment {installment}").format(
                part=tranche_name(part.tranche), account=part.account_number, amount=money(part.amount, currency),
                months=part.schedule.months, installment=money(part.schedule.installment, currency)))
        lines += warning_lines(None, preview.large_value)
        self.query_one("#disbursement-preview", Static).update("\n".join(lines))
        fill_schedule(self.query_one("#disbursement-schedule", DataTable), whole_loan_rows(preview), currency)

    def clear_preview(self) -> None:
        self.query_one("#disbursement-preview", Static).update(_("Nothing is disbursed while the form is refused."))
        self.query_one("#disbursement-schedule", DataTable).clear()

    def summary(self, made) -> str:
        text = super().summary(made)
        if self.preview is not None:
            text += "\n" + _("{number} {name} {destination}").format(
                number=self.application.number, name=self.application.customer_name,
                destination=self.preview.destination_text)
        return text

    # --- Payees ----------------------------------------------------------------------------------------

    def _chosen_payee(self) -> PayeeView | None:
        value = self.query_one("#payee", Select).value
        return next((payee for payee in self.payees if payee.id == value), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        command = next((command for command in COMMANDS if command.action == action), None)
        if command is None or action == "back":
            return True
        if not command.allowed_for(self.app.session.actor.roles):
            return False
        if action == "submit":
            return self.made is None or self.made.status == "PENDING"
        if self.made is not None or self.destination != "payee":
            return False
        if action == "payee_key":
            payee = self._chosen_payee()
            return payee is not None and not payee.approved
        return True

    def action_new_payee(self) -> None:
        summary = f"{self.application.number} {self.application.customer_name}"
        self.app.push_screen(PayeeScreen(self.application.id, summary), self._payee_made)

    def _payee_made(self, payee: PayeeView | None) -> None:
        if payee is None:
            return
        if payee.approved:
            self.say(_("Payee {name} registered and approved.").format(name=payee.name), done=True)
        else:
            self.say(_("Payee {name} waits for a supervisor's second key (F5).").format(name=payee.name))
        self.reload_payees(payee.id)

    def action_payee_key(self) -> None:
        payee = self._chosen_payee()
        if payee is None:
            return
        summary = _("Payee for {summary}: {payee}").format(
            summary=f"{self.application.number} {self.application.customer_name}", payee=payee.label)
        self.app.push_screen(SecondKeyScreen(summary), lambda checker: self._payee_checker(payee, checker))

    def _payee_checker(self, payee: PayeeView, checker) -> None:
        if checker is not None:
            self.approve_payee(payee.id, checker)

    @work(thread=True, exclusive=True, exit_on_error=False, group="disbursement-payee")
    def approve_payee(self, payee_id: int, checker) -> None:
        try:
            approved = loan_servicing.approve_payee(self.app.db, payee_id, checker)
            self.app.call_from_thread(self._payee_made, approved)
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="disbursement-payee")
    def reload_payees(self, chosen: int) -> None:
        try:
            payees = loan_servicing.payees(self.app.db, self.application.id)
            self.app.call_from_thread(self._payees_reloaded, payees, chosen)
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def _payees_reloaded(self, payees: tuple[PayeeView, ...], chosen: int) -> None:
        self._set_payees(payees, chosen)
        self.refresh_preview()
