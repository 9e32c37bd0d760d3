"""Cash at the counter on both databases: the business day, drawers opened with cash counted by
denomination, hand-overs confirmed by both sides, blind end-of-day balancing with over and short, and
the rules the database keeps even against raw SQL. After every flow the ledger and the audit chain verify."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from teller import accounts, business_day, drawers, end_of_day, instructions, staff
from teller.actor import system_actor
from teller.documents import render_text
from teller.errors import ApprovalError, InputError, LedgerError
from teller.ledger import Leg
from tests.helpers import (
    BUSINESS_DATE, PASSWORD, assert_books_clean, counted, fund_vault, new_key, open_drawer, post, submit,
)

VAULT_CASH = 1_000_000_00


@pytest.fixture
def cash_bank(db, bank):
    fund_vault(db, bank, VAULT_CASH)
    return bank


def balance(db, number: str) -> int:
    return accounts.get_account(db, number).balance


def raw(db, sql: str, **params) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(sql), params)


def second_teller(db, bank):
    def make(session):
        user = staff.create_staff(session, system_actor("tests"), username="teller2", display_name="Teller Two",
                                  branch_code=bank.branch_code, roles=("teller",), password=PASSWORD)
        return staff.actor_for(user, "test-terminal")

    return db.run(make)


def test_opening_takes_counted_cash_from_the_vault_after_the_second_key(db, cash_bank):
    bank = cash_bank
    pieces = {10000: 300, 5000: 20, 2000: 10, 1000: 5, 500: 4, 100: 7, 50: 3, 10: 9}
    made = drawers.open_drawer(db, bank.teller, pieces, new_key())
    assert made.kind == "vault_to_drawer" and made.status == "PENDING"
    assert made.amount == 300 * 10000 + 20 * 5000 + 10 * 2000 + 5 * 1000 + 4 * 500 + 7 * 100 + 3 * 50 + 9 * 10
    assert drawers.my_drawer(db, bank.teller).state == "opening"
    assert balance(db, bank.drawer) == 0
    instructions.approve(db, made.id, bank.supervisor)
    drawer = drawers.my_drawer(db, bank.teller)
    assert drawer.state == "open" and drawer.balance == made.amount
    assert dict(drawer.last_count.pieces) == pieces and drawer.last_count.total == made.amount
    assert balance(db, bank.vault) == VAULT_CASH - made.amount
    with pytest.raises(LedgerError, match="already open"):
        drawers.open_drawer(db, bank.teller, counted(100_00), new_key())
    assert_books_clean(db)


def test_a_retried_opening_returns_the_first(db, cash_bank):
    key = new_key()
    first = drawers.open_drawer(db, cash_bank.teller, counted(500_00), key)
    assert drawers.open_drawer(db, cash_bank.teller, counted(500_00), key).id == first.id
    assert_books_clean(db)


@pytest.mark.parametrize(("pieces", "message"), [
    ({10000: -1}, "count from 0"),
    ({10000: 1_000_001}, "count from 0"),
    ({2500: 1}, "not a CNY note or coin"),
    ({10000: 0}, "more than zero"),
    ({}, "more than zero"),
])
def test_bad_counts_are_refused_naming_the_fix(db, cash_bank, pieces, message):
    with pytest.raises(InputError, match=message) as refused:
        drawers.open_drawer(db, cash_bank.teller, pieces, new_key())
    assert refused.value.field == "count"
    assert drawers.my_drawer(db, cash_bank.teller).state == "none"
    assert_books_clean(db)


def test_typed_counts_take_full_width_digits_and_refuse_the_rest():
    assert drawers.parse_pieces({10000: "２５", 50: " 3 ", 10: ""})[10000] == 25
    assert drawers.parse_pieces({1000: "1,200"})[1000] == 1200
    for typed in ("2.5", "-3", "abc", "1e3", "٣"):
        with pytest.raises(InputError, match="whole number"):
            drawers.parse_pieces({500: typed})


def test_the_database_refuses_a_count_that_does_not_add_up(db, cash_bank):
    made = drawers.open_drawer(db, cash_bank.teller, counted(100_00), new_key())
    session_id = drawers.my_drawer(db, cash_bank.teller).session_id
    columns = "session_id, purpose, staff_id, counted_at, instruction_id, total, expected, " + ", ".join(
        f"pieces_{value}" for value in (10000, 5000, 2000, 1000, 500, 100, 50, 10))
    insert = (f"INSERT INTO cash_count ({columns}) VALUES (:session, 'opening', :staff, CURRENT_TIMESTAMP,"
              " :instruction, :total, NULL, :hundreds, 0, 0, 0, 0, 0, 0, 0)")
    with pytest.raises(Exception, match="adds_up|CHECK constraint"):
        raw(db, insert, session=session_id, staff=cash_bank.teller.staff_id, instruction=made.id, total=100_00,
            hundreds=2)
    with pytest.raises(Exception, match="does not add up to its instruction"):
        raw(db, insert, session=session_id, staff=cash_bank.teller.staff_id, instruction=made.id, total=200_00,
            hundreds=2)
    with pytest.raises(Exception, match="never changed"):
        raw(db, "UPDATE cash_count SET pieces_10 = pieces_10 + 10, total = total + 100")
    assert_books_clean(db)


def no_negative(db, number: str) -> bool:
    """Whether the account's row marks it as never below zero, which the database enforces on every entry
    and hold (raw-SQL tests in test_database_enforcement.py)."""
    return bool(db.run(lambda session: session.execute(
        text("SELECT no_negative FROM account WHERE number = :number"), {"number": number}).scalar_one(),
        readonly=True))


def test_a_drawer_never_goes_below_zero(db, cash_bank):
    bank = cash_bank
    open_drawer(db, bank, 1_000_00)
    with pytest.raises(LedgerError, match="insufficient available balance"):
        drawers.return_to_vault(db, bank.teller, 1_000_10, new_key())
    returned = drawers.return_to_vault(db, bank.teller, 400_00, new_key())
    instructions.approve(db, returned.id, bank.supervisor)
    assert balance(db, bank.drawer) == 600_00
    assert no_negative(db, bank.drawer)  # so the database's own rule covers it too
    assert_books_clean(db)


def test_the_drawer_limit_flags_the_excess(db, cash_bank):
    bank = cash_bank
    limit = drawers.drawer_limit()
    open_drawer(db, bank, limit + 5_000_00)
    drawer = drawers.my_drawer(db, bank.teller)
    assert drawer.excess == 5_000_00
    returned = drawers.return_to_vault(db, bank.teller, drawer.excess, new_key())
    instructions.approve(db, returned.id, bank.supervisor)
    assert drawers.my_drawer(db, bank.teller).excess == 0
    assert_books_clean(db)


def test_cash_is_not_handed_to_a_drawer_over_its_limit(db, cash_bank):
    bank = cash_bank
    receiver = second_teller(db, bank)
    open_drawer(db, bank, 2_000_00)
    open_drawer(db, bank, drawers.drawer_limit() + 100_00, teller=receiver)
    with pytest.raises(LedgerError, match=r"0101-1002-teller2 holds 200,100.00, over its limit of 200,000.00: "
                                          r"return the excess of 100.00 to the vault"):
        drawers.transfer_to_teller(db, bank.teller, "teller2", 500_00, new_key())
    instructions.approve(db, drawers.return_to_vault(db, receiver, 100_00, new_key()).id, bank.supervisor)
    made = drawers.transfer_to_teller(db, bank.teller, "teller2", 500_00, new_key())
    instructions.approve(db, made.id, receiver)
    assert drawers.my_drawer(db, receiver).excess == 500_00
    assert_books_clean(db)


def test_the_vault_never_goes_below_zero(db, cash_bank):
    bank = cash_bank
    with pytest.raises(LedgerError, match=f"insufficient available balance in account {bank.vault}"):
        drawers.open_drawer(db, bank.teller, counted(VAULT_CASH + 10), new_key())
    assert drawers.my_drawer(db, bank.teller).state == "none"
    held = submit(db, bank, [Leg(bank.suspense, debit=VAULT_CASH - 10), Leg(bank.vault, credit=VAULT_CASH - 10)])
    with pytest.raises(LedgerError, match=f"insufficient available balance in account {bank.vault}"):
        submit(db, bank, [Leg(bank.suspense, debit=20), Leg(bank.vault, credit=20)])  # the hold counts
    instructions.cancel(db, held.id, bank.teller)
    # The database's own rule (an entry may not take a no-negative account below zero, holds counted; raw-SQL
    # tests in test_database_enforcement.py) covers the vault because its row says so.
    assert no_negative(db, bank.vault)
    assert balance(db, bank.vault) == VAULT_CASH
    assert_books_clean(db)


def test_teller_to_teller_cash_is_confirmed_by_the_receiving_teller(db, cash_bank):
    bank = cash_bank
    receiver = second_teller(db, bank)
    open_drawer(db, bank, 2_000_00)
    with pytest.raises(LedgerError, match="teller2's drawer is not open"):
        drawers.transfer_to_teller(db, bank.teller, "teller2", 500_00, new_key())
    open_drawer(db, bank, 100_00, teller=receiver)
    with pytest.raises(InputError, match="not your own"):
        drawers.transfer_to_teller(db, bank.teller, "teller1", 500_00, new_key())
    made = drawers.transfer_to_teller(db, bank.teller, "teller2", 500_00, new_key())
    for outsider in (bank.supervisor, bank.manager):
        with pytest.raises(ApprovalError, match="teller who receives the cash"):
            instructions.approve(db, made.id, outsider)
    with pytest.raises(ApprovalError, match="maker"):
        instructions.approve(db, made.id, bank.teller)
    instructions.approve(db, made.id, receiver)
    assert balance(db, bank.drawer) == 1_500_00
    assert balance(db, accounts.drawer_number(bank.branch_code, "teller2")) == 600_00
    assert_books_clean(db)


def two_open_drawers(db, bank):
    """teller1's drawer with 2,000.00 and teller2's with 100.00, both open: teller2's actor."""
    receiver = second_teller(db, bank)
    open_drawer(db, bank, 2_000_00)
    open_drawer(db, bank, 100_00, teller=receiver)
    return receiver


