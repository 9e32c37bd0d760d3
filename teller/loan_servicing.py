"""The money side of a signed loan: disbursement, repayment, payoff and prepayment, fund-centre offsets,
payees and waivers, and the loan file's figures.

Every movement is an instruction with a second key. What it means for the loan is written with the
instruction (`instructions.submit_in(..., attach=...)`) and counts only once that instruction is approved:
the disbursement's schedule version, a payment's allocation, a prepayment's regenerated schedule. The
database turns the loan ACTIVE when its disbursement posts and SETTLED when the payment that repays it
posts (migration 0007), whichever terminal gives the key. One money instruction waits per loan at a time,
so an allocation is always computed on the position it will post against.

Each tranche's principal is a ledger account under the product's loans-receivable GL code, so the
outstanding principal is a balance `teller ledger verify` checks. Interest, penalty interest and fees are
income when paid (credited to 6011, 6012 and 6021); penalty and fees are computed, not booked, until then,
which is why a waiver moves no money: it is a second-keyed record that lowers what is due.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from models import (
    Account, Branch, Customer, Instruction, LoanAccount, LoanApplication, LoanDisbursement, LoanInstallment,
    LoanPayee, LoanPayment, LoanSchedule, LoanTranche, LoanWaiver, StaffUser,
)
from teller import accounts, audit, clock, drawers, instructions, large_value, loans, schedule
from teller.actor import Actor
from teller.db import Database
from teller.documents import Document
from teller.errors import ApprovalError, InputError, LedgerError
from teller.i18n import N_, _, format_amount, format_day
from teller.instructions import CHECKER_ROLES, InstructionRequest, InstructionView
from teller.large_value import LargeValueFlag
from teller.ledger import Leg
from teller.loan_position import (
    PREPAYMENT_CHOICES, Allocation, InstallmentState, Payment, PayoffQuote, Position, Terms, Waiver,
    accrued_interest, allocate, payoff_quote, position, prepayment_quote, regenerate,
)
from teller.loan_products import FUND_PRODUCTS, FUND_TRANCHES, TRANCHE_NAMES, Product, ppm_to_rate
from teller.loans import ORIGINATOR_ROLES, CustomerLoan
from teller.money import format_minor, parse_amount

CLEARING_GL = "3001"
FUND_CENTRE_GL = "3002"
INTEREST_GL = "6011"
PENALTY_GL = "6012"
FEE_GL = "6021"
CASH_ROLES = ("teller",)
MONEY_KINDS = ("loan_disbursement", "loan_repayment", "fund_centre_repayment")
DESTINATION_NAMES = {"account": N_("to the borrower's deposit account"), "payee": N_("to a registered payee"),
                     "cash": N_("in cash from your drawer")}
PAYMENT_KIND_NAMES = {"repayment": N_("Repayment"), "prepayment": N_("Prepayment"), "payoff": N_("Payoff"),
                      "fund_centre": N_("Fund-centre offset")}
PAYEE_KIND_NAMES = {"payee": N_("payee"), "escrow": N_("escrow account")}
SCHEDULE_REASON_NAMES = {"disbursement": N_("at disbursement"), "shorter_term": N_("prepayment: shorter term"),
                         "lower_installment": N_("prepayment: lower installment")}
INSTALLMENT_STATE_NAMES = {"paid": N_("paid"), "due": N_("due"), "overdue": N_("overdue"), "future": N_("future"),
                           "settled": N_("settled early")}
MAX_NAME = 120
MAX_REASON = 500


# --- Views ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayeeDraft:
    kind: str  # "payee" or "escrow"
    name: str
    bank_name: str
    account_number: str


@dataclass(frozen=True)
class PayeeView:
    id: int
    kind: str
    name: str
    bank_name: str
    account_number: str
    registered_by: str
    approved_by: str | None

    @property
    def approved(self) -> bool:
        return self.approved_by is not None

    @property
    def label(self) -> str:
        return f"{self.name} · {self.bank_name} · {self.account_number}"


@dataclass(frozen=True)
class DisbursementDraft:
    application_id: int
    destination: str  # "account", "payee" or "cash"
    account_number: str = ""
    payee_id: int | None = None
    narrative: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True)
class TrancheSchedule:
    """A tranche as it will be disbursed: its principal account and its schedule fixed from today."""

    tranche: str
    account_number: str
    amount: int
    schedule: schedule.Schedule


@dataclass(frozen=True)
class DisbursementPreview:
    application_id: int
    number: str
    customer_name: str
    currency: str
    amount: int
    destination: str
    destination_text: str
    credited_account: str
    disbursed_on: date
    first_due: date
    tranches: tuple[TrancheSchedule, ...]
    narrative: str
    large_value: LargeValueFlag | None  # cash paid out that takes the customer's cash of the day to the threshold


@dataclass(frozen=True)
class RepaymentDraft:
    application_id: int
    kind: str  # "repayment", "prepayment", "payoff" or "fund_centre"
    source: str = "account"  # "account" or "cash"; a fund-centre offset always comes from the fund centre
    account_number: str = ""
    amount: str = ""  # what is paid (repayment, fund centre), or the principal to prepay (prepayment)
    choice: str = ""  # a prepayment's "shorter_term" or "lower_installment"
    tranche: str | None = None  # a combined loan's "fund" or "commercial" part, when the payment targets one
    narrative: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True)
class TrancheAllocation:
    """How a payment splits on one tranche, and where the tranche stands after it."""

    tranche: str
    penalty: int
    fees: int
    interest: int
    principal: int
    accrued_interest: int
    prepaid: int
    remaining_principal: int
    next_due_date: date | None
    next_due_amount: int | None
    new_schedule: tuple[schedule.Installment, ...] | None

    @property
    def total(self) -> int:
        return self.penalty + self.fees + self.interest + self.principal + self.accrued_interest + self.prepaid


@dataclass(frozen=True)
class TranchePosition:
    tranche: str
    account_number: str
    annual_rate: Decimal
    position: Position
    payoff: PayoffQuote


@dataclass(frozen=True)
class RepaymentPreview:
    application_id: int
    number: str
    customer_name: str
    currency: str
    kind: str
    source_text: str
    debited_account: str
    on: date
    total: int
    allocations: tuple[TrancheAllocation, ...]
    before: tuple[TranchePosition, ...]
    settles: bool
    narrative: str
    large_value: LargeValueFlag | None  # cash paid in that takes the customer's cash of the day to the threshold
    drawer_limit: drawers.LimitWarning | None = None  # cash paid in that takes the teller's drawer over its limit


@dataclass(frozen=True)
class WaiverDraft:
    application_id: int
    tranche: str | None
    penalty: str
    fees: str
    reason: str


@dataclass(frozen=True)
class WaiverView:
    id: int
    tranche: str
    waived_on: date
    penalty: int
    fees: int
    reason: str
    requested_by: str
    approved_by: str


@dataclass(frozen=True)
class PaymentView:
    instruction_id: int
    status: str
    kind: str
    tranche: str
    paid_on: date
    penalty: int
    fees: int
    interest: int
    principal: int
    accrued_interest: int
    prepaid: int
    maker: str
    checker: str | None

    @property
    def total(self) -> int:
        return self.penalty + self.fees + self.interest + self.principal + self.accrued_interest + self.prepaid


@dataclass(frozen=True)
class ScheduleVersionView:
    tranche: str
    version: int
    reason: str
    instruction_id: int
    status: str
    start_date: date
    installments: tuple[schedule.Installment, ...]


@dataclass(frozen=True)
class DisbursementView:
    instruction_id: int
    status: str
    destination: str
    account_number: str
    disbursed_on: date
    maker: str
    checker: str | None


@dataclass(frozen=True)
class LoanServicing:
    """Everything the loan file shows about money: where each tranche stands today, every schedule version,
    every payment with its allocation (pending and refused ones too, marked so), waivers, payees and the
    disbursement."""

    application_id: int
    state: str
    currency: str
    on: date
    tranches: tuple[TranchePosition, ...]
    versions: tuple[ScheduleVersionView, ...]
    payments: tuple[PaymentView, ...]
    waivers: tuple[WaiverView, ...]
    payees: tuple[PayeeView, ...]
    disbursements: tuple[DisbursementView, ...]
    pending_instruction_id: int | None

    @property
    def outstanding_principal(self) -> int:
        return sum(tranche.position.outstanding_principal for tranche in self.tranches)

    @property
    def days_past_due(self) -> int:
        return max((tranche.position.days_past_due for tranche in self.tranches), default=0)

    @property
    def next_due(self) -> InstallmentState | None:
        dues = [tranche.position.next_due for tranche in self.tranches if tranche.position.next_due]
        return min(dues, key=lambda installment: installment.due_date, default=None)

    @property
    def next_due_amount(self) -> int:
        """What falls due on the next due date, over every tranche due that day."""
        upcoming = self.next_due
        if upcoming is None:
            return 0
        return sum(item.principal + item.interest - item.paid_principal - item.paid_interest
                   for item in (tranche.position.next_due for tranche in self.tranches)
                   if item is not None and item.due_date == upcoming.due_date)

    @property
    def total_due(self) -> int:
        return sum(tranche.position.total_due for tranche in self.tranches)

    @property
    def payoff_total(self) -> int:
        return sum(tranche.payoff.total for tranche in self.tranches)


def tranche_name(kind: str) -> str:
    return _(TRANCHE_NAMES[kind])


# --- Loading ---------------------------------------------------------------------------------------------


@dataclass
class _Loan:
    application: LoanApplication
    product: Product
    customer: Customer
    branch: Branch
    tranches: list[LoanTranche]


def _load(session: Session, application_id: int, *, lock: bool = True) -> _Loan:
    application = loans._load(session, application_id, lock=lock)
    product = loans.terms_product(session, application)
    tranches = list(session.scalars(select(LoanTranche).where(LoanTranche.application_id == application.id)
                                    .order_by(LoanTranche.id)))
    return _Loan(application, product, session.get(Customer, application.customer_id),
                 session.get(Branch, application.branch_id), tranches)


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {staff_id for staff_id in ids if staff_id}
    if not wanted:
        return {}
    return {user.id: user.display_name for user in session.scalars(select(StaffUser).where(StaffUser.id.in_(wanted)))}


def _pending_money(session: Session, application_id: int) -> Instruction | None:
    """The loan's money instruction still waiting for its second key, if any."""
    ids = [*session.scalars(select(LoanDisbursement.instruction_id).where(
        LoanDisbursement.application_id == application_id)),
        *session.scalars(select(LoanPayment.instruction_id).where(LoanPayment.application_id == application_id))]
    if not ids:
        return None
    return session.execute(select(Instruction).where(Instruction.id.in_(ids), Instruction.status == "PENDING")
                           .order_by(Instruction.id).limit(1)).scalar()


