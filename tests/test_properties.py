"""Property tests: random counter activity never breaks the ledger invariants, on SQLite and PostgreSQL.

A state machine makes deposits, withdrawals and transfers, leaves some pending (their funds on hold),
approves, rejects or cancels them, reverses posted entries and retries idempotency keys, all through the
real services. It keeps its own model of every balance and hold, so each operation is predicted to
succeed or be refused before it runs. After every step: the trial balance nets to zero per currency,
`ledger.verify` finds every balance equal to its postings, available = balance - active holds, and no
no-negative account is below zero. A refused operation must leave no trace at all.
"""

import itertools
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import partial

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from models import Account, Hold, Instruction, JournalEntry, Posting
from teller import instructions, ledger
from teller.db import Database
from teller.errors import LedgerError
from teller.instructions import InstructionRequest
from teller.ledger import Leg
from tests.helpers import new_key, seed_bank

pytestmark = pytest.mark.slow

MACHINE_SETTINGS = settings(max_examples=25, stateful_step_count=25, deadline=None)
DEPOSITS = st.integers(min_value=1, max_value=5_000_00)
OUTGOINGS = st.integers(min_value=1, max_value=1_000_00)  # smaller, so that most succeed and some are refused


@dataclass(frozen=True)
class Submitted:
    """A request the machine submitted and the instruction it became."""

    request: InstructionRequest
    instruction_id: int


