"""Tellers' cash drawers (尾箱) and the branch vault (金库): opening a drawer with cash counted by
denomination, returning cash to the vault, and handing cash to another teller.

Both sides of every cash hand-over confirm it, through the instruction's second key:
- vault to drawer (opening) and drawer to vault: the teller is the maker, the supervisor who keeps the
  vault gives the second key (password and code) on the same terminal or from the approval queue;
- drawer to drawer: the sending teller is the maker and the *receiving* teller gives the first key with
  their own password and code (`instructions.RECEIVER_CONFIRMS`; policy gives tellers authority for that
  kind only), so cash never moves into a drawer its owner has not counted and accepted. A hand-over not
  confirmed at once waits (`waiting_hand_overs`): the receiver confirms it later from their own terminal or
  refuses it with a reason (`instructions.reject`), or the sender withdraws it (`instructions.cancel`); a
  refusal or withdrawal releases the hold on the sender's cash.

Drawers and the vault are ledger accounts that never go below zero (service, session guard, database).
A drawer holds more cash than its limit (fixtures/drawer_policy.json) only until the teller returns the
excess: the drawer screen flags it and offers the return. Cash coming in (`check_cash_in`: a deposit, cash
handed over by another teller, a loan repaid in cash, a correction paying cash back in) may take the drawer
over its limit once, with a warning in the preview; while the drawer is over, further cash-in is refused.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import fixtures
from models import Account, Branch, CashCount, DrawerSession, Instruction, StaffUser
from models.cash import DENOMINATIONS, pieces_column
from teller import accounts, audit, clock, instructions
from teller.actor import Actor
from teller.db import Database
from teller.errors import InputError, LedgerError
from teller.i18n import _
from teller.instructions import InstructionRequest, InstructionView
from teller.ledger import Leg
from teller.money import format_minor, normalise_typed

CURRENCY = "CNY"
MAX_PIECES = 1_000_000
DRAWER_ROLES = ("teller",)
SUPERVISOR_ROLES = ("supervisor", "branch_manager")
FAILED_STATUSES = ("REJECTED", "CANCELLED", "EXPIRED")

Pieces = dict[int, int]  # denomination in fen -> pieces counted


@dataclass(frozen=True)
class CountView:
    purpose: str
    total: int
    expected: int | None
    pieces: tuple[tuple[int, int], ...]
    counted_at: datetime


@dataclass(frozen=True)
class HandOver:
    """Cash handed from one teller's drawer to another's, waiting for the receiving teller's key.
    `incoming`: cash handed to the teller asking (theirs to confirm or refuse); otherwise cash they handed
    over (theirs to withdraw while it waits)."""

    instruction_id: int
    sender: str
    receiver: str
    amount: int
    currency: str
    created_at: datetime
    incoming: bool


@dataclass(frozen=True)
class DrawerView:
    """One teller's drawer today. `state`: "none" (not opened this business day), "opening" (the cash
    from the vault waits for the second key), "open", "closed"."""

    username: str
    display_name: str
    account_number: str
    business_date: date
    state: str
    session_id: int | None
    opening_instruction_id: int | None
    balance: int
    held: int
    limit: int
    last_count: CountView | None

    @property
    def excess(self) -> int:
        return max(self.balance - self.limit, 0)


@dataclass(frozen=True)
class LimitWarning:
    """Cash-in that takes the drawer over its limit: `excess` is what must go back to the vault."""

    drawer: str
    currency: str
    limit: int
    excess: int


def drawer_limit(currency: str = CURRENCY) -> int:
    return fixtures.load("drawer_policy.json")["drawer_limit"][currency]


def check_cash_in(drawer: Account, amount: int) -> LimitWarning | None:
    """Refuse cash into a drawer already over its limit (the excess goes back to the vault first); else
    the warning when this cash takes it over."""
    limit = drawer_limit(drawer.currency)
    if drawer.balance > limit:
        raise LedgerError(_("cash drawer {number} holds {cash}, over its limit of {limit}: return the excess of "
                            "{excess} to the vault (F11, cash drawer) before taking more cash in").format(
            number=drawer.number, cash=format_minor(drawer.balance, drawer.currency),
            limit=format_minor(limit, drawer.currency),
            excess=format_minor(drawer.balance - limit, drawer.currency)))
    excess = drawer.balance + amount - limit
    return LimitWarning(drawer.number, drawer.currency, limit, excess) if excess > 0 else None


def count_total(pieces: Pieces) -> int:
    return sum(denomination * pieces.get(denomination, 0) for denomination in DENOMINATIONS)


def denomination_text(denomination: int) -> str:
    """CNY 100, 0.5, 0.1: the face value as printed on the note or coin."""
    whole, fen = divmod(denomination, 100)
    return str(whole) if not fen else format_minor(denomination, CURRENCY).rstrip("0")


def parse_pieces(typed: dict[int, str]) -> Pieces:
    """What the teller typed per denomination as whole numbers of pieces (blank is none)."""
    pieces: Pieces = {}
    for denomination in DENOMINATIONS:
        text = normalise_typed(typed.get(denomination, "")).replace(",", "")
        if not text:
            pieces[denomination] = 0
            continue
        if not text.isdigit() or not text.isascii():
            raise InputError("count", _("CNY {value}: type a whole number of notes or coins, e.g. 25").format(
                value=denomination_text(denomination)))
        pieces[denomination] = int(text)
    return check_pieces(pieces)


def check_pieces(pieces: Pieces) -> Pieces:
    """Every denomination known, every count a whole number from 0 to a million."""
    unknown = set(pieces) - set(DENOMINATIONS)
    if unknown:
        raise InputError("count", _("{value} fen is not a CNY note or coin").format(value=min(unknown)))
    for denomination, count in pieces.items():
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_PIECES:
            raise InputError("count", _("CNY {value}: count from 0 to {most} pieces").format(
                value=denomination_text(denomination), most=MAX_PIECES))
    return {denomination: pieces.get(denomination, 0) for denomination in DENOMINATIONS}


def count_row(pieces: Pieces) -> dict[str, int]:
    """The pieces as the count table's columns, with their total (the database checks it adds up)."""
    return {pieces_column(denomination): count for denomination, count in pieces.items()} | {
        "total": count_total(pieces)}


