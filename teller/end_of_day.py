"""Blind end-of-day balancing (日终轧账) of a teller's drawer, and the end-of-day proofs.

1. `count_drawer`: the teller enters the cash counted by denomination. The count is recorded first,
   with the drawer balance of that moment; only then does the service answer with the expected balance
   and the difference. Every count stays on record: after a recount the proof lists the first, blind
   count and each recount with its own difference.
2. `close_drawer`: with a supervisor's second key, in one transaction: an over (长款) or short (短款) is
   posted against the branch's over/short account, all the counted cash goes back to the vault, and the
   drawer session closes (the database refuses to close a drawer that still holds cash). The audit row
   of the close is the chain head at close, printed on the proof.
3. `teller_proof` and `branch_proof`: printable documents (teller.documents).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    Account, AuditEvent, AuditHead, Branch, CashCount, DrawerSession, Instruction, JournalEntry,
    PendingInstructionAccount, Posting, StaffUser,
)
from teller import accounts, audit, clock, instructions
from teller.actor import Actor
from teller.db import Database
from teller.documents import Document, branch_time
from teller.drawers import (
    DRAWER_ROLES, Pieces, require_role, check_pieces, count_row, count_view, denomination_text, last_count,
    open_session,
)
from teller.errors import ApprovalError, LedgerError
from teller.i18n import _, format_amount, format_day
from teller.instructions import InstructionRequest
from teller.ledger import Leg

OVER_SHORT_GL = "6711"


@dataclass(frozen=True)
class Balancing:
    """What the teller sees after entering the count: counted, expected, and the difference
    (positive: over 长款; negative: short 短款)."""

    session_id: int
    count_id: int
    counted: int
    expected: int

    @property
    def difference(self) -> int:
        return self.counted - self.expected


@dataclass(frozen=True)
class ClosedDrawer:
    session_id: int
    over_short_instruction_id: int | None
    return_instruction_id: int | None


def difference_text(difference: int) -> str:
    if difference > 0:
        return _("over (长款) {amount}").format(amount=format_amount(difference))
    if difference < 0:
        return _("short (短款) {amount}").format(amount=format_amount(-difference))
    return _("none: the drawer balances")


def count_drawer(db: Database, teller: Actor, pieces: Pieces) -> Balancing:
    """Record the blind count of the teller's open drawer; then answer with the expected balance."""
    require_role(teller, DRAWER_ROLES, _("keep a cash drawer"))
    pieces = check_pieces(pieces)

    def work(session: Session) -> Balancing:
        drawer_session = open_session(session, teller)
        waiting = session.execute(
            select(Instruction.id)
            .join(PendingInstructionAccount, PendingInstructionAccount.instruction_id == Instruction.id)
            .where(PendingInstructionAccount.account_id == drawer_session.account_id,
                   Instruction.status == "PENDING")
            .order_by(Instruction.id).limit(1)
        ).scalar()
        if waiting is not None:
            raise LedgerError(_("instruction {id} on your drawer waits for a second key: finish it before "
                                "balancing").format(id=waiting))
        drawer = session.get(Account, drawer_session.account_id)
        count = CashCount(session_id=drawer_session.id, purpose="closing", staff_id=teller.staff_id,
                          counted_at=clock.now(), expected=drawer.balance, **count_row(pieces))
        session.add(count)
        session.flush()
        audit.record(session, teller, "drawer.counted", object_type="drawer_session", object_id=drawer_session.id,
                     business_date=drawer_session.business_date, counted=count.total, expected=drawer.balance,
                     pieces={str(denomination): number for denomination, number in pieces.items()})
        return Balancing(drawer_session.id, count.id, count.total, drawer.balance)

    return db.run(work)


def _approved(session: Session, view: instructions.InstructionView, checker: Actor) -> int:
    approved = instructions.approve_in(session, view.id, checker)
    if approved is None or approved.status != "APPROVED":
        raise ApprovalError(_("{kind} of {amount} needs a more senior key than {username}'s: ask the branch "
                              "manager").format(kind=instructions.kind_name(view.kind),
                                                amount=format_amount(view.amount), username=checker.username))
    return view.id


