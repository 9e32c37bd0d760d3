"""Seeding a small bank and posting through the real instruction and approval path."""

import json
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from models import StaffUser
from teller import accounts, business_day, instructions, staff
from teller.actor import Actor, system_actor
from teller.db import Database
from teller.errors import ApprovalError
from teller.instructions import InstructionRequest, InstructionView
from teller.ledger import Leg

PASSWORD = "Counter#2026"
BUSINESS_DATE = date(2026, 11, 24)


@dataclass(frozen=True)
class Bank:
    branch_id: int
    branch_code: str
    teller: Actor
    supervisor: Actor
    supervisor2: Actor
    manager: Actor
    admin: Actor
    auditor: Actor
    vault: str
    drawer: str
    alice: str
    bob: str
    suspense: str


def seed_bank(db: Database, code: str = "0101") -> Bank:
    operator = system_actor("tests")
    branch_id = accounts.create_branch(db, operator, code, "Test branch", BUSINESS_DATE)
    people = {
        "teller1": ("teller",),
        "super1": ("supervisor",),
        "super2": ("supervisor",),
        "manager1": ("branch_manager",),
        "admin1": ("admin",),
        "audit1": ("auditor",),
    }

    def make(session):
        made = {}
        for username, roles in people.items():
            user = staff.create_staff(
                session, operator, username=f"{username}{code}" if code != "0101" else username,
                display_name=username.title(), branch_code=code, roles=roles, password=PASSWORD,
            )
            made[username] = staff.actor_for(user, "test-terminal")
        return made

    actors = db.run(make)
    alice = accounts.open_deposit_account(db, operator, branch_id, "Alice 王芳").number
    bob = accounts.open_deposit_account(db, operator, branch_id, "Bob 李强").number
    bank = Bank(
        branch_id=branch_id, branch_code=code, teller=actors["teller1"], supervisor=actors["super1"],
        supervisor2=actors["super2"], manager=actors["manager1"], admin=actors["admin1"],
        auditor=actors["audit1"], vault=accounts.branch_account_number(code, "1001"),
        drawer=accounts.drawer_number(code, actors["teller1"].username), alice=alice, bob=bob,
        suspense=accounts.branch_account_number(code, "2241"),
    )
    return bank



def new_key() -> str:
    return f"test-{uuid.uuid4().hex}"


def submit(db: Database, bank: Bank, legs, kind: str = "transfer", narrative: str = "test movement",
           key: str | None = None) -> InstructionView:
    return instructions.submit(
        db, bank.teller, InstructionRequest(kind=kind, legs=tuple(legs), narrative=narrative,
                                            idempotency_key=key or new_key()),
    )


def post(db: Database, bank: Bank, legs, kind: str = "transfer", key: str | None = None) -> InstructionView:
    """Submit as the teller and approve as the policy needs: the supervisor, or the manager above the
    supervisor's limit, or both (authentication is tested elsewhere)."""
    made = submit(db, bank, legs, kind=kind, key=key)
    if made.status != "PENDING":
        return made
    if made.required_checkers == 2:
        instructions.approve(db, made.id, bank.supervisor)
        return instructions.approve(db, made.id, bank.manager)
    try:
        return instructions.approve(db, made.id, bank.supervisor)
    except ApprovalError:
        return instructions.approve(db, made.id, bank.manager)


def fund_vault(db: Database, bank: Bank, amount: int) -> InstructionView:
    """Put cash in the vault against paid-in capital (the opening of a test branch)."""
    capital = accounts.branch_account_number(bank.branch_code, "4001")
    return post(db, bank, [Leg(bank.vault, debit=amount), Leg(capital, credit=amount)])


def deposit(db: Database, bank: Bank, account: str, amount: int) -> InstructionView:
    """Cash in at the counter: the drawer is debited, the customer's deposit account credited."""
    return post(db, bank, [Leg(bank.drawer, debit=amount), Leg(account, credit=amount)], kind="cash_deposit")


def staff_id(db: Database, username: str) -> int:
    return db.run(lambda s: s.execute(select(StaffUser.id).where(StaffUser.username == username)).scalar_one())


def enrol(db: Database, username: str) -> str:
    """Enrol a TOTP authenticator the way a user would: start, read a code, confirm. Returns the secret."""
    from teller import clock, totp

    secret, _uri = staff.begin_totp_enrolment(db, system_actor("tests"), username)
    staff.confirm_totp_enrolment(db, system_actor("tests"), username, totp.code_at(secret, clock.now()))
    return secret


def reference(name: str) -> dict:
    """A test-vector file from ../shared/reference (beside the repository, as in CI)."""
    path = Path(__file__).resolve().parents[2] / "shared" / "reference" / name
    return json.loads(path.read_text(encoding="utf-8"))


def assert_books_clean(db: Database) -> None:
    """`teller ledger verify` and `teller audit verify` both clean, as after every flow."""
    from teller import audit, ledger

    report = db.run(ledger.verify, readonly=True)
    assert report.ok, report.problem
    chain = db.run(lambda session: audit.verify_chain(session, session.info["audit_key"]), readonly=True)
    assert chain.ok, chain.problem


def counted(total: int) -> dict[int, int]:
    """A count of `total` fen by denomination, largest notes first (as a teller bundles cash)."""
    from models.cash import DENOMINATIONS

    pieces = {}
    for denomination in DENOMINATIONS:
        pieces[denomination], total = divmod(total, denomination)
    assert total == 0, "the total must be a whole number of 0.1 yuan"
    return pieces


def open_drawer(db: Database, bank: Bank, total: int, teller: Actor | None = None) -> InstructionView:
    """Open the teller's drawer with `total` from the vault, counted, and the second key (the supervisor,
    or the manager above the supervisor's limit)."""
    from teller import drawers

    made = drawers.open_drawer(db, teller or bank.teller, counted(total), new_key())
    try:
        return instructions.approve(db, made.id, bank.supervisor)
    except ApprovalError:  # above the supervisor's limit
        return instructions.approve(db, made.id, bank.manager)


def close_business_day(db: Database, bank: Bank) -> int:
    """The teller balances and closes their drawer if it is open (the cash back to the vault under the
    supervisor's key, or the manager's above it), then the supervisor closes the day, rolling the date.
    Returns the cash the drawer held (0 if it was not open)."""
    from teller import end_of_day

    cash = 0
    if drawers_open(db, bank):
        expected = accounts.get_account(db, bank.drawer).balance
        cash = expected - expected % 10  # fen coins are left out of the count: a short
        end_of_day.count_drawer(db, bank.teller, counted(cash))
        try:
            end_of_day.close_drawer(db, bank.teller, bank.supervisor)
        except ApprovalError:  # above the supervisor's limit
            end_of_day.close_drawer(db, bank.teller, bank.manager)
    business_day.close_day(db, bank.supervisor)
    return cash


def next_business_day(db: Database, bank: Bank) -> None:
    """Close the branch's day as above, open the next one, and open the teller's drawer again with the
    cash it held (as each morning)."""
    cash = close_business_day(db, bank)
    business_day.open_day(db, bank.supervisor)
    if cash:
        open_drawer(db, bank, cash)


def drawers_open(db: Database, bank: Bank) -> bool:
    from teller import drawers

    return db.run(lambda session: drawers.live_session(session, bank.teller.staff_id) is not None)
