"""A branch with customers at the counter: two customers with accounts and a teller's drawer holding cash."""

from dataclasses import dataclass

from teller import approvals, counter, customers, instructions
from teller.customers import AddressDraft, CustomerDraft
from teller.db import Database
from teller.instructions import InstructionView
from teller.ledger import Leg
from tests.helpers import Bank, fund_vault, open_drawer, post, seed_bank
from tests.workers import ledger_problems

WANG_ID = "11010519491231002X"
LI_ID = "310101199003077894"
DRAWER_CASH = 100_000_00  # half the drawer limit (fixtures/drawer_policy.json): room for the day's deposits


@dataclass(frozen=True)
class Counter:
    db: Database
    bank: Bank
    wang: int
    li: int
    wang_account: str
    wang_savings: str
    li_account: str


def new_customer(db: Database, bank: Bank, name: str, id_number: str, mobile: str) -> int:
    return customers.create_customer(db, bank.teller, CustomerDraft(
        kind="individual", name=name, id_type="resident_id", id_number=id_number, registered_mobile=mobile,
        segment="mass", addresses=(AddressDraft("home", "北京市东城区东长安街1号"),)))


def seed_counter(db: Database, bank: Bank | None = None) -> Counter:
    bank = bank or seed_bank(db)
    wang = new_customer(db, bank, "王芳", WANG_ID, "13800138000")
    li = new_customer(db, bank, "李强", LI_ID, "13912345678")
    wang_account = customers.open_account_for(db, bank.teller, wang).number
    wang_savings = customers.open_account_for(db, bank.teller, wang).number
    li_account = customers.open_account_for(db, bank.teller, li).number
    fund_vault(db, bank, DRAWER_CASH)
    open_drawer(db, bank, DRAWER_CASH)
    return Counter(db, bank, wang, li, wang_account, wang_savings, li_account)


def draft(c: Counter, kind: str, amount: str, *, account: str | None = None, to: str = "",
          narrative: str = "counter test", identity: bool = True, key: str | None = None,
          customer: int | None = None) -> counter.MovementDraft:
    customer = customer or c.wang
    needs = kind in counter.NEEDS_IDENTITY and identity
    return counter.MovementDraft(
        kind=kind, customer_id=customer, account_number=account or c.wang_account, amount=amount,
        to_account_number=to, narrative=narrative, document_type="resident_id" if needs else "",
        document_number=(LI_ID if customer == c.li else WANG_ID) if needs else "",
        idempotency_key=key or counter.new_idempotency_key(),
    )


def approve(c: Counter, made: InstructionView) -> InstructionView:
    return instructions.approve(c.db, made.id, c.bank.supervisor)


def move(c: Counter, kind: str, amount: str, **options) -> InstructionView:
    """Submit at the counter and approve as the supervisor."""
    return approve(c, counter.submit(c.db, c.bank.teller, draft(c, kind, amount, **options)))


def queue_ids(c: Counter) -> list[int]:
    return [item.id for item in approvals.pending_queue(c.db, c.bank.branch_id)]


def assert_clean(db: Database) -> None:
    """`teller ledger verify` and `teller audit verify` find nothing, and the trial balance balances."""
    assert ledger_problems(db) == []