def _refuse_pending(session: Session, loan: _Loan, idempotency_key: str) -> None:
    waiting = _pending_money(session, loan.application.id)
    if waiting is not None and waiting.idempotency_key != idempotency_key.strip():
        raise LedgerError(_("instruction {id} on loan {number} waits for its second key: finish it first").format(
            id=waiting.id, number=loan.application.number))


def loan_account_number(application_number: str, tranche_index: int) -> str:
    """A tranche's principal account: the loan number and the tranche's place (1, or 1 and 2)."""
    return f"{application_number}-{tranche_index}"


def _approved_schedule(session: Session, tranche_id: int, through: int | None) -> tuple[schedule.Installment, ...]:
    """The tranche's current schedule (as of instruction `through`, when given): its latest version whose
    instruction is approved."""
    query = (select(LoanSchedule).join(Instruction, Instruction.id == LoanSchedule.instruction_id)
             .where(LoanSchedule.tranche_id == tranche_id, Instruction.status == "APPROVED"))
    if through is not None:
        query = query.where(LoanSchedule.instruction_id <= through)
    version = session.execute(query.order_by(LoanSchedule.version.desc()).limit(1)).scalar_one()
    return _installments(session, version.id)


def _installments(session: Session, schedule_id: int) -> tuple[schedule.Installment, ...]:
    rows = session.scalars(select(LoanInstallment).where(LoanInstallment.schedule_id == schedule_id)
                           .order_by(LoanInstallment.number))
    return tuple(schedule.Installment(row.number, row.due_date, row.principal + row.interest, row.principal,
                                      row.interest, row.balance_after) for row in rows)


def _terms(loan: _Loan, tranche: LoanTranche, start_date: date) -> Terms:
    return Terms(annual_rate=ppm_to_rate(tranche.rate_ppm), penalty_multiple=loan.product.penalty_rate_multiple,
                 day_count=loan.product.day_count, late_fee=loan.product.late_fee, method=tranche.method,
                 installment_multiple=loan.product.installment_multiple, start_date=start_date)


@dataclass
class _Tranche:
    row: LoanTranche
    account: Account
    installments: tuple[schedule.Installment, ...]
    terms: Terms
    payments: list[Payment]
    waivers: list[Waiver]
    position: Position


