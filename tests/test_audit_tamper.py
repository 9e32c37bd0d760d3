"""The audit chain detects tampering and names the first affected row, on SQLite and PostgreSQL.

A real chain of a few dozen rows is built once per test from counter activity. Each hypothesis example
then tampers with it in raw SQL inside one transaction (first getting past the append-only triggers,
as a superuser could), runs `verify_chain` on that same transaction, and rolls everything back, so every
example starts from the clean chain.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.orm import Session

from models import AuditEvent, AuditHead
from teller import audit, instructions
from teller.db import Database
from teller.ledger import Leg
from tests.helpers import Bank, deposit, fund_vault, post, submit

TAMPER_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
AUDIT = AuditEvent.__table__
HASHES = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
# Text the columns can hold on both dialects (PostgreSQL refuses NUL characters).
TEXT = st.characters(codec="utf-8", exclude_characters="\x00")


@dataclass(frozen=True)
class Chain:
    db: Database
    key: bytes
    rows: int


@pytest.fixture
def chain(db: Database, bank: Bank) -> Chain:
    """Deposits, transfers, a vault movement, a rejected and a pending instruction: a few dozen audit rows."""
    fund_vault(db, bank, 100_000_00)
    for amount in (500_00, 1_200_00, 35_50):
        deposit(db, bank, bank.alice, amount)
    for amount in (100_00, 20_00):
        post(db, bank, [Leg(bank.alice, debit=amount), Leg(bank.bob, credit=amount)])
    rejected = submit(db, bank, [Leg(bank.bob, debit=10_00), Leg(bank.alice, credit=10_00)])
    instructions.reject(db, rejected.id, bank.supervisor, "wrong account")
    submit(db, bank, [Leg(bank.alice, debit=5_00), Leg(bank.bob, credit=5_00)])
    key = db.run(lambda session: session.info["audit_key"], readonly=True)
    rows = db.run(lambda session: session.execute(select(func.count()).select_from(AUDIT)).scalar_one(), readonly=True)
    assert rows >= 30
    return Chain(db, key, rows)


@contextmanager
def tampering(db: Database) -> Iterator[Connection]:
    """A transaction past the audit log's append-only triggers; always rolled back."""
    with db.engine.connect() as connection:
        transaction = connection.begin()
        try:
            if db.is_sqlite:
                connection.exec_driver_sql("DROP TRIGGER audit_event_no_update")
                connection.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
                connection.exec_driver_sql("DROP TRIGGER audit_head_no_delete")
            else:
                connection.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
                connection.exec_driver_sql("ALTER TABLE audit_head DISABLE TRIGGER USER")
            yield connection
        finally:
            transaction.rollback()


def problem(connection: Connection, key: bytes) -> str | None:
    """What `verify_chain` reports on the tampered, uncommitted chain."""
    with Session(bind=connection) as session:
        return audit.verify_chain(session, key).problem


def row(connection: Connection, seq: int) -> dict:
    return dict(connection.execute(select(AUDIT).where(AUDIT.c.seq == seq)).mappings().one())


def different(strategy: st.SearchStrategy, old):
    return strategy.filter(lambda value: value != old)


def replacement(data: st.DataObject, column: str, old):
    """A new value for the column, always different from the old one and valid for its type."""
    if column == "occurred_at":
        return old + timedelta(microseconds=data.draw(st.integers(1, 10**10)) * data.draw(st.sampled_from((1, -1))))
    if column == "business_date":
        return data.draw(different(st.dates(date(2000, 1, 1), date(2099, 12, 31)), old))
    if column in ("branch_id", "staff_id"):
        return data.draw(different(st.integers(1, 10**6), old))
    if column in ("prev_hash", "row_hash"):
        return data.draw(different(HASHES, old))
    length = AUDIT.c[column].type.length or 1000
    return data.draw(different(st.text(TEXT, min_size=1, max_size=length), old))


def test_clean_chain_verifies(chain):
    report = chain.db.run(lambda session: audit.verify_chain(session, chain.key), readonly=True)
    assert report.ok, report.problem
    assert report.rows == report.head_seq == chain.rows


def test_wrong_key_is_detected(chain):
    report = chain.db.run(lambda session: audit.verify_chain(session, bytes(32)), readonly=True)
    assert report.problem == "audit row 1 was altered: its content does not match its hash"


EDITABLE = [column.name for column in AUDIT.columns if column.name != "seq"]


