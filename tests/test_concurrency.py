"""Many terminals posting at once: no update is lost, nobody sees "database is locked", the ledger balances.

SQLite: 8 OS processes on one ledger file. PostgreSQL: 16 processes, one connection each. A quarter of
the workers move money into and out of one hot account; the others spread transfers over a pool of
accounts (which the hot workers also touch). Every account is funded well beyond what the plans can take
out, so no posting has a business reason to fail: every failure is a defect. So is any database error met
on the way, even one the unit of work retried: a "database is locked" after the busy timeout, or a
deadlock (the accounts a posting touches are locked in one order).
"""

import pytest
from sqlalchemy import func, select

from models import Account, JournalEntry
from teller import accounts
from teller.actor import system_actor
from tests.helpers import deposit
from tests.workers import (
    WorkerProcess,
    cli_problems,
    deposit_deltas,
    ledger_problems,
    planned_legs,
    worker_spec,
)

pytestmark = pytest.mark.slow

WORKERS = {"sqlite": 8, "postgresql": 16}
POSTINGS_PER_WORKER = 250
HOT_EVERY = 4  # every fourth worker hits the hot account: enough to contend, few enough to keep the run short
POOL_SIZE = 12
OPENING_BALANCE = 10_000_000
MAX_AMOUNT = 999


def _funded_accounts(db, bank, count: int) -> list[str]:
    numbers = [
        accounts.open_deposit_account(db, system_actor("tests"), bank.branch_id, f"Pool customer {i}").number
        for i in range(count)
    ]
    for number in numbers:
        deposit(db, bank, number, OPENING_BALANCE)
    return numbers


def _balances(db, numbers) -> dict[str, tuple[int, int]]:
    def work(session):
        rows = session.execute(select(Account.number, Account.balance, Account.held).where(Account.number.in_(numbers)))
        return {number: (balance, held) for number, balance, held in rows}

    return db.run(work, readonly=True)


def _entry_count(db) -> int:
    return db.run(lambda s: s.execute(select(func.count()).select_from(JournalEntry)).scalar_one(), readonly=True)


def test_concurrent_postings_lose_no_update_and_keep_the_ledger_sound(dialect, location, db, bank, tmp_path):
    hot, *pool = _funded_accounts(db, bank, POOL_SIZE + 1)
    everyone = [hot, *pool]
    opening = _balances(db, everyone)
    entries_before = _entry_count(db)
    go = tmp_path / "go"
    plans = [
        {"prefix": f"conc{i:02d}", "hot": hot if i % HOT_EVERY == 0 else None, "accounts": pool,
         "max_amount": MAX_AMOUNT}
        for i in range(WORKERS[dialect])
    ]
    workers = [
        WorkerProcess(
            "post",
            worker_spec(
                location.url, bank.teller, bank.supervisor, plan, start=0, stop=POSTINGS_PER_WORKER, go=str(go)
            ),
            tmp_path,
            plan["prefix"],
        )
        for plan in plans
    ]
    for worker in workers:
        worker.wait_ready()
    go.touch()
    for worker in workers:
        assert worker.wait() == 0, worker.stderr()

    expected = {number: balance for number, (balance, _) in opening.items()}
    acknowledged_entries = set()
    for plan, worker in zip(plans, workers):
        reports = worker.reports()
        assert [r for r in reports if "error" in r] == []
        assert worker.database_errors() == {}
        assert [r["n"] for r in reports] == list(range(POSTINGS_PER_WORKER))
        assert {r["status"] for r in reports} == {"APPROVED"}
        for report in reports:
            acknowledged_entries.add(report["entry"])
            for number, delta in deposit_deltas(planned_legs(plan, report["n"])).items():
                expected[number] += delta

    final = _balances(db, everyone)
    assert {number: balance for number, (balance, _) in final.items()} == expected
    assert {number: held for number, (_, held) in final.items()} == dict.fromkeys(everyone, 0)
    assert len(acknowledged_entries) == len(plans) * POSTINGS_PER_WORKER
    assert _entry_count(db) == entries_before + len(acknowledged_entries)
    assert ledger_problems(db) == []
    assert cli_problems(location.url) == []