def _positions(session: Session, loan: _Loan, on: date, *, through: int | None = None) -> list[_Tranche]:
    """Each tranche of an active (or settled) loan as it stands on `on`, from approved rows only; with
    `through`, as it stood once that instruction posted (a receipt's figures, however late it is reprinted)."""
    result = []
    for tranche in loan.tranches:
        link = session.get(LoanAccount, tranche.id)
        installments = _approved_schedule(session, tranche.id, through)
        first = session.execute(select(LoanSchedule).where(LoanSchedule.tranche_id == tranche.id,
                                                           LoanSchedule.version == 1)).scalar_one()
        terms = _terms(loan, tranche, first.start_date)
        paid = (select(LoanPayment).join(Instruction, Instruction.id == LoanPayment.instruction_id)
                .where(LoanPayment.tranche_id == tranche.id, Instruction.status == "APPROVED"))
        if through is not None:
            paid = paid.where(LoanPayment.instruction_id <= through)
        payments = [Payment(on=row.paid_on, penalty=row.penalty, fees=row.fees, interest=row.interest,
                            principal=row.principal, accrued_interest=row.accrued_interest, prepaid=row.prepaid)
                    for row in session.scalars(paid.order_by(LoanPayment.id))]
        waivers = [Waiver(on=row.waived_on, penalty=row.penalty, fees=row.fees) for row in session.scalars(
            select(LoanWaiver).where(LoanWaiver.tranche_id == tranche.id).order_by(LoanWaiver.id))]
        result.append(_Tranche(tranche, session.get(Account, link.account_id), installments, terms,
                               payments, waivers, position(installments, terms, payments, waivers, on)))
    return result


def _tranche_positions(items: list[_Tranche]) -> tuple[TranchePosition, ...]:
    return tuple(TranchePosition(item.row.kind, item.account.number, item.terms.annual_rate, item.position,
                                 payoff_quote(item.position, item.terms)) for item in items)


# --- Payees ----------------------------------------------------------------------------------------------


def _payee_view(payee: LoanPayee, names: dict[int, str]) -> PayeeView:
    return PayeeView(payee.id, payee.kind, payee.name, payee.bank_name, payee.account_number,
                     names.get(payee.registered_by, ""), names.get(payee.approved_by))


def _clean_text(text: str, field: str, prompt: str, most: int = MAX_NAME) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InputError(field, prompt)
    if len(cleaned) > most:
        raise InputError(field, _("keep it to {most} characters").format(most=most))
    return cleaned


def _clean_payee(draft: PayeeDraft) -> PayeeDraft:
    if draft.kind not in PAYEE_KIND_NAMES:
        raise InputError("payee kind", _("choose a payee or an escrow account"))
    number = "".join(draft.account_number.split()).replace("-", "")
    if not number.isascii() or not number.isdigit() or not 8 <= len(number) <= 34:
        raise InputError("payee account", _("type the payee's account number: 8 to 34 digits"))
    return PayeeDraft(draft.kind, _clean_text(draft.name, "payee name", _("type the payee's name")),
                      _clean_text(draft.bank_name, "bank name", _("type the payee's bank")), number)


def register_payee(db: Database, officer: Actor, application_id: int, draft: PayeeDraft) -> PayeeView:
    """Record a payee or escrow account for a signed loan; it can be paid only after a second key."""
    loans._require_role(officer, ORIGINATOR_ROLES, _("only a loan officer registers a loan's payees"))
    cleaned = _clean_payee(draft)

    def work(session: Session) -> PayeeView:
        loan = _load(session, application_id)
        loans._refuse_state(loan.application, ("CONTRACT_SIGNED",), N_("register a payee for"))
        payee = LoanPayee(application_id=application_id, kind=cleaned.kind, name=cleaned.name,
                          bank_name=cleaned.bank_name, account_number=cleaned.account_number,
                          registered_by=officer.staff_id, registered_at=clock.now())
        session.add(payee)
        session.flush()
        loans._event(session, officer, loan.application, "payee_registered", payee=payee.id, name=cleaned.name,
                     bank=cleaned.bank_name, account=cleaned.account_number, kind=cleaned.kind)
        return _payee_view(payee, _names(session, [officer.staff_id]))

    return db.run(work)


def approve_payee(db: Database, payee_id: int, checker: Actor) -> PayeeView:
    """The second key on a payee (`checker` already authenticated): a different user with a checker's role."""
    if not set(checker.roles) & set(CHECKER_ROLES):
        raise ApprovalError(_("{username} has no role that may give a second key").format(username=checker.username))

    def work(session: Session) -> PayeeView:
        payee = session.get(LoanPayee, payee_id, with_for_update=True)
        if payee is None:
            raise InputError("payee", _("payee {id} does not exist").format(id=payee_id))
        if payee.approved_by is not None:
            raise ApprovalError(_("payee {name} already has its second key").format(name=payee.name))
        if payee.registered_by == checker.staff_id:
            raise ApprovalError(_("whoever registers a payee cannot give its second key"))
        payee.approved_by, payee.approved_at = checker.staff_id, clock.now()
        session.flush()
        loans._event(session, checker, loans._load(session, payee.application_id), "payee_approved", payee=payee.id,
                     name=payee.name)
        return _payee_view(payee, _names(session, [payee.registered_by, checker.staff_id]))

    return db.run(work)


def payees(db: Database, application_id: int) -> tuple[PayeeView, ...]:
    return db.run(lambda session: _payees(session, application_id), readonly=True)


def _payees(session: Session, application_id: int) -> tuple[PayeeView, ...]:
    rows = list(session.scalars(select(LoanPayee).where(LoanPayee.application_id == application_id)
                                .order_by(LoanPayee.id)))
    names = _names(session, [staff for row in rows for staff in (row.registered_by, row.approved_by)])
    return tuple(_payee_view(row, names) for row in rows)


# --- Disbursement ----------------------------------------------------------------------------------------


def first_due_after(chosen: date, disbursed_on: date) -> date:
    """The first due date of a loan disbursed today: the one chosen at entry if it is still ahead, else the
    first later date on the same day of the month."""
    if chosen > disbursed_on:
        return chosen
    months = (disbursed_on.year - chosen.year) * 12 + disbursed_on.month - chosen.month + 2
    return next(due for due in schedule.due_dates(chosen, months) if due > disbursed_on)


def _deposit_account(session: Session, number: str, customer_id: int, field: str) -> Account:
    cleaned = "".join(number.split())
    if not cleaned:
        raise InputError(field, _("choose one of the borrower's deposit accounts"))
    account = session.execute(select(Account).where(Account.number == cleaned)).scalar_one_or_none()
    if account is None or account.gl_code != accounts.DEPOSIT_GL or account.customer_id != customer_id:
        raise InputError(field, _("account {number} is not a deposit account of the borrower").format(number=cleaned))
    if account.status != "open":
        raise InputError(field, _("account {number} is not open").format(number=cleaned))
    return account


