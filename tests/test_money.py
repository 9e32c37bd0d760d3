"""The strict amount parser: what a teller types becomes exactly the amount they meant, or a clear refusal."""

import pytest

from teller.errors import InputError
from teller.money import MAX_MINOR, Money, format_minor, parse_amount, round_to_minor
from decimal import Decimal


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("1,234.50", 123450),
        ("1234.5", 123450),
        ("1234", 123400),
        ("0.01", 1),
        ("  88.8 ", 8880),
        ("１２３４．５０", 123450),  # full-width digits and point
        ("１，２３４．５", 123450),  # full-width comma
        ("1,234,567.89", 123456789),
        ("92,233,720,368,547,758.07", MAX_MINOR),
    ],
)
def test_accepts_usual_forms(typed, minor):
    assert parse_amount(typed) == Money(minor, "CNY")


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "enter an amount"),
        ("   ", "enter an amount"),
        ("0", "more than zero"),
        ("0.00", "more than zero"),
        ("-5", "must be positive"),
        ("+5", "without a sign"),
        ("1.234", "at most 2 decimal places"),
        ("1e5", "exponents"),
        ("1E5", "exponents"),
        ("NaN", "is not an amount"),
        ("Infinity", "is not an amount"),
        ("-inf", "is not an amount"),
        ("12,34", "every three digits"),
        ("1,2345.00", "every three digits"),
        ("1 234", "remove the spaces"),
        ("٣٤", "digits 0-9"),  # Arabic-Indic digits
        ("१२", "digits 0-9"),  # Devanagari digits
        ("¥100", "is not an amount"),
        ("100元", "is not an amount"),
        ("12.5.3", "is not an amount"),
        ("Transfer 100 to Bob", "is not an amount"),  # pasted text
        ("92,233,720,368,547,758.08", "too large"),
        ("99999999999999999999999", "too large"),
    ],
)
def test_refuses_with_a_message_naming_the_problem(typed, says):
    with pytest.raises(InputError) as refused:
        parse_amount(typed)
    assert refused.value.field == "amount"
    assert says in refused.value.message


def test_currency_decimals_follow_the_currency():
    assert parse_amount("1500", "JPY") == Money(1500, "JPY")
    with pytest.raises(InputError, match="JPY amounts have no decimal places"):
        parse_amount("15.5", "JPY")


def test_negative_only_where_allowed():
    assert parse_amount("-12.30", allow_negative=True) == Money(-1230)


def test_formatting_and_rounding_never_use_float():
    assert format_minor(123456789) == "1,234,567.89"
    assert format_minor(-5) == "-0.05"
    assert round_to_minor(Decimal("0.005")) == 1  # HALF_UP, once
    assert round_to_minor(Decimal("2.675")) == 268  # a float would give 2.67
    with pytest.raises(TypeError):
        Money(1.5)  # type: ignore[arg-type]