@TAMPER_SETTINGS
@given(data=st.data())
def test_edited_row_is_named(chain, data):
    seq = data.draw(st.integers(1, chain.rows), label="seq")
    column = data.draw(st.sampled_from(EDITABLE), label="column")
    with tampering(chain.db) as connection:
        value = replacement(data, column, row(connection, seq)[column])
        connection.execute(update(AUDIT).where(AUDIT.c.seq == seq).values({column: value}))
        found = problem(connection, chain.key)
    if column == "prev_hash":
        assert found == f"audit row {seq} does not follow row {seq - 1}: a row was inserted, removed or reordered"
    else:
        assert found == f"audit row {seq} was altered: its content does not match its hash"


@TAMPER_SETTINGS
@given(data=st.data())
def test_deleted_rows_are_named(chain, data):
    """Any run of rows, in the middle or at the end (the sealed head catches a shortened chain)."""
    first = data.draw(st.integers(1, chain.rows), label="first")
    last = data.draw(st.integers(first, chain.rows), label="last")
    with tampering(chain.db) as connection:
        connection.execute(delete(AUDIT).where(AUDIT.c.seq.between(first, last)))
        found = problem(connection, chain.key)
    if last < chain.rows:
        assert found == f"audit row {first} is missing (row {last + 1} follows row {first - 1}): rows were removed"
    else:
        assert found == f"audit rows after row {first - 1} were removed: the sealed head is row {chain.rows}"


@TAMPER_SETTINGS
@given(data=st.data())
def test_forged_row_is_named(chain, data):
    """A forger can copy real content and link to the previous row's hash, but cannot compute the HMAC."""
    seq = data.draw(st.integers(1, chain.rows + 1), label="forged seq")
    model = data.draw(st.integers(1, chain.rows).filter(lambda copied: copied != seq), label="copied row")
    with tampering(chain.db) as connection:
        forged = row(connection, model)
        previous = row(connection, seq - 1)["row_hash"] if seq > 1 else audit.GENESIS_HASH
        forged |= {
            "seq": seq,
            "prev_hash": data.draw(st.sampled_from((previous, forged["prev_hash"])), label="prev_hash"),
            "row_hash": data.draw(st.one_of(st.just(forged["row_hash"]), HASHES), label="row_hash"),
        }
        # Make room: move the later rows up by one (in two steps, so no key collides on the way).
        connection.execute(update(AUDIT).where(AUDIT.c.seq >= seq).values(seq=AUDIT.c.seq + 1_000_000))
        connection.execute(update(AUDIT).where(AUDIT.c.seq >= 1_000_000).values(seq=AUDIT.c.seq - 999_999))
        connection.execute(insert(AUDIT).values(forged))
        found = problem(connection, chain.key)
    if forged["prev_hash"] == previous:
        assert found == f"audit row {seq} was altered: its content does not match its hash"
    else:
        assert found == f"audit row {seq} does not follow row {seq - 1}: a row was inserted, removed or reordered"


@TAMPER_SETTINGS
@given(data=st.data())
def test_swapped_rows_are_named(chain, data):
    """Two rows trade places (everything but their sequence numbers): the earlier one no longer follows."""
    first = data.draw(st.integers(1, chain.rows - 1), label="first")
    second = data.draw(st.integers(first + 1, chain.rows), label="second")
    with tampering(chain.db) as connection:
        one, other = row(connection, first), row(connection, second)
        connection.execute(update(AUDIT).where(AUDIT.c.seq == first).values({**other, "seq": first}))
        connection.execute(update(AUDIT).where(AUDIT.c.seq == second).values({**one, "seq": second}))
        found = problem(connection, chain.key)
    assert found == f"audit row {first} does not follow row {first - 1}: a row was inserted, removed or reordered"


def test_tampering_was_rolled_back(chain):
    """The examples above leave no trace: after tampering and rolling back, the chain verifies again."""
    with tampering(chain.db) as connection:
        connection.execute(delete(AUDIT).where(AUDIT.c.seq == 1))
        assert problem(connection, chain.key) is not None
    report = chain.db.run(lambda session: audit.verify_chain(session, chain.key), readonly=True)
    assert report.ok and report.rows == chain.rows


def test_removed_head_is_detected(chain):
    """The head row has no append-only trigger; removing it must still be noticed."""
    with tampering(chain.db) as connection:
        connection.execute(delete(AuditHead.__table__))
        assert problem(connection, chain.key).startswith("the audit chain head is missing")


def test_wiped_log_and_head_are_detected(chain):
    with tampering(chain.db) as connection:
        connection.execute(delete(AUDIT))
        connection.execute(delete(AuditHead.__table__))
        assert problem(connection, chain.key) is not None
