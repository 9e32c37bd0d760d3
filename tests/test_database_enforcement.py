"""The ledger invariants hold against raw SQL: the database itself refuses each violation.

Every attack runs as plain SQL on `db.engine` (no services, no ORM session, so no session guard), as a
careless script or a hostile operator would. Each test asserts the specific refusal (the trigger's
"teller: ..." message or the constraint's name) and that the ledger is exactly as it was before.
The last tests show the session guard catching the same mistakes made through the ORM.
"""

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from models import Account, Instruction, JournalEntry, Posting
from teller import accounts, ledger
from teller.db import Database
from teller.errors import LedgerGuardError
from teller.instructions import InstructionView
from teller.ledger import Leg
from tests.helpers import Bank, deposit, new_key, post, submit

ALICE_DEPOSIT = 100_00
POSTED_TRANSFER = 10_00
PENDING_TRANSFER = 30_00
ALICE_AVAILABLE = ALICE_DEPOSIT - POSTED_TRANSFER - PENDING_TRANSFER
RAW_ENTRY_ID = 9001
LEDGER_TABLES = ("account", "posting", "journal_entry", "instruction", "hold", "audit_event", "audit_head")


@dataclass(frozen=True)
class Scene:
    """A branch where Alice deposited 100.00, sent Bob 10.00 (its hold consumed) and has 30.00 more on hold
    for a pending transfer: balance 90.00, available 60.00."""

    bank: Bank
    account_ids: dict[str, int]
    deposit: InstructionView
    transfer: InstructionView
    pending: InstructionView
    receivable: str  # an asset account that may go negative, so only balancing rules apply to it

    @property
    def maker_id(self) -> int:
        return self.bank.teller.staff_id

    @property
    def checker_id(self) -> int:
        return self.bank.supervisor.staff_id


@pytest.fixture
def scene(db: Database, bank: Bank) -> Scene:
    posted = deposit(db, bank, bank.alice, ALICE_DEPOSIT)
    transfer = post(db, bank, [Leg(bank.alice, debit=POSTED_TRANSFER), Leg(bank.bob, credit=POSTED_TRANSFER)])
    pending = submit(db, bank, [Leg(bank.alice, debit=PENDING_TRANSFER), Leg(bank.bob, credit=PENDING_TRANSFER)])
    assert posted.entry_id and transfer.entry_id and pending.status == "PENDING"
    assert db.run(lambda s: ledger.account_balance(s, bank.alice)) == (90_00, ALICE_AVAILABLE)
    ids = dict(db.run(lambda s: s.execute(select(Account.number, Account.id)).all(), readonly=True))
    return Scene(bank, ids, posted, transfer, pending, accounts.branch_account_number(bank.branch_code, "1321"))


def snapshot(db: Database) -> dict[str, list]:
    """Every row of the ledger's tables, in key order: what an auditor would compare."""
    with db.engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all() for table in LEDGER_TABLES
        }


def refusal(db: Database, *statements: str | tuple[str, dict]) -> str:
    """Run the statements in one transaction on a plain connection and return the database's refusal."""
    with pytest.raises(DBAPIError) as caught:
        with db.engine.begin() as connection:
            for statement in statements:
                sql, params = statement if isinstance(statement, tuple) else (statement, {})
                connection.execute(text(sql), params)
    return str(caught.value.orig)


def raw_instruction(db: Database, scene: Scene, status: str, amount: int = 1_00) -> int:
    """Commit an instruction row straight into the table (as a raw script could) and return its id."""
    checker = scene.checker_id if status == "APPROVED" else None
    with db.engine.begin() as connection:
        return connection.execute(
            text(
                "INSERT INTO instruction (kind, status, branch_id, business_date, maker_id, checker_id,"
                " required_checkers, currency, amount, narrative, payload, payload_hash, idempotency_key,"
                " terminal, created_at, expires_at)"
                " VALUES ('transfer', :status, :branch, (SELECT business_date FROM branch WHERE id = :branch), :maker, :checker, 1, 'CNY', :amount,"
                " 'raw sql', '{}', :hash, :key, 'raw-sql', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id"
            ),
            {"status": status, "branch": scene.bank.branch_id, "maker": scene.maker_id, "checker": checker,
             "amount": amount, "hash": "0" * 64, "key": new_key()},
        ).scalar_one()


