"""The counter's services on SQLite and PostgreSQL: deposits, withdrawals and transfers with their checks,
the identity check, idempotent submission, the duplicate warning, large-value cash and its report, voids and
reversals, the approval queue and the change notices that keep it live. Every test ends with a clean ledger
and audit chain."""

import csv
import io
import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from models import Branch, Hold, IdentityCheck, Instruction
from screens.counter import warning_lines
from teller import (
    accounts, approvals, business_day, counter, customers, drawers, end_of_day, instructions, large_value,
    notifications, staff,
)
from teller.actor import Actor, system_actor
from teller.errors import InputError, LedgerError
from teller.large_value import load_settings
from teller.ledger import Leg
from teller.money import format_minor
from tests.helpers import PASSWORD, close_business_day, counted, next_business_day, open_drawer, post
from tests.counter_support import (
    DRAWER_CASH, LI_ID, WANG_ID, approve, assert_clean, draft, move, queue_ids, seed_counter,
)


@pytest.fixture
def c(db, bank):
    made = seed_counter(db, bank)
    yield made
    assert_clean(db)


def balance(c, number: str) -> tuple[int, int]:
    view = accounts.get_account(c.db, number)
    return view.balance, view.available


def count(c, model) -> int:
    return c.db.run(lambda session: session.execute(select(func.count()).select_from(model)).scalar_one(),
                    readonly=True)


def test_cash_deposit_moves_cash_from_the_drawer_to_the_account(c):
    preview = counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "1,000.50"))
    assert (preview.account.balance, preview.account.balance_after) == (0, 1_000_50)
    assert preview.account.available_after == 1_000_50
    assert preview.needs_identity and preview.duplicate is None and preview.large_value is None
    made = counter.submit(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "1,000.50"))
    assert made.status == "PENDING" and balance(c, c.wang_account) == (0, 0)
    assert approve(c, made).status == "APPROVED"
    assert balance(c, c.wang_account) == (1_000_50, 1_000_50)
    assert balance(c, c.bank.drawer)[0] == DRAWER_CASH + 1_000_50


def test_cash_deposit_records_the_identity_check_as_a_withdrawal_does(c):
    before = count(c, Instruction)
    for refused_draft, field in ((draft(c, counter.DEPOSIT, "60,000", identity=False), "document type"),
                                 (replace(draft(c, counter.DEPOSIT, "60,000"), document_number=LI_ID),
                                  "document number")):
        with pytest.raises(InputError) as refused:
            counter.submit(c.db, c.bank.teller, refused_draft)
        assert refused.value.field == field
    assert count(c, Instruction) == before and count(c, IdentityCheck) == 0
    made = counter.submit(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "60,000"))
    check = c.db.run(lambda s: s.execute(select(IdentityCheck)).scalar_one(), readonly=True)
    assert (check.instruction_id, check.customer_id, check.document_type, check.document_number) == (
        made.id, c.wang, "resident_id", WANG_ID)
    assert check.confirmed_by == c.bank.teller.staff_id
    identity = approvals.instruction_detail(c.db, made.id).identity
    assert identity.document_type == "resident_id" and identity.masked_number.endswith("002X")


def test_cash_withdrawal_records_the_identity_check_and_holds_the_funds(c):
    move(c, counter.DEPOSIT, "500")
    made = counter.submit(c.db, c.bank.teller, draft(c, counter.WITHDRAWAL, "200"))
    assert balance(c, c.wang_account) == (500_00, 300_00)  # held until the second key
    check = c.db.run(lambda s: s.execute(
        select(IdentityCheck).where(IdentityCheck.instruction_id == made.id)).scalar_one(), readonly=True)
    assert (check.customer_id, check.document_type, check.document_number) == (c.wang, "resident_id", WANG_ID)
    assert check.confirmed_by == c.bank.teller.staff_id
    approve(c, made)
    assert balance(c, c.wang_account) == (300_00, 300_00)
    assert balance(c, c.bank.drawer)[0] == DRAWER_CASH + 500_00 - 200_00