def _cash_drawer(session: Session, actor: Actor, branch: Branch) -> Account:
    if not set(actor.roles) & set(CASH_ROLES):
        raise ApprovalError(_("cash is paid and taken at the counter: a teller does this from their drawer"))
    drawers.open_session(session, actor)
    return session.execute(select(Account).where(
        Account.number == accounts.drawer_number(branch.code, actor.username))).scalar_one()


def _cash_flag(session: Session, loan: _Loan, cash: bool, amount: int) -> LargeValueFlag | None:
    """The large-value flag for loan money paid or taken in cash (the day's report lists it too)."""
    if not cash:
        return None
    return large_value.flag_for(session, loan.customer.id, loan.branch.business_date, loan.application.currency,
                                amount, large_value.load_settings())


def _narrative(typed: str, default: str) -> str:
    return " ".join(typed.split()) or default


@dataclass
class _PreparedDisbursement:
    preview: DisbursementPreview
    legs: tuple[Leg, ...]
    loan: _Loan


def _prepare_disbursement(session: Session, actor: Actor, draft: DisbursementDraft) -> _PreparedDisbursement:
    loan = _load(session, draft.application_id)
    application = loan.application
    if application.state != "CONTRACT_SIGNED":
        raise LedgerError(_("loan {number} is {state}: only a signed loan is disbursed, and only once").format(
            number=application.number, state=loans.state_name(application.state)))
    missing = loans._outstanding(loans.checklist_items(session, application.id))
    if missing:
        names = "; ".join(" / ".join(item.label for item in alternatives) for alternatives in missing)
        raise LedgerError(_("the document checklist is incomplete ({missing}): verify the documents, or waive "
                            "them under a second key, before disbursing").format(missing=names))
    _refuse_pending(session, loan, draft.idempotency_key)
    if draft.destination == "account":
        if not set(actor.roles) & set(ORIGINATOR_ROLES):
            raise ApprovalError(_("a loan officer disburses to an account or a payee"))
        credited = _deposit_account(session, draft.account_number, application.customer_id, "account")
        destination_text = _("deposit account {number}").format(number=credited.number)
    elif draft.destination == "payee":
        if not set(actor.roles) & set(ORIGINATOR_ROLES):
            raise ApprovalError(_("a loan officer disburses to an account or a payee"))
        payee = session.get(LoanPayee, draft.payee_id) if draft.payee_id else None
        if payee is None or payee.application_id != application.id:
            raise InputError("payee", _("choose one of the loan's registered payees"))
        if payee.approved_by is None:
            raise InputError("payee", _("payee {name} waits for its second key").format(name=payee.name))
        in_house = session.execute(select(Account).where(Account.number == payee.account_number,
                                                         Account.gl_code == accounts.DEPOSIT_GL)).scalar_one_or_none()
        credited = in_house or session.execute(select(Account).where(
            Account.number == accounts.branch_account_number(loan.branch.code, CLEARING_GL))).scalar_one()
        destination_text = _("{kind} {payee}").format(kind=_(PAYEE_KIND_NAMES[payee.kind]), payee=
                                                      f"{payee.name} · {payee.bank_name} · {payee.account_number}")
    elif draft.destination == "cash":
        credited = _cash_drawer(session, actor, loan.branch)
        destination_text = _("cash from drawer {number}").format(number=credited.number)
    else:
        raise InputError("destination", _("choose where the money goes: account, payee or cash"))
    disbursed_on = loan.branch.business_date
    first_due = first_due_after(application.first_due_date, disbursed_on)
    planned = tuple(
        TrancheSchedule(tranche.kind, loan_account_number(application.number, index), tranche.amount,
                        schedule.build_schedule(tranche.amount, ppm_to_rate(tranche.rate_ppm), tranche.term_months,
                                                tranche.method, first_due,
                                                installment_multiple=loan.product.installment_multiple,
                                                day_count=loan.product.day_count, start_date=disbursed_on))
        for index, tranche in enumerate(loan.tranches, start=1))
    legs = (*(Leg(item.account_number, debit=item.amount) for item in planned),
            Leg(credited.number, credit=application.amount))
    preview = DisbursementPreview(
        application_id=application.id, number=application.number, customer_name=loan.customer.name,
        currency=application.currency, amount=application.amount, destination=draft.destination,
        destination_text=destination_text, credited_account=credited.number, disbursed_on=disbursed_on,
        first_due=first_due, tranches=planned,
        narrative=_narrative(draft.narrative, _("Disbursement of loan {number}").format(number=application.number)),
        large_value=_cash_flag(session, loan, draft.destination == "cash", application.amount))
    return _PreparedDisbursement(preview, legs, loan)


def preview_disbursement(db: Database, actor: Actor, draft: DisbursementDraft) -> DisbursementPreview:
    """What the disbursement will do (accounts, schedule fixed from today), or why it is refused."""
    return db.run(lambda session: _prepare_disbursement(session, actor, draft).preview, readonly=True)


def _open_loan_accounts(session: Session, actor: Actor, loan: _Loan) -> None:
    for index, tranche in enumerate(loan.tranches, start=1):
        if session.get(LoanAccount, tranche.id) is not None:
            continue
        gl_code = loan.product.tranche(tranche.kind).gl_code
        account = accounts.open_loan_account(
            session, actor, loan.branch, loan_account_number(loan.application.number, index), gl_code,
            f"{loan.application.number} {loan.customer.name}", loan.application.currency, loan.customer.id)
        session.add(LoanAccount(tranche_id=tranche.id, application_id=loan.application.id, account_id=account.id))
    session.flush()


def _write_schedule(session: Session, loan: _Loan, tranche: LoanTranche, instruction_id: int, reason: str,
                    start_date: date, rows: Iterable[schedule.Installment]) -> None:
    version = session.execute(select(func.coalesce(func.max(LoanSchedule.version), 0) + 1)
                              .where(LoanSchedule.tranche_id == tranche.id)).scalar_one()
    record = LoanSchedule(application_id=loan.application.id, tranche_id=tranche.id, version=version, reason=reason,
                          instruction_id=instruction_id, start_date=start_date, created_at=clock.now())
    session.add(record)
    session.flush()
    session.add_all(LoanInstallment(schedule_id=record.id, number=row.number, due_date=row.due_date,
                                    principal=row.principal, interest=row.interest, balance_after=row.balance_after)
                    for row in rows)


def request_disbursement(db: Database, actor: Actor, draft: DisbursementDraft) -> InstructionView:
    """Make the disbursement instruction (pending its second key) with the schedule it will fix."""
    return request_disbursement_with_preview(db, actor, draft)[0]