def close_drawer(db: Database, teller: Actor, checker: Actor) -> ClosedDrawer:
    """Post the over/short, return the counted cash to the vault and close the drawer: one transaction,
    under the supervisor's second key (`checker`, already authenticated)."""
    require_role(teller, DRAWER_ROLES, _("keep a cash drawer"))

    def work(session: Session) -> ClosedDrawer:
        drawer_session = open_session(session, teller)
        count = last_count(session, drawer_session.id)
        if count is None or count.purpose != "closing":
            raise LedgerError(_("count the drawer's cash first (blind count)"))
        drawer = session.get(Account, drawer_session.account_id)
        if drawer.balance != count.expected or drawer.held:
            raise LedgerError(_("the drawer has moved since the count: count it again"))
        branch = session.get(Branch, drawer_session.branch_id)
        over_short = accounts.branch_account_number(branch.code, OVER_SHORT_GL)
        difference = count.total - count.expected
        over_short_id = return_id = None
        key = f"eod-{drawer_session.id}-{count.id}"
        if difference:
            legs = ((Leg(drawer.number, debit=difference), Leg(over_short, credit=difference)) if difference > 0
                    else (Leg(over_short, debit=-difference), Leg(drawer.number, credit=-difference)))
            view = instructions.submit_in(session, teller, InstructionRequest(
                kind="over_short", legs=legs, idempotency_key=f"{key}-over-short",
                narrative=_("End of day: {difference}").format(difference=difference_text(difference)),
            ))
            over_short_id = _approved(session, view, checker)
        if count.total:
            vault = accounts.branch_account_number(branch.code, accounts.VAULT_GL)
            view = instructions.submit_in(session, teller, InstructionRequest(
                kind="drawer_to_vault", legs=(Leg(vault, debit=count.total), Leg(drawer.number, credit=count.total)),
                narrative=_("End of day: the drawer's cash back to the vault"), idempotency_key=f"{key}-to-vault",
            ))
            return_id = _approved(session, view, checker)
        drawer_session.status = "CLOSED"
        drawer_session.closed_at = clock.now()
        drawer_session.closed_by = checker.staff_id
        drawer_session.over_short_instruction_id = over_short_id
        drawer_session.return_instruction_id = return_id
        session.flush()
        audit.record(session, checker, "drawer.closed", object_type="drawer_session", object_id=drawer_session.id,
                     business_date=drawer_session.business_date, teller=teller.username, counted=count.total,
                     expected=count.expected, difference=difference)
        return ClosedDrawer(drawer_session.id, over_short_id, return_id)

    return db.run(work)


# --- Proofs -----------------------------------------------------------------------------------------------

def _audit_row(session: Session, action: str, object_type: str, object_id: str, business_date: date) -> AuditEvent | None:
    """The last audit row of this action on the object for the day: its hash seals everything before it."""
    return session.execute(
        select(AuditEvent).where(AuditEvent.action == action, AuditEvent.object_type == object_type,
                                 AuditEvent.object_id == object_id, AuditEvent.business_date == business_date)
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).scalar_one_or_none()


def _chain_line(label: str, seq: int, row_hash: str) -> str:
    return _("{label}: row {seq}, hash {hash}").format(label=label, seq=seq, hash=row_hash)


def _username(session: Session, staff_id: int | None) -> str:
    return session.get(StaffUser, staff_id).username if staff_id is not None else ""


def _instruction_amount(session: Session, instruction_id: int | None) -> int:
    return session.get(Instruction, instruction_id).amount if instruction_id is not None else 0


def _cash_moved(session: Session, drawer_session: DrawerSession) -> tuple[int, int]:
    """Cash into and out of the drawer during the session, the opening and the closing excluded."""
    excluded = [drawer_session.opening_instruction_id, drawer_session.over_short_instruction_id,
                drawer_session.return_instruction_id]
    row = session.execute(
        select(func.coalesce(func.sum(Posting.debit), 0), func.coalesce(func.sum(Posting.credit), 0))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.account_id == drawer_session.account_id,
               JournalEntry.business_date == drawer_session.business_date,
               JournalEntry.instruction_id.not_in([id_ for id_ in excluded if id_ is not None]),
               JournalEntry.posted_at >= drawer_session.opened_at,
               JournalEntry.posted_at <= (drawer_session.closed_at or clock.now()))
    ).one()
    return int(row[0]), int(row[1])


def _count_lines(closing: list[CashCount]) -> list[tuple[str, str]]:
    """Every end-of-day count in order, each with what it found: the first, blind count stays on the proof
    beside the recounts made after seeing the expected balance (the difference posted is the last one's)."""
    lines = []
    for number, count in enumerate(closing, start=1):
        label = _("First count (blind)") if number == 1 else _("Recount {number}").format(number=number)
        lines.append((label, _("counted {counted} · expected {expected} · {difference}").format(
            counted=format_amount(count.total), expected=format_amount(count.expected),
            difference=difference_text(count.total - count.expected))))
    return lines