def test_withdrawal_beyond_the_available_balance_is_refused_counting_holds(c):
    move(c, counter.DEPOSIT, "500")
    counter.submit(c.db, c.bank.teller, draft(c, counter.WITHDRAWAL, "400"))
    with pytest.raises(InputError) as refused:
        counter.preview(c.db, c.bank.teller, draft(c, counter.WITHDRAWAL, "100.01"))
    assert refused.value.field == "amount" and "100.00" in refused.value.message
    with pytest.raises(InputError):
        counter.submit(c.db, c.bank.teller, draft(c, counter.WITHDRAWAL, "100.01"))
    assert count(c, Instruction) == 4  # vault funding, drawer, deposit, the held withdrawal; nothing more


def test_withdrawal_beyond_the_cash_in_the_drawer_is_refused(c):
    move(c, counter.DEPOSIT, "1,000")
    returned = DRAWER_CASH + 1_000_00 - 100_00
    post(c.db, c.bank, [Leg(c.bank.vault, debit=returned), Leg(c.bank.drawer, credit=returned)], kind="drawer_to_vault")
    before = count(c, Instruction)
    with pytest.raises(InputError) as refused:
        counter.submit(c.db, c.bank.teller, draft(c, counter.WITHDRAWAL, "100.01"))
    assert refused.value.field == "amount" and "drawer holds only 100.00" in refused.value.message
    assert count(c, Instruction) == before


@pytest.mark.parametrize("status", ["frozen", "closed"])
def test_frozen_or_closed_accounts_take_no_movements(c, status):
    accounts.set_status(c.db, c.bank.supervisor, c.wang_savings, status, "court order")
    for kind in counter.COUNTER_KINDS:
        with pytest.raises(InputError) as refused:
            counter.preview(c.db, c.bank.teller, draft(c, kind, "10", account=c.wang_savings, to=c.li_account))
        assert refused.value.field == "account"
    with pytest.raises(InputError) as refused:
        counter.preview(c.db, c.bank.teller, draft(c, counter.TRANSFER, "10", to=c.wang_savings))
    assert refused.value.field == "to account"


@pytest.mark.parametrize("typed, words", [
    ("-5", "positive"), ("0", "more than zero"), ("1.234", "decimal places"), ("", "enter an amount"),
    ("99999999999999999999", "too large"), ("１２٣", "0-9"), ("100 元 please", "not an amount"),
    ("1e5", "exponents"),
])
def test_bad_amounts_are_refused_naming_the_amount(c, typed, words):
    with pytest.raises(InputError) as refused:
        counter.submit(c.db, c.bank.teller, draft(c, counter.DEPOSIT, typed))
    assert refused.value.field == "amount" and words in refused.value.message
    assert queue_ids(c) == []


def test_full_width_digits_are_read_as_the_amount_meant(c):
    preview = counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "１，２３４．５０"))
    assert preview.amount.minor == 1_234_50


def test_transfer_to_another_customers_account_typed_with_spaces(c):
    move(c, counter.DEPOSIT, "800")
    typed = " ".join(c.li_account[i:i + 4] for i in range(0, len(c.li_account), 4))
    preview = counter.preview(c.db, c.bank.teller, draft(c, counter.TRANSFER, "300", to=typed))
    assert preview.to_account.holder == "李强" and preview.to_account.balance_after == 300_00
    assert preview.account.available_after == 500_00 and preview.needs_identity
    assert preview.to_account.masked_number == c.li_account[:4] + "****" + c.li_account[-4:]
    move(c, counter.TRANSFER, "300", to=typed)
    assert balance(c, c.wang_account)[0] == 500_00 and balance(c, c.li_account)[0] == 300_00


