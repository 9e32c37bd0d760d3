"""Loan origination: products, applications with their tranches, the credit-bureau check, approvals,
the document checklist, face-to-face signing and the history of every step.

Rates are integer parts per million of the annual rate (3.1% = 31000), never Numeric. Amounts are
integer minor units. The database (migration 0005) refuses an approval by the application's originator,
a change of terms or tranches once an application has left DRAFT/RETURNED (so signed terms are frozen),
APPROVED without enough approvals of the current round, and any change to the approval and history rows.
Migration 0008 holds the application to its lifecycle: only the workflow's moves, each with its record
(decision, signing, approved disbursement, settling payment), the round and the approvals required set only
by a submission, and a credit check never by the originator. A signing freezes the product version in force.
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


class LoanProductVersion(Base):
    """Every version of a product's definition, kept for good (a trigger records each one as the product is
    added or changed), so a signed loan reads the terms it was signed under."""

    __tablename__ = "loan_product_version"

    product_id: Mapped[int] = mapped_column(ForeignKey("loan_product.id"), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    definition: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]


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
    """Face-to-face signing (面签): who conducted it, when and where, the contract number, and the version of
    the product the contract is signed under (its current version then: the loan's terms from then on)."""

    __tablename__ = "loan_signing"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"), unique=True)
    contract_number: Mapped[str] = mapped_column(search_key(LOAN_NUMBER_LENGTH), unique=True)
    signed_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    signed_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]
    product_version: Mapped[int]


# --- Servicing: the money side of a signed loan (migration 0007) ------------------------------------------

PAYEE_KINDS = ("payee", "escrow")
DESTINATIONS = ("account", "payee", "cash")
SCHEDULE_REASONS = ("disbursement", "shorter_term", "lower_installment")
PAYMENT_KINDS = ("repayment", "prepayment", "payoff", "fund_centre")


class LoanAccount(Base):
    """The ledger account that carries one tranche's outstanding principal (under the product's loans
    receivable GL code): its balance is what the borrower still owes on the tranche."""

    __tablename__ = "loan_account"

    tranche_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_tranche.id"), primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"), index=True)
    account_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("account.id"), unique=True)


class LoanPayee(Base):
    """A payee or escrow account (资金监管账户) a loan may be disbursed to. It counts only once a different
    user has given the second key (`approved_by`); the database refuses the registrar as approver."""

    __tablename__ = "loan_payee"
    __table_args__ = (
        CheckConstraint("kind IN " + repr(PAYEE_KINDS), name="known_kind"),
        CheckConstraint("approved_by IS NULL OR approved_by <> registered_by", name="second_key_not_registrar"),
        CheckConstraint("(approved_by IS NULL) = (approved_at IS NULL)", name="approval_complete"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))
    bank_name: Mapped[str] = mapped_column(String(120))
    account_number: Mapped[str] = mapped_column(String(40))
    registered_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    registered_at: Mapped[datetime]
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    approved_at: Mapped[datetime | None]


class LoanDisbursement(Base):
    """A request to disburse a signed loan, made with its instruction: the loan becomes ACTIVE when that
    instruction is approved and posts (a trigger of migration 0007), and not otherwise."""

    __tablename__ = "loan_disbursement"
    __table_args__ = (CheckConstraint("destination IN " + repr(DESTINATIONS), name="known_destination"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"), index=True)
    instruction_id: Mapped[int] = mapped_column(ForeignKey("instruction.id"), unique=True)
    destination: Mapped[str] = mapped_column(String(8))
    account_number: Mapped[str] = mapped_column(String(40))
    payee_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("loan_payee.id"))
    disbursed_on: Mapped[date]


class LoanSchedule(Base):
    """One version of a tranche's repayment schedule: fixed at disbursement, regenerated by a prepayment.
    A version is current once the instruction that made it is approved; every version is kept."""

    __tablename__ = "loan_schedule"
    __table_args__ = (
        CheckConstraint("reason IN " + repr(SCHEDULE_REASONS), name="known_reason"),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("tranche_id", "version"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"), index=True)
    tranche_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_tranche.id"))
    version: Mapped[int]
    reason: Mapped[str] = mapped_column(String(20))
    instruction_id: Mapped[int] = mapped_column(ForeignKey("instruction.id"), index=True)
    start_date: Mapped[date]
    created_at: Mapped[datetime]


class LoanInstallment(Base):
    """One row of a schedule version."""

    __tablename__ = "loan_installment"
    __table_args__ = (
        CheckConstraint("principal >= 0 AND interest >= 0 AND balance_after >= 0", name="amounts_non_negative"),
    )

    schedule_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_schedule.id"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    due_date: Mapped[date]
    principal: Mapped[int] = mapped_column(Minor)
    interest: Mapped[int] = mapped_column(Minor)
    balance_after: Mapped[int] = mapped_column(Minor)


class LoanPayment(Base):
    """How one repayment instruction allocates on one tranche: penalty, fees, scheduled interest and
    principal, interest accrued for a broken period and principal prepaid. It counts once its instruction
    is approved; `settles` marks the payment that repays the whole loan (the loan becomes SETTLED)."""

    __tablename__ = "loan_payment"
    __table_args__ = (
        CheckConstraint("kind IN " + repr(PAYMENT_KINDS), name="known_kind"),
        CheckConstraint(
            "penalty >= 0 AND fees >= 0 AND interest >= 0 AND principal >= 0 AND accrued_interest >= 0"
            " AND prepaid >= 0", name="parts_non_negative"),
        Index("ix_loan_payment_tranche", "tranche_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"), index=True)
    tranche_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_tranche.id"))
    instruction_id: Mapped[int] = mapped_column(ForeignKey("instruction.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    paid_on: Mapped[date]
    penalty: Mapped[int] = mapped_column(Minor, default=0)
    fees: Mapped[int] = mapped_column(Minor, default=0)
    interest: Mapped[int] = mapped_column(Minor, default=0)
    principal: Mapped[int] = mapped_column(Minor, default=0)
    accrued_interest: Mapped[int] = mapped_column(Minor, default=0)
    prepaid: Mapped[int] = mapped_column(Minor, default=0)
    settles: Mapped[bool] = mapped_column(default=False)


class LoanWaiver(Base):
    """Penalty interest or fees forgiven on a tranche, with the reason, the officer who asked and the
    different user who gave the second key. Penalty and fees are recognised when paid, so a waiver moves
    no money: it lowers what is due."""

    __tablename__ = "loan_waiver"
    __table_args__ = (
        CheckConstraint("penalty >= 0 AND fees >= 0 AND penalty + fees > 0", name="waives_something"),
        CheckConstraint("approved_by <> requested_by", name="second_key_not_requester"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_application.id"), index=True)
    tranche_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("loan_tranche.id"))
    waived_on: Mapped[date]
    penalty: Mapped[int] = mapped_column(Minor, default=0)
    fees: Mapped[int] = mapped_column(Minor, default=0)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    approved_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime]