def posting_sql(scene: Scene, entry_id: int, number: str, debit: int = 0, credit: int = 0) -> tuple[str, dict]:
    return (
        "INSERT INTO posting (entry_id, account_id, currency, debit, credit)"
        " VALUES (:entry, :account, 'CNY', :debit, :credit)",
        {"entry": entry_id, "account": scene.account_ids[number], "debit": debit, "credit": credit},
    )


def header_sql(scene: Scene, entry_id: int, instruction_id: int) -> tuple[str, dict]:
    """The journal entry header: inserting it seals the postings already written under its id."""
    return (
        "INSERT INTO journal_entry (id, instruction_id, branch_id, business_date, posted_at, narrative)"
        " VALUES (:entry, :instruction, :branch, (SELECT business_date FROM branch WHERE id = :branch), CURRENT_TIMESTAMP, 'raw sql')",
        {"entry": entry_id, "instruction": instruction_id, "branch": scene.bank.branch_id},
    )


def constraint_refused(db: Database, message: str, *, postgres_name: str, sqlite_text: str) -> bool:
    """Whether the message is the named constraint's refusal (SQLite names columns for UNIQUE, not the constraint)."""
    return (sqlite_text if db.is_sqlite else postgres_name) in message


# --- journal entries ----------------------------------------------------------------------------------


def test_unbalanced_entry_is_refused(db, scene):
    instruction = raw_instruction(db, scene, "APPROVED")
    before = snapshot(db)
    message = refusal(
        db,
        posting_sql(scene, RAW_ENTRY_ID, scene.receivable, debit=100_00),
        posting_sql(scene, RAW_ENTRY_ID, scene.bank.suspense, credit=99_99),
        header_sql(scene, RAW_ENTRY_ID, instruction),
    )
    assert "teller: the journal entry does not balance" in message
    assert snapshot(db) == before


def test_one_legged_entry_is_refused(db, scene):
    instruction = raw_instruction(db, scene, "APPROVED")
    before = snapshot(db)
    message = refusal(
        db,
        posting_sql(scene, RAW_ENTRY_ID, scene.receivable, debit=100_00),
        header_sql(scene, RAW_ENTRY_ID, instruction),
    )
    assert "teller: a journal entry needs two or more postings" in message
    assert snapshot(db) == before


def test_postings_never_sealed_by_a_header_are_refused_at_commit(db, scene):
    """posting.entry_id is a deferred foreign key: postings without their entry header cannot be committed."""
    before = snapshot(db)
    message = refusal(
        db,
        posting_sql(scene, RAW_ENTRY_ID, scene.receivable, debit=100_00),
        posting_sql(scene, RAW_ENTRY_ID, scene.bank.suspense, credit=100_00),
    )
    assert constraint_refused(
        db, message, postgres_name="fk_posting_entry_id_journal_entry", sqlite_text="FOREIGN KEY constraint failed"
    )
    assert snapshot(db) == before


def test_posting_into_a_sealed_entry_is_refused(db, scene):
    before = snapshot(db)
    message = refusal(
        db,
        posting_sql(scene, scene.deposit.entry_id, scene.receivable, debit=5_00),
        posting_sql(scene, scene.deposit.entry_id, scene.bank.suspense, credit=5_00),
    )
    assert re.search(r"teller: (the )?journal entry (\d+ )?is already posted", message), message
    assert snapshot(db) == before