def count_view(count: CashCount) -> CountView:
    return CountView(
        count.purpose, count.total, count.expected,
        tuple((denomination, getattr(count, pieces_column(denomination))) for denomination in DENOMINATIONS),
        clock.as_utc(count.counted_at),
    )


def require_role(actor: Actor, roles: tuple[str, ...], what: str) -> None:
    if actor.staff_id is None or not set(actor.roles) & set(roles):
        raise LedgerError(_("{username} may not {what}").format(username=actor.username, what=what))


def _branch(session: Session, actor: Actor) -> Branch:
    branch = session.get(Branch, actor.branch_id) if actor.branch_id is not None else None
    if branch is None:
        raise LedgerError(_("{username} belongs to no branch").format(username=actor.username))
    return branch


def _drawer_account(session: Session, branch: Branch, username: str) -> Account:
    account = session.execute(
        select(Account).where(Account.number == accounts.drawer_number(branch.code, username))
    ).scalar_one_or_none()
    if account is None:
        raise LedgerError(_("{username} has no cash drawer at branch {code}").format(
            username=username, code=branch.code))
    return account


def live_session(session: Session, staff_id: int) -> tuple[DrawerSession, Instruction] | None:
    """The teller's OPEN session with its opening instruction; a session whose opening failed is made
    VOID on the way (so the teller can open again)."""
    row = session.execute(
        select(DrawerSession, Instruction)
        .join(Instruction, Instruction.id == DrawerSession.opening_instruction_id)
        .where(DrawerSession.staff_id == staff_id, DrawerSession.status == "OPEN")
        .with_for_update(of=DrawerSession)
    ).first()
    if row is None:
        return None
    drawer_session, opening = row
    if opening.status in FAILED_STATUSES:
        drawer_session.status = "VOID"
        session.flush()
        return None
    return drawer_session, opening


def open_session(session: Session, actor: Actor) -> DrawerSession:
    """The actor's drawer session whose cash has arrived (opening approved), or a clear refusal."""
    live = live_session(session, actor.staff_id)
    if live is None:
        raise LedgerError(_("{username}'s drawer is not open: open it with cash from the vault first").format(
            username=actor.username))
    drawer_session, opening = live
    if opening.status != "APPROVED":
        raise LedgerError(_("{username}'s drawer waits for the second key on its opening cash (instruction {id})")
                          .format(username=actor.username, id=opening.id))
    return drawer_session


def last_count(session: Session, session_id: int) -> CashCount | None:
    return session.execute(
        select(CashCount).where(CashCount.session_id == session_id).order_by(CashCount.id.desc()).limit(1)
    ).scalar_one_or_none()


