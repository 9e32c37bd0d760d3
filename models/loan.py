"""Loan origination: products, applications with their tranches, the credit-bureau check, approvals,
the document checklist, face-to-face signing and the history of every step.

Rates are integer parts per million of the annual rate (3.1% = 31000), never Numeric. Amounts are
integer minor units. The database (migration 0005) refuses an approval by the application's originator,
a change of terms or tranches once an application has left DRAFT/RETURNED (so signed terms are frozen),
APPROVED without enough approvals of the current round, and any change to the approval and history rows.
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntKey, Minor, search_key

APPLICATION_STATES = (
    "DRAFT", "SUBMITTED", "UNDER_REVIEW", "APPROVED", "REJECTED", "RETURNED", "CONTRACT_SIGNED",
    "DISBURSED", "ACTIVE", "SETTLED", "WRITTEN_OFF",
)
EDITABLE_STATES = ("DRAFT", "RETURNED")
TRANCHE_KINDS = ("standard", "fund", "commercial")
METHODS = ("equal_installment", "equal_principal", "interest_only", "bullet")
DECISIONS = ("APPROVED", "REJECTED", "RETURNED")
CREDIT_RESULTS = ("clear", "minor_issues", "adverse")
CHECKLIST_GROUPS = ("personal", "property", "loan")
CHECKLIST_STATES = ("MISSING", "RECEIVED", "VERIFIED", "WAIVED")
LOAN_NUMBER_LENGTH = 32


class LoanProduct(Base):
    """A loan product: its rules as one JSON document (`teller.loan_products` reads it), changed only
    under four eyes (`teller.admin_changes`, kind `product.update`); `version` counts the changes."""

    __tablename__ = "loan_product"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    definition: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime]


class LoanSequence(Base):
    """The last application number given per branch and year, so numbers are dense and readable."""

    __tablename__ = "loan_sequence"
    __table_args__ = (CheckConstraint("last_value >= 1", name="last_value_positive"),)

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int]


class LoanApplication(Base):
    """One application: customer, product, terms (the sum of its tranches), where it stands, and who
    originated it at which branch. `review_round` counts submissions: approvals belong to one round, so a
    returned and resubmitted application is approved afresh. `facts` is the JSON of what the officer
    recorded for the eligibility rules (property price, homes owned, pledge value...)."""

    __tablename__ = "loan_application"
    __table_args__ = (
        CheckConstraint("state IN " + repr(APPLICATION_STATES), name="known_state"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("term_months > 0", name="term_positive"),
        CheckConstraint("required_approvals IN (1, 2)", name="one_or_two_approvals"),
        CheckConstraint("review_round >= 0", name="review_round_non_negative"),
        Index("ix_loan_application_state_branch", "state", "branch_id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    number: Mapped[str] = mapped_column(search_key(LOAN_NUMBER_LENGTH), unique=True)
    customer_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("customer.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_product.id"))
    state: Mapped[str] = mapped_column(String(16), default="DRAFT")
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(Minor)
    term_months: Mapped[int]
    first_due_date: Mapped[date]
    purpose: Mapped[str] = mapped_column(Text)
    facts: Mapped[str] = mapped_column(Text)
    required_approvals: Mapped[int] = mapped_column(default=1)
    review_round: Mapped[int] = mapped_column(default=0)
    originator_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    state_since: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]


class LoanTranche(Base):
    """A part of the loan with its own amount, rate, method and term: one `standard` tranche, or for a
    combined loan a `fund` and a `commercial` tranche."""

    __tablename__ = "loan_tranche"
    __table_args__ = (
        CheckConstraint("kind IN " + repr(TRANCHE_KINDS), name="known_kind"),
        CheckConstraint("method IN " + repr(METHODS), name="known_method"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("term_months > 0", name="term_positive"),
        CheckConstraint("rate_ppm >= 0", name="rate_non_negative"),
        UniqueConstraint("application_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"))
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int] = mapped_column(Minor)
    rate_ppm: Mapped[int]
    method: Mapped[str] = mapped_column(String(20))
    term_months: Mapped[int]


class LoanEvent(Base):
    """The history of an application: who did what, when, from which state to which, and why."""

    __tablename__ = "loan_event"
    __table_args__ = (Index("ix_loan_event_application", "application_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    occurred_at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="{}")


class CreditCheck(Base):
    """A credit-bureau (征信) check recorded at review: its result, the report's date and reference."""

    __tablename__ = "credit_check"
    __table_args__ = (CheckConstraint("result IN " + repr(CREDIT_RESULTS), name="known_result"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"), index=True)
    review_round: Mapped[int]
    result: Mapped[str] = mapped_column(String(16))
    report_date: Mapped[date]
    reference: Mapped[str] = mapped_column(String(64))
    checked_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)


class LoanApproval(Base):
    """One approver's decision in one round, at the authority level they held."""

    __tablename__ = "loan_approval"
    __table_args__ = (
        CheckConstraint("decision IN " + repr(DECISIONS), name="known_decision"),
        CheckConstraint("level >= 1", name="level_positive"),
        CheckConstraint("decision = 'APPROVED' OR reason IS NOT NULL", name="refusal_has_reason"),
        UniqueConstraint("application_id", "review_round", "approver_id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"))
    review_round: Mapped[int]
    approver_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    role: Mapped[str] = mapped_column(String(20))
    level: Mapped[int]
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime]


class ChecklistItem(Base):
    """One document of an application's checklist, from its product's template. Items sharing an
    `either_or` group stand in for each other (fund contribution record OR tax record). A waiver names
    the officer who asked, the reason, and the different user who gave the second key."""

    __tablename__ = "checklist_item"
    __table_args__ = (
        CheckConstraint("item_group IN " + repr(CHECKLIST_GROUPS), name="known_group"),
        CheckConstraint("state IN " + repr(CHECKLIST_STATES), name="known_state"),
        CheckConstraint("state NOT IN ('RECEIVED', 'VERIFIED') OR received_by IS NOT NULL", name="received_by_whom"),
        CheckConstraint("state <> 'VERIFIED' OR verified_by IS NOT NULL", name="verified_by_whom"),
        CheckConstraint(
            "state <> 'WAIVED' OR (waived_by IS NOT NULL AND waiver_checker_id IS NOT NULL"
            " AND waiver_reason IS NOT NULL AND waiver_checker_id <> waived_by)",
            name="waiver_has_second_key",
        ),
        UniqueConstraint("application_id", "code"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"))
    item_group: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(32))
    label_key: Mapped[str] = mapped_column(String(120))
    required: Mapped[bool]
    either_or: Mapped[str | None] = mapped_column(String(32))
    sort_order: Mapped[int]
    state: Mapped[str] = mapped_column(String(10), default="MISSING")
    received_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    received_at: Mapped[datetime | None]
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    verified_at: Mapped[datetime | None]
    waived_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    waiver_checker_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    waiver_reason: Mapped[str | None] = mapped_column(Text)
    waived_at: Mapped[datetime | None]


class LoanSigning(Base):
    """Face-to-face signing (面签): who conducted it, when and where, and the contract number."""

    __tablename__ = "loan_signing"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"), unique=True)
    contract_number: Mapped[str] = mapped_column(search_key(LOAN_NUMBER_LENGTH), unique=True)
    signed_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    signed_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]
