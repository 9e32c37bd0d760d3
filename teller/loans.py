"""Loan origination: applications from draft to signed contract, with separation of duties (贷审分离).

Workflow (ARCHITECTURE.md section 6): DRAFT -> SUBMITTED -> UNDER_REVIEW -> APPROVED | REJECTED |
RETURNED (back to the officer, who edits and resubmits) -> CONTRACT_SIGNED; disbursement and what follows
belong to the next issue. Every step records who, when, from which state to which and why (`loan_event`)
and an audit row.

- The originator never reviews or decides on their own application: refused here, by the session guard and
  by the database.
- Who may approve depends on amount and product: the product's approval route names policy kinds
  (`loan.<product>`, then `loan`) whose limits decide; above every single limit two approvers of rising
  level are needed, the senior one's joint limit covering the amount. Each submission opens a new round,
  so a returned application is approved afresh.
- Terms change only in DRAFT or RETURNED; once submitted they are frozen (the database agrees), and signed
  terms never change. So does the product a loan is signed under: the signing records the product version
  then in force, and a signed loan is read (file, quote, servicing) with that version's definition, however
  the product has changed since; before signing, the current definition applies.
- A fund loan (housing fund, or combined with a fund part) is not submitted or approved while the ledger
  holds another of the customer's fund loans approved and not settled: the previous-fund-loan rule checks
  the ledger where it can, and the officer's recorded fact for the rest of the household.
- The document checklist comes from the product's template; a waiver needs a reason and a second key.
  `checklist_complete` is the gate disbursement checks.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    Branch, ChecklistItem, CreditCheck, Customer, LoanApplication, LoanApproval, LoanEvent, LoanProduct,
    LoanProductVersion, LoanSequence, LoanSigning, LoanTranche, StaffUser,
)
from models.loan import CREDIT_RESULTS, EDITABLE_STATES, METHODS
from teller import audit, authentication, clock, policy, schedule
from teller.actor import Actor
from teller.db import Database
from teller.errors import ApprovalError, InputError
from teller.i18n import N_, _, format_day
from teller.instructions import CHECKER_ROLES
from teller.loan_products import (
    FUND_PRODUCTS, FUND_TRANCHES, GROUP_NAMES, MAX_RATE, LoanFacts, LoanQuote, LoanTerms, Product, RuleViolation,
    TrancheTerms, check_terms, parse_product, ppm_to_rate, quote, rate_to_ppm, unsettled_fund_loan_violation,
)
from teller.money import MAX_MINOR, format_minor

ORIGINATOR_ROLES = ("loan_officer",)
MAX_PURPOSE = 500
MAX_REASON = 1000
MAX_PLACE = 200
MAX_REFERENCE = 64
CLOSED_STATES = ("REJECTED", "SETTLED", "WRITTEN_OFF")
WAITING_FOR_APPROVERS = ("SUBMITTED", "UNDER_REVIEW")
UNSETTLED_STATES = ("APPROVED", "CONTRACT_SIGNED", "DISBURSED", "ACTIVE", "WRITTEN_OFF")  # approved, not settled
STATE_NAMES = {
    "DRAFT": N_("draft"),
    "SUBMITTED": N_("submitted"),
    "UNDER_REVIEW": N_("under review"),
    "APPROVED": N_("approved"),
    "REJECTED": N_("rejected"),
    "RETURNED": N_("returned"),
    "CONTRACT_SIGNED": N_("contract signed"),
    "DISBURSED": N_("disbursed"),
    "ACTIVE": N_("active"),
    "SETTLED": N_("settled"),
    "WRITTEN_OFF": N_("written off"),
}
ITEM_STATE_NAMES = {
    "MISSING": N_("missing"), "RECEIVED": N_("received"), "VERIFIED": N_("verified"), "WAIVED": N_("waived"),
}
CREDIT_RESULT_NAMES = {"clear": N_("clear"), "minor_issues": N_("minor issues"), "adverse": N_("adverse")}


def state_name(state: str) -> str:
    return _(STATE_NAMES[state])


# --- Data handed to callers -----------------------------------------------------------------------------


class TermsError(InputError):
    """Submission refused while the terms break product rules; `violations` lists every one, the message
    names the first."""

    def __init__(self, violations: list[RuleViolation]) -> None:
        super().__init__(violations[0].field, violations[0].message)
        self.violations = tuple(violations)


@dataclass(frozen=True)
class ApplicationDraft:
    """What the loan entry form holds."""

    customer_id: int
    terms: LoanTerms
    facts: LoanFacts = LoanFacts()


@dataclass(frozen=True)
class CreditCheckEntry:
    """A credit-bureau (征信) report as the reviewer read it: result (clear, minor_issues, adverse), the
    report's date and its reference number."""

    result: str
    report_date: date
    reference: str
    note: str = ""


@dataclass(frozen=True)
class TrancheView:
    kind: str
    amount: int
    annual_rate: Decimal
    method: str
    term_months: int


@dataclass(frozen=True)
class ApplicationView:
    id: int
    number: str
    customer_id: int
    customer_name: str
    product_code: str
    product_name: str
    state: str
    currency: str
    amount: int
    term_months: int
    first_due_date: date
    purpose: str
    facts: LoanFacts
    tranches: tuple[TrancheView, ...]
    required_approvals: int
    review_round: int
    originator_id: int
    originator_name: str
    branch_id: int
    created_at: datetime
    updated_at: datetime
    state_since: datetime
    submitted_at: datetime | None
    decided_at: datetime | None

    @property
    def terms(self) -> LoanTerms:
        return LoanTerms(self.product_code, tuple(TrancheTerms(t.kind, t.amount, t.annual_rate, t.method, t.term_months)
                                                  for t in self.tranches), self.first_due_date, self.purpose,
                         self.currency)

    @property
    def editable(self) -> bool:
        return self.state in EDITABLE_STATES


@dataclass(frozen=True)
class ChecklistItemView:
    id: int
    group: str
    code: str
    label: str
    label_key: str
    required: bool
    either_or: str | None
    state: str
    received_by: str | None
    received_at: datetime | None
    verified_by: str | None
    verified_at: datetime | None
    waived_by: str | None
    waiver_checker: str | None
    waiver_reason: str | None
    waived_at: datetime | None

    @property
    def settled(self) -> bool:
        """Verified or waived: nothing more is needed for this document."""
        return self.state in ("VERIFIED", "WAIVED")


@dataclass(frozen=True)
class EventView:
    id: int
    occurred_at: datetime
    staff_id: int
    staff_name: str
    action: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    detail: dict