def _drawer_view(session: Session, branch: Branch, user: StaffUser) -> DrawerView:
    account = _drawer_account(session, branch, user.username)
    latest = session.execute(
        select(DrawerSession, Instruction)
        .join(Instruction, Instruction.id == DrawerSession.opening_instruction_id)
        .where(DrawerSession.staff_id == user.id, DrawerSession.business_date == branch.business_date,
               DrawerSession.status != "VOID")
        .order_by(DrawerSession.id.desc())
        .limit(1)
    ).first()
    state, session_id, opening_id, counted = "none", None, None, None
    if latest is not None:
        drawer_session, opening = latest
        session_id, opening_id = drawer_session.id, opening.id
        if drawer_session.status == "CLOSED":
            state = "closed"
        elif opening.status == "APPROVED":
            state = "open"
        elif opening.status == "PENDING":
            state = "opening"
        else:
            state, session_id, opening_id = "none", None, None
        if session_id is not None and (count := last_count(session, session_id)) is not None:
            counted = count_view(count)
    return DrawerView(
        username=user.username, display_name=user.display_name, account_number=account.number,
        business_date=branch.business_date, state=state, session_id=session_id, opening_instruction_id=opening_id,
        balance=account.balance, held=account.held, limit=drawer_limit(account.currency), last_count=counted,
    )


def my_drawer(db: Database, actor: Actor) -> DrawerView:
    """The signed-in teller's drawer today."""
    require_role(actor, DRAWER_ROLES, _("keep a cash drawer"))

    def work(session: Session) -> DrawerView:
        return _drawer_view(session, _branch(session, actor), session.get(StaffUser, actor.staff_id))

    return db.run(work, readonly=True)


def branch_drawers(db: Database, actor: Actor) -> list[DrawerView]:
    """Every teller's drawer at the actor's branch (what a supervisor watches)."""

    def work(session: Session) -> list[DrawerView]:
        branch = _branch(session, actor)
        drawers = session.scalars(
            select(Account).where(Account.branch_id == branch.id, Account.gl_code == accounts.DRAWER_GL)
        ).all()
        numbers = {account.number for account in drawers}
        users = session.scalars(
            select(StaffUser).where(StaffUser.branch_id == branch.id, StaffUser.active).order_by(StaffUser.username)
        ).all()
        return [_drawer_view(session, branch, user) for user in users
                if accounts.drawer_number(branch.code, user.username) in numbers]

    return db.run(work, readonly=True)


def open_drawer(db: Database, teller: Actor, pieces: Pieces, idempotency_key: str) -> InstructionView:
    """Ask for the counted cash from the vault: a vault-to-drawer instruction for the count's total, the
    drawer session and the count, in one transaction. The supervisor's second key moves the cash."""
    require_role(teller, DRAWER_ROLES, _("keep a cash drawer"))
    pieces = check_pieces(pieces)
    total = count_total(pieces)
    if total <= 0:
        raise InputError("count", _("count the cash taken from the vault: the total must be more than zero"))

    def work(session: Session) -> InstructionView:
        branch = _branch(session, teller)
        drawer = _drawer_account(session, branch, teller.username)
        vault = accounts.branch_account_number(branch.code, accounts.VAULT_GL)
        view = instructions.submit_in(session, teller, InstructionRequest(
            kind="vault_to_drawer", legs=(Leg(drawer.number, debit=total), Leg(vault, credit=total)),
            narrative=_("Drawer opening: cash from the vault"), idempotency_key=idempotency_key,
        ))
        opened = select(DrawerSession.id).where(DrawerSession.opening_instruction_id == view.id)
        if session.execute(opened).scalar() is not None:
            return view  # a retry of the same opening
        if live_session(session, teller.staff_id) is not None:
            raise LedgerError(_("{username}'s drawer is already open today").format(username=teller.username))
        drawer_session = DrawerSession(
            branch_id=branch.id, staff_id=teller.staff_id, account_id=drawer.id, business_date=branch.business_date,
            status="OPEN", opening_instruction_id=view.id, opened_at=clock.now(),
        )
        session.add(drawer_session)
        session.flush()
        session.add(CashCount(session_id=drawer_session.id, purpose="opening", staff_id=teller.staff_id,
                              counted_at=clock.now(), instruction_id=view.id, **count_row(pieces)))
        audit.record(session, teller, "drawer.opening", object_type="drawer_session", object_id=drawer_session.id,
                     business_date=branch.business_date, instruction=view.id, total=total,
                     pieces={str(denomination): count for denomination, count in pieces.items()})
        return view

    return db.run(work)


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InputError("amount", _("the amount must be more than zero"))