def request_disbursement_with_preview(db: Database, actor: Actor,
                                      draft: DisbursementDraft) -> tuple[InstructionView, DisbursementPreview]:
    """`request_disbursement`, with the preview it prepared for the very draft requested."""

    def work(session: Session) -> tuple[InstructionView, DisbursementPreview]:
        prepared = _prepare_disbursement(session, actor, draft)
        loan, preview = prepared.loan, prepared.preview
        _open_loan_accounts(session, actor, loan)

        def attach(session: Session, instruction_id: int) -> None:
            session.add(LoanDisbursement(application_id=loan.application.id, instruction_id=instruction_id,
                                         destination=draft.destination, account_number=preview.credited_account,
                                         payee_id=draft.payee_id if draft.destination == "payee" else None,
                                         disbursed_on=preview.disbursed_on))
            for tranche, planned in zip(loan.tranches, preview.tranches, strict=True):
                _write_schedule(session, loan, tranche, instruction_id, "disbursement", preview.disbursed_on,
                                planned.schedule.installments)
            loans._event(session, actor, loan.application, "disbursement_requested", instruction=instruction_id,
                         destination=draft.destination, account=preview.credited_account)

        return instructions.submit_in(session, actor, InstructionRequest(
            kind="loan_disbursement", legs=prepared.legs, narrative=preview.narrative,
            idempotency_key=draft.idempotency_key, currency=loan.application.currency), attach=attach), preview

    return db.run(work)


# --- Repayment -------------------------------------------------------------------------------------------


@dataclass
class _PreparedRepayment:
    preview: RepaymentPreview
    legs: tuple[Leg, ...]
    loan: _Loan
    items: list[_Tranche]
    instruction_kind: str


def _parse(text: str, currency: str, field: str, *, allow_zero: bool = False) -> int:
    return parse_amount(text, currency, field=field, allow_zero=allow_zero).minor


def _targets(loan: _Loan, items: list[_Tranche], draft: RepaymentDraft) -> list[_Tranche]:
    if draft.tranche is None:
        return [item for item in items if item.position.outstanding_principal or item.position.total_due]
    chosen = [item for item in items if item.row.kind == draft.tranche]
    if not chosen:
        raise InputError("tranche", _("loan {number} has no {part}").format(
            number=loan.application.number, part=tranche_name(draft.tranche)))
    return chosen


def _after(item: _Tranche, on: date, paid: Payment, installments: tuple[schedule.Installment, ...] | None
           ) -> Position:
    """The tranche's position once this payment (and any schedule it regenerates) counts."""
    return position(installments or item.installments, item.terms, [*item.payments, paid], item.waivers, on)


def _allocation(item: _Tranche, on: date, paid: Payment, new_rows: tuple[schedule.Installment, ...] | None
                ) -> TrancheAllocation:
    after = _after(item, on, paid, new_rows)
    upcoming = after.next_due
    return TrancheAllocation(
        tranche=item.row.kind, penalty=paid.penalty, fees=paid.fees, interest=paid.interest,
        principal=paid.principal, accrued_interest=paid.accrued_interest, prepaid=paid.prepaid,
        remaining_principal=after.outstanding_principal,
        next_due_date=upcoming.due_date if upcoming else None,
        next_due_amount=(upcoming.principal + upcoming.interest - upcoming.paid_principal - upcoming.paid_interest)
        if upcoming else None,
        new_schedule=new_rows)


def _due_payment(split: Allocation, on: date) -> Payment:
    return Payment(on=on, penalty=split.penalty, fees=split.fees, interest=split.interest, principal=split.principal)


def _prepaying(item: _Tranche, on: date, due: Payment, prepaid: int, accrued: int, choice: str
               ) -> tuple[Payment, tuple[schedule.Installment, ...]]:
    if choice not in PREPAYMENT_CHOICES:
        raise InputError("prepayment choice", _("choose a shorter term or a lower installment"))
    rows = regenerate(item.installments, item.position, item.terms, prepaid, choice)
    return replace(due, accrued_interest=accrued, prepaid=prepaid), rows


def _split_excess(item: _Tranche, excess: int) -> tuple[int, int]:
    """An overpayment that prepays: the most principal whose broken-period interest fits in the excess,
    and the interest (the excess less that principal, so nothing is left over)."""
    start, on = item.position.period_start, item.position.as_of
    low, high = 0, excess
    while low < high:
        middle = (low + high + 1) // 2
        if middle + accrued_interest(middle, item.terms, start, on) <= excess:
            low = middle
        else:
            high = middle - 1
    return low, excess - low


