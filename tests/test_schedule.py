"""The loan schedule engine: the shared reference cases exactly, numpy-financial's annuity figures within a
cent per period, the schedule's own invariants over random loans, due dates, day counts, a fixed payment's
shorter term, and refusals that name the field to fix."""

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from teller import i18n
from teller.errors import InputError
from teller.schedule import METHODS, MAX_PRINCIPAL, build_schedule, due_dates
from tests.helpers import reference

FIRST_DUE = date(2026, 1, 31)
REFERENCE = reference("amortization.json")


def minor(text: str) -> int:
    """A reference figure in currency units ("1199.10") as minor units (119910)."""
    return int(Decimal(text) * 100)


def row(installment) -> list[int]:
    return [installment.payment, installment.principal, installment.interest]


# --- The shared reference cases --------------------------------------------------------------------------

@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[case["id"] for case in REFERENCE["cases"]])
def test_every_reference_case_is_reproduced_exactly(case):
    multiple = minor(case["installment_multiple"]) if "installment_multiple" in case else 1
    schedule = build_schedule(minor(case["principal"]), Decimal(case["annual_rate"]), case["months"], case["method"],
                              FIRST_DUE, installment_multiple=multiple)

    rows = schedule.installments
    assert len(rows) == case["months"]
    if "installment" in case:
        assert schedule.installment == minor(case["installment"])
    assert row(rows[0]) == [minor(figure) for figure in case["first_row"]]
    if "second_row" in case:
        assert row(rows[1]) == [minor(figure) for figure in case["second_row"]]
    assert row(rows[-1]) == [minor(figure) for figure in case["last_row"]]
    assert schedule.total_interest == minor(case["total_interest"])
    assert schedule.total_payment == minor(case["principal"]) + minor(case["total_interest"])


# --- numpy-financial ------------------------------------------------------------------------------------

@pytest.mark.parametrize("principal", [10_000_00, 287_654_32, 5_000_000_00])
@pytest.mark.parametrize("rate", ["0.0265", "0.0435", "0.0588", "0.08"])
@pytest.mark.parametrize("months", [12, 60, 180, 360])
def test_equal_installments_agree_with_numpy_financial_within_a_cent_per_period(principal, rate, months):
    """pmt within the half cent of its rounding; every period's interest and principal within a cent of
    ipmt/ppmt for the same payment. The rounded payment leaves a residue for the last installment (the
    reference convention); numpy-financial models it as the future value `residue`, otherwise the half-cent
    rounding compounds into several yuan over a long term and no per-period comparison is meaningful."""
    schedule = build_schedule(principal, Decimal(rate), months, "equal_installment", FIRST_DUE)
    monthly = float(rate) / 12
    periods = np.arange(1, months + 1)
    interest = np.array([installment.interest for installment in schedule.installments])
    paid = np.array([installment.principal for installment in schedule.installments])

    assert abs(schedule.installment - npf.pmt(monthly, months, -principal)) <= 0.5
    assert abs(interest[0] - npf.ipmt(monthly, 1, months, -principal)) <= 1
    assert abs(paid[0] - npf.ppmt(monthly, 1, months, -principal)) <= 1

    residue = npf.fv(monthly, months, schedule.installment, -principal)
    assert npf.pmt(monthly, months, -principal, residue) == pytest.approx(schedule.installment)
    assert np.abs(interest - npf.ipmt(monthly, periods, months, -principal, residue)).max() <= 1
    assert np.abs(paid[:-1] - npf.ppmt(monthly, periods, months, -principal, residue)[:-1]).max(initial=0) <= 1


# --- Properties over random loans ------------------------------------------------------------------------

LOANS = st.fixed_dictionaries({
    "principal": st.integers(min_value=1_000_00, max_value=10_000_000_00),
    "annual_rate": st.integers(min_value=0, max_value=240_000).map(lambda ppm: Decimal(ppm) / 1_000_000),
    "months": st.integers(min_value=1, max_value=360),
    "method": st.sampled_from(METHODS),
    "first_due": st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
})


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def period_interest(balance: int, annual_rate: Decimal) -> int:
    """The convention, independently in Decimal: balance x annual/12, rounded once HALF_UP."""
    with localcontext() as context:
        context.prec = 60
        return half_up(balance * annual_rate / 12)