def teller_proof(db: Database, session_id: int) -> Document:
    """The end-of-day proof of one teller's drawer session: opening, movements, the blind count by
    denomination, the difference, the return to the vault and the audit chain head at close."""

    def work(session: Session) -> Document:
        drawer_session = session.get(DrawerSession, session_id)
        if drawer_session is None:
            raise LedgerError(_("drawer session {id} does not exist").format(id=session_id))
        branch = session.get(Branch, drawer_session.branch_id)
        drawer = session.get(Account, drawer_session.account_id)
        counts = session.scalars(select(CashCount).where(CashCount.session_id == session_id)
                                 .order_by(CashCount.id)).all()
        closing = [count for count in counts if count.purpose == "closing"]
        cash_in, cash_out = _cash_moved(session, drawer_session)
        fields = [
            (_("Branch"), f"{branch.code} {branch.name}"),
            (_("Business date"), format_day(drawer_session.business_date)),
            (_("Teller"), _username(session, drawer_session.staff_id)),
            (_("Drawer"), drawer.number),
            (_("Opened"), branch_time(drawer_session.opened_at)),
            (_("Opening cash"), format_amount(_instruction_amount(session, drawer_session.opening_instruction_id))),
            (_("Cash in"), format_amount(cash_in)),
            (_("Cash out"), format_amount(cash_out)),
        ]
        rows: tuple[tuple[str, ...], ...] = ()
        footer: list[str] = []
        if closing:
            final = closing[-1]
            difference = final.total - final.expected
            fields += [
                (_("Expected"), format_amount(final.expected)),
                (_("Counted"), format_amount(final.total)),
                (_("Difference"), difference_text(difference)),
                (_("Counts made"), str(len(closing))),
            ]
            if len(closing) > 1:
                fields += _count_lines(closing)
            view = count_view(final)
            rows = tuple((denomination_text(denomination), str(pieces), format_amount(denomination * pieces))
                         for denomination, pieces in view.pieces if pieces)
        if drawer_session.status == "CLOSED":
            fields += [
                (_("Returned to vault"), format_amount(_instruction_amount(session, drawer_session.return_instruction_id))),
                (_("Drawer closed at"), branch_time(drawer_session.closed_at)),
                (_("Checker"), _username(session, drawer_session.closed_by)),
            ]
            row = _audit_row(session, "drawer.closed", "drawer_session", str(session_id),
                             drawer_session.business_date)
            if row is not None:
                footer.append(_chain_line(_("Audit chain head at close"), row.seq, row.row_hash))
        else:
            footer.append(_("The drawer is not closed yet."))
        return Document(
            title=_("End-of-day proof: teller {username}").format(username=_username(session, drawer_session.staff_id)),
            fields=tuple(fields), columns=(_("Denomination"), _("Pieces"), _("Amount")) if rows else (),
            rows=rows, right_aligned=frozenset({0, 1, 2}), footer=tuple(footer),
        )

    return db.run(work, readonly=True)


def branch_proof(db: Database, branch_id: int, business_date: date) -> Document:
    """The branch's end-of-day proof for a business date: every drawer session with its opening,
    expected and counted cash and difference, the vault balance, and the audit chain head at the day's
    close (or now, while the day is still open)."""

    def work(session: Session) -> Document:
        branch = session.get(Branch, branch_id)
        sessions = session.scalars(
            select(DrawerSession).where(DrawerSession.branch_id == branch_id,
                                        DrawerSession.business_date == business_date,
                                        DrawerSession.status != "VOID")
            .order_by(DrawerSession.id)
        ).all()
        rows, over, short = [], 0, 0
        for drawer_session in sessions:
            closing = last_count(session, drawer_session.id)
            counted = closing if closing is not None and closing.purpose == "closing" else None
            difference = counted.total - counted.expected if counted else 0
            over += max(difference, 0)
            short += max(-difference, 0)
            state = _("closed") if drawer_session.status == "CLOSED" else _("open")
            rows.append((
                _username(session, drawer_session.staff_id),
                format_amount(_instruction_amount(session, drawer_session.opening_instruction_id)),
                format_amount(counted.expected) if counted else "",
                format_amount(counted.total) if counted else "",
                format_amount(difference) if counted else "",
                state,
            ))
        vault = session.execute(select(Account).where(
            Account.number == accounts.branch_account_number(branch.code, accounts.VAULT_GL))).scalar_one()
        day_closed = not (branch.day_open and branch.business_date == business_date)
        fields = (
            (_("Branch"), f"{branch.code} {branch.name}"),
            (_("Business date"), format_day(business_date)),
            (_("Day"), _("closed") if day_closed else _("open")),
            (_("Vault cash now"), format_amount(vault.balance)),
            (_("Drawers"), str(len(sessions))),
            (_("Total over (长款)"), format_amount(over)),
            (_("Total short (短款)"), format_amount(short)),
        )
        closed_row = (_audit_row(session, "business_day.closed", "branch", branch.code, business_date)
                      if day_closed else None)
        if closed_row is not None:
            footer = _chain_line(_("Audit chain head at the day's close"), closed_row.seq, closed_row.row_hash)
        else:
            head = session.get(AuditHead, 1)
            footer = _chain_line(_("Audit chain head now (the day is not closed)"), head.seq, head.row_hash)
        return Document(
            title=_("End-of-day proof: branch {code}").format(code=branch.code), fields=fields,
            columns=(_("Teller"), _("Opening"), _("Expected"), _("Counted"), _("Difference"), _("State")),
            rows=tuple(rows), right_aligned=frozenset({1, 2, 3, 4}), footer=(footer,),
        )

    return db.run(work, readonly=True)