@dataclass(frozen=True)
class CreditCheckView:
    id: int
    review_round: int
    result: str
    report_date: date
    reference: str
    checked_by: str
    recorded_at: datetime
    note: str | None


@dataclass(frozen=True)
class ApprovalView:
    id: int
    review_round: int
    approver_id: int
    approver_name: str
    role: str
    level: int
    decision: str
    reason: str | None
    decided_at: datetime


@dataclass(frozen=True)
class SigningView:
    contract_number: str
    signed_by: str
    signed_at: datetime
    place: str
    recorded_at: datetime


@dataclass(frozen=True)
class ApplicationFile:
    """The application file: terms with each part's schedule, the rules they break now (if any), checklist,
    credit checks, decisions, signing and history (oldest first)."""

    application: ApplicationView
    product: Product
    quote: LoanQuote
    violations: tuple[RuleViolation, ...]
    checklist: tuple[ChecklistItemView, ...]
    credit_checks: tuple[CreditCheckView, ...]
    approvals: tuple[ApprovalView, ...]
    signing: SigningView | None
    history: tuple[EventView, ...]

    @property
    def checklist_complete(self) -> bool:
        return checklist_complete(self.checklist)

    @property
    def approvals_given(self) -> int:
        """Approvals given in the current review round (a returned application starts a new round)."""
        current = self.application.review_round
        return sum(1 for decision in self.approvals
                   if decision.review_round == current and decision.decision == "APPROVED")


@dataclass(frozen=True)
class PipelineRow:
    """One application in a pipeline; ages are whole days (since creation, and in the current state)."""

    id: int
    number: str
    customer_id: int
    customer_name: str
    product_code: str
    product_name: str
    state: str
    currency: str
    amount: int
    originator_name: str
    age_days: int
    days_in_state: int


@dataclass(frozen=True)
class MissingDocuments:
    """What the customer still has to bring, by group; an either/or group is one line of alternatives."""

    number: str
    customer_name: str
    product_name: str
    groups: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def complete(self) -> bool:
        return not self.groups


@dataclass(frozen=True)
class CustomerLoan:
    """A loan or application in the customer file. Outstanding principal, next due date and days past due are
    0 / None here; `loan_servicing.customer_loans_in` fills them for active loans."""

    id: int
    number: str
    product_code: str
    product_name: str
    state: str
    currency: str
    amount: int
    outstanding_principal: int
    next_due_date: date | None
    days_past_due: int


# --- Products -----------------------------------------------------------------------------------------


def _product(row: LoanProduct) -> Product:
    return parse_product(json.loads(row.definition), version=row.version, active=row.active)


def terms_product(session: Session, application: LoanApplication) -> Product:
    """The product whose definition governs the application: the version its contract was signed under once
    signed (terms frozen at signing), the current definition before."""
    row = session.get(LoanProduct, application.product_id)
    signed_version = session.execute(select(LoanSigning.product_version).where(
        LoanSigning.application_id == application.id)).scalar()
    if signed_version is None:
        return _product(row)
    frozen = session.get(LoanProductVersion, (application.product_id, signed_version))
    return parse_product(json.loads(frozen.definition), version=frozen.version, active=row.active)


def list_products(db: Database, *, active_only: bool = True) -> list[Product]:
    """The bank's loan products, in the order they were loaded."""

    def work(session: Session) -> list[Product]:
        query = select(LoanProduct).order_by(LoanProduct.id)
        if active_only:
            query = query.where(LoanProduct.active)
        return [_product(row) for row in session.scalars(query)]

    return db.run(work, readonly=True)


def get_product(db: Database, code: str) -> Product:
    return db.run(lambda session: _product(_product_row(session, code)), readonly=True)


def product_definition(db: Database, code: str) -> dict:
    """A product's JSON definition as stored, the starting point of a proposed change."""
    return db.run(lambda session: json.loads(_product_row(session, code).definition), readonly=True)


def _product_row(session: Session, code: str) -> LoanProduct:
    row = session.execute(select(LoanProduct).where(LoanProduct.code == code)).scalar_one_or_none()
    if row is None:
        raise InputError("product", _("there is no loan product {code!r}").format(code=code))
    return row


def load_products(session: Session, actor: Actor, definitions: Iterable[dict]) -> None:
    """Add products not yet in the ledger (by code), each definition checked."""
    known = set(session.scalars(select(LoanProduct.code)))
    for definition in definitions:
        product = parse_product(definition)
        if product.code in known:
            continue
        session.add(LoanProduct(code=product.code, name_en=product.name_en, name_zh=product.name_zh,
                                currency=product.currency, definition=json.dumps(definition, ensure_ascii=False),
                                version=1, active=True, updated_at=clock.now()))
        audit.record(session, actor, "loan_product.loaded", object_type="loan_product", object_id=product.code)


# --- The customer's fund loans in the ledger ---------------------------------------------------------


def unsettled_fund_loans_in(session: Session, customer_id: int, *, other_than: int | None = None) -> tuple[str, ...]:
    """The numbers of the customer's fund loans (a housing-fund loan, or one with a fund part) that are
    approved or further on and not settled, oldest first, leaving out application `other_than`."""
    fund_product = LoanApplication.product_id.in_(select(LoanProduct.id).where(LoanProduct.code.in_(FUND_PRODUCTS)))
    fund_part = select(LoanTranche.id).where(LoanTranche.application_id == LoanApplication.id,
                                             LoanTranche.kind.in_(FUND_TRANCHES)).exists()
    query = select(LoanApplication.number).where(
        LoanApplication.customer_id == customer_id, LoanApplication.state.in_(UNSETTLED_STATES),
        or_(fund_product, fund_part))
    if other_than is not None:
        query = query.where(LoanApplication.id != other_than)
    return tuple(session.scalars(query.order_by(LoanApplication.id)))


def unsettled_fund_loans(db: Database, customer_id: int) -> tuple[str, ...]:
    """`unsettled_fund_loans_in` in its own unit of work (for the loan entry screen's live rule check)."""
    return db.run(lambda session: unsettled_fund_loans_in(session, customer_id), readonly=True)


def _refuse_unsettled_fund_loan(session: Session, application: LoanApplication, product: Product) -> None:
    """A loan under the previous-fund-loan rule is not approved while the ledger holds another of the
    customer's fund loans unsettled (it may have been approved since this one was submitted)."""
    if product.rule("previous_fund_loan_settled") is None:
        return
    numbers = unsettled_fund_loans_in(session, application.customer_id, other_than=application.id)
    if numbers:
        raise TermsError([unsettled_fund_loan_violation(numbers)])