def test_a_waiting_hand_over_is_confirmed_later_by_the_receiver_from_their_own_list(db, cash_bank):
    bank = cash_bank
    receiver = two_open_drawers(db, bank)
    made = drawers.transfer_to_teller(db, bank.teller, "teller2", 500_00, new_key())  # the key was not given
    [incoming] = drawers.waiting_hand_overs(db, receiver)
    assert (incoming.instruction_id, incoming.sender, incoming.receiver, incoming.amount, incoming.incoming) == (
        made.id, "teller1", "teller2", 500_00, True)
    [outgoing] = drawers.waiting_hand_overs(db, bank.teller)
    assert outgoing.instruction_id == made.id and not outgoing.incoming
    with pytest.raises(LedgerError, match=f"instruction {made.id} on your drawer waits"):
        end_of_day.count_drawer(db, bank.teller, counted(1_500_00))  # the waiting hand-over blocks the count
    instructions.approve(db, made.id, receiver)
    assert drawers.waiting_hand_overs(db, receiver) == [] and drawers.waiting_hand_overs(db, bank.teller) == []
    assert balance(db, accounts.drawer_number(bank.branch_code, "teller2")) == 600_00
    assert end_of_day.count_drawer(db, bank.teller, counted(1_500_00)).difference == 0
    assert_books_clean(db)