@settings(max_examples=300, deadline=None)
@given(LOANS)
def test_every_schedule_repays_exactly_with_balances_falling_to_zero(loan):
    schedule = build_schedule(**loan)
    rows = schedule.installments

    assert sum(installment.principal for installment in rows) == loan["principal"]
    assert all(installment.payment == installment.principal + installment.interest for installment in rows)
    assert all(installment.principal >= 0 and installment.interest >= 0 for installment in rows)
    balances = [loan["principal"]] + [installment.balance_after for installment in rows]
    assert all(after == before - installment.principal
               for before, after, installment in zip(balances, balances[1:], rows, strict=False))
    assert all(balance > 0 for balance in balances[:-1]) and balances[-1] == 0
    assert schedule.total_interest == sum(installment.interest for installment in rows)
    assert schedule.total_payment == loan["principal"] + schedule.total_interest
    assert [installment.number for installment in rows] == list(range(1, len(rows) + 1))
    dues = due_dates(loan["first_due"], loan["months"])
    assert rows[-1].due_date == dues[schedule.months - 1]
    if loan["method"] == "bullet":
        assert len(rows) == 1 and schedule.months == loan["months"]
    else:
        assert [installment.due_date for installment in rows] == list(dues[:len(rows)])
        assert schedule.months == len(rows) <= loan["months"]
        assert [installment.interest for installment in rows] == [
            period_interest(balance, loan["annual_rate"]) for balance in balances[:-1]]


@settings(max_examples=200, deadline=None)
@given(LOANS.map(lambda loan: {**loan, "method": "equal_principal"}))
def test_equal_principal_repays_the_same_principal_but_for_the_last_period(loan):
    rows = build_schedule(**loan).installments

    assert len(rows) == loan["months"]
    assert {installment.principal for installment in rows[:-1]} <= {half_up(Decimal(loan["principal"]) / loan["months"])}
    assert rows[-1].principal == loan["principal"] - sum(installment.principal for installment in rows[:-1])


@settings(max_examples=200, deadline=None)
@given(LOANS.map(lambda loan: {**loan, "method": "equal_installment"}), st.sampled_from([1, 100]))
def test_equal_installment_pays_the_same_but_for_the_last_period(loan, multiple):
    if multiple == 100:  # whole yuan: a loan large enough that its payment still covers the first interest
        loan["principal"] = max(loan["principal"], 100_000_00)
    schedule = build_schedule(**loan, installment_multiple=multiple)
    rows = schedule.installments

    assert schedule.installment % multiple == 0
    assert {installment.payment for installment in rows[:-1]} <= {schedule.installment}
    assert rows[-1].payment <= schedule.installment or len(rows) == loan["months"]


def test_interest_only_pays_interest_then_all_the_principal_with_the_last():
    rows = build_schedule(100_000_00, Decimal("0.06"), 12, "interest_only", FIRST_DUE).installments

    assert [row(installment) for installment in rows[:-1]] == [[500_00, 0, 500_00]] * 11
    assert row(rows[-1]) == [100_500_00, 100_000_00, 500_00]


def test_bullet_pays_principal_and_simple_interest_once_at_maturity():
    schedule = build_schedule(100_000_00, Decimal("0.0435"), 18, "bullet", FIRST_DUE)

    (only,) = schedule.installments
    assert only.due_date == date(2027, 6, 30)
    assert row(only) == [106_525_00, 100_000_00, 6_525_00]  # 100,000 x 4.35% / 12 x 18
    assert schedule.months == 18 and schedule.installment == 106_525_00


@pytest.mark.parametrize("method", METHODS)
def test_a_zero_rate_loan_charges_no_interest(method):
    schedule = build_schedule(1_200_00, Decimal(0), 7, method, FIRST_DUE)

    assert schedule.total_interest == 0 and schedule.total_payment == 1_200_00
    if method in ("equal_installment", "equal_principal"):
        assert [installment.payment for installment in schedule.installments] == [171_43] * 6 + [171_42]