# --- Validation ---------------------------------------------------------------------------------------


def _require_role(actor: Actor, roles: tuple[str, ...], refusal: str) -> None:
    if actor.staff_id is None or not set(actor.roles) & set(roles):
        raise ApprovalError(_(refusal).format(username=actor.username))


def _whole(value, field: str, low: int, high: int, message: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InputError(field, message)
    return value


def _clean_terms(product: Product, terms: LoanTerms) -> LoanTerms:
    """Each field's own shape (the product's rules are `check_terms`' business); InputError names the field."""
    if terms.currency != product.currency:
        raise InputError("currency", _("{product} lends in {currency}").format(
            product=product.name, currency=product.currency))
    kinds = [tranche.kind for tranche in terms.tranches]
    wanted = [rule.kind for rule in product.tranches]
    if sorted(kinds) != sorted(wanted):
        raise InputError("tranches", _("{product} has the parts {parts}").format(
            product=product.name, parts=", ".join(wanted)))
    cleaned = []
    for tranche in terms.tranches:
        amount = _whole(tranche.amount, "amount", 1, schedule.MAX_PRINCIPAL,
                        _("the amount must be a positive whole number of fen"))
        term = _whole(tranche.term_months, "term", 1, schedule.MAX_MONTHS,
                      _("the term is 1 to {most} whole months").format(most=schedule.MAX_MONTHS))
        rate = tranche.annual_rate
        if not isinstance(rate, Decimal) or not rate.is_finite() or not 0 <= rate <= MAX_RATE:
            raise InputError("rate", _("the annual rate is a number from 0 to 36%"))
        if rate_to_ppm(rate) != rate * 1_000_000:
            raise InputError("rate", _("a rate has at most four decimals of a percent"))
        if tranche.method not in METHODS:
            raise InputError("method", _("choose a repayment method"))
        cleaned.append(TrancheTerms(tranche.kind, amount, ppm_to_rate(rate_to_ppm(rate)), tranche.method, term))
    if not isinstance(terms.first_due_date, date):
        raise InputError("first due date", _("give the first due date"))
    purpose = " ".join(terms.purpose.split())
    if len(purpose) > MAX_PURPOSE:
        raise InputError("purpose", _("keep the purpose to {most} characters").format(most=MAX_PURPOSE))
    order = {kind: position for position, kind in enumerate(wanted)}
    return LoanTerms(product.code, tuple(sorted(cleaned, key=lambda tranche: order[tranche.kind])),
                     terms.first_due_date, purpose, terms.currency)


FACT_BOUNDS = {
    "property_price": ("property price", MAX_MINOR), "pledge_value": ("pledge value", MAX_MINOR),
    "vehicle_price": ("vehicle price", MAX_MINOR), "monthly_income": ("monthly income", MAX_MINOR),
    "home_count": ("home count", 9), "fund_contribution_months": ("fund contribution months", 1200),
    "contributing_spouses": ("contributing spouses", 2),
}


FACT_FLAGS = {"second_hand": "home count", "previous_fund_loan_settled": "previous fund loan",
              "guarantee_group": "guarantee group"}


def _clean_facts(facts: LoanFacts) -> LoanFacts:
    for name, (field, most) in FACT_BOUNDS.items():
        value = getattr(facts, name)
        if value is not None:
            _whole(value, field, 0, most, _("give a whole number from 0 to {most}").format(most=most))
    for name, field in FACT_FLAGS.items():
        if getattr(facts, name) is not None and not isinstance(getattr(facts, name), bool):
            raise InputError(field, _("answer yes or no"))
    if facts.home_count == 0:
        raise InputError("home count", _("count this home too: 1 for a first home"))
    return facts


# --- Reading rows into views --------------------------------------------------------------------------


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {staff_id for staff_id in ids if staff_id is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(wanted))).all())


def _tranches(session: Session, application_id: int) -> tuple[TrancheView, ...]:
    rows = session.scalars(select(LoanTranche).where(LoanTranche.application_id == application_id)
                           .order_by(LoanTranche.id))
    return tuple(TrancheView(row.kind, row.amount, ppm_to_rate(row.rate_ppm), row.method, row.term_months)
                 for row in rows)


def _as_utc(moment: datetime | None) -> datetime | None:
    return clock.as_utc(moment) if moment is not None else None


def _view(session: Session, application: LoanApplication) -> ApplicationView:
    product = session.get(LoanProduct, application.product_id)
    customer_name = session.execute(select(Customer.name).where(Customer.id == application.customer_id)).scalar_one()
    names = _names(session, [application.originator_id])
    return ApplicationView(
        id=application.id, number=application.number, customer_id=application.customer_id,
        customer_name=customer_name, product_code=product.code, product_name=_product(product).name,
        state=application.state, currency=application.currency, amount=application.amount,
        term_months=application.term_months, first_due_date=application.first_due_date,
        purpose=application.purpose, facts=LoanFacts.from_dict(json.loads(application.facts)),
        tranches=_tranches(session, application.id), required_approvals=application.required_approvals,
        review_round=application.review_round, originator_id=application.originator_id,
        originator_name=names[application.originator_id], branch_id=application.branch_id,
        created_at=clock.as_utc(application.created_at), updated_at=clock.as_utc(application.updated_at),
        state_since=clock.as_utc(application.state_since), submitted_at=_as_utc(application.submitted_at),
        decided_at=_as_utc(application.decided_at),
    )


def checklist_items(session: Session, application_id: int) -> tuple[ChecklistItemView, ...]:
    """An application's checklist in template order (for services that already hold a session)."""
    rows = list(session.scalars(select(ChecklistItem).where(ChecklistItem.application_id == application_id)
                                .order_by(ChecklistItem.sort_order)))
    names = _names(session, [staff for row in rows for staff in (row.received_by, row.verified_by, row.waived_by,
                                                                 row.waiver_checker_id)])
    return tuple(
        ChecklistItemView(
            id=row.id, group=row.item_group, code=row.code, label=_(row.label_key), label_key=row.label_key,
            required=row.required, either_or=row.either_or, state=row.state, received_by=names.get(row.received_by),
            received_at=_as_utc(row.received_at), verified_by=names.get(row.verified_by),
            verified_at=_as_utc(row.verified_at), waived_by=names.get(row.waived_by),
            waiver_checker=names.get(row.waiver_checker_id), waiver_reason=row.waiver_reason,
            waived_at=_as_utc(row.waived_at),
        )
        for row in rows
    )