def test_second_entry_for_one_instruction_is_refused(db, scene):
    """An approved instruction posts at most once."""
    before = snapshot(db)
    message = refusal(
        db,
        posting_sql(scene, RAW_ENTRY_ID, scene.receivable, debit=5_00),
        posting_sql(scene, RAW_ENTRY_ID, scene.bank.suspense, credit=5_00),
        header_sql(scene, RAW_ENTRY_ID, scene.deposit.id),
    )
    assert constraint_refused(
        db, message, postgres_name="uq_journal_entry_instruction_id",
        sqlite_text="UNIQUE constraint failed: journal_entry.instruction_id",
    )
    assert snapshot(db) == before


@pytest.mark.parametrize("status", ["PENDING", "REJECTED", "CANCELLED", "EXPIRED"])
def test_entry_for_an_instruction_that_is_not_approved_is_refused(db, scene, status):
    instruction = raw_instruction(db, scene, status)
    before = snapshot(db)
    message = refusal(
        db,
        posting_sql(scene, RAW_ENTRY_ID, scene.receivable, debit=1_00),
        posting_sql(scene, RAW_ENTRY_ID, scene.bank.suspense, credit=1_00),
        header_sql(scene, RAW_ENTRY_ID, instruction),
    )
    assert "teller: a journal entry must reference an approved instruction" in message
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("UPDATE posting SET debit = debit + 1 WHERE debit > 0", "teller: postings are never changed"),
        ("UPDATE posting SET account_id = account_id + 1", "teller: postings are never changed"),
        ("DELETE FROM posting", "teller: postings are never"),
        ("UPDATE journal_entry SET narrative = 'edited'", "teller: journal entries are never changed"),
        ("DELETE FROM journal_entry", "teller: journal entries are never"),
    ],
)
def test_posted_rows_are_never_updated_or_deleted(db, scene, statement, expected):
    before = snapshot(db)
    message = refusal(db, statement)
    assert expected in message and "correct by reversal" in message
    assert snapshot(db) == before