def test_a_coarse_installment_multiple_ends_the_schedule_when_the_loan_is_repaid():
    """1,000 over 400 months is 2.50 a month, rounded to 3 whole yuan: repaid after 334 installments."""
    schedule = build_schedule(1_000_00, Decimal(0), 400, "equal_installment", FIRST_DUE, installment_multiple=100)

    assert schedule.installment == 3_00
    assert len(schedule.installments) == schedule.months == 334
    assert schedule.installments[-1].payment == 1_00


# --- Due dates -------------------------------------------------------------------------------------------

def test_due_dates_keep_the_day_of_month_clamped_to_short_months():
    assert due_dates(date(2024, 1, 31), 4) == (date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31),
                                                date(2024, 4, 30))
    assert due_dates(date(2025, 1, 31), 3) == (date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31))
    assert due_dates(date(2025, 12, 29), 3) == (date(2025, 12, 29), date(2026, 1, 29), date(2026, 2, 28))
    assert due_dates(date(2100, 1, 30), 2) == (date(2100, 1, 30), date(2100, 2, 28))  # 2100 is not a leap year
    assert due_dates(date(2000, 1, 30), 2) == (date(2000, 1, 30), date(2000, 2, 29))
    assert due_dates(date(2026, 11, 15), 3) == (date(2026, 11, 15), date(2026, 12, 15), date(2027, 1, 15))


def test_schedule_rows_fall_on_the_clamped_due_dates():
    rows = build_schedule(12_000_00, Decimal("0.05"), 3, "equal_principal", date(2024, 1, 31)).installments

    assert [installment.due_date for installment in rows] == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]


# --- Actual-day interest ---------------------------------------------------------------------------------

def test_actual_365_charges_the_broken_first_period_for_its_real_days():
    start, first_due = date(2026, 1, 10), date(2026, 2, 15)  # 36 days, then 28 (Feb 15 to Mar 15)
    actual = build_schedule(1_000_000_00, Decimal("0.0435"), 12, "equal_installment", first_due,
                            day_count="actual/365", start_date=start)
    monthly = build_schedule(1_000_000_00, Decimal("0.0435"), 12, "equal_installment", first_due)
    first, second = actual.installments[:2]

    assert actual.installment == monthly.installment  # the payment is still computed from annual/12
    assert first.interest == 4290_41  # 1,000,000 x 4.35% x 36 / 365 = 4,290.4110
    assert first.principal == actual.installment - first.interest
    assert second.interest == half_up(Decimal(first.balance_after) * Decimal("0.0435") * 28 / 365)
    assert sum(installment.principal for installment in actual.installments) == 1_000_000_00


def test_actual_360_and_a_bullet_count_the_days_of_the_whole_term():
    schedule = build_schedule(100_000_00, Decimal("0.036"), 3, "bullet", date(2026, 2, 1), day_count="actual/360",
                              start_date=date(2026, 1, 1))

    (only,) = schedule.installments
    assert only.due_date == date(2026, 4, 1)
    assert only.interest == 900_00  # 100,000 x 3.6% x 90 / 360


def test_a_first_period_whose_interest_exceeds_the_payment_pays_interest_only():
    start, first_due = date(2026, 1, 1), date(2026, 12, 1)  # 334 days before the first due date
    schedule = build_schedule(10_000_00, Decimal("0.12"), 120, "equal_installment", first_due, day_count="actual/365",
                              start_date=start)

    first = schedule.installments[0]
    assert first.interest > schedule.installment
    assert first.principal == 0 and first.payment == first.interest and first.balance_after == 10_000_00
    assert sum(installment.principal for installment in schedule.installments) == 10_000_00


# --- A fixed payment: the shorter term ------------------------------------------------------------------