def _outstanding(items: Iterable[ChecklistItemView]) -> list[list[ChecklistItemView]]:
    """What keeps a checklist from being complete: each required item not verified or waived, and each
    either/or group (any member required) with no member verified or waived, as one list of alternatives."""
    missing: list[list[ChecklistItemView]] = []
    groups: dict[str, list[ChecklistItemView]] = {}
    for item in items:
        if item.either_or:
            groups.setdefault(item.either_or, []).append(item)
        elif item.required and not item.settled:
            missing.append([item])
    for members in groups.values():
        if any(member.required for member in members) and not any(member.settled for member in members):
            missing.append(members)
    return missing


def alternatives(items: Iterable[ChecklistItemView], item: ChecklistItemView) -> tuple[ChecklistItemView, ...]:
    """The other members of `item`'s either/or group, in checklist order (none for an item on its own)."""
    if not item.either_or:
        return ()
    return tuple(other for other in items if other.either_or == item.either_or and other.code != item.code)


def group_satisfied(items: Iterable[ChecklistItemView], item: ChecklistItemView) -> bool:
    """Whether `item`'s either/or group is met: one of its members verified or waived (what the disbursement
    gate counts; a document only received may still fail its check)."""
    return bool(item.either_or) and any(member.settled for member in (item, *alternatives(items, item)))


def checklist_complete(items: Iterable[ChecklistItemView]) -> bool:
    """The disbursement gate: every required item verified or waived, each either/or group satisfied by one
    of its members."""
    return not _outstanding(items)


# --- Writing ------------------------------------------------------------------------------------------


def _load(session: Session, application_id: int, *, lock: bool = True) -> LoanApplication:
    query = select(LoanApplication).where(LoanApplication.id == application_id)
    application = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if application is None:
        raise InputError("application", _("loan application {id} does not exist").format(id=application_id))
    return application


def _event(session: Session, actor: Actor, application: LoanApplication, action: str, *, from_state: str | None = None,
           reason: str | None = None, **detail) -> None:
    """Record the step in the application's history and in the audit log."""
    moved = from_state is not None and from_state != application.state
    session.add(LoanEvent(
        application_id=application.id, staff_id=actor.staff_id, occurred_at=clock.now(), action=action,
        from_state=from_state if moved else None, to_state=application.state if moved else None, reason=reason,
        detail=json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str),
    ))
    audit.record(session, actor, f"loan.{action}", object_type="loan_application", object_id=application.id,
                 branch_id=application.branch_id, number=application.number, from_state=from_state,
                 to_state=application.state, reason=reason, **detail)


def _move(application: LoanApplication, state: str) -> str:
    before = application.state
    application.state = state
    application.state_since = application.updated_at = clock.now()
    return before


def _refuse_state(application: LoanApplication, allowed: tuple[str, ...], doing: str) -> None:
    if application.state not in allowed:
        raise ApprovalError(_("application {number} is {state}: you cannot {doing} it now").format(
            number=application.number, state=state_name(application.state), doing=_(doing)))


def _next_number(session: Session, branch: Branch, year: int) -> str:
    """DK + branch code + year + a six-digit sequence of that branch and year: DK01012026000042."""
    sequence = session.execute(select(LoanSequence).where(
        LoanSequence.branch_id == branch.id, LoanSequence.year == year).with_for_update()).scalar_one_or_none()
    if sequence is None:
        sequence = LoanSequence(branch_id=branch.id, year=year, last_value=1)
        session.add(sequence)
    else:
        sequence.last_value += 1
    session.flush()
    return f"DK{branch.code}{year}{sequence.last_value:06d}"


def contract_number(application_number: str) -> str:
    """The loan contract's number: the application's with HT (合同) for DK (贷款)."""
    return "HT" + application_number[2:]


def _terms_facts_json(terms: LoanTerms, facts: LoanFacts) -> dict:
    return {"amount": terms.amount, "term_months": terms.term_months, "first_due_date": terms.first_due_date.isoformat(),
            "tranches": [[t.kind, t.amount, str(t.annual_rate), t.method, t.term_months] for t in terms.tranches],
            "facts": facts.as_dict()}


def _write_terms(session: Session, application: LoanApplication, terms: LoanTerms, facts: LoanFacts) -> None:
    application.amount, application.term_months = terms.amount, terms.term_months
    application.first_due_date, application.purpose = terms.first_due_date, terms.purpose
    application.facts = json.dumps(facts.as_dict(), sort_keys=True)
    existing = {row.kind: row for row in session.scalars(
        select(LoanTranche).where(LoanTranche.application_id == application.id))}
    for tranche in terms.tranches:
        row = existing.pop(tranche.kind, None)
        values = {"amount": tranche.amount, "rate_ppm": rate_to_ppm(tranche.annual_rate), "method": tranche.method,
                  "term_months": tranche.term_months}
        if row is None:
            session.add(LoanTranche(application_id=application.id, kind=tranche.kind, **values))
        else:
            for name, value in values.items():
                if getattr(row, name) != value:
                    setattr(row, name, value)
    for row in existing.values():
        session.delete(row)


def _prepare(db: Database, draft: ApplicationDraft) -> tuple[Product, LoanTerms, LoanFacts]:
    product = get_product(db, draft.terms.product_code)
    if not product.active:
        raise InputError("product", _("{product} is no longer offered").format(product=product.name))
    return product, _clean_terms(product, draft.terms), _clean_facts(draft.facts)


def create_application(db: Database, officer: Actor, draft: ApplicationDraft) -> ApplicationView:
    """Record a DRAFT application with its checklist from the product's template. A draft may still break
    product rules (see `application_file(...).violations`); submission refuses while any remains."""
    _require_role(officer, ORIGINATOR_ROLES, N_("{username} is not a loan officer: only loan officers originate loans"))
    if officer.branch_id is None:
        raise ApprovalError(_("{username} belongs to no branch").format(username=officer.username))
    product, terms, facts = _prepare(db, draft)

    def work(session: Session) -> ApplicationView:
        if session.get(Customer, draft.customer_id) is None:
            raise InputError("customer", _("customer {id} does not exist").format(id=draft.customer_id))
        branch = session.get(Branch, officer.branch_id)
        now = clock.now()
        application = LoanApplication(
            number=_next_number(session, branch, branch.business_date.year), customer_id=draft.customer_id,
            product_id=_product_row(session, product.code).id, state="DRAFT", currency=product.currency,
            required_approvals=1, review_round=0, originator_id=officer.staff_id, branch_id=branch.id,
            created_at=now, updated_at=now, state_since=now, amount=terms.amount, term_months=terms.term_months,
            first_due_date=terms.first_due_date, purpose=terms.purpose, facts="{}",
        )
        session.add(application)
        session.flush()
        _write_terms(session, application, terms, facts)
        session.add_all(ChecklistItem(application_id=application.id, item_group=item.group, code=item.code,
                                      label_key=item.label_key, required=item.required, either_or=item.either_or,
                                      sort_order=position, state="MISSING")
                        for position, item in enumerate(product.checklist))
        session.flush()
        _event(session, officer, application, "created", customer=draft.customer_id, product=product.code,
               **_terms_facts_json(terms, facts))
        return _view(session, application)

    try:
        return db.run(work)
    except IntegrityError:
        # Another terminal opened the branch's numbering for the year at the same moment: number again.
        return db.run(work)