def test_the_receiver_refuses_a_hand_over_with_a_reason_and_only_they_may(db, cash_bank):
    bank = cash_bank
    receiver = two_open_drawers(db, bank)
    teller3 = db.run(lambda session: staff.actor_for(staff.create_staff(
        session, system_actor("tests"), username="teller3", display_name="Teller Three",
        branch_code=bank.branch_code, roles=("teller",), password=PASSWORD), "test-terminal"))
    made = drawers.transfer_to_teller(db, bank.teller, "teller2", 500_00, new_key())
    assert accounts.get_account(db, bank.drawer).available == 1_500_00  # held while it waits
    assert drawers.waiting_hand_overs(db, teller3) == []  # neither theirs to confirm nor theirs to withdraw
    with pytest.raises(ApprovalError, match="no role that may reject"):
        instructions.reject(db, made.id, teller3, "not mine")
    with pytest.raises(InputError, match="say why"):
        instructions.reject(db, made.id, receiver, "  ")
    refused = instructions.reject(db, made.id, receiver, "counted 400.00, not 500.00")
    assert (refused.status, refused.reason) == ("REJECTED", "counted 400.00, not 500.00")
    assert accounts.get_account(db, bank.drawer).available == 2_000_00  # the hold is released
    assert balance(db, accounts.drawer_number(bank.branch_code, "teller2")) == 100_00
    assert drawers.waiting_hand_overs(db, bank.teller) == []
    assert end_of_day.count_drawer(db, bank.teller, counted(2_000_00)).difference == 0
    assert_books_clean(db)


