"""Loan officers, a customer and application drafts for the loan tests, through the real services."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from stdnum.cn import ric

from teller import customers, loans, staff
from teller.actor import Actor, system_actor
from teller.customers import CustomerDraft
from teller.db import Database
from teller.loan_products import LoanFacts, LoanTerms, TrancheTerms
from teller.loans import ApplicationDraft, CreditCheckEntry
from tests.helpers import BUSINESS_DATE, PASSWORD, Bank

FIRST_DUE = date(2026, 12, 20)


def make_staff(db: Database, bank: Bank, username: str, roles: tuple[str, ...]) -> Actor:
    user = db.run(lambda session: staff.create_staff(
        session, system_actor("tests"), username=username, display_name=username.title(),
        branch_code=bank.branch_code, roles=roles, password=PASSWORD))
    return staff.actor_for(user, "loan-terminal")


def resident_id(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def make_customer(db: Database, maker: Actor, name: str = "王芳", body: str = "11010119850307002") -> int:
    return customers.create_customer(db, maker, CustomerDraft(
        kind="individual", name=name, id_type="resident_id", id_number=resident_id(body),
        registered_mobile="13812345678" if body.endswith("2") else "13912345678"))


def consumer_draft(customer_id: int, amount: int = 100_000_00, *, rate: str = "0.0400", months: int = 36,
                   method: str = "equal_installment", income: int | None = 100_000_00) -> ApplicationDraft:
    return ApplicationDraft(customer_id, LoanTerms(
        "consumer", (TrancheTerms("standard", amount, Decimal(rate), method, months),), FIRST_DUE, "home renovation"),
        LoanFacts(monthly_income=income))


def fund_draft(customer_id: int, amount: int = 400_000_00, **facts) -> ApplicationDraft:
    known = dict(property_price=1_000_000_00, home_count=1, fund_contribution_months=24, contributing_spouses=2,
                 previous_fund_loan_settled=True)
    return ApplicationDraft(customer_id, LoanTerms(
        "housing_fund", (TrancheTerms("standard", amount, Decimal("0.026"), "equal_installment", 240),), FIRST_DUE,
        "first home"), LoanFacts(**{**known, **facts}))


def with_amount(draft: ApplicationDraft, amount: int) -> ApplicationDraft:
    tranche = replace(draft.terms.tranches[0], amount=amount)
    return replace(draft, terms=replace(draft.terms, tranches=(tranche,)))


CLEAR_CHECK = CreditCheckEntry("clear", BUSINESS_DATE, "ZX2026112400017", "no overdue records")


def under_review(db: Database, officer: Actor, reviewer: Actor, draft: ApplicationDraft) -> loans.ApplicationView:
    made = loans.create_application(db, officer, draft)
    loans.submit(db, officer, made.id)
    return loans.start_review(db, reviewer, made.id, notes="income verified with employer", credit_check=CLEAR_CHECK)