def update_draft(db: Database, officer: Actor, application_id: int, draft: ApplicationDraft) -> ApplicationView:
    """Change the terms and facts of a DRAFT or RETURNED application (its originator only); the customer and
    product stay (another product is another application)."""
    product, terms, facts = _prepare(db, draft)

    def work(session: Session) -> ApplicationView:
        application = _load(session, application_id)
        if application.originator_id != officer.staff_id:
            raise ApprovalError(_("only the originating officer edits application {number}").format(
                number=application.number))
        _refuse_state(application, EDITABLE_STATES, N_("edit"))
        if draft.customer_id != application.customer_id:
            raise InputError("customer", _("an application stays with its customer: start a new one"))
        if session.get(LoanProduct, application.product_id).code != product.code:
            raise InputError("product", _("an application keeps its product: start a new one for another product"))
        _write_terms(session, application, terms, facts)
        application.updated_at = clock.now()
        session.flush()
        _event(session, officer, application, "updated", **_terms_facts_json(terms, facts))
        return _view(session, application)

    return db.run(work)


def _submit(db: Database, officer: Actor, application_id: int, allowed: str, action: str, note: str) -> ApplicationView:
    def work(session: Session) -> ApplicationView:
        application = _load(session, application_id)
        if application.originator_id != officer.staff_id:
            raise ApprovalError(_("only the originating officer submits application {number}").format(
                number=application.number))
        _refuse_state(application, (allowed,), N_("submit"))
        product_row = session.get(LoanProduct, application.product_id)
        product = _product(product_row)
        if not product.active:
            raise InputError("product", _("{product} is no longer offered").format(product=product.name))
        terms = _view(session, application).terms
        facts = LoanFacts.from_dict(json.loads(application.facts))
        business_date = session.get(Branch, application.branch_id).business_date
        open_fund_loans = unsettled_fund_loans_in(session, application.customer_id, other_than=application.id)
        violations = check_terms(product, terms, facts, today=business_date, unsettled_fund_loans=open_fund_loans)
        if violations:
            raise TermsError(violations)
        table = policy.route_authorities(session, product.approval_route.policy_kinds, application.currency)
        application.required_approvals = policy.required_from(table, application.currency, application.amount)
        application.review_round += 1
        before = _move(application, "SUBMITTED")
        application.submitted_at = application.state_since
        application.decided_at = None
        session.flush()
        _event(session, officer, application, action, from_state=before, reason=_note(note),
               review_round=application.review_round, required_approvals=application.required_approvals,
               product_version=product_row.version)
        return _view(session, application)

    return db.run(work)


def submit(db: Database, officer: Actor, application_id: int) -> ApplicationView:
    """DRAFT -> SUBMITTED, once the terms meet every product rule (else TermsError listing them). Fixes how
    many approvers the amount needs (refused above the branch's authority)."""
    return _submit(db, officer, application_id, "DRAFT", "submitted", "")


def resubmit(db: Database, officer: Actor, application_id: int, note: str = "") -> ApplicationView:
    """RETURNED -> SUBMITTED after the officer has dealt with the reason; a new round of review and approval."""
    return _submit(db, officer, application_id, "RETURNED", "resubmitted", note)


def _note(note: str) -> str | None:
    """An optional note as recorded: single spaces, None when empty."""
    cleaned = " ".join((note or "").split())
    if len(cleaned) > MAX_REASON:
        raise InputError("reason", _("keep it to {most} characters").format(most=MAX_REASON))
    return cleaned or None


def _clean_reason(reason: str, prompt: str) -> str:
    cleaned = " ".join((reason or "").split())
    if not cleaned:
        raise InputError("reason", prompt)
    if len(cleaned) > MAX_REASON:
        raise InputError("reason", _("keep it to {most} characters").format(most=MAX_REASON))
    return cleaned


def _not_originator(application: LoanApplication, actor: Actor) -> None:
    if actor.staff_id == application.originator_id:
        raise ApprovalError(_("you originated application {number}: a different person must review and decide it")
                            .format(number=application.number))


def _reviewer(session: Session, application: LoanApplication, actor: Actor) -> Product:
    product = _product(session.get(LoanProduct, application.product_id))
    _not_originator(application, actor)
    if actor.staff_id is None or not set(actor.roles) & set(product.approval_route.reviewer_roles):
        raise ApprovalError(_("{username} may not review {product} applications").format(
            username=actor.username, product=product.name))
    return product


def _clean_credit_check(entry: CreditCheckEntry, today: date) -> CreditCheckEntry:
    if entry.result not in CREDIT_RESULTS:
        raise InputError("credit result", _("choose clear, minor issues or adverse"))
    if not isinstance(entry.report_date, date) or entry.report_date > today:
        raise InputError("report date", _("give the date of the credit report (not after today)"))
    reference = entry.reference.strip()
    if not reference or len(reference) > MAX_REFERENCE:
        raise InputError("report reference", _("give the report's reference number (at most {most} characters)")
                         .format(most=MAX_REFERENCE))
    return CreditCheckEntry(entry.result, entry.report_date, reference, " ".join(entry.note.split()))


def start_review(db: Database, reviewer: Actor, application_id: int, *, notes: str,
                 credit_check: CreditCheckEntry | None) -> ApplicationView:
    """SUBMITTED -> UNDER_REVIEW by a reviewer who is not the originator, with review notes and the
    credit-bureau check (required unless the product's route says otherwise)."""
    notes = _clean_reason(notes, _("write the review notes"))

    def work(session: Session) -> ApplicationView:
        application = _load(session, application_id)
        product = _reviewer(session, application, reviewer)
        _refuse_state(application, ("SUBMITTED",), N_("take into review"))
        business_date = session.get(Branch, application.branch_id).business_date
        if credit_check is None and product.approval_route.credit_check_required:
            raise InputError("credit result", _("record the credit-bureau check before reviewing"))
        before = _move(application, "UNDER_REVIEW")
        session.flush()
        _event(session, reviewer, application, "review_started", from_state=before, reason=notes)
        if credit_check is not None:
            entry = _clean_credit_check(credit_check, business_date)
            session.add(CreditCheck(application_id=application.id, review_round=application.review_round,
                                    result=entry.result, report_date=entry.report_date, reference=entry.reference,
                                    checked_by=reviewer.staff_id, recorded_at=clock.now(), note=entry.note or None))
            _event(session, reviewer, application, "credit_checked", result=entry.result,
                   report_date=entry.report_date.isoformat(), reference=entry.reference)
        return _view(session, application)

    return db.run(work)