class LedgerMachine(RuleBasedStateMachine):
    """Random activity on a fresh branch of a shared test ledger, checked against a model of its accounts."""

    def __init__(self, db: Database, branch_code: str) -> None:
        super().__init__()
        self.db = db
        self.bank = seed_bank(db, branch_code)
        self.customers = (self.bank.alice, self.bank.bob)
        numbers = (*self.customers, self.bank.drawer)
        rows = db.run(
            lambda s: s.execute(select(Account.number, Account.normal_side).where(Account.number.in_(numbers))).all(),
            readonly=True,
        )
        self.normal_side = dict(rows)
        self.balance: dict[str, int] = defaultdict(int)
        self.pending: dict[int, tuple[Leg, ...]] = {}
        self.reversible: dict[int, tuple[Leg, ...]] = {}  # posted transfers nobody has reversed yet
        self.cash_entries: list[int] = []  # posted cash movements: corrected at the counter, never by a bare mirror
        self.reversed: list[int] = []
        self.submitted: list[Submitted] = []

    # --- the model ------------------------------------------------------------------------------------

    def outflows(self, legs: tuple[Leg, ...]) -> dict[str, int]:
        """What the legs take out of each account (all modelled accounts are no-negative)."""
        taken: dict[str, int] = defaultdict(int)
        for leg in legs:
            taken[leg.account_number] += leg.credit if self.normal_side[leg.account_number] == "debit" else leg.debit
        return taken

    def held(self, number: str) -> int:
        return sum(self.outflows(legs)[number] for legs in self.pending.values())

    def available(self, number: str) -> int:
        return self.balance[number] - self.held(number)

    def affordable(self, legs: tuple[Leg, ...]) -> bool:
        return all(amount <= self.available(number) for number, amount in self.outflows(legs).items())

    def apply(self, legs: tuple[Leg, ...]) -> None:
        for leg in legs:
            sign = 1 if self.normal_side[leg.account_number] == "debit" else -1
            self.balance[leg.account_number] += sign * (leg.debit - leg.credit)

    # --- acting through the services ------------------------------------------------------------------

    def rows_written(self) -> tuple:
        """Row counts and account figures: anything a refused operation might have left behind."""

        def read(session):
            counts = tuple(
                session.execute(select(func.count()).select_from(model)).scalar_one()
                for model in (Instruction, Hold, JournalEntry, Posting)
            )
            figures = session.execute(select(Account.number, Account.balance, Account.held).order_by(Account.id))
            return counts, figures.all()

        return self.db.run(read, readonly=True)

    def expect_refusal(self, action, reason: str) -> None:
        before = self.rows_written()
        with pytest.raises(LedgerError, match=reason):
            action()
        assert self.rows_written() == before, "a refused operation left rows or moved balances"

    def submit(self, kind: str, legs: tuple[Leg, ...]) -> int | None:
        """Submit and return the pending instruction's id, or check the refusal the model predicts."""
        request = InstructionRequest(kind=kind, legs=legs, narrative=f"property {kind}", idempotency_key=new_key())
        if not self.affordable(legs):
            refused = partial(instructions.submit, self.db, self.bank.teller, request)
            self.expect_refusal(refused, "insufficient available")
            return None
        view = instructions.submit(self.db, self.bank.teller, request)
        assert view.status == "PENDING"
        self.pending[view.id] = legs
        self.submitted.append(Submitted(request, view.id))
        return view.id

    def approve(self, instruction_id: int) -> None:
        view = instructions.approve(self.db, instruction_id, self.bank.supervisor)
        assert view.status == "APPROVED" and view.entry_id is not None
        legs = self.pending.pop(instruction_id)
        self.apply(legs)
        if any(leg.account_number == self.bank.drawer for leg in legs):
            self.cash_entries.append(view.entry_id)
        else:
            self.reversible[view.entry_id] = legs

    def movement(self, kind: str, legs: tuple[Leg, ...], approve_now: bool) -> None:
        instruction_id = self.submit(kind, legs)
        if instruction_id is not None and approve_now:
            self.approve(instruction_id)

    # --- rules ----------------------------------------------------------------------------------------

    @initialize(opening=st.tuples(DEPOSITS, DEPOSITS))
    def open_with_cash(self, opening: tuple[int, int]) -> None:
        """Both customers start with a posted cash deposit, so that most outgoing movements can succeed."""
        for customer, amount in zip(self.customers, opening):
            self.movement("cash_deposit", (Leg(self.bank.drawer, debit=amount), Leg(customer, credit=amount)), True)

    @rule(customer=st.sampled_from((0, 1)), amount=DEPOSITS, approve_now=st.booleans())
    def cash_deposit(self, customer: int, amount: int, approve_now: bool) -> None:
        legs = (Leg(self.bank.drawer, debit=amount), Leg(self.customers[customer], credit=amount))
        self.movement("cash_deposit", legs, approve_now)

    @rule(customer=st.sampled_from((0, 1)), amount=OUTGOINGS, approve_now=st.booleans())
    def cash_withdrawal(self, customer: int, amount: int, approve_now: bool) -> None:
        legs = (Leg(self.customers[customer], debit=amount), Leg(self.bank.drawer, credit=amount))
        self.movement("cash_withdrawal", legs, approve_now)

    @rule(source=st.sampled_from((0, 1)), amount=OUTGOINGS, approve_now=st.booleans())
    def transfer(self, source: int, amount: int, approve_now: bool) -> None:
        legs = (Leg(self.customers[source], debit=amount), Leg(self.customers[1 - source], credit=amount))
        self.movement("transfer", legs, approve_now)

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def approve_pending(self, data) -> None:
        """Held funds are guaranteed: a pending instruction always posts, whatever happened since."""
        self.approve(data.draw(st.sampled_from(sorted(self.pending))))

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), by_checker=st.booleans())
    def release_pending(self, data, by_checker: bool) -> None:
        """A checker rejects, or the maker cancels: either way the hold goes and nothing posts."""
        instruction_id = data.draw(st.sampled_from(sorted(self.pending)))
        if by_checker:
            view = instructions.reject(self.db, instruction_id, self.bank.supervisor, "property test rejection")
        else:
            view = instructions.cancel(self.db, instruction_id, self.bank.teller)
        assert view.status in ("REJECTED", "CANCELLED") and view.entry_id is None
        del self.pending[instruction_id]

    @precondition(lambda self: self.reversible)
    @rule(data=st.data())
    def reverse(self, data) -> None:
        """Reverse a posted entry with its mirror, under a second key; refused if the money has moved on."""
        entry_id = data.draw(st.sampled_from(sorted(self.reversible)))
        mirror = ledger.mirror(self.reversible[entry_id])
        request = partial(instructions.request_reversal, self.db, self.bank.teller, entry_id, "reversal", new_key())
        if not self.affordable(mirror):
            self.expect_refusal(request, "insufficient available")
            return
        view = request()
        assert view.legs == mirror and view.reverses_entry_id == entry_id
        self.pending[view.id] = mirror
        self.approve(view.id)
        del self.reversible[entry_id]
        self.reversed.append(entry_id)

    @precondition(lambda self: self.cash_entries)
    @rule(data=st.data())
    def reverse_cash(self, data) -> None:
        entry_id = data.draw(st.sampled_from(self.cash_entries))
        bare = partial(instructions.request_reversal, self.db, self.bank.teller, entry_id, "reversal", new_key())
        self.expect_refusal(bare, "moved cash")

    @precondition(lambda self: self.reversed)
    @rule(data=st.data())
    def reverse_again(self, data) -> None:
        entry_id = data.draw(st.sampled_from(self.reversed))
        again = partial(instructions.request_reversal, self.db, self.bank.teller, entry_id, "again", new_key())
        self.expect_refusal(again, "already reversed")

    @precondition(lambda self: self.submitted)
    @rule(data=st.data(), same_payload=st.booleans())
    def retry_key(self, data, same_payload: bool) -> None:
        """A retried key returns the first instruction; the same key for another payload is refused."""
        first = data.draw(st.sampled_from(self.submitted))
        if same_payload:
            before = self.rows_written()
            again = instructions.submit(self.db, self.bank.teller, first.request)
            assert again.id == first.instruction_id
            assert self.rows_written() == before
            return
        legs = tuple(Leg(leg.account_number, debit=leg.debit * 2, credit=leg.credit * 2) for leg in first.request.legs)
        changed = replace(first.request, legs=legs)
        self.expect_refusal(
            partial(instructions.submit, self.db, self.bank.teller, changed), "already used for a different instruction"
        )

    # --- invariants -----------------------------------------------------------------------------------

    @invariant()
    def ledger_adds_up(self) -> None:
        def read(session):
            active_holds = dict(
                session.execute(
                    select(Account.number, func.sum(Hold.amount))
                    .join(Account, Account.id == Hold.account_id)
                    .where(Hold.status == "ACTIVE")
                    .group_by(Account.number)
                ).all()
            )
            figures = {number: ledger.account_balance(session, number) for number in self.normal_side}
            negative = session.execute(
                select(func.count()).select_from(Account).where(Account.no_negative, Account.balance - Account.held < 0)
            ).scalar_one()
            return ledger.trial_balance(session), ledger.verify(session), active_holds, figures, negative

        trial, report, active_holds, figures, negative = self.db.run(read, readonly=True)
        debits, credits = defaultdict(int), defaultdict(int)
        for row in trial:
            debits[row.currency] += row.debit
            credits[row.currency] += row.credit
        assert debits == credits, f"trial balance does not net to zero: debits {dict(debits)} credits {dict(credits)}"
        assert report.ok, report.problem
        assert negative == 0
        for number, (balance, available) in figures.items():
            assert balance == self.balance[number], f"{number}: ledger {balance}, model {self.balance[number]}"
            assert available == balance - active_holds.get(number, 0), f"{number}: available is not balance - holds"
            assert balance - available == self.held(number), f"{number}: held differs from the pending outflows"


@pytest.fixture
def branch_codes():
    """Fresh branch codes (with distinct digits, which deposit account numbers are made from) per example."""
    return (f"P{number}" for number in itertools.count(1000))


def test_random_activity_keeps_the_ledger_sound(db, branch_codes):
    run_state_machine_as_test(lambda: LedgerMachine(db, next(branch_codes)), settings=MACHINE_SETTINGS)
