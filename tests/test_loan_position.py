"""Loan servicing arithmetic: what is paid, due and overdue on a business date, penalty interest by principal-days,
late fees once per installment, waivers, the allocation order, payoff and prepayment quotes, and the schedule
rebuilt after a prepayment. Expected figures are worked out here with Decimal from explicit numbers."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from teller.errors import InputError
from teller.loan_position import (
    Payment, Terms, Waiver, accrued_interest, allocate, payoff_quote, position, prepayment_quote, regenerate,
)
from teller.schedule import build_schedule

START = date(2025, 12, 20)
FIRST_DUE = date(2026, 1, 20)
RATE = Decimal("0.0435")
PENALTY_MULTIPLE = Decimal("1.5")
LATE_FEE = 50_00


def loan(principal=120_000_00, method="equal_installment", day_count="30/360", multiple=1):
    """A real 12-month schedule at 4.35% from 2025-12-20, first due 2026-01-20, and its terms."""
    rows = build_schedule(principal, RATE, 12, method, FIRST_DUE, installment_multiple=multiple, day_count=day_count,
                          start_date=START).installments
    terms = Terms(annual_rate=RATE, penalty_multiple=PENALTY_MULTIPLE, day_count=day_count, late_fee=LATE_FEE,
                  method=method, start_date=START, installment_multiple=multiple)
    return rows, terms


def on_time(rows, count):
    """The first `count` installments paid in full on their due dates."""
    return tuple(Payment(on=row.due_date, interest=row.interest, principal=row.principal) for row in rows[:count])


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def penalty_on(principal_days: int, basis: int = 360) -> int:
    return half_up(Decimal(principal_days) * RATE * PENALTY_MULTIPLE / basis)


def states(pos):
    return [installment.state for installment in pos.installments]


# --- Paid, due, overdue --------------------------------------------------------------------------------------

def test_installments_paid_on_their_due_dates_cost_nothing_more():
    rows, terms = loan()
    pos = position(rows, terms, on_time(rows, 3), (), rows[2].due_date + timedelta(days=5))

    assert states(pos) == ["paid"] * 3 + ["future"] * 9
    assert (pos.penalty_accrued, pos.penalty, pos.fees_charged, pos.fees, pos.days_past_due) == (0, 0, 0, 0, 0)
    assert (pos.principal_due, pos.interest_due, pos.total_due) == (0, 0, 0)
    assert pos.outstanding_principal == rows[2].balance_after
    assert pos.next_due.number == 4
    assert pos.period_start == rows[2].due_date


def test_an_installment_due_today_is_due_not_overdue_and_costs_only_itself():
    rows, terms = loan()
    pos = position(rows, terms, (), (), FIRST_DUE)

    assert states(pos)[:2] == ["due", "future"]
    assert (pos.principal_due, pos.interest_due) == (rows[0].principal, rows[0].interest)
    assert (pos.overdue_principal, pos.overdue_interest, pos.penalty, pos.fees, pos.days_past_due) == (0, 0, 0, 0, 0)
    assert pos.total_due == rows[0].payment
    assert pos.next_due.number == 1
    assert pos.period_start == FIRST_DUE


def test_ten_days_unpaid_is_overdue_with_penalty_on_the_principal_and_one_late_fee():
    rows, terms = loan(principal=24_000_00, method="equal_principal")  # 2,000.00 of principal a month
    assert (rows[0].principal, rows[0].interest) == (2_000_00, 87_00)
    pos = position(rows, terms, (), (), FIRST_DUE + timedelta(days=10))

    assert states(pos)[:2] == ["overdue", "future"]
    assert pos.installments[0].days_past_due == pos.days_past_due == 10
    assert (pos.overdue_principal, pos.overdue_interest) == (2_000_00, 87_00)
    # 2,000.00 x 4.35% x 1.5 x 10 / 360 = 3.625 yuan: 362.5 fen, rounded half up
    assert pos.penalty_accrued == pos.penalty == penalty_on(2_000_00 * 10) == 363
    assert pos.fees_charged == pos.fees == LATE_FEE
    assert pos.total_due == 363 + LATE_FEE + 87_00 + 2_000_00

    later = position(rows, terms, (), (), FIRST_DUE + timedelta(days=25))
    assert later.fees_charged == LATE_FEE  # once per installment, however long it stays unpaid
    assert later.penalty_accrued == penalty_on(2_000_00 * 25)


def test_principal_paid_late_in_part_splits_the_penalty_into_chunks():
    rows, terms = loan(principal=24_000_00, method="equal_principal")
    part = Payment(on=FIRST_DUE + timedelta(days=5), interest=87_00, principal=1_000_00)
    pos = position(rows, terms, (part,), (), FIRST_DUE + timedelta(days=10))

    assert pos.installments[0].paid_principal == 1_000_00
    assert pos.penalty_accrued == penalty_on(1_000_00 * 5 + 1_000_00 * 10) == 272  # 271.875 fen
    assert pos.fees_charged == LATE_FEE
    assert (pos.overdue_principal, pos.overdue_interest, pos.days_past_due) == (1_000_00, 0, 10)

    before = position(rows, terms, (part,), (), FIRST_DUE + timedelta(days=3))  # the payment has not happened yet
    assert before.installments[0].paid_principal == 0
    assert before.penalty_accrued == penalty_on(2_000_00 * 3)


def test_an_installment_paid_in_full_late_keeps_its_penalty_and_fee_and_nothing_runs_on():
    rows, terms = loan(principal=24_000_00, method="equal_principal")
    late = Payment(on=FIRST_DUE + timedelta(days=5), interest=87_00, principal=2_000_00)
    pos = position(rows, terms, (late,), (), FIRST_DUE + timedelta(days=20))

    assert states(pos)[:2] == ["paid", "future"]
    assert pos.days_past_due == 0
    assert pos.penalty == penalty_on(2_000_00 * 5)
    assert pos.fees == LATE_FEE
    assert pos.total_due == pos.penalty + LATE_FEE


def test_penalty_counts_actual_days_over_365_for_actual_365():
    rows, terms = loan(principal=24_000_00, method="equal_principal", day_count="actual/365")
    pos = position(rows, terms, (), (), FIRST_DUE + timedelta(days=10))

    assert pos.penalty_accrued == penalty_on(2_000_00 * 10, basis=365)


def test_oldest_overdue_installment_sets_the_days_past_due_and_each_is_charged_a_fee():
    rows, terms = loan()
    pos = position(rows, terms, on_time(rows, 1), (), rows[2].due_date + timedelta(days=3))

    assert states(pos)[:4] == ["paid", "overdue", "overdue", "future"]
    assert pos.days_past_due == (rows[2].due_date + timedelta(days=3) - rows[1].due_date).days == 31
    assert pos.fees_charged == 2 * LATE_FEE
    assert pos.overdue_principal == rows[1].principal + rows[2].principal
    assert pos.penalty_accrued == penalty_on(rows[1].principal * 31 + rows[2].principal * 3)


# --- Waivers and paid penalty ----------------------------------------------------------------------------------

def test_waivers_and_payments_reduce_penalty_and_fees_but_never_below_zero():
    rows, terms = loan(principal=24_000_00, method="equal_principal")
    as_of = FIRST_DUE + timedelta(days=10)
    waived = position(rows, terms, (Payment(on=as_of, penalty=63),), (Waiver(on=as_of, penalty=200, fees=20_00),),
                      as_of)
    assert (waived.penalty_accrued, waived.penalty) == (363, 100)
    assert (waived.fees_charged, waived.fees) == (LATE_FEE, 30_00)

    forgiven = position(rows, terms, (), (Waiver(on=as_of, penalty=10_000_00, fees=10_000_00),), as_of)
    assert (forgiven.penalty, forgiven.fees) == (0, 0)
    assert forgiven.total_due == 87_00 + 2_000_00


# --- Allocation -----------------------------------------------------------------------------------------------

@pytest.fixture
def ten_days_late():
    rows, terms = loan(principal=24_000_00, method="equal_principal")
    return position(rows, terms, (), (), FIRST_DUE + timedelta(days=10))  # 3.63 + 50.00 + 87.00 + 2,000.00


def test_a_partial_payment_covers_penalty_then_fees_then_interest_then_principal(ten_days_late):
    split = allocate(ten_days_late, 363 + 50_00 + 30_00)

    assert (split.penalty, split.fees, split.interest, split.principal, split.remainder) == (363, 50_00, 30_00, 0, 0)


def test_a_product_order_puts_interest_and_principal_first(ten_days_late):
    split = allocate(ten_days_late, 2_100_00, order=("interest", "principal", "penalty", "fees"))

    assert (split.interest, split.principal, split.penalty, split.fees, split.remainder) == (87_00, 2_000_00, 363,
                                                                                           9_37, 0)


def test_what_is_left_after_everything_due_is_the_remainder(ten_days_late):
    split = allocate(ten_days_late, ten_days_late.total_due + 1_000_00)

    assert (split.penalty, split.fees, split.interest, split.principal) == (363, 50_00, 87_00, 2_000_00)
    assert split.remainder == 1_000_00


@pytest.mark.parametrize("amount", [0, -1])
def test_allocating_nothing_or_less_is_refused_naming_the_amount(ten_days_late, amount):
    with pytest.raises(InputError) as refused:
        allocate(ten_days_late, amount)
    assert refused.value.field == "amount"


def test_an_order_that_misses_a_part_is_refused(ten_days_late):
    with pytest.raises(ValueError, match="once each"):
        allocate(ten_days_late, 100, order=("penalty", "fees", "interest", "interest"))


# --- Broken-period interest and payoff ------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "end", "days"), [
    (date(2026, 2, 20), date(2026, 3, 5), 15),
    (date(2026, 1, 31), date(2026, 3, 1), 31),  # the 31st counts as the 30th
    (date(2026, 1, 30), date(2026, 3, 31), 60),  # and so does an end on the 31st after a start on the 30th
    (date(2026, 1, 15), date(2026, 1, 31), 16),  # but not after a start before it
])
def test_thirty_360_counts_days_the_us_way(start, end, days):
    _rows, terms = loan()
    assert accrued_interest(1_000_000_00, terms, start, end) == half_up(Decimal(1_000_000_00) * RATE * days / 360)


def test_a_payoff_on_a_due_date_has_no_accrued_interest():
    rows, terms = loan()
    quote = payoff_quote(position(rows, terms, on_time(rows, 2), (), rows[2].due_date), terms)

    assert quote.accrued_interest == 0
    assert (quote.interest_due, quote.principal_due) == (rows[2].interest, rows[2].principal)
    assert quote.remaining_principal == rows[2].balance_after
    assert quote.total == rows[2].payment + rows[2].balance_after


@pytest.mark.parametrize(("day_count", "days", "basis"), [("30/360", 15, 360), ("actual/365", 13, 365)])
def test_a_payoff_mid_period_adds_the_interest_accrued_since_the_last_due_date(day_count, days, basis):
    rows, terms = loan(day_count=day_count)
    as_of = date(2026, 3, 5)  # 20 Feb to 5 Mar: 15 days by 30/360, 13 actual days
    quote = payoff_quote(position(rows, terms, on_time(rows, 2), (), as_of), terms)

    remaining = rows[1].balance_after
    assert quote.remaining_principal == remaining
    assert quote.accrued_interest == half_up(Decimal(remaining) * RATE * days / basis)
    assert (quote.penalty, quote.fees, quote.interest_due, quote.principal_due) == (0, 0, 0, 0)
    assert quote.total == (quote.penalty + quote.fees + quote.interest_due + quote.principal_due
                           + quote.accrued_interest + quote.remaining_principal)


@pytest.mark.parametrize("as_of", [date(2026, 3, 20), date(2026, 3, 5), date(2026, 4, 1)], ids=["due", "mid", "late"])
def test_paying_the_quote_leaves_nothing_outstanding_and_the_rest_settled(as_of):
    rows, terms = loan()
    history = on_time(rows, 2)
    quote = payoff_quote(position(rows, terms, history, (), as_of), terms)
    payoff = Payment(on=as_of, penalty=quote.penalty, fees=quote.fees, interest=quote.interest_due,
                     principal=quote.principal_due + quote.remaining_principal, accrued_interest=quote.accrued_interest)

    for day in (as_of, date(2027, 6, 1)):
        after = position(rows, terms, (*history, payoff), (), day)
        assert after.outstanding_principal == 0
        assert after.total_due == after.days_past_due == 0
        assert after.next_due is None
        settled = [state.state == "settled" for state in after.installments if state.due_date > as_of]
        assert settled and all(settled)
    assert (quote.penalty > 0) == (as_of == date(2026, 4, 1))


# --- Prepayment -----------------------------------------------------------------------------------------------

def test_a_prepayment_mid_period_charges_accrued_interest_on_the_prepaid_principal_only():
    rows, terms = loan()
    quote = prepayment_quote(position(rows, terms, on_time(rows, 2), (), date(2026, 3, 5)), terms, 30_000_00)

    assert quote.accrued_interest == half_up(Decimal(30_000_00) * RATE * 15 / 360)
    assert quote.total == quote.accrued_interest + 30_000_00


def test_lower_installment_keeps_the_count_and_lowers_the_payment():
    rows, terms = loan()
    before = position(rows, terms, on_time(rows, 2), (), rows[2].due_date)  # the 3rd is paid with the prepayment
    quote = prepayment_quote(before, terms, 30_000_00)
    new = regenerate(rows, before, terms, 30_000_00, "lower_installment")

    assert quote.total == rows[2].payment + 30_000_00
    assert new[:3] == rows[:3]
    assert [row.number for row in new] == list(range(1, 13))
    assert [row.due_date for row in new] == [row.due_date for row in rows]
    assert all(row.payment < rows[3].payment for row in new[3:])
    assert sum(row.principal for row in new) == 120_000_00 - 30_000_00
    assert new[3].interest == half_up(Decimal(rows[2].balance_after - 30_000_00) * RATE / 12)

    paid = Payment(on=rows[2].due_date, interest=quote.interest_due, principal=quote.principal_due, prepaid=30_000_00)
    after = position(new, terms, (*on_time(rows, 2), paid), (), rows[2].due_date)
    assert states(after) == ["paid"] * 3 + ["future"] * 9
    assert after.outstanding_principal == rows[2].balance_after - 30_000_00 == sum(row.principal for row in new[3:])


def test_a_loan_due_on_the_31st_keeps_its_day_when_rebuilt_after_a_february_due_date():
    rows = build_schedule(120_000_00, RATE, 12, "equal_installment", date(2026, 1, 31), start_date=date(2025, 12, 31)
                          ).installments
    terms = Terms(annual_rate=RATE, penalty_multiple=PENALTY_MULTIPLE, day_count="30/360", late_fee=LATE_FEE,
                  method="equal_installment", start_date=date(2025, 12, 31))
    before = position(rows, terms, on_time(rows, 1), (), rows[1].due_date)  # 2026-02-28, paid with the prepayment
    new = regenerate(rows, before, terms, 10_000_00, "lower_installment")
    assert [row.due_date for row in new] == [row.due_date for row in rows]
    assert new[2].due_date == date(2026, 3, 31)


def test_shorter_term_keeps_the_payment_within_a_multiple_and_ends_earlier():
    rows, terms = loan(multiple=100)  # whole yuan
    before = position(rows, terms, on_time(rows, 3), (), date(2026, 4, 10))
    new = regenerate(rows, before, terms, 30_000_00, "shorter_term")

    assert new[:3] == rows[:3]
    assert new[-1].due_date < rows[-1].due_date
    assert [row.number for row in new] == list(range(1, len(new) + 1))
    assert all(abs(row.payment - rows[3].payment) < 100 for row in new[3:-1])
    assert sum(row.principal for row in new) == 120_000_00 - 30_000_00
    assert new[-1].balance_after == 0


def test_shorter_term_with_only_the_odd_last_installment_left_rebuilds_it():
    rows, terms = loan(multiple=100)
    assert rows[-1].payment % 100  # the last installment absorbs the rounding
    before = position(rows, terms, on_time(rows, 11), (), date(2026, 12, 1))
    new = regenerate(rows, before, terms, 5_000_00, "shorter_term")

    assert new[:11] == rows[:11]
    left = rows[-1].principal - 5_000_00
    assert new[11:] == (replace(rows[-1], principal=left, interest=half_up(Decimal(left) * RATE / 12),
                                payment=left + half_up(Decimal(left) * RATE / 12)),)


def test_shorter_term_on_equal_principal_keeps_at_most_the_old_principal_a_month():
    rows, terms = loan(principal=24_000_00, method="equal_principal")
    before = position(rows, terms, on_time(rows, 1), (), rows[1].due_date)
    new = regenerate(rows, before, terms, 5_000_00, "shorter_term")

    # 20,000.00 left after the 2nd, less 5,000.00: ceil(15,000.00 / 2,000.00) = 8 months of 1,875.00
    assert new[:2] == rows[:2]
    assert [row.principal for row in new[2:]] == [1_875_00] * 8
    assert new[-1].due_date == rows[9].due_date
    assert sum(row.principal for row in new) == 24_000_00 - 5_000_00


def test_a_bullet_prepayment_lowers_the_interest_at_maturity():
    rows, terms = loan(method="bullet")
    assert rows[0].interest == 5_220_00  # 120,000.00 x 4.35% for a year
    before = position(rows, terms, (), (), date(2026, 6, 20))
    quote = prepayment_quote(before, terms, 20_000_00)
    new = regenerate(rows, before, terms, 20_000_00, "lower_installment")

    assert quote.accrued_interest == 435_00  # 20,000.00 x 4.35% for half a year
    assert new == (replace(rows[0], payment=104_350_00, principal=100_000_00, interest=4_350_00),)


@pytest.mark.parametrize("method", ["interest_only", "bullet"])
def test_a_shorter_term_is_refused_where_there_is_no_installment_to_keep(method):
    rows, terms = loan(method=method)
    before = position(rows, terms, (), (), date(2026, 2, 1))
    with pytest.raises(InputError) as refused:
        regenerate(rows, before, terms, 10_000_00, "shorter_term")
    assert refused.value.field == "prepayment choice"


@pytest.mark.parametrize(("extra", "payoff"), [(None, False), (-5_00, False), (0, True), (1, True)],
                         ids=["zero", "negative", "all-left", "more"])
def test_a_prepayment_of_nothing_or_of_all_that_is_left_is_refused_naming_the_amount(extra, payoff):
    rows, terms = loan()
    before = position(rows, terms, on_time(rows, 1), (), date(2026, 2, 1))
    prepaid = 0 if extra is None else extra if extra < 0 else before.remaining_principal + extra
    for attempt in (lambda: prepayment_quote(before, terms, prepaid),
                    lambda: regenerate(rows, before, terms, prepaid, "lower_installment")):
        with pytest.raises(InputError) as refused:
            attempt()
        assert refused.value.field == "amount"
        assert ("payoff" in refused.value.message) == payoff


def test_an_unknown_choice_or_day_count_is_refused_naming_the_field():
    rows, terms = loan()
    before = position(rows, terms, (), (), date(2026, 1, 1))
    with pytest.raises(InputError) as choice:
        regenerate(rows, before, terms, 10_000_00, "skip_a_month")
    with pytest.raises(InputError) as day_count:
        replace(terms, day_count="actual/actual")
    assert (choice.value.field, day_count.value.field) == ("prepayment choice", "day count")