def _decisions(session: Session, application: LoanApplication) -> list[LoanApproval]:
    return list(session.scalars(select(LoanApproval).where(
        LoanApproval.application_id == application.id, LoanApproval.review_round == application.review_round,
        LoanApproval.decision == "APPROVED").order_by(LoanApproval.id)))


def _money(application: LoanApplication) -> str:
    return f"{application.currency} {format_minor(application.amount, application.currency)}"


def _authority(session: Session, application: LoanApplication, approver: Actor, product: Product) -> policy.Authority:
    """The approver's authority for this application, checked against the amount and the keys already given."""
    table = policy.route_authorities(session, product.approval_route.policy_kinds, application.currency)
    authority = _decider(table, approver, product)
    given = _decisions(session, application)
    if any(decision.approver_id == approver.staff_id for decision in given):
        raise ApprovalError(_("you have already approved; a different approver must give the next approval"))
    if application.required_approvals == 1 and authority.single_limit < application.amount:
        raise ApprovalError(_("{amount} is above {username}'s loan limit of {limit}: a more senior approver must decide")
                            .format(amount=_money(application), username=approver.username,
                                    limit=format_minor(authority.single_limit, application.currency)))
    if application.required_approvals == 2:
        if not given:
            if not any(other.level > authority.level and other.joint_limit >= application.amount
                       for other in table.values()):
                raise ApprovalError(_("{amount} needs two approvals of rising level: a more junior approver "
                                      "approves first").format(amount=_money(application)))
        elif authority.level <= given[0].level or authority.joint_limit < application.amount:
            raise ApprovalError(_("{amount} needs its second approval from a more senior approver").format(
                amount=_money(application)))
    return authority


def _decider(table: dict[str, policy.Authority], actor: Actor, product: Product) -> policy.Authority:
    """The actor's loan authority on this product's route: only holders of one decide on loans."""
    authority = policy.strongest(table, actor.roles)
    if authority is None:
        raise ApprovalError(_("{username} has no authority to decide on {product} loans").format(
            username=actor.username, product=product.name))
    return authority


def approve(db: Database, approver: Actor, application_id: int, note: str = "") -> ApplicationView:
    """Approve an application UNDER_REVIEW. Above the top single limit the first approval leaves it under review
    until a more senior approver gives the second; the last approval makes it APPROVED."""

    def work(session: Session) -> ApplicationView:
        application = _load(session, application_id)
        product = _reviewer(session, application, approver)
        _refuse_state(application, ("UNDER_REVIEW",), N_("approve"))
        _refuse_unsettled_fund_loan(session, application, product)
        authority = _authority(session, application, approver, product)
        session.add(LoanApproval(application_id=application.id, review_round=application.review_round,
                                 approver_id=approver.staff_id, role=authority.role, level=authority.level,
                                 decision="APPROVED", reason=_note(note), decided_at=clock.now()))
        session.flush()
        if len(_decisions(session, application)) < application.required_approvals:
            _event(session, approver, application, "first_approval", reason=_note(note),
                   level=authority.level, role=authority.role)
            return _view(session, application)
        before = _move(application, "APPROVED")
        application.decided_at = application.state_since
        session.flush()
        _event(session, approver, application, "approved", from_state=before, reason=_note(note),
               level=authority.level, role=authority.role)
        return _view(session, application)

    return db.run(work)


def approve_with_second_key(db: Database, application_id: int, note: str = "", *, username: str, password: str,
                            totp_code: str, terminal: str) -> ApplicationView:
    """The approver signs the decision with their own user name, password and a fresh code."""
    approver = authentication.authenticate(db, username, password, totp_code, terminal, purpose="second_key")
    return approve(db, approver, application_id, note)


def _refuse(db: Database, approver: Actor, application_id: int, reason: str, decision: str,
            action: str) -> ApplicationView:
    """A decision that stops the round: REJECTED (final) or RETURNED (to the officer)."""

    def work(session: Session) -> ApplicationView:
        application = _load(session, application_id)
        product = _reviewer(session, application, approver)
        _refuse_state(application, WAITING_FOR_APPROVERS, N_("decide"))
        table = policy.route_authorities(session, product.approval_route.policy_kinds, application.currency)
        authority = _decider(table, approver, product)
        session.add(LoanApproval(application_id=application.id, review_round=application.review_round,
                                 approver_id=approver.staff_id, role=authority.role, level=authority.level,
                                 decision=decision, reason=reason, decided_at=clock.now()))
        session.flush()  # the decision first: the database moves the state only on its record
        before = _move(application, decision)
        application.decided_at = application.state_since
        session.flush()
        _event(session, approver, application, action, from_state=before, reason=reason)
        return _view(session, application)

    return db.run(work)


def reject(db: Database, approver: Actor, application_id: int, reason: str) -> ApplicationView:
    """Refuse the loan (final), with the reason."""
    return _refuse(db, approver, application_id, _clean_reason(reason, _("say why the loan is rejected")),
                   "REJECTED", "rejected")


def return_to_officer(db: Database, approver: Actor, application_id: int, reason: str) -> ApplicationView:
    """Send the application back to its officer (RETURNED: editable again), saying what to fix."""
    return _refuse(db, approver, application_id, _clean_reason(reason, _("say what the officer must fix")),
                   "RETURNED", "returned")