def _prepare_repayment(session: Session, actor: Actor, draft: RepaymentDraft) -> _PreparedRepayment:
    loan = _load(session, draft.application_id)
    application = loan.application
    if application.state != "ACTIVE":
        raise LedgerError(_("loan {number} is {state}: only an active loan takes repayments").format(
            number=application.number, state=loans.state_name(application.state)))
    _refuse_pending(session, loan, draft.idempotency_key)
    on = loan.branch.business_date
    items = _positions(session, loan, on)
    currency = application.currency
    instruction_kind = "loan_repayment"
    if draft.kind == "fund_centre":
        if loan.product.code not in FUND_PRODUCTS and not any(t.kind in FUND_TRANCHES for t in loan.tranches):
            raise InputError("kind", _("only a housing provident fund loan is repaid by the fund centre"))
        if not set(actor.roles) & set(ORIGINATOR_ROLES):
            raise ApprovalError(_("a loan officer records the fund centre's offset"))
        if draft.tranche is None and len(loan.tranches) > 1:
            draft = replace(draft, tranche="fund")
        if draft.tranche not in (None, *FUND_TRANCHES, "standard"):
            raise InputError("tranche", _("the fund centre repays the fund part only"))
        source = session.execute(select(Account).where(
            Account.number == accounts.branch_account_number(loan.branch.code, FUND_CENTRE_GL))).scalar_one()
        source_text = _("fund-centre clearing account {number}").format(number=source.number)
        instruction_kind = "fund_centre_repayment"
    elif draft.source == "account":
        source = _deposit_account(session, draft.account_number, application.customer_id, "account")
        source_text = _("deposit account {number}").format(number=source.number)
    elif draft.source == "cash":
        source = _cash_drawer(session, actor, loan.branch)
        source_text = _("cash into drawer {number}").format(number=source.number)
    else:
        raise InputError("source", _("choose how the customer pays: account or cash"))
    targets = _targets(loan, items, draft)
    if not targets:
        raise LedgerError(_("loan {number} owes nothing").format(number=application.number))
    allocations: list[TrancheAllocation] = []
    if draft.kind in ("repayment", "fund_centre"):
        remaining = _parse(draft.amount, currency, "amount")
        for index, item in enumerate(targets):
            split = allocate(item.position, remaining, loan.product.allocation_order)
            paid, rows = _due_payment(split, on), None
            remaining = split.remainder
            last = index == len(targets) - 1
            if remaining and last:
                if loan.product.overpayment == "refuse":
                    due = sum(target.position.total_due for target in targets)
                    raise InputError("amount", _("{paid} is more than the {due} due: ask for a prepayment or the "
                                                 "payoff instead").format(paid=format_minor(_parse(
                                                     draft.amount, currency, "amount"), currency),
                                                     due=format_minor(due, currency)))
                after_due = item.position.outstanding_principal - split.principal
                prepaid, accrued = _split_excess(item, remaining)
                if prepaid >= after_due:
                    raise InputError("amount", _("that repays the whole {part}: take the payoff instead").format(
                        part=tranche_name(item.row.kind)))
                paid, rows = _prepaying(item, on, paid, prepaid, accrued, draft.choice or "lower_installment")
                remaining = 0
            allocations.append(_allocation(item, on, paid, rows))
            if not remaining:
                break
    elif draft.kind == "prepayment":
        if len(targets) != 1:
            raise InputError("tranche", _("say which part of the loan the prepayment is for"))
        item = targets[0]
        principal = _parse(draft.amount, currency, "amount")
        quote = prepayment_quote(item.position, item.terms, principal)
        due = Payment(on=on, penalty=quote.penalty, fees=quote.fees, interest=quote.interest_due,
                      principal=quote.principal_due)
        paid, rows = _prepaying(item, on, due, principal, quote.accrued_interest, draft.choice)
        allocations.append(_allocation(item, on, paid, rows))
    elif draft.kind == "payoff":
        for item in targets:
            quote = payoff_quote(item.position, item.terms)
            paid = Payment(on=on, penalty=quote.penalty, fees=quote.fees, interest=quote.interest_due,
                           principal=quote.principal_due + quote.remaining_principal,
                           accrued_interest=quote.accrued_interest)
            allocations.append(_allocation(item, on, paid, None))
    else:
        raise InputError("kind", _("choose a repayment, prepayment, payoff or fund-centre offset"))
    total = sum(allocation.total for allocation in allocations)
    if total <= 0:
        raise InputError("amount", _("nothing is due on this loan today: for more, ask for a prepayment"))
    paid_parts = {allocation.tranche: allocation for allocation in allocations}
    settles = all((paid_parts[item.row.kind].remaining_principal if item.row.kind in paid_parts
                   else item.position.outstanding_principal) == 0 for item in items)
    legs = _repayment_legs(loan, items, allocations, source.number, total)
    in_cash = draft.kind != "fund_centre" and draft.source == "cash"
    limit_warning = drawers.check_cash_in(source, total) if in_cash else None
    name = _(PAYMENT_KIND_NAMES[draft.kind])
    preview = RepaymentPreview(
        application_id=application.id, number=application.number, customer_name=loan.customer.name,
        currency=currency, kind=draft.kind, source_text=source_text, debited_account=source.number, on=on, total=total,
        allocations=tuple(allocations), before=_tranche_positions(items), settles=settles,
        narrative=_narrative(draft.narrative, _("{payment} of loan {number}").format(payment=name,
                                                                                     number=application.number)),
        large_value=_cash_flag(session, loan, in_cash, total), drawer_limit=limit_warning)
    return _PreparedRepayment(preview, legs, loan, items, instruction_kind)


def _repayment_legs(loan: _Loan, items: list[_Tranche], allocations: list[TrancheAllocation], source: str,
                    total: int) -> tuple[Leg, ...]:
    code = loan.branch.code
    accounts_of = {item.row.kind: item.account.number for item in items}
    credits: dict[str, int] = {}
    for allocation in allocations:
        for number, amount in ((accounts_of[allocation.tranche], allocation.principal + allocation.prepaid),
                               (accounts.branch_account_number(code, INTEREST_GL),
                                allocation.interest + allocation.accrued_interest),
                               (accounts.branch_account_number(code, PENALTY_GL), allocation.penalty),
                               (accounts.branch_account_number(code, FEE_GL), allocation.fees)):
            if amount:
                credits[number] = credits.get(number, 0) + amount
    return (Leg(source, debit=total), *(Leg(number, credit=amount) for number, amount in credits.items()))


def preview_repayment(db: Database, actor: Actor, draft: RepaymentDraft) -> RepaymentPreview:
    """What is due and how this payment allocates, the schedule it regenerates and where the loan stands
    after; or why it is refused."""
    return db.run(lambda session: _prepare_repayment(session, actor, draft).preview, readonly=True)


def request_repayment(db: Database, actor: Actor, draft: RepaymentDraft) -> InstructionView:
    """Make the repayment instruction (pending its second key) with its allocation and any new schedule."""
    return request_repayment_with_preview(db, actor, draft)[0]


def request_repayment_with_preview(db: Database, actor: Actor,
                                   draft: RepaymentDraft) -> tuple[InstructionView, RepaymentPreview]:
    """`request_repayment`, with the preview it prepared for the very draft requested."""

    def work(session: Session) -> tuple[InstructionView, RepaymentPreview]:
        prepared = _prepare_repayment(session, actor, draft)
        preview, loan = prepared.preview, prepared.loan
        by_kind = {item.row.kind: item for item in prepared.items}

        def attach(session: Session, instruction_id: int) -> None:
            for allocation in preview.allocations:
                item = by_kind[allocation.tranche]
                session.add(LoanPayment(
                    application_id=loan.application.id, tranche_id=item.row.id, instruction_id=instruction_id,
                    kind=draft.kind, paid_on=preview.on, penalty=allocation.penalty, fees=allocation.fees,
                    interest=allocation.interest, principal=allocation.principal,
                    accrued_interest=allocation.accrued_interest, prepaid=allocation.prepaid,
                    settles=preview.settles))
                if allocation.new_schedule is not None:
                    _write_schedule(session, loan, item.row, instruction_id, draft.choice or "lower_installment",
                                    item.position.period_start, allocation.new_schedule)
            loans._event(session, actor, loan.application, f"{draft.kind}_requested", instruction=instruction_id,
                         total=preview.total, source=preview.debited_account)

        return instructions.submit_in(session, actor, InstructionRequest(
            kind=prepared.instruction_kind, legs=prepared.legs, narrative=preview.narrative,
            idempotency_key=draft.idempotency_key, currency=loan.application.currency), attach=attach), preview

    return db.run(work)


# --- Waivers ---------------------------------------------------------------------------------------------


