"""A terminal killed with SIGKILL at random moments: the ledger stays sound and acknowledged postings survive.

The worker prints a posting's line only after its approval committed. Each new life retries the first
unacknowledged posting with the same idempotency key and payload, as a terminal that lost its answer
would; a final life runs to completion, after which every planned posting must be in the ledger exactly
once and the balances must be exactly what the plan adds up to.
"""

import random
import time

import pytest
from sqlalchemy import func, select

from models import Instruction, JournalEntry
from teller import ledger
from tests.helpers import deposit
from tests.workers import (
    WorkerProcess,
    cli_problems,
    deposit_deltas,
    ledger_problems,
    planned_legs,
    posting_key,
    worker_spec,
)

pytestmark = pytest.mark.slow

KILLS = {"sqlite": 50, "postgresql": 10}
SEED = 20261124
LONGEST_LIFE_S = 0.25
FINAL_POSTINGS = 10
OPENING_BALANCE = 10_000_000
MAX_AMOUNT = 999


def _missing_acknowledged(db, acknowledged: dict[int, dict]) -> list[dict]:
    """Acknowledged postings whose instruction or journal entry is not in the ledger as reported."""

    def work(session):
        keys = session.execute(
            select(Instruction.idempotency_key, Instruction.id).where(
                Instruction.idempotency_key.in_([report["key"] for report in acknowledged.values()])
            )
        ).all()
        entries = session.execute(select(JournalEntry.id, JournalEntry.instruction_id)).all()
        return dict(keys), dict(entries)

    instruction_of_key, instruction_of_entry = db.run(work, readonly=True)
    return [
        report
        for report in acknowledged.values()
        if instruction_of_key.get(report["key"]) != report["instruction"]
        or instruction_of_entry.get(report["entry"]) != report["instruction"]
    ]


def _plan_totals(db, plan: dict, numbers: range) -> tuple[int, int]:
    """(instructions, journal entries) in the ledger for the plan's keys."""
    keys = [posting_key(plan, n) for n in numbers]

    def work(session):
        instructions = session.execute(
            select(func.count()).select_from(Instruction).where(Instruction.idempotency_key.in_(keys))
        ).scalar_one()
        entries = session.execute(
            select(func.count())
            .select_from(JournalEntry)
            .join(Instruction, Instruction.id == JournalEntry.instruction_id)
            .where(Instruction.idempotency_key.in_(keys))
        ).scalar_one()
        return instructions, entries

    return db.run(work, readonly=True)


def test_killed_poster_leaves_a_sound_ledger_with_every_acknowledged_posting(dialect, location, db, bank, tmp_path):
    for number in (bank.alice, bank.bob):
        deposit(db, bank, number, OPENING_BALANCE)
    plan = {"prefix": "crash", "hot": None, "accounts": [bank.alice, bank.bob], "max_amount": MAX_AMOUNT}
    rng = random.Random(SEED)
    acknowledged: dict[int, dict] = {}

    def life(name: str, stop: int | None) -> WorkerProcess:
        spec = worker_spec(location.url, bank.teller, bank.supervisor, plan, start=len(acknowledged), stop=stop)
        return WorkerProcess("post", spec, tmp_path, name)

    def take_reports(worker: WorkerProcess) -> None:
        reports = worker.reports()
        assert [r for r in reports if "error" in r] == []
        assert [r["n"] for r in reports] == list(range(len(acknowledged), len(acknowledged) + len(reports)))
        acknowledged.update((r["n"], r) for r in reports)

    for kill in range(KILLS[dialect]):
        worker = life(f"life{kill:02d}", stop=None)
        worker.wait_ready()
        time.sleep(rng.uniform(0, LONGEST_LIFE_S))
        worker.kill()
        take_reports(worker)
        assert ledger_problems(db) == [], f"after kill {kill}"
        assert _missing_acknowledged(db, acknowledged) == [], f"after kill {kill}"

    planned = range(len(acknowledged) + FINAL_POSTINGS)
    final = life("final", stop=planned.stop)
    final.wait_ready()
    assert final.wait() == 0, final.stderr()
    take_reports(final)

    assert sorted(acknowledged) == list(planned)
    assert _plan_totals(db, plan, planned) == (len(planned), len(planned))
    expected = {bank.alice: OPENING_BALANCE, bank.bob: OPENING_BALANCE}
    for n in planned:
        for number, delta in deposit_deltas(planned_legs(plan, n)).items():
            expected[number] += delta
    assert {number: db.run(lambda s: ledger.account_balance(s, number)) for number in expected} == {
        number: (balance, balance) for number, balance in expected.items()
    }
    assert ledger_problems(db) == []
    assert cli_problems(location.url) == []