@pytest.mark.parametrize("dialect", [pytest.param("postgresql", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("table", ["posting", "journal_entry", "instruction", "hold", "audit_event"])
def test_truncate_is_refused_on_postgresql(db, scene, table):
    """TRUNCATE fires no row triggers, so PostgreSQL needs statement triggers of its own."""
    before = snapshot(db)
    message = refusal(db, f"TRUNCATE {table} CASCADE")
    assert re.search(r"teller: \w+ is never truncated", message), message
    assert snapshot(db) == before


# --- no-negative accounts, counting holds -------------------------------------------------------------


def test_entry_overdrawing_a_no_negative_account_is_refused_counting_holds(db, scene):
    """Alice holds 100.00 with 30.00 on hold: taking 70.01 is refused although her ledger balance covers it."""
    instruction = raw_instruction(db, scene, "APPROVED")
    before = snapshot(db)
    message = refusal(
        db,
        posting_sql(scene, RAW_ENTRY_ID, scene.bank.alice, debit=ALICE_AVAILABLE + 1),
        posting_sql(scene, RAW_ENTRY_ID, scene.bank.suspense, credit=ALICE_AVAILABLE + 1),
        header_sql(scene, RAW_ENTRY_ID, instruction),
    )
    assert re.search(r"teller: the posting would take (an )?account (\S+ )?below zero", message), message
    assert snapshot(db) == before


def test_hold_beyond_the_available_balance_is_refused(db, scene):
    before = snapshot(db)
    message = refusal(
        db,
        (
            "INSERT INTO hold (instruction_id, account_id, amount, status, created_at)"
            " VALUES (:instruction, :account, :amount, 'ACTIVE', CURRENT_TIMESTAMP)",
            {"instruction": scene.pending.id, "account": scene.account_ids[scene.bank.alice],
             "amount": ALICE_AVAILABLE + 1},
        ),
    )
    assert "teller: insufficient available balance for the hold" in message
    assert snapshot(db) == before


@pytest.mark.parametrize("column", ["balance", "held"])
def test_balance_and_held_move_only_with_postings_and_holds(db, scene, column):
    before = snapshot(db)
    message = refusal(db, (f"UPDATE account SET {column} = {column} + 1 WHERE number = :number",
                           {"number": scene.bank.suspense}))
    assert "teller: balances and holds move only with postings and holds" in message
    assert snapshot(db) == before


# --- instructions and holds ---------------------------------------------------------------------------


def test_reused_idempotency_key_with_a_different_payload_is_refused(db, scene):
    before = snapshot(db)
    key = db.run(lambda s: s.get(Instruction, scene.deposit.id).idempotency_key, readonly=True)
    message = refusal(
        db,
        (
            "INSERT INTO instruction (kind, status, branch_id, business_date, maker_id, required_checkers, currency,"
            " amount, narrative, payload, payload_hash, idempotency_key, terminal, created_at, expires_at)"
            " VALUES ('cash_deposit', 'PENDING', :branch, (SELECT business_date FROM branch WHERE id = :branch), :maker, 1, 'CNY', 99900, 'retry', '{}',"
            " :hash, :key, 'raw-sql', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            {"branch": scene.bank.branch_id, "maker": scene.maker_id, "hash": "f" * 64, "key": key},
        ),
    )
    assert constraint_refused(
        db, message, postgres_name="uq_instruction_idempotency_key",
        sqlite_text="UNIQUE constraint failed: instruction.idempotency_key",
    )
    assert snapshot(db) == before


def test_instruction_approved_by_its_own_maker_is_refused(db, scene):
    before = snapshot(db)
    inserted = refusal(
        db,
        (
            "INSERT INTO instruction (kind, status, branch_id, business_date, maker_id, checker_id, required_checkers,"
            " currency, amount, narrative, payload, payload_hash, idempotency_key, terminal, created_at, expires_at)"
            " VALUES ('transfer', 'APPROVED', :branch, (SELECT business_date FROM branch WHERE id = :branch), :maker, :maker, 1, 'CNY', 100, 'self', '{}',"
            " :hash, :key, 'raw-sql', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            {"branch": scene.bank.branch_id, "maker": scene.maker_id, "hash": "0" * 64, "key": new_key()},
        ),
    )
    updated = refusal(
        db,
        ("UPDATE instruction SET status = 'APPROVED', checker_id = maker_id WHERE id = :id", {"id": scene.pending.id}),
    )
    assert "ck_instruction_checker_not_maker" in inserted
    assert "ck_instruction_checker_not_maker" in updated
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE instruction SET amount = amount + 1 WHERE id = :id",
        "UPDATE instruction SET status = 'PENDING', checker_id = NULL WHERE id = :id",
        "UPDATE instruction SET narrative = 'edited after posting' WHERE id = :id",
    ],
)
def test_final_instruction_never_changes(db, scene, statement):
    before = snapshot(db)
    message = refusal(db, (statement, {"id": scene.deposit.id}))
    assert re.search(r"teller: (the )?instruction .*cannot change", message), message
    assert snapshot(db) == before


def test_rejected_instruction_cannot_be_reopened(db, scene):
    rejected = raw_instruction(db, scene, "REJECTED")
    before = snapshot(db)
    message = refusal(db, ("UPDATE instruction SET status = 'PENDING' WHERE id = :id", {"id": rejected}))
    assert re.search(r"teller: (the )?instruction .*cannot change", message), message
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("DELETE FROM instruction WHERE id = :pending", "teller: instructions are never deleted"),
        ("DELETE FROM hold WHERE instruction_id = :pending", "teller: holds are never deleted"),
        ("UPDATE hold SET status = 'ACTIVE' WHERE instruction_id = :posted",
         "teller: a hold changes only once, from ACTIVE to RELEASED or CONSUMED"),
        ("UPDATE hold SET amount = amount - 1 WHERE instruction_id = :pending",
         "teller: a hold changes only once, from ACTIVE to RELEASED or CONSUMED"),
    ],
)
def test_instructions_and_holds_are_never_deleted_or_rewritten(db, scene, statement, expected):
    """The pending transfer's hold is ACTIVE; the posted transfer's hold was CONSUMED when it was approved."""
    before = snapshot(db)
    message = refusal(db, (statement, {"pending": scene.pending.id, "posted": scene.transfer.id}))
    assert expected in message
    assert snapshot(db) == before