def test_a_fixed_payment_shortens_the_term_and_still_repays_exactly():
    regular = build_schedule(200_000_00, Decimal("0.06"), 360, "equal_installment", FIRST_DUE)
    shorter = build_schedule(200_000_00, Decimal("0.06"), 360, "equal_installment", FIRST_DUE, fixed_payment=1_500_00)
    rows = shorter.installments

    needed = math.ceil(npf.nper(0.005, -1_500.00, 200_000.00))
    assert len(rows) == shorter.months == needed < regular.months
    assert shorter.installment == 1_500_00
    assert {installment.payment for installment in rows[:-1]} == {1_500_00}
    assert 0 < rows[-1].payment <= 1_500_00
    assert rows[-2].balance_after > 0 and rows[-1].balance_after == 0
    assert sum(installment.principal for installment in rows) == 200_000_00
    assert shorter.total_interest < regular.total_interest


def test_the_regular_payment_as_a_fixed_payment_gives_the_regular_schedule():
    regular = build_schedule(200_000_00, Decimal("0.06"), 360, "equal_installment", FIRST_DUE)

    assert build_schedule(200_000_00, Decimal("0.06"), 360, "equal_installment", FIRST_DUE,
                          fixed_payment=regular.installment) == regular


# --- Refusals --------------------------------------------------------------------------------------------

GOOD = {"principal": 100_000_00, "annual_rate": Decimal("0.0435"), "months": 12, "method": "equal_installment",
        "first_due": FIRST_DUE}


@pytest.mark.parametrize(("changes", "field", "fix"), [
    ({"principal": 0}, "principal", "more than zero"),
    ({"principal": -1_00}, "principal", "more than zero"),
    ({"principal": MAX_PRINCIPAL + 1}, "principal", "the most is 10,000,000,000,000.00"),
    ({"annual_rate": Decimal("-0.01")}, "annual rate", "from 0% to 100%"),
    ({"annual_rate": Decimal("1.0001")}, "annual rate", "from 0% to 100%"),
    ({"annual_rate": Decimal("NaN")}, "annual rate", "from 0% to 100%"),
    ({"annual_rate": Decimal("Infinity")}, "annual rate", "from 0% to 100%"),
    ({"annual_rate": Decimal("0.04351234567")}, "annual rate", "at most 8 in a percentage"),
    ({"months": 0}, "term", "from 1 to 480 months"),
    ({"months": 481}, "term", "from 1 to 480 months"),
    ({"method": "annuity"}, "repayment method", "equal installment, equal principal"),
    ({"installment_multiple": 0}, "installment multiple", "at least 1"),
    ({"day_count": "actual/actual"}, "day count", "30/360, actual/365, actual/360"),
    ({"day_count": "actual/365"}, "start date", "enter the loan's start date"),
    ({"start_date": FIRST_DUE}, "start date", "before the first due date"),
    ({"first_due": date(9999, 1, 31), "months": 480}, "first due date", "after the year 9999"),
    ({"fixed_payment": 8_000_00}, "fixed payment", "at least 8,530.99"),
    ({"fixed_payment": 9_000_50, "installment_multiple": 100}, "fixed payment", "multiple of 1.00"),
    ({"fixed_payment": 9_000_00, "method": "equal_principal"}, "fixed payment", "equal installments only"),
    ({"fixed_payment": 9_000_00, "method": "bullet"}, "fixed payment", "equal installments only"),
])
def test_bad_input_is_refused_naming_the_field_and_the_fix(changes, field, fix):
    with pytest.raises(InputError) as refused:
        build_schedule(**{**GOOD, **changes})

    assert refused.value.field == field
    assert fix in refused.value.message


def test_a_refusal_reads_in_chinese_when_chosen():
    previous = i18n.language()
    i18n.set_language("zh_CN")
    try:
        with pytest.raises(InputError) as refused:
            build_schedule(**{**GOOD, "months": 600})
        assert str(refused.value) == "期限：请输入 1 至 480 个月的期限"
    finally:
        i18n.set_language(previous)


@pytest.mark.parametrize("changes", [{"annual_rate": 0.0435}, {"principal": 1000.0}, {"principal": True}])
def test_floats_and_other_wrong_types_are_a_programming_error(changes):
    with pytest.raises(TypeError):
        build_schedule(**{**GOOD, **changes})