def test_the_sender_withdraws_a_hand_over_that_still_waits(db, cash_bank):
    bank = cash_bank
    receiver = two_open_drawers(db, bank)
    made = drawers.transfer_to_teller(db, bank.teller, "teller2", 500_00, new_key())
    with pytest.raises(ApprovalError, match="only the maker can cancel"):
        instructions.cancel(db, made.id, receiver)
    withdrawn = instructions.cancel(db, made.id, bank.teller)
    assert withdrawn.status == "CANCELLED"
    assert accounts.get_account(db, bank.drawer).available == 2_000_00
    assert drawers.waiting_hand_overs(db, receiver) == []
    with pytest.raises(ApprovalError, match="CANCELLED|cancelled"):
        instructions.approve(db, made.id, receiver)
    assert end_of_day.count_drawer(db, bank.teller, counted(2_000_00)).difference == 0
    assert_books_clean(db)


def test_the_receiving_teller_rule_holds_in_the_approval_path_not_only_the_screen(db, cash_bank):
    """A teller cannot approve other kinds: the policy gives tellers authority for drawer_to_drawer only."""
    bank = cash_bank
    receiver = second_teller(db, bank)
    made = submit(db, bank, [Leg(bank.vault, debit=10_00), Leg(bank.suspense, credit=10_00)])
    with pytest.raises(ApprovalError, match="no authority"):
        instructions.approve(db, made.id, receiver)


@pytest.mark.parametrize("difference", [+12_30, -7_50, 0])
def test_blind_end_of_day_posts_over_or_short_and_returns_the_cash(db, cash_bank, difference):
    bank = cash_bank
    open_drawer(db, bank, 5_000_00)
    over_short = accounts.branch_account_number(bank.branch_code, end_of_day.OVER_SHORT_GL)
    balancing = end_of_day.count_drawer(db, bank.teller, counted(5_000_00 + difference))
    assert (balancing.expected, balancing.counted, balancing.difference) == (
        5_000_00, 5_000_00 + difference, difference)
    with pytest.raises(ApprovalError, match="no authority"):
        end_of_day.close_drawer(db, bank.teller, second_teller(db, bank))
    closed = end_of_day.close_drawer(db, bank.teller, bank.supervisor)
    assert (closed.over_short_instruction_id is not None) == bool(difference)
    assert balance(db, bank.drawer) == 0
    assert balance(db, over_short) == -difference  # an expense account: short is a debit, over a credit
    assert balance(db, bank.vault) == VAULT_CASH + difference
    assert drawers.my_drawer(db, bank.teller).state == "closed"
    proof = render_text(end_of_day.teller_proof(db, closed.session_id))
    assert "Audit chain head at close" in proof
    assert_books_clean(db)