def test_transfer_payee_checks(c):
    move(c, counter.DEPOSIT, "100")
    usd = customers.open_account_for(c.db, c.bank.teller, c.li, "USD").number
    cases = {c.wang_account: "other than", "": "type the number", "6222000000000000000": "no customer account",
             c.bank.vault: "no customer account", usd: "one currency"}
    for typed, words in cases.items():
        with pytest.raises(InputError) as refused:
            counter.submit(c.db, c.bank.teller, draft(c, counter.TRANSFER, "10", to=typed))
        assert refused.value.field == "to account" and words in refused.value.message


def test_an_account_of_another_customer_is_not_the_counter_customers(c):
    with pytest.raises(InputError) as refused:
        counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "10", account=c.li_account))
    assert refused.value.field == "account"


def test_identity_document_is_required_and_must_match_the_file(c):
    move(c, counter.DEPOSIT, "100")
    base = draft(c, counter.WITHDRAWAL, "10")
    for changed, field in ((replace(base, document_type=""), "document type"),
                           (replace(base, document_number=""), "document number"),
                           (replace(base, document_number="110101200001011232"), "document number"),
                           (replace(base, document_type="passport"), "document number")):
        with pytest.raises(InputError) as refused:
            counter.submit(c.db, c.bank.teller, changed)
        assert refused.value.field == field
    lower_x = replace(base, document_number=WANG_ID.lower())
    assert counter.submit(c.db, c.bank.teller, lower_x).status == "PENDING"


def test_narrative_is_required_and_limited(c):
    for narrative, words in (("   ", "say what"), ("x" * 201, "200")):
        with pytest.raises(InputError) as refused:
            counter.submit(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "10", narrative=narrative))
        assert refused.value.field == "narrative" and words in refused.value.message


def test_submitting_the_same_form_twice_makes_one_instruction(c):
    move(c, counter.DEPOSIT, "100")
    form = draft(c, counter.WITHDRAWAL, "100")  # the whole available balance: a retry must not be refused
    first = counter.submit(c.db, c.bank.teller, form)
    second = counter.submit(c.db, c.bank.teller, form)
    assert first.id == second.id
    assert queue_ids(c) == [first.id]
    assert count(c, IdentityCheck) == 2  # the deposit's and the withdrawal's: one each
    assert c.db.run(lambda s: s.execute(select(func.count()).select_from(Hold).where(
        Hold.instruction_id == first.id)).scalar_one(), readonly=True) == 2  # the account's and the drawer's
    with pytest.raises(LedgerError, match="different instruction"):
        counter.submit(c.db, c.bank.teller, replace(form, narrative="something else"))


def test_submitting_concurrently_with_one_key_makes_one_instruction(c):
    form = draft(c, counter.DEPOSIT, "100")
    results = []
    threads = [threading.Thread(target=lambda: results.append(counter.submit(c.db, c.bank.teller, form)))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({made.id for made in results}) == 1 and len(results) == 2


def test_same_amount_on_the_same_account_within_the_window_is_a_warning(c):
    first = move(c, counter.DEPOSIT, "250")
    preview = counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "250"))
    assert preview.duplicate.instruction_id == first.id
    assert counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "251")).duplicate is None
    assert counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "250", account=c.wang_savings)).duplicate is None
    no_window = replace(load_settings(), duplicate_window=timedelta(0))
    assert counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "250"), no_window).duplicate is None
    second = counter.submit(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "250"))  # a warning, not a block
    assert approvals.instruction_detail(c.db, second.id).duplicate.instruction_id == first.id


def test_large_value_cash_is_flagged_singly_and_cumulatively(c):
    assert load_settings().large_value_threshold == 5_000_000
    single = counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "50,000"))
    assert single.large_value.day_total == 5_000_000
    assert counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "49,999.99")).large_value is None
    move(c, counter.DEPOSIT, "30,000")
    cumulative = counter.preview(c.db, c.bank.teller, draft(c, counter.WITHDRAWAL, "20,000"))
    assert cumulative.large_value.day_total == 5_000_000
    assert counter.preview(c.db, c.bank.teller, draft(c, counter.TRANSFER, "20,000", to=c.li_account)).large_value is None
    lower = replace(load_settings(), large_value_threshold=3_000_000)
    assert counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "0.01"), lower).large_value.day_total == 3_000_001


