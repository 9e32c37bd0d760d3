"""The session guard: catches programming mistakes against the ledger invariants before they reach SQL.

Journal entries, postings and audit rows are written only through `teller.ledger` and `teller.audit`
(Core inserts), never as ORM objects, and never changed or deleted. Balances and holds on accounts move
only with postings and holds. Instructions change only while pending, and are never approved by
their maker. Cash counts are never changed; counts, drawer sessions and receipts are never deleted, and
a drawer session no longer open never changes. A branch's day never closes while a drawer account of the
branch holds cash (cash outside an open drawer session, which no one would count). A loan application's originator never decides on it, and its
terms and tranches change only while it is DRAFT or RETURNED.
"""

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from models import (
    Account, AuditEvent, Branch, CashCount, DrawerSession, Hold, Instruction, JournalEntry, LoanApplication, LoanApproval,
    LoanTranche, Posting, Receipt,
)
from models.loan import EDITABLE_STATES
from teller.errors import LedgerGuardError

WRITE_ONCE = (JournalEntry, Posting, AuditEvent)
DERIVED_ACCOUNT_COLUMNS = ("balance", "held")
DRAWER_GL = "1002"  # teller.accounts.DRAWER_GL (the guard imports no services)
COUNTER_RECORDS = (CashCount, DrawerSession, Receipt)  # evidence of cash and receipts: never deleted
LOAN_TERM_COLUMNS = ("amount", "term_months", "first_due_date", "product_id", "customer_id", "currency", "purpose",
                     "facts")


def _previous(obj: object, attribute: str) -> object:
    history = inspect(obj).attrs[attribute].history
    return history.deleted[0] if history.deleted else getattr(obj, attribute)


def _check(session: Session, _flush_context, _instances) -> None:
    for obj in session.new:
        if isinstance(obj, WRITE_ONCE):
            raise LedgerGuardError(f"{type(obj).__name__} rows are written only by the ledger, not the ORM")
        if isinstance(obj, Account) and (obj.balance or obj.held):
            raise LedgerGuardError("a new account starts at zero: balances move only with postings")
    for obj in session.deleted:
        if isinstance(obj, (*WRITE_ONCE, Instruction, Hold, Account, *COUNTER_RECORDS)):
            raise LedgerGuardError(f"{type(obj).__name__} rows are never deleted")
    for obj in session.dirty:
        if not session.is_modified(obj):
            continue
        if isinstance(obj, WRITE_ONCE):
            raise LedgerGuardError(f"{type(obj).__name__} rows are never changed: correct by reversal")
        if isinstance(obj, CashCount):
            raise LedgerGuardError("a cash count is evidence: it is never changed; count again instead")
        if isinstance(obj, DrawerSession) and _previous(obj, "status") != "OPEN":
            raise LedgerGuardError(f"drawer session {obj.id} is {_previous(obj, 'status')} and cannot change")
        if isinstance(obj, Account):
            for column in DERIVED_ACCOUNT_COLUMNS:
                if inspect(obj).attrs[column].history.has_changes():
                    raise LedgerGuardError(f"account {column} moves only with postings and holds")
        if isinstance(obj, Instruction):
            if _previous(obj, "status") != "PENDING":
                raise LedgerGuardError(f"instruction {obj.id} is {_previous(obj, 'status')} and cannot change")
            if obj.maker_id in (obj.checker_id, obj.second_checker_id):
                raise LedgerGuardError(f"instruction {obj.id}: the maker cannot be its checker")
        if isinstance(obj, Hold) and _previous(obj, "status") != "ACTIVE":
            raise LedgerGuardError(f"hold {obj.id} is already {_previous(obj, 'status')}")
        if isinstance(obj, Branch) and _previous(obj, "day_open") and not obj.day_open:
            _check_no_stray_cash(session, obj.id)
    _check_loans(session)


def _check_no_stray_cash(session: Session, branch_id: int) -> None:
    with session.no_autoflush:
        in_open_session = select(DrawerSession.id).where(DrawerSession.account_id == Account.id,
                                                         DrawerSession.status == "OPEN")
        stray = session.execute(select(func.count()).select_from(Account).where(
            Account.branch_id == branch_id, Account.gl_code == DRAWER_GL,
            (Account.balance != 0) | (Account.held != 0), ~in_open_session.exists())).scalar_one()
    if stray:
        raise LedgerGuardError(f"branch {branch_id}: the day closes with cash in {stray} drawer(s) no open session counts")


def _application(session: Session, application_id: int) -> LoanApplication | None:
    with session.no_autoflush:
        return session.get(LoanApplication, application_id)


def _check_loans(session: Session) -> None:
    for obj in session.new:
        if isinstance(obj, LoanApproval):
            application = _application(session, obj.application_id)
            if application is not None and application.originator_id == obj.approver_id:
                raise LedgerGuardError(f"loan application {application.id}: its originator cannot decide on it")
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, LoanTranche) and (obj in session.new or session.is_modified(obj) or obj in session.deleted):
            application = _application(session, obj.application_id)
            if application is not None and _previous(application, "state") not in EDITABLE_STATES:
                raise LedgerGuardError(f"loan application {application.id}: its tranches are frozen")
    for obj in session.dirty:
        if isinstance(obj, LoanApplication) and _previous(obj, "state") not in EDITABLE_STATES and any(
                inspect(obj).attrs[column].history.has_changes() for column in LOAN_TERM_COLUMNS):
            raise LedgerGuardError(f"loan application {obj.id}: its terms are frozen")


def install(factory: sessionmaker) -> None:
    event.listen(factory, "before_flush", _check)