def waive(db: Database, requester: Actor, checker: Actor, draft: WaiverDraft) -> WaiverView:
    """Forgive penalty interest and/or fees on a tranche: asked by an officer or teller, with a reason, under
    the second key of a different user with a checker's role (`checker` already authenticated)."""
    if checker.staff_id == requester.staff_id:
        raise ApprovalError(_("the second key on a waiver comes from someone other than who asks for it"))
    if not set(checker.roles) & set(CHECKER_ROLES):
        raise ApprovalError(_("{username} has no role that may give a second key").format(username=checker.username))
    reason = _clean_text(draft.reason, "reason", _("say why the penalty or fees are waived"), MAX_REASON)

    def work(session: Session) -> WaiverView:
        loan = _load(session, draft.application_id)
        if loan.application.state != "ACTIVE":
            raise LedgerError(_("loan {number} is {state}: only an active loan has penalty or fees to waive").format(
                number=loan.application.number, state=loans.state_name(loan.application.state)))
        currency = loan.application.currency
        penalty = _parse(draft.penalty or "0", currency, "penalty", allow_zero=True)
        fees = _parse(draft.fees or "0", currency, "fees", allow_zero=True)
        if not penalty and not fees:
            raise InputError("penalty", _("type the penalty interest or fees to waive"))
        on = loan.branch.business_date
        items = _positions(session, loan, on)
        candidates = [item for item in items if draft.tranche in (None, item.row.kind)]
        if draft.tranche is None:
            candidates = [item for item in candidates if item.position.penalty or item.position.fees][:1] or candidates
        item = candidates[0]
        if penalty > item.position.penalty:
            raise InputError("penalty", _("only {owed} of penalty interest is owed").format(
                owed=format_minor(item.position.penalty, currency)))
        if fees > item.position.fees:
            raise InputError("fees", _("only {owed} of fees is owed").format(owed=format_minor(item.position.fees,
                                                                                               currency)))
        waiver = LoanWaiver(application_id=loan.application.id, tranche_id=item.row.id, waived_on=on, penalty=penalty,
                            fees=fees, reason=reason, requested_by=requester.staff_id, approved_by=checker.staff_id,
                            recorded_at=clock.now())
        session.add(waiver)
        session.flush()
        loans._event(session, requester, loan.application, "waiver", reason=reason, penalty=penalty, fees=fees,
                     tranche=item.row.kind, checker=checker.username)
        audit.record(session, checker, "loan.waiver_second_key", object_type="loan_waiver", object_id=waiver.id,
                     branch_id=loan.application.branch_id, number=loan.application.number)
        names = _names(session, [requester.staff_id, checker.staff_id])
        return WaiverView(waiver.id, item.row.kind, on, penalty, fees, reason, names[requester.staff_id],
                          names[checker.staff_id])

    return db.run(work)


# --- The loan file ---------------------------------------------------------------------------------------


def servicing(db: Database, application_id: int) -> LoanServicing:
    """The loan's money as of its branch's business date (an application not yet disbursed has no figures)."""
    return db.run(lambda session: servicing_in(session, application_id), readonly=True)


def servicing_in(session: Session, application_id: int) -> LoanServicing:
    loan = _load(session, application_id, lock=False)
    on = loan.branch.business_date
    disbursed = loan.application.state in ("ACTIVE", "SETTLED", "WRITTEN_OFF")
    items = _positions(session, loan, on) if disbursed else []
    kinds = {tranche.id: tranche.kind for tranche in loan.tranches}
    instruction_rows = {row.id: row for row in session.scalars(select(Instruction).where(Instruction.id.in_(
        [*session.scalars(select(LoanPayment.instruction_id).where(LoanPayment.application_id == application_id)),
         *session.scalars(select(LoanDisbursement.instruction_id).where(
             LoanDisbursement.application_id == application_id))])))}
    names = _names(session, [staff for row in instruction_rows.values() for staff in (row.maker_id, row.checker_id)])
    payments = tuple(
        PaymentView(row.instruction_id, instruction_rows[row.instruction_id].status, row.kind, kinds[row.tranche_id],
                    row.paid_on, row.penalty, row.fees, row.interest, row.principal, row.accrued_interest,
                    row.prepaid, names.get(instruction_rows[row.instruction_id].maker_id, ""),
                    names.get(instruction_rows[row.instruction_id].checker_id))
        for row in session.scalars(select(LoanPayment).where(LoanPayment.application_id == application_id)
                                   .order_by(LoanPayment.id)))
    versions = tuple(
        ScheduleVersionView(kinds[row.tranche_id], row.version, row.reason, row.instruction_id, status,
                            row.start_date, _installments(session, row.id))
        for row, status in session.execute(
            select(LoanSchedule, Instruction.status).join(Instruction, Instruction.id == LoanSchedule.instruction_id)
            .where(LoanSchedule.application_id == application_id)
            .order_by(LoanSchedule.tranche_id, LoanSchedule.version)))
    waiver_rows = list(session.scalars(select(LoanWaiver).where(LoanWaiver.application_id == application_id)
                                       .order_by(LoanWaiver.id)))
    waiver_names = _names(session, [staff for row in waiver_rows for staff in (row.requested_by, row.approved_by)])
    waivers = tuple(WaiverView(row.id, kinds[row.tranche_id], row.waived_on, row.penalty, row.fees, row.reason,
                               waiver_names[row.requested_by], waiver_names[row.approved_by]) for row in waiver_rows)
    disbursements = tuple(
        DisbursementView(row.instruction_id, instruction_rows[row.instruction_id].status, row.destination,
                         row.account_number, row.disbursed_on, names.get(instruction_rows[row.instruction_id].maker_id,
                                                                         ""),
                         names.get(instruction_rows[row.instruction_id].checker_id))
        for row in session.scalars(select(LoanDisbursement).where(LoanDisbursement.application_id == application_id)
                                   .order_by(LoanDisbursement.id)))
    pending = _pending_money(session, application_id)
    return LoanServicing(application_id, loan.application.state, loan.application.currency, on,
                         _tranche_positions(items), versions, payments, waivers, _payees(session, application_id),
                         disbursements, pending.id if pending else None)


def customer_loans_in(session: Session, customer_id: int) -> tuple[CustomerLoan, ...]:
    """A customer's loans and applications, newest first, with what an active loan owes today."""
    listed = []
    for loan in loans.customer_loans_in(session, customer_id):
        if loan.state == "ACTIVE":
            figures = servicing_in(session, loan.id)
            upcoming = figures.next_due
            loan = replace(loan, outstanding_principal=figures.outstanding_principal,
                           next_due_date=upcoming.due_date if upcoming else None,
                           days_past_due=figures.days_past_due)
        listed.append(loan)
    return tuple(listed)