def test_the_count_is_recorded_before_the_expected_balance_is_known(db, cash_bank):
    bank = cash_bank
    open_drawer(db, bank, 1_000_00)
    first = end_of_day.count_drawer(db, bank.teller, counted(900_00))
    second = end_of_day.count_drawer(db, bank.teller, counted(1_000_00))
    assert second.count_id > first.count_id
    proof = render_text(end_of_day.teller_proof(db, first.session_id))
    assert "Counts made" in proof and " 2" in proof  # the recount after seeing a difference shows
    deposit_made = submit(db, bank, [Leg(bank.drawer, debit=10_00), Leg(bank.alice, credit=10_00)],
                          kind="cash_deposit")
    with pytest.raises(LedgerError, match=f"instruction {deposit_made.id} on your drawer waits"):
        end_of_day.count_drawer(db, bank.teller, counted(1_000_00))
    instructions.approve(db, deposit_made.id, bank.supervisor)
    with pytest.raises(LedgerError, match="moved since the count"):
        end_of_day.close_drawer(db, bank.teller, bank.supervisor)
    assert_books_clean(db)


def test_the_proof_keeps_the_first_blind_count_and_each_recounts_difference(db, cash_bank):
    bank = cash_bank
    open_drawer(db, bank, 1_000_00)
    end_of_day.count_drawer(db, bank.teller, counted(900_00))  # blind: 100.00 short
    end_of_day.count_drawer(db, bank.teller, counted(1_020_00))  # after seeing the expected balance: over
    last = end_of_day.count_drawer(db, bank.teller, counted(1_000_00))
    closed = end_of_day.close_drawer(db, bank.teller, bank.supervisor)
    assert closed.over_short_instruction_id is None  # the difference posted is the last count's: none
    lines = render_text(end_of_day.teller_proof(db, last.session_id)).splitlines()
    shown = [" ".join(line.split()) for line in lines]
    assert "Counts made 3" in shown
    assert "First count (blind) counted 900.00 · expected 1,000.00 · short (短款) 100.00" in shown
    assert "Recount 2 counted 1,020.00 · expected 1,000.00 · over (长款) 20.00" in shown
    assert "Recount 3 counted 1,000.00 · expected 1,000.00 · none: the drawer balances" in shown
    assert "Difference none: the drawer balances" in shown
    assert shown.index("Counts made 3") < shown.index("First count (blind) counted 900.00 · expected 1,000.00 "
                                                      "· short (短款) 100.00")
    teller2 = second_teller(db, bank)
    open_drawer(db, bank, 300_00, teller=teller2)
    once = end_of_day.count_drawer(db, teller2, counted(300_00))
    assert "First count (blind)" not in render_text(end_of_day.teller_proof(db, once.session_id))  # one count
    assert_books_clean(db)


def test_the_day_closes_only_with_every_drawer_closed_and_rolls_the_date(db, cash_bank):
    bank = cash_bank
    open_drawer(db, bank, 1_000_00)
    with pytest.raises(LedgerError, match="drawers still open: teller1"):
        business_day.close_day(db, bank.supervisor)
    with pytest.raises(Exception, match="a drawer of the branch is still open"):
        raw(db, "UPDATE branch SET day_open = false, business_date = :day WHERE id = :id",
            day=BUSINESS_DATE + timedelta(days=1), id=bank.branch_id)
    end_of_day.count_drawer(db, bank.teller, counted(1_000_00))
    end_of_day.close_drawer(db, bank.teller, bank.supervisor)
    pending = submit(db, bank, [Leg(bank.vault, debit=10_00), Leg(bank.suspense, credit=10_00)])
    with pytest.raises(LedgerError, match="1 instruction"):
        business_day.close_day(db, bank.supervisor)
    with pytest.raises(LedgerError, match="may not open or close"):
        business_day.close_day(db, bank.teller)
    instructions.cancel(db, pending.id, bank.teller)
    closed = business_day.close_day(db, bank.supervisor)
    assert (closed.day_open, closed.business_date) == (False, BUSINESS_DATE + timedelta(days=1))
    proof = render_text(end_of_day.branch_proof(db, bank.branch_id, BUSINESS_DATE))
    assert "Audit chain head at the day's close" in proof and "teller1" in proof
    assert_books_clean(db)


