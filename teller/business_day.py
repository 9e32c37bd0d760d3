"""The branch's business date: a supervisor opens the day; closing it rolls the date to the next day.

The day closes only when every drawer of the branch is balanced and closed, no drawer account holds cash
outside an open drawer session (cash nobody would count at the close), and no instruction of the branch is
pending (the service says which; the session guard and the database refuse the same, migrations 0003 and
0009). Nothing is
recorded on a closed day: `instructions.submit` refuses it and so does the database.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Account, Branch, DrawerSession, Instruction, StaffUser
from teller import accounts, audit, instructions
from teller.actor import Actor
from teller.db import Database
from teller.drawers import SUPERVISOR_ROLES, live_session
from teller.errors import LedgerError
from teller.i18n import _, format_amount, format_day


@dataclass(frozen=True)
class DayView:
    branch_id: int
    branch_code: str
    branch_name: str
    business_date: date
    day_open: bool


def _view(branch: Branch) -> DayView:
    return DayView(branch.id, branch.code, branch.name, branch.business_date, branch.day_open)


def _locked_branch(session: Session, actor: Actor) -> Branch:
    if actor.staff_id is None or not set(actor.roles) & set(SUPERVISOR_ROLES):
        raise LedgerError(_("{username} may not open or close the business day: a supervisor does").format(
            username=actor.username))
    branch = session.get(Branch, actor.branch_id, with_for_update=True) if actor.branch_id else None
    if branch is None:
        raise LedgerError(_("{username} belongs to no branch").format(username=actor.username))
    return branch


def day_status(db: Database, branch_id: int) -> DayView:
    return db.run(lambda session: _view(session.get(Branch, branch_id)), readonly=True)


def open_day(db: Database, supervisor: Actor) -> DayView:
    """Open the branch's current business date for business."""

    def work(session: Session) -> DayView:
        branch = _locked_branch(session, supervisor)
        if branch.day_open:
            raise LedgerError(_("business day {day} is already open").format(day=format_day(branch.business_date)))
        branch.day_open = True
        session.flush()
        audit.record(session, supervisor, "business_day.opened", object_type="branch", object_id=branch.code,
                     business_date=branch.business_date)
        return _view(branch)

    return db.run(work)


def close_day(db: Database, supervisor: Actor) -> DayView:
    """Close the day and roll the date to the next day; refused while a drawer is open, a closed drawer
    holds cash, or an instruction of the branch is pending (instructions past their expiry are expired first)."""
    instructions.expire_overdue(db, supervisor)

    def work(session: Session) -> DayView:
        branch = _locked_branch(session, supervisor)
        if not branch.day_open:
            raise LedgerError(_("business day {day} is already closed").format(day=format_day(branch.business_date)))
        open_sessions = session.scalars(
            select(DrawerSession.staff_id).where(DrawerSession.branch_id == branch.id, DrawerSession.status == "OPEN")
        ).all()
        still_open = sorted(
            session.get(StaffUser, staff_id).username for staff_id in open_sessions
            if live_session(session, staff_id) is not None
        )
        if still_open:
            raise LedgerError(_("drawers still open: {names}; each teller balances and closes first").format(
                names=", ".join(still_open)))
        stray = session.scalars(
            select(Account).where(Account.branch_id == branch.id, Account.gl_code == accounts.DRAWER_GL,
                                  (Account.balance != 0) | (Account.held != 0))
            .order_by(Account.number)
        ).all()
        if stray:
            raise LedgerError(_("cash outside an open drawer: {drawers}; its teller opens the drawer, counts it "
                                "and closes it, returning the cash to the vault, before the day closes").format(
                drawers=", ".join(f"{account.number} {format_amount(account.balance)}" for account in stray)))
        pending = session.execute(
            select(func.count()).select_from(Instruction)
            .where(Instruction.status == "PENDING", Instruction.branch_id == branch.id)
        ).scalar_one()
        if pending:
            raise LedgerError(_("{count} instruction(s) of the branch are pending: approve, reject or cancel them "
                                "first").format(count=pending))
        closed = branch.business_date
        branch.day_open = False
        branch.business_date = closed + timedelta(days=1)
        session.flush()
        audit.record(session, supervisor, "business_day.closed", object_type="branch", object_id=branch.code,
                     business_date=closed, next_business_date=branch.business_date)
        return _view(branch)

    return db.run(work)