def return_to_vault(db: Database, teller: Actor, amount: int, idempotency_key: str) -> InstructionView:
    """Cash from the teller's open drawer back to the vault (the excess over the limit, or any amount);
    the vault's keeper confirms it with the second key."""
    require_role(teller, DRAWER_ROLES, _("keep a cash drawer"))
    _check_amount(amount)

    def work(session: Session) -> InstructionView:
        branch = _branch(session, teller)
        open_session(session, teller)
        drawer = _drawer_account(session, branch, teller.username)
        vault = accounts.branch_account_number(branch.code, accounts.VAULT_GL)
        return instructions.submit_in(session, teller, InstructionRequest(
            kind="drawer_to_vault", legs=(Leg(vault, debit=amount), Leg(drawer.number, credit=amount)),
            narrative=_("Cash returned to the vault"), idempotency_key=idempotency_key,
        ))

    return db.run(work)


def transfer_to_teller(
    db: Database, teller: Actor, receiver_username: str, amount: int, idempotency_key: str
) -> InstructionView:
    """Cash from this teller's drawer into another teller's open drawer; the receiving teller confirms
    with their own password and code (the first key of a drawer_to_drawer instruction)."""
    require_role(teller, DRAWER_ROLES, _("keep a cash drawer"))
    _check_amount(amount)
    receiver_name = receiver_username.strip().lower()
    if not receiver_name:
        raise InputError("username", _("give the receiving teller's user name"))
    if receiver_name == teller.username:
        raise InputError("username", _("cash moves to another teller's drawer, not your own"))

    def work(session: Session) -> InstructionView:
        branch = _branch(session, teller)
        open_session(session, teller)
        receiver = session.execute(
            select(StaffUser).where(StaffUser.username == receiver_name, StaffUser.branch_id == branch.id)
        ).scalar_one_or_none()
        if receiver is None:
            raise InputError("username", _("no teller {username} at branch {code}").format(
                username=receiver_name, code=branch.code))
        live = live_session(session, receiver.id)
        if live is None or live[1].status != "APPROVED":
            raise LedgerError(_("{username}'s drawer is not open: cash can only go into an open drawer").format(
                username=receiver.username))
        sender = _drawer_account(session, branch, teller.username)
        receiving = _drawer_account(session, branch, receiver.username)
        check_cash_in(receiving, amount)
        return instructions.submit_in(session, teller, InstructionRequest(
            kind="drawer_to_drawer", legs=(Leg(receiving.number, debit=amount), Leg(sender.number, credit=amount)),
            narrative=_("Cash handed to {username}").format(username=receiver.username),
            idempotency_key=idempotency_key,
        ))

    return db.run(work)


def waiting_hand_overs(db: Database, teller: Actor) -> list[HandOver]:
    """The teller's hand-overs still pending, oldest first: cash handed to them, which they confirm (their
    own password and code) or refuse from their own terminal, and cash they handed over, which they may
    withdraw (it blocks their end-of-day count while it waits)."""
    require_role(teller, DRAWER_ROLES, _("keep a cash drawer"))

    def work(session: Session) -> list[HandOver]:
        branch = _branch(session, teller)
        usernames = {accounts.drawer_number(branch.code, username): username for username in session.scalars(
            select(StaffUser.username).where(StaffUser.branch_id == branch.id))}
        rows = session.execute(
            select(Instruction, StaffUser.username).join(StaffUser, StaffUser.id == Instruction.maker_id)
            .where(Instruction.branch_id == branch.id, Instruction.kind == "drawer_to_drawer",
                   Instruction.status == "PENDING")
            .order_by(Instruction.created_at, Instruction.id)
        ).all()
        waiting = []
        for instruction, sender in rows:
            legs = tuple(Leg(*leg) for leg in json.loads(instruction.payload)["legs"])
            receiver = usernames.get(instructions.receiving_account(legs), "")
            if teller.username in (sender, receiver):
                waiting.append(HandOver(instruction.id, sender, receiver, instruction.amount, instruction.currency,
                                        clock.as_utc(instruction.created_at), receiver == teller.username))
        return waiting

    return db.run(work, readonly=True)