def test_the_day_does_not_close_with_cash_in_a_drawer_no_open_session_holds(db, cash_bank):
    """Cash posted to a drawer with no open session (as a correction once did after the drawer closed) is
    counted by no one: the service, the session guard and the database each refuse to close the day."""
    from models import Branch
    from teller.errors import LedgerGuardError

    bank = cash_bank
    post(db, bank, [Leg(bank.drawer, debit=100_00), Leg(bank.alice, credit=100_00)], kind="cash_deposit")
    with pytest.raises(LedgerError, match=r"cash outside an open drawer: 0101-1002-teller1 100.00; its teller "
                                          r"opens the drawer, counts it and closes it"):
        business_day.close_day(db, bank.supervisor)
    with pytest.raises(Exception, match="holds cash outside an open drawer session"):
        raw(db, "UPDATE branch SET day_open = false, business_date = :day WHERE id = :id",
            day=BUSINESS_DATE + timedelta(days=1), id=bank.branch_id)

    def close_by_hand(session):
        branch = session.get(Branch, bank.branch_id)
        branch.day_open = False
        branch.business_date = BUSINESS_DATE + timedelta(days=1)

    with pytest.raises(LedgerGuardError, match="no open session counts"):
        db.run(close_by_hand)
    open_drawer(db, bank, 10_00)
    end_of_day.count_drawer(db, bank.teller, counted(110_00))
    end_of_day.close_drawer(db, bank.teller, bank.supervisor)
    assert balance(db, bank.drawer) == 0 and balance(db, bank.vault) == VAULT_CASH + 100_00
    assert business_day.close_day(db, bank.supervisor).business_date == BUSINESS_DATE + timedelta(days=1)
    assert_books_clean(db)


def test_nothing_posts_on_a_closed_day_until_the_next_is_opened(db, cash_bank):
    bank = cash_bank
    business_day.close_day(db, bank.supervisor)
    with pytest.raises(LedgerError, match="closed business day"):
        submit(db, bank, [Leg(bank.vault, debit=10_00), Leg(bank.suspense, credit=10_00)])
    with pytest.raises(LedgerError, match="closed business day"):
        drawers.open_drawer(db, bank.teller, counted(10_00), new_key())
    with pytest.raises(Exception, match="business day is closed"):
        raw(db, "INSERT INTO instruction (kind, status, branch_id, business_date, maker_id, required_checkers,"
                " currency, amount, narrative, payload, payload_hash, idempotency_key, terminal, created_at,"
                " expires_at) VALUES ('transfer', 'PENDING', :branch, :day, :maker, 1, 'CNY', 1, 'raw', '{\"legs\": []}',"
                " 'x', 'raw-key-000', 'raw', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            branch=bank.branch_id, day=BUSINESS_DATE + timedelta(days=1), maker=bank.teller.staff_id)
    with pytest.raises(Exception, match="moves only forward"):
        raw(db, "UPDATE branch SET business_date = :day WHERE id = :id", day=BUSINESS_DATE, id=bank.branch_id)
    opened = business_day.open_day(db, bank.supervisor)
    assert opened.day_open and opened.business_date == BUSINESS_DATE + timedelta(days=1)
    made = open_drawer(db, bank, 10_00)
    assert made.business_date == BUSINESS_DATE + timedelta(days=1)
    assert_books_clean(db)


def test_the_database_and_the_guard_keep_the_receiver_rule_and_the_counts(db, cash_bank):
    from models import CashCount
    from teller.errors import LedgerGuardError

    bank = cash_bank
    second_teller(db, bank)
    open_drawer(db, bank, 1_000_00)
    open_drawer(db, bank, 100_00, teller=db.run(
        lambda session: staff.actor_for(staff._user(session, "teller2"), "test-terminal")))
    made = drawers.transfer_to_teller(db, bank.teller, "teller2", 100_00, new_key())
    with pytest.raises(Exception, match="the teller who receives the cash confirms"):
        raw(db, "UPDATE instruction SET checker_id = :checker WHERE id = :id", checker=bank.supervisor.staff_id,
            id=made.id)

    def alter_count(session):
        count = session.query(CashCount).first()
        count.pieces_10 += 1

    with pytest.raises(LedgerGuardError, match="never changed"):
        db.run(alter_count)
    assert_books_clean(db)
