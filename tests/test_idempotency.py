"""An idempotency key posts at most once: a retry gets the first instruction back, a different payload is refused.

Retries come one after another, from threads sharing a connection pool, and from separate processes
(terminals) racing for the same keys; in every case each key must leave exactly one instruction and, once
approved, exactly one journal entry, and the balances must have moved once.
"""

import dataclasses
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from models import Instruction, JournalEntry
from teller import instructions, ledger
from teller.errors import ApprovalError, LedgerError
from teller.instructions import InstructionRequest
from teller.ledger import Leg
from tests.helpers import deposit, new_key
from tests.workers import (
    WorkerProcess,
    deposit_deltas,
    ledger_problems,
    planned_legs,
    planned_request,
    posting_key,
    worker_spec,
)

OPENING_BALANCE = 1_000_000
RACERS = 6
RACED_KEYS = 8
ALREADY_APPROVED = "is APPROVED, not pending"


def _deposit_request(bank, key: str, amount: int = 100_00) -> InstructionRequest:
    return InstructionRequest(
        kind="cash_deposit", legs=(Leg(bank.drawer, debit=amount), Leg(bank.alice, credit=amount)),
        narrative="counter deposit", idempotency_key=key,
    )


def _instructions_and_entries(db, keys: list[str]) -> dict[str, tuple[int, int]]:
    """Per key: (instructions carrying it, journal entries posted for them)."""

    def work(session):
        rows = session.execute(
            select(Instruction.idempotency_key, func.count(Instruction.id.distinct()), func.count(JournalEntry.id))
            .outerjoin(JournalEntry, JournalEntry.instruction_id == Instruction.id)
            .where(Instruction.idempotency_key.in_(keys))
            .group_by(Instruction.idempotency_key)
        ).all()
        return {key: (made, posted) for key, made, posted in rows}

    return db.run(work, readonly=True)


def _balance(db, number: str) -> tuple[int, int]:
    return db.run(lambda s: ledger.account_balance(s, number), readonly=True)


def test_resubmitting_a_key_returns_the_first_instruction_and_posts_once(db, bank):
    key = new_key()
    first = instructions.submit(db, bank.teller, _deposit_request(bank, key))
    retries = [instructions.submit(db, bank.teller, _deposit_request(bank, key)) for _ in range(3)]
    assert [(view.id, view.status) for view in retries] == [(first.id, "PENDING")] * 3

    approved = instructions.approve(db, first.id, bank.supervisor)
    after = instructions.submit(db, bank.teller, _deposit_request(bank, key))

    assert (after.id, after.status, after.entry_id) == (first.id, "APPROVED", approved.entry_id)
    assert _instructions_and_entries(db, [key]) == {key: (1, 1)}
    assert _balance(db, bank.alice) == (100_00, 100_00)


def test_resubmitting_a_transfer_holds_its_funds_once(db, bank):
    deposit(db, bank, bank.alice, 500_00)
    request = InstructionRequest(
        kind="transfer", legs=(Leg(bank.alice, debit=200_00), Leg(bank.bob, credit=200_00)),
        narrative="rent", idempotency_key=new_key(),
    )
    views = {instructions.submit(db, bank.teller, request).id for _ in range(4)}

    assert len(views) == 1
    assert _balance(db, bank.alice) == (500_00, 300_00)


def test_approving_an_approved_instruction_again_is_refused(db, bank):
    key = new_key()
    view = instructions.submit(db, bank.teller, _deposit_request(bank, key))
    instructions.approve(db, view.id, bank.supervisor)

    for checker in (bank.supervisor, bank.supervisor2, bank.manager):
        with pytest.raises(ApprovalError, match=ALREADY_APPROVED):
            instructions.approve(db, view.id, checker)

    assert _instructions_and_entries(db, [key]) == {key: (1, 1)}
    assert _balance(db, bank.alice) == (100_00, 100_00)


CHANGED_PAYLOADS = {
    "amount": lambda bank, request: _deposit_request(bank, request.idempotency_key, amount=100_01),
    "narrative": lambda bank, request: dataclasses.replace(request, narrative="another deposit"),
    "kind": lambda bank, request: dataclasses.replace(request, kind="transfer"),
    "account": lambda bank, request: dataclasses.replace(
        request, legs=(Leg(bank.drawer, debit=100_00), Leg(bank.bob, credit=100_00))
    ),
}