# --- the audit log ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET detail = '{}' WHERE seq = 1",
        "UPDATE audit_event SET row_hash = prev_hash",
        "DELETE FROM audit_event WHERE seq = (SELECT MAX(seq) FROM audit_event)",
    ],
)
def test_audit_rows_are_append_only(db, scene, statement):
    before = snapshot(db)
    message = refusal(db, statement)
    assert "teller: the audit log is append-only" in message
    assert snapshot(db) == before


# --- the session guard: the same mistakes made through the ORM ----------------------------------------


def guard_refusal(db: Database, work) -> str:
    """Run ORM work in a Teller unit of work; the session guard must refuse it before any SQL is sent."""
    with pytest.raises(LedgerGuardError) as caught:
        db.run(lambda session: (work(session), session.flush()))
    return str(caught.value)


def test_guard_refuses_orm_postings_and_entries(db, scene):
    before = snapshot(db)
    receivable = scene.account_ids[scene.receivable]
    posting = guard_refusal(db, lambda s: s.add(
        Posting(entry_id=RAW_ENTRY_ID, account_id=receivable, currency="CNY", debit=1, credit=0)
    ))
    entry = guard_refusal(db, lambda s: s.add(
        JournalEntry(id=RAW_ENTRY_ID, instruction_id=scene.deposit.id, branch_id=scene.bank.branch_id,
                     business_date=scene.deposit.business_date, posted_at=scene.deposit.created_at, narrative="orm")
    ))
    assert "Posting rows are written only by the ledger" in posting
    assert "JournalEntry rows are written only by the ledger" in entry
    assert snapshot(db) == before


def test_guard_refuses_orm_change_or_delete_of_posted_rows(db, scene):
    before = snapshot(db)
    changed = guard_refusal(db, lambda s: setattr(
        s.scalars(select(Posting).where(Posting.entry_id == scene.deposit.entry_id)).first(), "debit", 1
    ))
    deleted = guard_refusal(db, lambda s: s.delete(s.get(JournalEntry, scene.deposit.entry_id)))
    assert "Posting rows are never changed" in changed
    assert "JournalEntry rows are never deleted" in deleted
    assert snapshot(db) == before


@pytest.mark.parametrize("column", ["balance", "held"])
def test_guard_refuses_orm_change_of_account_balance(db, scene, column):
    before = snapshot(db)

    def bump(session) -> None:
        account = session.scalars(select(Account).where(Account.number == scene.bank.alice)).one()
        setattr(account, column, getattr(account, column) + 1)

    message = guard_refusal(db, bump)
    assert f"account {column} moves only with postings and holds" in message
    assert snapshot(db) == before


def test_guard_refuses_orm_change_of_a_final_instruction(db, scene):
    before = snapshot(db)
    message = guard_refusal(db, lambda s: setattr(s.get(Instruction, scene.deposit.id), "amount", 1))
    assert f"instruction {scene.deposit.id} is APPROVED and cannot change" in message
    assert snapshot(db) == before


def test_guard_refuses_orm_approval_by_the_maker(db, scene):
    before = snapshot(db)

    def self_approve(session) -> None:
        instruction = session.get(Instruction, scene.pending.id)
        instruction.checker_id = instruction.maker_id
        instruction.status = "APPROVED"

    message = guard_refusal(db, self_approve)
    assert "the maker cannot be its checker" in message
    assert snapshot(db) == before