def test_large_value_report_lists_the_day_and_exports_csv(c, tmp_path):
    move(c, counter.DEPOSIT, "30,000")
    move(c, counter.WITHDRAWAL, "20,000")
    move(c, counter.DEPOSIT, "49,999.99", account=c.li_account, customer=c.li)  # below: not listed
    pending = counter.submit(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "70,000", account=c.li_account,
                                                          customer=c.li))
    day = c.db.run(lambda s: s.get(Branch, c.bank.branch_id).business_date, readonly=True)
    report = large_value.large_value_report(c.db, c.bank.branch_id, day)
    assert [(entry.name, entry.deposits, entry.withdrawals, entry.total) for entry in report] == [
        ("王芳", 3_000_000, 2_000_000, 5_000_000)]
    assert [line.kind for line in report[0].lines] == ["cash_deposit", "cash_withdrawal"]
    instructions.reject(c.db, pending.id, c.bank.supervisor, "wrong customer")
    path = large_value.export_large_value_report(c.db, c.bank.branch_id, day, tmp_path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [(row["customer_name"], row["id_number"], row["kind"], row["amount"], row["customer_day_total"])
            for row in rows] == [("王芳", WANG_ID, "cash_deposit", "30000.00", "50000.00"),
                                 ("王芳", WANG_ID, "cash_withdrawal", "20000.00", "50000.00")]
    assert path.name == f"large-value-{c.bank.branch_code}-{day.isoformat()}.csv"


def test_a_closed_business_day_refuses_every_movement(c):
    close_business_day(c.db, c.bank)
    before = count(c, Instruction)
    for kind in counter.COUNTER_KINDS:
        with pytest.raises(LedgerError, match="closed business day"):
            counter.submit(c.db, c.bank.teller, draft(c, kind, "10", to=c.li_account))
    assert count(c, Instruction) == before


def test_same_day_void_restores_the_balances_and_leaves_the_large_value_report(c):
    deposit = move(c, counter.DEPOSIT, "60,000")
    day = c.db.run(lambda s: s.get(Branch, c.bank.branch_id).business_date, readonly=True)
    assert len(large_value.large_value_report(c.db, c.bank.branch_id, day)) == 1
    preview = counter.correction_preview(c.db, c.bank.teller, deposit.entry_id)
    assert (preview.kind, preview.amount) == ("void", 6_000_000)
    key = counter.new_idempotency_key()
    void = counter.request_correction(c.db, c.bank.teller, deposit.entry_id, "wrong account", key)
    assert counter.request_correction(c.db, c.bank.teller, deposit.entry_id, "wrong account", key).id == void.id
    with pytest.raises(LedgerError, match="already waits"):
        counter.request_correction(c.db, c.bank.teller, deposit.entry_id, "again", counter.new_idempotency_key())
    assert balance(c, c.wang_account) == (6_000_000, 0)  # the void holds the money it will take back
    posted = approve(c, void)
    assert (posted.kind, posted.reverses_entry_id) == ("void", deposit.entry_id)
    assert balance(c, c.wang_account) == (0, 0) and balance(c, c.bank.drawer)[0] == DRAWER_CASH
    assert large_value.large_value_report(c.db, c.bank.branch_id, day) == []
    with pytest.raises(LedgerError, match="already reversed"):
        counter.correction_preview(c.db, c.bank.teller, deposit.entry_id)
    with pytest.raises(LedgerError, match="itself a correction"):
        counter.correction_preview(c.db, c.bank.teller, posted.entry_id)


def test_after_the_business_day_a_correction_is_a_reversal(c):
    deposit = move(c, counter.DEPOSIT, "700")
    next_business_day(c.db, c.bank)
    assert counter.correction_preview(c.db, c.bank.teller, deposit.entry_id).kind == "reversal"
    reversal = counter.request_correction(c.db, c.bank.teller, deposit.entry_id, "posted twice",
                                          counter.new_idempotency_key())
    assert approve(c, reversal).kind == "reversal" and balance(c, c.wang_account) == (0, 0)


def teller2(c) -> Actor:
    def make(session):
        user = staff.create_staff(session, system_actor("tests"), username="teller2", display_name="Teller2",
                                  branch_code=c.bank.branch_code, roles=("teller",), password=PASSWORD)
        return staff.actor_for(user, "test-terminal")

    return c.db.run(make)


def test_a_reversal_of_cash_goes_through_the_correcting_tellers_open_drawer(c):
    move(c, counter.DEPOSIT, "500")
    withdrawal = move(c, counter.WITHDRAWAL, "100")
    close_business_day(c.db, c.bank)
    business_day.open_day(c.db, c.bank.supervisor)
    before = count(c, Instruction)
    for attempt in (lambda: counter.correction_preview(c.db, c.bank.teller, withdrawal.entry_id),
                    lambda: counter.request_correction(c.db, c.bank.teller, withdrawal.entry_id, "paid twice",
                                                       counter.new_idempotency_key())):
        with pytest.raises(LedgerError, match=r"your own drawer, which is not open: open your drawer \(F11\)"):
            attempt()
    assert count(c, Instruction) == before and balance(c, c.bank.drawer) == (0, 0)  # teller1's drawer is closed
    other = teller2(c)
    open_drawer(c.db, c.bank, 1_000_00, teller=other)
    other_drawer = accounts.drawer_number(c.bank.branch_code, "teller2")
    preview = counter.correction_preview(c.db, other, withdrawal.entry_id)
    assert preview.kind == "reversal" and preview.legs == (Leg(c.wang_account, credit=100_00),
                                                           Leg(other_drawer, debit=100_00))
    reversal = approve(c, counter.request_correction(c.db, other, withdrawal.entry_id, "paid twice",
                                                     counter.new_idempotency_key()))
    assert reversal.reverses_entry_id == withdrawal.entry_id
    assert balance(c, other_drawer)[0] == 1_100_00 and balance(c, c.bank.drawer) == (0, 0)
    assert balance(c, c.wang_account) == (500_00, 500_00)
    end_of_day.count_drawer(c.db, other, counted(1_100_00))
    end_of_day.close_drawer(c.db, other, c.bank.supervisor)
    assert business_day.close_day(c.db, c.bank.supervisor).day_open is False


def test_a_void_pays_cash_back_only_from_an_open_drawer_that_holds_it(c):
    deposit = move(c, counter.DEPOSIT, "300")
    returned = drawers.return_to_vault(c.db, c.bank.teller, DRAWER_CASH + 200_00, counter.new_idempotency_key())
    approve(c, returned)
    with pytest.raises(LedgerError, match="your cash drawer holds only 100.00"):
        counter.request_correction(c.db, c.bank.teller, deposit.entry_id, "wrong account",
                                   counter.new_idempotency_key())
    end_of_day.count_drawer(c.db, c.bank.teller, counted(100_00))
    end_of_day.close_drawer(c.db, c.bank.teller, c.bank.supervisor)
    with pytest.raises(LedgerError, match="which is not open"):
        counter.correction_preview(c.db, c.bank.teller, deposit.entry_id)


def test_a_deposit_over_the_drawer_limit_warns_and_further_cash_in_waits_for_the_excess(c):
    limit = drawers.drawer_limit()
    room = limit - DRAWER_CASH
    assert counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, format_minor(room))).drawer_limit is None
    over = counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, format_minor(room + 250_00)))
    assert over.drawer_limit == drawers.LimitWarning(c.bank.drawer, "CNY", limit, 250_00)
    warning = "\n".join(warning_lines(None, None, over.drawer_limit))
    assert "250.00 CNY over its limit of 200,000.00" in warning and "F11" in warning
    move(c, counter.DEPOSIT, format_minor(room + 250_00))
    withdrawal = move(c, counter.WITHDRAWAL, "50")  # cash out is never held back
    assert balance(c, c.bank.drawer)[0] == limit + 200_00
    refused = r"holds 200,200.00, over its limit of 200,000.00: return the excess of 200.00 to the vault \(F11"
    for attempt in (counter.preview, counter.submit):
        with pytest.raises(LedgerError, match=refused):
            attempt(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "10", account=c.wang_savings))
    with pytest.raises(LedgerError, match=refused):  # a correction paying cash back in is cash in too
        counter.request_correction(c.db, c.bank.teller, withdrawal.entry_id, "not taken",
                                   counter.new_idempotency_key())
    approve(c, drawers.return_to_vault(c.db, c.bank.teller, 200_00, counter.new_idempotency_key()))
    assert counter.preview(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "10")).drawer_limit.excess == 10_00