@pytest.mark.parametrize("approved_first", [False, True], ids=["pending", "approved"])
@pytest.mark.parametrize("change", CHANGED_PAYLOADS)
def test_the_same_key_with_a_different_payload_is_refused(db, bank, change, approved_first):
    key = new_key()
    original = _deposit_request(bank, key)
    view = instructions.submit(db, bank.teller, original)
    if approved_first:
        instructions.approve(db, view.id, bank.supervisor)

    with pytest.raises(LedgerError, match=f"idempotency key {key} was already used for a different instruction"):
        instructions.submit(db, bank.teller, CHANGED_PAYLOADS[change](bank, original))

    assert instructions.get(db, view.id).legs == original.legs
    assert _instructions_and_entries(db, [key]) == {key: (1, int(approved_first))}


def test_the_same_key_from_another_maker_is_refused(db, bank):
    key = new_key()
    instructions.submit(db, bank.teller, _deposit_request(bank, key))

    with pytest.raises(LedgerError, match=f"idempotency key {key} was already used for a different instruction"):
        instructions.submit(db, bank.supervisor, _deposit_request(bank, key))

    assert _instructions_and_entries(db, [key]) == {key: (1, 0)}


# --- Racing for the same keys -----------------------------------------------------------------------------

def _race_plan(db, bank) -> dict:
    for number in (bank.alice, bank.bob):
        deposit(db, bank, number, OPENING_BALANCE)
    return {"prefix": "race", "hot": None, "accounts": [bank.alice, bank.bob], "max_amount": 999}


def _assert_each_key_posted_once(db, bank, plan: dict, outcomes: list[dict]) -> None:
    """Every racer saw the same instruction per key, exactly one approval won, and money moved once."""
    numbers = range(RACED_KEYS)
    by_number = {n: [o for o in outcomes if o["n"] == n] for n in numbers}
    assert {n: len({o["instruction"] for o in seen}) for n, seen in by_number.items()} == dict.fromkeys(numbers, 1)
    assert {n: sum(o["approved"] for o in seen) for n, seen in by_number.items()} == dict.fromkeys(numbers, 1)
    assert {o["refusal"] for o in outcomes if not o["approved"]} <= {
        f"instruction {o['instruction']} {ALREADY_APPROVED}" for o in outcomes
    }
    keys = [posting_key(plan, n) for n in numbers]
    assert _instructions_and_entries(db, keys) == dict.fromkeys(keys, (1, 1))
    expected = {bank.alice: OPENING_BALANCE, bank.bob: OPENING_BALANCE}
    for n in numbers:
        for number, delta in deposit_deltas(planned_legs(plan, n)).items():
            expected[number] += delta
    assert {number: _balance(db, number) for number in expected} == {
        number: (balance, balance) for number, balance in expected.items()
    }
    assert ledger_problems(db) == []


def _shuffled_numbers(racer: int) -> list[int]:
    numbers = list(range(RACED_KEYS))
    random.Random(racer).shuffle(numbers)
    return numbers


@pytest.mark.slow
def test_threads_racing_with_the_same_keys_post_each_once(db, bank):
    plan = _race_plan(db, bank)
    start = threading.Barrier(RACERS)

    def racer(index: int) -> list[dict]:
        numbers = _shuffled_numbers(index)
        start.wait()
        submitted = [(n, instructions.submit(db, bank.teller, planned_request(plan, n)).id) for n in numbers]
        outcomes = []
        for n, instruction_id in submitted:
            try:
                instructions.approve(db, instruction_id, bank.supervisor)
                outcomes.append({"n": n, "instruction": instruction_id, "approved": True})
            except ApprovalError as error:
                outcomes.append({"n": n, "instruction": instruction_id, "approved": False, "refusal": str(error)})
        return outcomes

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = [outcome for racer_outcomes in pool.map(racer, range(RACERS)) for outcome in racer_outcomes]

    _assert_each_key_posted_once(db, bank, plan, outcomes)


@pytest.mark.slow
def test_processes_racing_with_the_same_keys_post_each_once(location, db, bank, tmp_path):
    plan = _race_plan(db, bank)
    go = tmp_path / "go"
    racers = [
        WorkerProcess(
            "race",
            worker_spec(location.url, bank.teller, bank.supervisor, plan, numbers=_shuffled_numbers(index), go=str(go)),
            tmp_path,
            f"racer{index}",
        )
        for index in range(RACERS)
    ]
    for racer in racers:
        racer.wait_ready()
    go.touch()
    for racer in racers:
        assert racer.wait() == 0, racer.stderr()

    _assert_each_key_posted_once(db, bank, plan, [outcome for racer in racers for outcome in racer.reports()])