def sign(db: Database, officer: Actor, application_id: int, *, signed_at: datetime, place: str) -> ApplicationView:
    """Record the face-to-face signing (面签) of an APPROVED application: who conducted it (the officer),
    when and where; the contract number is given and the terms are frozen for good."""
    _require_role(officer, ORIGINATOR_ROLES, N_("{username} is not a loan officer: loan officers conduct signings"))
    where = " ".join((place or "").split())
    if not where:
        raise InputError("place", _("say where the contract was signed"))
    if len(where) > MAX_PLACE:
        raise InputError("place", _("keep the place to {most} characters").format(most=MAX_PLACE))
    if not isinstance(signed_at, datetime) or signed_at.tzinfo is None:
        raise InputError("signed at", _("give the date and time of signing"))
    if signed_at > clock.now():
        raise InputError("signed at", _("the signing cannot be in the future"))

    def work(session: Session) -> ApplicationView:
        application = _load(session, application_id)
        _refuse_state(application, ("APPROVED",), N_("sign"))
        if signed_at < clock.as_utc(application.decided_at):
            raise InputError("signed at", _("the contract is signed after the approval ({when})").format(
                when=format_day(clock.as_utc(application.decided_at).date())))
        number = contract_number(application.number)
        version = session.get(LoanProduct, application.product_id).version
        session.add(LoanSigning(application_id=application.id, contract_number=number, signed_by=officer.staff_id,
                                signed_at=signed_at, place=where, recorded_at=clock.now(), product_version=version))
        session.flush()
        before = _move(application, "CONTRACT_SIGNED")
        session.flush()
        _event(session, officer, application, "signed", from_state=before, contract_number=number,
               signed_at=signed_at.isoformat(), place=where, product_version=version)
        return _view(session, application)

    return db.run(work)


# --- The checklist ------------------------------------------------------------------------------------


def _item(session: Session, application: LoanApplication, code: str) -> ChecklistItem:
    item = session.execute(select(ChecklistItem).where(
        ChecklistItem.application_id == application.id, ChecklistItem.code == code).with_for_update()
    ).scalar_one_or_none()
    if item is None:
        raise InputError("document", _("application {number} has no checklist item {code!r}").format(
            number=application.number, code=code))
    return item


def _checklist_step(db: Database, actor: Actor, application_id: int, code: str, action: str,
                    change) -> ChecklistItemView:
    _require_role(actor, ORIGINATOR_ROLES + CHECKER_ROLES, N_("{username} has no role that works loan checklists"))

    def work(session: Session) -> ChecklistItemView:
        application = _load(session, application_id)
        if application.state in CLOSED_STATES:
            raise ApprovalError(_("application {number} is {state}: its checklist is closed").format(
                number=application.number, state=state_name(application.state)))
        item = _item(session, application, code)
        before = item.state
        detail = change(item)
        session.flush()
        _event(session, actor, application, action, document=code, item_from=before, item_to=item.state, **detail)
        return next(view for view in checklist_items(session, application.id) if view.code == code)

    return db.run(work)


def receive_item(db: Database, actor: Actor, application_id: int, code: str) -> ChecklistItemView:
    """MISSING -> RECEIVED: the document is in the bank's hands."""

    def change(item: ChecklistItem) -> dict:
        if item.state != "MISSING":
            raise ApprovalError(_("{document} is already {state}").format(
                document=_(item.label_key), state=_(ITEM_STATE_NAMES[item.state])))
        item.state, item.received_by, item.received_at = "RECEIVED", actor.staff_id, clock.now()
        return {}

    return _checklist_step(db, actor, application_id, code, "document_received", change)


def verify_item(db: Database, actor: Actor, application_id: int, code: str) -> ChecklistItemView:
    """RECEIVED -> VERIFIED: checked against the original (who and when are recorded)."""

    def change(item: ChecklistItem) -> dict:
        if item.state != "RECEIVED":
            raise ApprovalError(_("{document} must be received before it is verified (it is {state})").format(
                document=_(item.label_key), state=_(ITEM_STATE_NAMES[item.state])))
        item.state, item.verified_by, item.verified_at = "VERIFIED", actor.staff_id, clock.now()
        return {}

    return _checklist_step(db, actor, application_id, code, "document_verified", change)


def waive_item(db: Database, actor: Actor, checker: Actor, application_id: int, code: str,
               reason: str) -> ChecklistItemView:
    """Waive a missing or unverified document, with a reason, under the second key of `checker` (already
    authenticated: see `waive_item_with_second_key`), a supervisor or manager who is not `actor`."""
    reason = _clean_reason(reason, _("say why the document is waived"))
    if checker.staff_id is None or checker.staff_id == actor.staff_id:
        raise ApprovalError(_("a waiver needs the second key of a different person"))
    _require_role(checker, CHECKER_ROLES, N_("{username} has no role that may give the second key on a waiver"))

    def change(item: ChecklistItem) -> dict:
        if item.state not in ("MISSING", "RECEIVED"):
            raise ApprovalError(_("{document} is already {state}").format(
                document=_(item.label_key), state=_(ITEM_STATE_NAMES[item.state])))
        item.state, item.waived_by, item.waiver_checker_id = "WAIVED", actor.staff_id, checker.staff_id
        item.waiver_reason, item.waived_at = reason, clock.now()
        return {"reason": reason, "checker": checker.staff_id}

    return _checklist_step(db, actor, application_id, code, "document_waived", change)


def waive_item_with_second_key(db: Database, actor: Actor, application_id: int, code: str, reason: str, *,
                               username: str, password: str, totp_code: str, terminal: str) -> ChecklistItemView:
    """The checker types their own user name, password and a fresh code at the officer's terminal; then the
    waiver is recorded."""
    _clean_reason(reason, _("say why the document is waived"))
    checker = authentication.authenticate(db, username, password, totp_code, terminal, purpose="second_key")
    return waive_item(db, actor, checker, application_id, code, reason)


# --- Reading ------------------------------------------------------------------------------------------


def get_application(db: Database, application_id: int) -> ApplicationView:
    return db.run(lambda session: _view(session, _load(session, application_id, lock=False)), readonly=True)


def find_by_number(db: Database, number: str) -> ApplicationView:
    """The application with this number (DK...) or contract number (HT...)."""
    cleaned = "".join(number.split()).upper()

    def work(session: Session) -> ApplicationView:
        wanted = contract_number(cleaned) if cleaned.startswith("HT") else cleaned
        application = session.execute(select(LoanApplication).where(
            LoanApplication.number == "DK" + wanted[2:])).scalar_one_or_none()
        if application is None:
            raise InputError("application", _("there is no loan {number}").format(number=cleaned))
        return _view(session, application)

    return db.run(work, readonly=True)


