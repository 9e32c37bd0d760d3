"""The unit of work (`Database.run`): a read-only one cannot write, and one that finds its connection gone
runs again on a fresh one, unless the connection dropped while it committed (it may have been committed:
running it again could post twice), when the teller is told the ledger cannot be reached, as they are when
no connection can be made at all."""

import socket

import psycopg
import pytest
from sqlalchemy import func, insert, select, text

from models import CustomerNote
from teller import customers
from teller.db import Database
from teller.errors import ConfigError, LedgerGuardError
from tests.conftest import POSTGRES_ADMIN_URL
from tests.test_customers import WANG_FANG


def _notes(db) -> int:
    return db.run(lambda session: session.scalar(select(func.count()).select_from(CustomerNote)), readonly=True)


def _customer(db, bank) -> int:
    return customers.create_customer(db, bank.teller, WANG_FANG)


def _insert_note(session, bank, customer_id: int, text: str) -> None:
    session.execute(insert(CustomerNote).values(customer_id=customer_id, staff_id=bank.teller.staff_id,
                                                created_at=func.now(), text=text))


READS = {"read": {"readonly": True}, "lookup": {"lookup": True}}


@pytest.mark.parametrize("read", READS)
def test_a_read_only_unit_of_work_cannot_write_even_after_reading(db, bank, read):
    customer_id = _customer(db, bank)

    def reads_then_writes(session):
        session.execute(select(CustomerNote.id)).all()
        _insert_note(session, bank, customer_id, "slipped in")

    with pytest.raises(LedgerGuardError, match="read-only unit of work cannot write"):
        db.run(reads_then_writes, **READS[read])
    assert _notes(db) == 0
    recent = select(CustomerNote.id).cte("recent")
    assert db.run(lambda session: session.execute(select(func.count()).select_from(recent)).scalar_one(),
                  **READS[read]) == 0  # reading through a CTE (WITH … SELECT) is reading
    customers.add_note(db, bank.teller, customer_id, "written by a unit of work that may write")
    assert _notes(db) == 1


def _backend_pid(session) -> int:
    return session.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(pid: int) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))  # and wait until it has gone


@pytest.mark.postgres
@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_a_lookup_plans_its_statement_once_where_other_reads_plan_for_their_values(db, bank):
    """The customer search's plan does not depend on what was typed, and planning it took longer than running
    it: once the driver has prepared it (after five uses), every search of the same shape runs one plan."""
    for query in ("wang", "zhang", "chen", "zhao", "huang", "zhou", "yang", "sun"):  # one shape of search
        customers.search(db, query)
    generic, custom = db.run(lambda session: session.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'SELECT chosen.part%'"
    )).one(), lookup=True)
    assert (generic >= 2, custom) == (True, 0)
    assert db.run(lambda session: session.scalar(text("SELECT current_setting('plan_cache_mode')")),
                  readonly=True) == "auto"


@pytest.mark.postgres
@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
@pytest.mark.parametrize("readonly", [True, False], ids=["read", "write"])
def test_a_unit_of_work_that_finds_its_connection_gone_runs_again(db, bank, readonly):
    customer_id = _customer(db, bank)
    dead_pid = db.run(_backend_pid, readonly=readonly)
    _terminate(dead_pid)  # as a server restart would, while the connection waits in the pool
    attempts = []

    def work(session):
        attempts.append(_backend_pid(session))
        if not readonly:
            _insert_note(session, bank, customer_id, "after the restart")
        return session.scalar(select(func.count()).select_from(CustomerNote))

    assert db.run(work, readonly=readonly) == (0 if readonly else 1)
    assert len(attempts) == 1 and attempts[0] != dead_pid  # the dead connection failed before `work` saw a pid
    assert _notes(db) == (0 if readonly else 1)


@pytest.mark.postgres
@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_a_connection_lost_while_committing_is_not_run_again(db, bank):
    customer_id = _customer(db, bank)
    attempts = []

    def work(session):
        attempts.append(1)
        _insert_note(session, bank, customer_id, "lost at commit")
        _terminate(_backend_pid(session))

    with pytest.raises(ConfigError, match="cannot reach the ledger database"):
        db.run(work)
    assert attempts == [1]
    assert _notes(db) == 0


def _port_nobody_listens_on() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("url", [
    pytest.param(lambda tmp_path: f"postgresql://postgres@127.0.0.1:{_port_nobody_listens_on()}/test", id="postgresql"),
    pytest.param(lambda tmp_path: f"sqlite:///{tmp_path}/no-such-folder/ledger.sqlite3", id="sqlite"),
])
@pytest.mark.parametrize("readonly", [True, False], ids=["read", "write"])
def test_a_ledger_that_cannot_be_reached_is_named_not_raised_raw(tmp_path, url, readonly):
    db = Database(url(tmp_path), secret_key=b"k" * 32)
    ran = []
    try:
        with pytest.raises(ConfigError, match="cannot reach the ledger database"):
            db.run(lambda session: ran.append(session.execute(text("SELECT 1")).scalar()), readonly=readonly)
    finally:
        db.dispose()
    assert ran == []