def payoff_document(db: Database, application_id: int) -> Document:
    """A dated payoff quote the customer can take away: what settles the loan today, part by part."""

    def work(session: Session) -> Document:
        loan = _load(session, application_id, lock=False)
        figures = servicing_in(session, application_id)
        if figures.state != "ACTIVE":
            raise LedgerError(_("loan {number} is {state}: it has no payoff").format(
                number=loan.application.number, state=loans.state_name(figures.state)))
        currency = loan.application.currency

        def money(amount: int) -> str:
            return f"{currency} {format_amount(amount, currency)}"

        rows = tuple((tranche_name(item.tranche), money(item.payoff.penalty), money(item.payoff.fees),
                      money(item.payoff.interest_due + item.payoff.accrued_interest),
                      money(item.payoff.principal_due + item.payoff.remaining_principal), money(item.payoff.total))
                     for item in figures.tranches)
        return Document(
            title=_("Loan payoff quote"),
            fields=((_("Loan"), loan.application.number), (_("Customer"), loan.customer.name),
                    (_("Product"), loan.product.name), (_("Valid on"), format_day(figures.on)),
                    (_("Payoff amount"), money(figures.payoff_total))),
            columns=(_("Part"), _("Penalty"), _("Fees"), _("Interest"), _("Principal"), _("Total")),
            rows=rows, right_aligned=frozenset({1, 2, 3, 4, 5}),
            footer=(_("Valid for payment on {day} only: interest accrues daily.").format(day=format_day(figures.on)),))

    return db.run(work, readonly=True)


def receipt_details(session: Session, instruction: Instruction) -> tuple[tuple[str, str], ...]:
    """Lines a loan movement's receipt adds: the loan and what the movement was, a repayment's allocation
    (part by part for a combined loan), the remaining principal and the next due date and amount."""
    if instruction.kind not in MONEY_KINDS:
        return ()
    disbursement = session.execute(select(LoanDisbursement).where(
        LoanDisbursement.instruction_id == instruction.id)).scalar_one_or_none()
    application_id = disbursement.application_id if disbursement else session.execute(
        select(LoanPayment.application_id).where(LoanPayment.instruction_id == instruction.id).limit(1)).scalar()
    if application_id is None:
        return ()
    loan = _load(session, application_id, lock=False)
    currency = loan.application.currency
    kinds = {tranche.id: tranche.kind for tranche in loan.tranches}
    payments = list(session.scalars(select(LoanPayment).where(LoanPayment.instruction_id == instruction.id)
                                    .order_by(LoanPayment.id)))
    what = _(PAYMENT_KIND_NAMES[payments[0].kind]) if payments else _("Disbursement")
    lines = [(_("Loan"), f"{loan.application.number} · {what}")]
    for row in payments:
        part = "" if len(kinds) == 1 else f"{tranche_name(kinds[row.tranche_id])} · "
        for label, amount in ((_("Penalty interest"), row.penalty), (_("Fees"), row.fees),
                              (_("Interest"), row.interest + row.accrued_interest),
                              (_("Principal"), row.principal + row.prepaid)):
            lines.append((part + label, f"{currency} {format_amount(amount, currency)}"))
    then = [item.position for item in _positions(session, loan, instruction.business_date, through=instruction.id)]
    remaining = sum(item.outstanding_principal for item in then)
    lines.append((_("Remaining principal"), f"{currency} {format_amount(remaining, currency)}"))
    dues = [item.next_due for item in then if item.next_due is not None]
    if dues:
        next_date = min(due.due_date for due in dues)
        owed = sum(due.principal + due.interest - due.paid_principal - due.paid_interest
                   for due in dues if due.due_date == next_date)
        lines.append((_("Next due"), f"{format_day(next_date)} · {currency} {format_amount(owed, currency)}"))
    return tuple(lines)


def overdue_customers(session: Session, customer_ids: list[int]) -> set[int]:
    """Which of these customers have an active loan with an installment past due (the lookup's marker).

    One statement sums, per tranche of these customers' loans, the principal and the interest of its current
    schedule fallen due before the branch's business date, and what approved payments have paid of each by
    then. Payments fill installments oldest first, so a tranche owes an installment past due exactly when it
    has paid less than what has fallen due, of principal or of interest, as long as some of its principal is
    still outstanding. A tranche whose principal has all been repaid (one part of a combined loan) has its
    later installments settled, not overdue: only such a tranche is read in full and its position computed."""
    # Read by customer alone and filtered here: with `state` in the WHERE clause SQLite, without planner
    # statistics, reads every active loan through the state index instead of these customers' few rows.
    overdue, repaid_tranches = set(), set()
    for (application_id, customer_id, state, scheduled_principal, due_principal, due_interest, paid_principal,
         paid_interest) in session.connection().execute(_OWED_BY_TRANCHE, {"customer_ids": customer_ids}):
        if state != "ACTIVE" or (due_principal <= paid_principal and due_interest <= paid_interest):
            continue
        if scheduled_principal > paid_principal:
            overdue.add(customer_id)
        else:
            repaid_tranches.add((application_id, customer_id))
    for application_id, customer_id in repaid_tranches:
        if customer_id in overdue:
            continue
        loan = _load(session, application_id, lock=False)
        if any(item.position.days_past_due for item in _positions(session, loan, loan.branch.business_date)):
            overdue.add(customer_id)
    return overdue


def _owed_by_tranche():
    """The statement `overdue_customers` sends, built once: per tranche of the customers' loans, the state,
    its current schedule's principal in all and what of it and of the interest has fallen due before the
    business date, and what approved payments paid of each by then."""
    current_schedule = (select(LoanSchedule.id).join(Instruction, Instruction.id == LoanSchedule.instruction_id)
                        .where(LoanSchedule.tranche_id == LoanTranche.id, Instruction.status == "APPROVED")
                        .order_by(LoanSchedule.version.desc()).limit(1).correlate(LoanTranche).scalar_subquery())

    def scheduled(column, *, fallen_due: bool):
        return (select(func.coalesce(func.sum(column), 0))
                .where(LoanInstallment.schedule_id == current_schedule,
                       *([LoanInstallment.due_date < Branch.business_date] if fallen_due else []))
                .correlate(LoanTranche, Branch).scalar_subquery())

    def paid(column):
        return (select(func.coalesce(func.sum(column), 0))
                .join(Instruction, Instruction.id == LoanPayment.instruction_id)
                .where(LoanPayment.tranche_id == LoanTranche.id, Instruction.status == "APPROVED",
                       LoanPayment.paid_on <= Branch.business_date)
                .correlate(LoanTranche, Branch).scalar_subquery())

    return (select(LoanApplication.id, LoanApplication.customer_id, LoanApplication.state,
                   scheduled(LoanInstallment.principal, fallen_due=False),
                   scheduled(LoanInstallment.principal, fallen_due=True),
                   scheduled(LoanInstallment.interest, fallen_due=True),
                   paid(LoanPayment.principal), paid(LoanPayment.interest))
            .join(LoanTranche, LoanTranche.application_id == LoanApplication.id)
            .join(Branch, Branch.id == LoanApplication.branch_id)
            .where(LoanApplication.customer_id.in_(bindparam("customer_ids", expanding=True))))


_OWED_BY_TRANCHE = _owed_by_tranche()