def application_file(db: Database, application_id: int) -> ApplicationFile:
    """Everything about one application, for its file screen."""

    def work(session: Session) -> ApplicationFile:
        application = _load(session, application_id, lock=False)
        view = _view(session, application)
        product = terms_product(session, application)
        business_date = session.get(Branch, application.branch_id).business_date
        undecided = application.state in EDITABLE_STATES + WAITING_FOR_APPROVERS
        violations = check_terms(
            product, view.terms, view.facts, today=business_date if application.state in EDITABLE_STATES else None,
            unsettled_fund_loans=unsettled_fund_loans_in(session, application.customer_id, other_than=application.id)
            if undecided else ())
        checks = list(session.scalars(select(CreditCheck).where(CreditCheck.application_id == application_id)
                                      .order_by(CreditCheck.id)))
        decisions = list(session.scalars(select(LoanApproval).where(LoanApproval.application_id == application_id)
                                         .order_by(LoanApproval.id)))
        events = list(session.scalars(select(LoanEvent).where(LoanEvent.application_id == application_id)
                                      .order_by(LoanEvent.id)))
        signing = session.execute(select(LoanSigning).where(LoanSigning.application_id == application_id)).scalar()
        names = _names(session, [check.checked_by for check in checks] + [d.approver_id for d in decisions]
                       + [event.staff_id for event in events] + ([signing.signed_by] if signing else []))
        return ApplicationFile(
            application=view, product=product, quote=quote(product, view.terms), violations=tuple(violations),
            checklist=checklist_items(session, application_id),
            credit_checks=tuple(CreditCheckView(check.id, check.review_round, check.result, check.report_date,
                                                check.reference, names[check.checked_by],
                                                clock.as_utc(check.recorded_at), check.note) for check in checks),
            approvals=tuple(ApprovalView(d.id, d.review_round, d.approver_id, names[d.approver_id], d.role, d.level,
                                         d.decision, d.reason, clock.as_utc(d.decided_at)) for d in decisions),
            signing=SigningView(signing.contract_number, names[signing.signed_by], clock.as_utc(signing.signed_at),
                                signing.place, clock.as_utc(signing.recorded_at)) if signing else None,
            history=tuple(EventView(event.id, clock.as_utc(event.occurred_at), event.staff_id, names[event.staff_id],
                                    event.action, event.from_state, event.to_state, event.reason,
                                    json.loads(event.detail)) for event in events),
        )

    return db.run(work, readonly=True)


def _rows(session: Session, query) -> list[PipelineRow]:
    now = clock.now()
    products: dict[int, Product] = {}
    rows = []
    for application, customer_name, originator_name in session.execute(query):
        if application.product_id not in products:
            products[application.product_id] = _product(session.get(LoanProduct, application.product_id))
        product = products[application.product_id]
        rows.append(PipelineRow(
            id=application.id, number=application.number, customer_id=application.customer_id,
            customer_name=customer_name, product_code=product.code, product_name=product.name,
            state=application.state, currency=application.currency, amount=application.amount,
            originator_name=originator_name, age_days=(now - clock.as_utc(application.created_at)).days,
            days_in_state=(now - clock.as_utc(application.state_since)).days,
        ))
    return rows


def _pipeline_query():
    return (select(LoanApplication, Customer.name, StaffUser.display_name)
            .join(Customer, Customer.id == LoanApplication.customer_id)
            .join(StaffUser, StaffUser.id == LoanApplication.originator_id))


def pipeline(db: Database, actor: Actor, *, view: str = "officer", include_closed: bool = False) -> list[PipelineRow]:
    """`officer`: the applications the actor originated, by state (workflow order), oldest in its state
    first; closed ones (rejected, settled, written off) only with `include_closed`. `approver`: the
    applications of the actor's branch waiting for review or a decision that the actor did not originate and
    has not yet approved in the current round, oldest first."""
    order = {state: position for position, state in enumerate(STATE_NAMES)}

    def work(session: Session) -> list[PipelineRow]:
        if view == "officer":
            query = _pipeline_query().where(LoanApplication.originator_id == actor.staff_id)
            if not include_closed:
                query = query.where(LoanApplication.state.not_in(CLOSED_STATES))
            rows = _rows(session, query)
            return sorted(rows, key=lambda row: (order[row.state], -row.days_in_state, row.id))
        if view != "approver":
            raise InputError("view", _("a pipeline is the officer's or the approver's"))
        decided = (select(LoanApproval.id).where(
            LoanApproval.application_id == LoanApplication.id, LoanApproval.approver_id == actor.staff_id,
            LoanApproval.review_round == LoanApplication.review_round).exists())
        query = (_pipeline_query().where(LoanApplication.state.in_(WAITING_FOR_APPROVERS),
                                         LoanApplication.branch_id == actor.branch_id,
                                         LoanApplication.originator_id != actor.staff_id, ~decided)
                 .order_by(LoanApplication.state_since, LoanApplication.id))
        return _rows(session, query)

    return db.run(work, readonly=True)


def missing_documents(db: Database, application_id: int) -> MissingDocuments:
    """What the customer still has to bring (not yet received, and not waived), grouped, for a take-home list.
    Either/or alternatives are one line ("Fund contribution record or Tax record")."""

    def work(session: Session) -> MissingDocuments:
        view = _view(session, _load(session, application_id, lock=False))
        groups: dict[str, list[str]] = {}
        for alternatives in _outstanding(checklist_items(session, application_id)):
            if any(item.state == "RECEIVED" for item in alternatives):
                continue  # the bank has it; verifying it is the bank's work, not the customer's
            groups.setdefault(alternatives[0].group, []).append(_(" or ").join(item.label for item in alternatives))
        ordered = tuple((_(GROUP_NAMES[group]), tuple(lines)) for group, lines in
                        sorted(groups.items(), key=lambda pair: list(GROUP_NAMES).index(pair[0])))
        return MissingDocuments(view.number, view.customer_name, view.product_name, ordered)

    return db.run(work, readonly=True)


def format_missing_documents(missing: MissingDocuments) -> str:
    """The take-home list as plain text (for printing)."""
    lines = [_("Documents still needed for loan application {number}").format(number=missing.number),
             _("Customer: {name}    Product: {product}").format(name=missing.customer_name, product=missing.product_name),
             ""]
    if missing.complete:
        lines.append(_("Nothing more is needed."))
    for group, documents in missing.groups:
        lines.append(group)
        lines.extend(f"  [ ] {document}" for document in documents)
    lines += ["", _("Please bring the originals; copies are made at the branch.")]
    return "\n".join(lines)


def customer_loans_in(session: Session, customer_id: int) -> tuple[CustomerLoan, ...]:
    """A customer's loans and applications, newest first (for the customer file, in its session)."""
    rows = session.execute(select(LoanApplication, LoanProduct).join(
        LoanProduct, LoanProduct.id == LoanApplication.product_id).where(
        LoanApplication.customer_id == customer_id).order_by(LoanApplication.id.desc()))
    return tuple(CustomerLoan(application.id, application.number, product.code, _product(product).name,
                              application.state, application.currency, application.amount, 0, None, 0)
                 for application, product in rows)