def test_queue_is_oldest_first_and_rejection_releases_the_hold(c):
    move(c, counter.DEPOSIT, "900")
    withdrawal = counter.submit(c.db, c.bank.teller, draft(c, counter.WITHDRAWAL, "600"))
    transfer = counter.submit(c.db, c.bank.teller, draft(c, counter.TRANSFER, "300", to=c.li_account))
    queue = approvals.pending_queue(c.db, c.bank.branch_id)
    assert [(item.id, item.kind, item.amount, item.maker, item.customer) for item in queue] == [
        (withdrawal.id, "cash_withdrawal", 600_00, "Teller1", "王芳"),
        (transfer.id, "transfer", 300_00, "Teller1", "王芳")]
    assert all(item.age >= timedelta(0) for item in queue)
    assert balance(c, c.wang_account) == (900_00, 0)
    instructions.reject(c.db, withdrawal.id, c.bank.supervisor, "customer left")
    assert balance(c, c.wang_account) == (900_00, 600_00)
    assert queue_ids(c) == [transfer.id]
    approve(c, transfer)
    assert queue_ids(c) == []


def test_instruction_detail_shows_masked_legs_identity_and_warnings(c):
    move(c, counter.DEPOSIT, "40,000")
    made = counter.submit(c.db, c.bank.teller, draft(c, counter.WITHDRAWAL, "10,000"))
    detail = approvals.instruction_detail(c.db, made.id)
    assert (detail.customer, detail.maker, detail.masked_customer_id) == ("王芳", "Teller1", "110105********002X")
    assert [(leg.account, leg.debit, leg.credit) for leg in detail.legs] == [
        (c.wang_account[:4] + "****" + c.wang_account[-4:], 10_000_00, 0), (c.bank.drawer, 0, 10_000_00)]
    assert detail.identity.masked_number == "110105********002X" and detail.identity.confirmed_by == "Teller1"
    assert detail.large_value.day_total == 5_000_000 and detail.duplicate is None


def test_an_identity_check_cannot_be_changed_even_by_raw_sql(c):
    move(c, counter.DEPOSIT, "100")
    counter.submit(c.db, c.bank.teller, draft(c, counter.WITHDRAWAL, "10"))
    with pytest.raises(LedgerError, match="identity check"):
        c.db.run(lambda s: s.execute(text("UPDATE identity_check SET document_number = 'X'")))
    with pytest.raises(LedgerError, match="identity check"):
        c.db.run(lambda s: s.execute(text("DELETE FROM identity_check")))


def test_the_notifier_calls_back_when_another_connection_commits(c):
    seen = []
    stop = threading.Event()
    follower = threading.Thread(target=notifications.follow, args=(c.db, seen.append, stop.is_set),
                                kwargs={"interval": 0.05})
    follower.start()
    try:
        time.sleep(0.3)  # let it start listening before the change it should see
        made = counter.submit(c.db, c.bank.teller, draft(c, counter.DEPOSIT, "10"))
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
        assert seen, "no notice of the new instruction"
        if not c.db.is_sqlite:
            assert {"id": made.id, "branch": c.bank.branch_id, "status": "PENDING"} in seen
    finally:
        stop.set()
        follower.join(timeout=5)
    assert not follower.is_alive()
