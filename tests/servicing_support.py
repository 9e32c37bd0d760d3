"""Signed and disbursed loans for the servicing tests, made through the real services: origination, the
checklist verified, the borrower's deposit account, the disbursement under a supervisor's second key."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from teller import accounts, clock, instructions, loan_servicing, loans
from teller.actor import Actor, system_actor
from teller.db import Database
from teller.loan_products import LoanFacts, LoanTerms, TrancheTerms
from teller.loan_servicing import DisbursementDraft, RepaymentDraft
from teller.loans import ApplicationDraft
from teller.ledger import Leg
from tests.helpers import Bank, new_key, next_business_day, post
from tests.loan_support import CLEAR_CHECK, make_customer, make_staff

BORROWER_IDS = {"officer1": "11010119850307002", "officer2": "11010119900512003"}
NEXT_DAY_DUE = date(2026, 11, 25)  # the day after the test branch's business date: the first due date


@dataclass(frozen=True)
class Borrower:
    officer: Actor
    customer_id: int
    account: str


def borrower(db: Database, bank: Bank, funds: int = 0, *, username: str = "officer1") -> Borrower:
    """A loan officer and a customer with a deposit account holding `funds`, paid in cash taken straight into
    the vault: no teller's drawer is open here, and a drawer holding cash outside an open session would keep
    the business day from closing."""
    officer = make_staff(db, bank, username, ("loan_officer",))
    customer_id = make_customer(db, officer, body=BORROWER_IDS[username])
    number = accounts.open_deposit_account(db, system_actor("tests"), bank.branch_id, "王芳",
                                           customer_id=customer_id).number
    if funds:
        post(db, bank, [Leg(bank.vault, debit=funds), Leg(number, credit=funds)], kind="cash_deposit")
    return Borrower(officer, customer_id, number)


def consumer_terms(amount: int = 12_000_00, months: int = 12, *, rate: str = "0.0435",
                   method: str = "equal_installment", first_due: date = NEXT_DAY_DUE) -> LoanTerms:
    return LoanTerms("consumer", (TrancheTerms("standard", amount, Decimal(rate), method, months),), first_due,
                     "home renovation")


def combined_terms(fund: int = 100_000_00, commercial: int = 100_000_00, months: int = 24) -> LoanTerms:
    return LoanTerms("combined", (TrancheTerms("fund", fund, Decimal("0.021"), "equal_installment", months),
                                  TrancheTerms("commercial", commercial, Decimal("0.0305"), "equal_installment",
                                               months)), NEXT_DAY_DUE, "first home")


HOME_FACTS = LoanFacts(property_price=1_000_000_00, home_count=1, fund_contribution_months=24, contributing_spouses=2,
                       previous_fund_loan_settled=True, monthly_income=100_000_00)


def signed(db: Database, bank: Bank, who: Borrower, terms: LoanTerms | None = None, *,
           complete_checklist: bool = True) -> loans.ApplicationView:
    """An application approved by the supervisor and signed face to face; its checklist verified."""
    draft = ApplicationDraft(who.customer_id, terms or consumer_terms(), HOME_FACTS)
    made = loans.create_application(db, who.officer, draft)
    loans.submit(db, who.officer, made.id)
    loans.start_review(db, bank.supervisor, made.id, notes="income verified", credit_check=CLEAR_CHECK)
    loans.approve(db, bank.supervisor, made.id)
    loans.sign(db, who.officer, made.id, signed_at=clock.now(), place="branch interview room")
    if complete_checklist:
        verify_checklist(db, who.officer, made.id)
    return loans.get_application(db, made.id)


def verify_checklist(db: Database, officer: Actor, application_id: int) -> None:
    """Receive and verify every required document, and one of each either/or group."""
    seen_groups: set[str] = set()
    for item in db.run(lambda session: loans.checklist_items(session, application_id), readonly=True):
        if item.either_or:
            if item.either_or in seen_groups:
                continue
            seen_groups.add(item.either_or)
        elif not item.required:
            continue
        loans.receive_item(db, officer, application_id, item.code)
        loans.verify_item(db, officer, application_id, item.code)


def disbursed(db: Database, bank: Bank, who: Borrower, terms: LoanTerms | None = None) -> loans.ApplicationView:
    """A signed loan disbursed to the borrower's account under the supervisor's second key."""
    application = signed(db, bank, who, terms)
    made = loan_servicing.request_disbursement(db, who.officer, DisbursementDraft(
        application.id, "account", account_number=who.account, idempotency_key=new_key()))
    instructions.approve(db, made.id, bank.supervisor)
    return loans.get_application(db, application.id)


def repay(db: Database, bank: Bank, who: Borrower, application_id: int, **draft) -> instructions.InstructionView:
    """A repayment (or prepayment, payoff...) from the borrower's account, posted under the second key."""
    made = loan_servicing.request_repayment(db, who.officer, RepaymentDraft(
        application_id, **{"kind": "repayment", "source": "account", "account_number": who.account, **draft},
        idempotency_key=new_key()))
    return instructions.approve(db, made.id, bank.supervisor)


def days_pass(db: Database, bank: Bank, days: int) -> None:
    """Close and open the branch's day `days` times (the drawer balanced and reopened each evening)."""
    for _ in range(days):
        next_business_day(db, bank)

