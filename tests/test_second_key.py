"""Maker-checker on every fund movement: authority, rising levels, payload binding, holds and expiry."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from teller import accounts, instructions, ledger
from teller.actor import system_actor
from teller.errors import ApprovalError, LedgerError
from teller.instructions import InstructionRequest
from teller.ledger import Leg
from tests.helpers import deposit, new_key, post, seed_bank, submit


def _balances(db, number):
    return db.run(lambda session: ledger.account_balance(session, number), readonly=True)


def _withdrawal(bank, amount):
    return [Leg(bank.alice, debit=amount), Leg(bank.drawer, credit=amount)]


def test_maker_cannot_approve_own_instruction(db, bank):
    deposit(db, bank, bank.alice, 500_00)
    made = submit(db, bank, [Leg(bank.alice, debit=100_00), Leg(bank.bob, credit=100_00)])
    with pytest.raises(ApprovalError, match="maker cannot give the second key"):
        instructions.approve(db, made.id, bank.teller)
    assert instructions.get(db, made.id).status == "PENDING"


@pytest.mark.parametrize("role_actor", ["teller", "admin", "auditor"])
def test_roles_without_authority_cannot_approve_money(db, bank, role_actor):
    deposit(db, bank, bank.alice, 500_00)
    made = submit(db, bank, [Leg(bank.alice, debit=100_00), Leg(bank.bob, credit=100_00)])
    checker = getattr(bank, role_actor)
    if role_actor == "teller":  # a second teller: not the maker, but still no authority
        checker = checker.__class__(**{**checker.__dict__, "staff_id": bank.admin.staff_id + 100})
    with pytest.raises(ApprovalError):
        instructions.approve(db, made.id, checker)
    assert instructions.get(db, made.id).status == "PENDING"


def test_checker_above_their_limit_is_refused_and_a_senior_approves(db, bank):
    deposit(db, bank, bank.alice, 300_000_00)
    made = submit(db, bank, [Leg(bank.alice, debit=250_000_00), Leg(bank.bob, credit=250_000_00)])
    assert made.required_checkers == 1
    with pytest.raises(ApprovalError, match="above super1's limit"):
        instructions.approve(db, made.id, bank.supervisor)
    approved = instructions.approve(db, made.id, bank.manager)
    assert approved.status == "APPROVED" and approved.checker_id == bank.manager.staff_id
    assert _balances(db, bank.bob) == (250_000_00, 250_000_00)


def test_above_top_single_limit_needs_two_checkers_of_rising_level(db, bank):
    deposit(db, bank, bank.alice, 2_000_000_00)
    made = submit(db, bank, [Leg(bank.alice, debit=1_500_000_00), Leg(bank.bob, credit=1_500_000_00)])
    assert made.required_checkers == 2
    with pytest.raises(ApprovalError, match="more junior checker approves first"):
        instructions.approve(db, made.id, bank.manager)
    first = instructions.approve(db, made.id, bank.supervisor)
    assert first.status == "PENDING" and first.checker_id == bank.supervisor.staff_id
    assert first.entry_id is None
    with pytest.raises(ApprovalError, match="already approved"):
        instructions.approve(db, made.id, bank.supervisor)
    with pytest.raises(ApprovalError, match="more senior checker"):
        instructions.approve(db, made.id, bank.supervisor2)
    final = instructions.approve(db, made.id, bank.manager)
    assert final.status == "APPROVED" and final.second_checker_id == bank.manager.staff_id and final.entry_id


def test_amount_above_every_limit_is_refused_at_submission(db, bank):
    with pytest.raises(ApprovalError, match="head office"):
        submit(db, bank, [Leg(bank.alice, debit=5_000_000_01), Leg(bank.bob, credit=5_000_000_01)])


def test_checker_from_another_branch_is_refused(db, bank):
    other = seed_bank(db, code="0202")
    deposit(db, bank, bank.alice, 500_00)
    made = submit(db, bank, [Leg(bank.alice, debit=100_00), Leg(bank.bob, credit=100_00)])
    with pytest.raises(ApprovalError, match="another branch"):
        instructions.approve(db, made.id, other.supervisor)


def test_changed_payload_after_submission_is_refused(db, bank):
    deposit(db, bank, bank.alice, 500_00)
    made = submit(db, bank, [Leg(bank.alice, debit=100_00), Leg(bank.bob, credit=100_00)])
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE instruction SET narrative = 'to a different payee' WHERE id = :id"),
                           {"id": made.id})
    with pytest.raises(ApprovalError, match="changed after it was submitted"):
        instructions.approve(db, made.id, bank.supervisor)
    assert _balances(db, bank.bob) == (0, 0)


def test_changed_legs_after_submission_are_refused(db, bank):
    deposit(db, bank, bank.alice, 500_00)
    made = submit(db, bank, [Leg(bank.alice, debit=100_00), Leg(bank.bob, credit=100_00)])
    with db.engine.begin() as connection:
        payload = connection.execute(text("SELECT payload FROM instruction WHERE id = :id"), {"id": made.id}).scalar()
        connection.execute(text("UPDATE instruction SET payload = :payload WHERE id = :id"),
                           {"id": made.id, "payload": payload.replace("10000", "40000")})
    with pytest.raises(ApprovalError, match="changed after it was submitted"):
        instructions.approve(db, made.id, bank.supervisor)


def test_holds_reduce_available_and_are_released_or_consumed(db, bank):
    deposit(db, bank, bank.alice, 1_000_00)
    first = submit(db, bank, _withdrawal(bank, 300_00), )
    second = submit(db, bank, _withdrawal(bank, 200_00))
    assert _balances(db, bank.alice) == (1_000_00, 500_00)
    with pytest.raises(LedgerError, match="insufficient available balance"):
        submit(db, bank, _withdrawal(bank, 600_00))
    instructions.reject(db, first.id, bank.supervisor, "customer's signature does not match")
    assert _balances(db, bank.alice) == (1_000_00, 800_00)
    instructions.cancel(db, second.id, bank.teller)
    assert _balances(db, bank.alice) == (1_000_00, 1_000_00)
    third = submit(db, bank, _withdrawal(bank, 400_00))
    instructions.approve(db, third.id, bank.supervisor)
    assert _balances(db, bank.alice) == (600_00, 600_00)
    assert db.run(ledger.verify, readonly=True).ok


def test_only_the_maker_cancels_and_only_a_checker_rejects(db, bank):
    deposit(db, bank, bank.alice, 100_00)
    made = submit(db, bank, _withdrawal(bank, 50_00))
    with pytest.raises(ApprovalError, match="only the maker"):
        instructions.cancel(db, made.id, bank.supervisor)
    with pytest.raises(ApprovalError, match="rejecting is for a checker"):
        instructions.reject(db, made.id, bank.teller, "changed my mind")
    with pytest.raises(Exception, match="say why"):
        instructions.reject(db, made.id, bank.supervisor, "   ")


def test_expired_instruction_cannot_be_approved_and_releases_its_hold(db, bank):
    deposit(db, bank, bank.alice, 100_00)
    made = instructions.submit(db, bank.teller, InstructionRequest(
        kind="cash_withdrawal", legs=tuple(_withdrawal(bank, 60_00)), narrative="cash out",
        idempotency_key=new_key(), lifetime=timedelta(0)))
    assert _balances(db, bank.alice) == (100_00, 40_00)
    with pytest.raises(ApprovalError, match="expired"):
        instructions.approve(db, made.id, bank.supervisor)
    assert instructions.get(db, made.id).status == "EXPIRED"
    assert _balances(db, bank.alice) == (100_00, 100_00)


def test_expire_overdue_sweeps_pending_instructions(db, bank):
    deposit(db, bank, bank.alice, 100_00)
    for _ in range(2):
        instructions.submit(db, bank.teller, InstructionRequest(
            kind="cash_withdrawal", legs=tuple(_withdrawal(bank, 10_00)), narrative="cash out",
            idempotency_key=new_key(), lifetime=timedelta(0)))
    live = submit(db, bank, _withdrawal(bank, 10_00))
    assert instructions.expire_overdue(db, system_actor("sweeper")) == 2
    assert _balances(db, bank.alice) == (100_00, 90_00)
    assert instructions.get(db, live.id).status == "PENDING"


def test_reversal_is_an_instruction_with_its_own_second_key(db, bank):
    deposit(db, bank, bank.alice, 100_00)
    moved = post(db, bank, [Leg(bank.alice, debit=70_00), Leg(bank.bob, credit=70_00)])
    reversal = instructions.request_reversal(db, bank.teller, moved.entry_id, "wrong payee", new_key())
    assert reversal.status == "PENDING" and reversal.reverses_entry_id == moved.entry_id
    assert _balances(db, bank.bob) == (70_00, 0)  # the reversal holds Bob's funds until approved
    instructions.approve(db, reversal.id, bank.supervisor)
    assert _balances(db, bank.alice) == (100_00, 100_00) and _balances(db, bank.bob) == (0, 0)
    with pytest.raises(LedgerError, match="already reversed"):
        instructions.request_reversal(db, bank.teller, moved.entry_id, "again", new_key())


def test_a_cash_entry_is_not_reversed_by_its_bare_mirror(db, bank):
    """Its mirror would put the cash back into the drawer that took it, perhaps closed and counted by now:
    cash is corrected at the counter, through the corrector's own open drawer."""
    cash_in = deposit(db, bank, bank.alice, 100_00)
    with pytest.raises(LedgerError, match="moved cash: correct it at the counter"):
        instructions.request_reversal(db, bank.teller, cash_in.entry_id, "wrong account", new_key())
    assert _balances(db, bank.alice) == (100_00, 100_00)


def test_frozen_account_takes_no_movements(db, bank):
    deposit(db, bank, bank.alice, 100_00)
    accounts.set_status(db, system_actor("tests"), bank.alice, "frozen", "court order")
    with pytest.raises(LedgerError, match="frozen"):
        submit(db, bank, [Leg(bank.alice, debit=10_00), Leg(bank.bob, credit=10_00)])


def test_closed_business_day_refuses_new_instructions(db, bank):
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE branch SET day_open = false WHERE id = :id"), {"id": bank.branch_id})
    with pytest.raises(LedgerError, match="closed business day"):
        submit(db, bank, [Leg(bank.drawer, debit=10_00), Leg(bank.alice, credit=10_00)])
