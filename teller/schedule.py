"""Loan repayment schedules: equal installment, equal principal, interest-only and bullet, in minor units.

Pure computation (no database, no screens), following the convention of the shared reference cases
(``amortization.json``):

- Due dates are monthly from the first due date, keeping its day of the month and clamped to shorter
  months (31 Jan -> 28/29 Feb -> 31 Mar).
- Monthly rate = annual rate / 12. Each period's interest = outstanding principal x monthly rate,
  rounded HALF_UP to the minor unit.
- Equal installment: payment = P*r / (1 - (1+r)^-n), rounded HALF_UP to the minor unit or to the
  installment multiple (in minor units: 100 = whole yuan). Every installment but the last pays
  (payment - interest) of principal; the last pays all the remaining principal plus its interest, so it
  absorbs the rounding residue. A rounded-up payment can clear the loan early: the installment whose
  payment covers the remaining principal and its interest is then the last.
- Equal principal: principal per period = P/n rounded HALF_UP to the minor unit; the last period takes
  the remainder.
- Interest-only: interest each period, all the principal with the last.
- Bullet: one installment at maturity (the last monthly due date) paying the principal plus simple
  interest for the whole term, P x annual/12 x months, rounded once.
- Zero rate: no interest; the equal-installment payment is P/n rounded.

Day counts: "30/360" (the default) is the convention above, every period a full month. With
"actual/365" or "actual/360" each period's interest is balance x annual rate x actual days / 365 (or
360), the days counted from the previous due date and, for the first period, from ``start_date``
(required then), so a broken first period pays interest for its real length. The equal-installment
payment is still computed from annual/12; a row whose interest exceeds the payment pays its interest
and no principal.

Every value is computed exactly from the rate's integer ratio (a ``Decimal`` is an exact fraction) and
rounded once, HALF_UP, where it is stated above; nothing is a float and no intermediate is rounded.
"""

from dataclasses import dataclass
from datetime import MAXYEAR, date
from decimal import Decimal
from functools import cache

from teller.errors import InputError
from teller.i18n import N_, _
from teller.money import format_minor

METHODS = ("equal_installment", "equal_principal", "interest_only", "bullet")
DAY_COUNTS = ("30/360", "actual/365", "actual/360")

# How screens and messages name each repayment method (translate with `_()` where shown).
METHOD_LABELS = {
    "equal_installment": N_("equal installment"),
    "equal_principal": N_("equal principal"),
    "interest_only": N_("interest-only, principal at maturity"),
    "bullet": N_("principal and interest at maturity"),
}

MAX_MONTHS = 480
MAX_PRINCIPAL = 10**15  # minor units: 10 trillion yuan, so even 40 years' interest at 100% fits 64 bits
MAX_RATE_PLACES = 10  # decimal places of the annual rate as a fraction (0.0435 has 4): 8 in a percentage
_DAYS_IN_YEAR = {"actual/365": 365, "actual/360": 360}


@dataclass(frozen=True, slots=True)
class Installment:
    """One row of a schedule; amounts in minor units."""

    number: int  # 1-based
    due_date: date
    payment: int
    principal: int
    interest: int
    balance_after: int  # principal outstanding after this installment


@dataclass(frozen=True)
class Schedule:
    """A loan's repayment schedule. `months` is its term up to the last due date (with a fixed payment,
    the months actually needed); `installment` is the regular payment for equal installments, else the
    first installment's payment."""

    principal: int
    annual_rate: Decimal
    months: int
    method: str
    first_due: date
    installments: tuple[Installment, ...]
    installment: int
    total_interest: int
    total_payment: int


def due_dates(first_due: date, months: int, due_day: int | None = None) -> tuple[date, ...]:
    """`months` monthly due dates from `first_due`, on its day of the month (or `due_day`, the loan's own day
    when `first_due` was clamped to a short month) or the month's last day."""
    day, year, month = due_day or first_due.day, first_due.year, first_due.month
    days = _clamped_days(day, _is_leap(year))
    dates = []
    for _ in range(months):
        dates.append(date(year, month, days[month - 1]))
        if month == 12:
            year, month = year + 1, 1
            days = _clamped_days(day, _is_leap(year))
        else:
            month += 1
    return tuple(dates)


@cache
def _clamped_days(day: int, leap: bool) -> tuple[int, ...]:
    """`day` in each month of a (leap) year, clamped to the month's length."""
    return tuple(min(day, length) for length in (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31))


def build_schedule(
    principal: int,
    annual_rate: Decimal,
    months: int,
    method: str,
    first_due: date,
    *,
    installment_multiple: int = 1,
    day_count: str = "30/360",
    start_date: date | None = None,
    fixed_payment: int | None = None,
    due_day: int | None = None,
) -> Schedule:
    """The schedule of a loan of `principal` minor units at `annual_rate` (0.0435 = 4.35%) over `months`.

    `installment_multiple` (minor units) rounds the equal-installment payment; other methods ignore it.
    `fixed_payment` (equal installment only) keeps that payment and ends the schedule as soon as the loan
    is repaid: the "shorter term" choice of a prepayment, with `months` the longest term allowed. `due_day`
    keeps a loan's day of the month (the 31st) when a rebuilt schedule starts in a shorter month.
    Bad input raises `InputError` naming the field.
    """
    _check(principal, annual_rate, months, method, first_due, installment_multiple, day_count, start_date)
    if fixed_payment is not None and method != "equal_installment":
        raise InputError("fixed payment", _("a fixed payment applies to equal installments only"))
    num, den = annual_rate.as_integer_ratio()
    dues = due_dates(first_due, months, due_day)
    if method == "bullet":
        rows = (_bullet(principal, num, den, months, dues[-1], day_count, start_date),)
    else:
        payment = step = None
        if method == "equal_installment":
            payment = _level_payment(principal, num, den, months, installment_multiple)
            if fixed_payment is not None:
                _check_fixed(fixed_payment, payment, months, installment_multiple)
                payment = fixed_payment
        elif method == "equal_principal":
            step = _round_half_up(principal, months)
        else:
            step = 0
        rows = _amortise(principal, num, den, dues, day_count, start_date, payment, step)
    total_interest = sum(row.interest for row in rows)
    return Schedule(
        principal=principal, annual_rate=annual_rate, months=_months_between(first_due, rows[-1].due_date),
        method=method, first_due=first_due, installments=rows,
        installment=payment if method == "equal_installment" else rows[0].payment,
        total_interest=total_interest, total_payment=principal + total_interest,
    )


def _amortise(principal: int, num: int, den: int, dues: tuple[date, ...], day_count: str, start_date: date | None,
              payment: int | None, step: int | None) -> tuple[Installment, ...]:
    """Rows paying `payment` in all (equal installment) or `step` of principal (equal principal, interest-only)
    each period; the last due date, or the first row that can clear the loan, takes all that remains."""
    # A period's interest, balance x (num/den) x days / basis rounded HALF_UP, is floor((balance x numerator +
    # half) / divisor) with numerator = 2 num days, divisor = 2 den basis (30/360: one month of a 12-month basis).
    if day_count == "30/360":
        numerators = [2 * num] * len(dues)
        divisor = 2 * den * 12
    else:
        previous = (start_date, *dues[:-1])
        numerators = [2 * num * (due - before).days for due, before in zip(dues, previous, strict=True)]
        divisor = 2 * den * _DAYS_IN_YEAR[day_count]
    half = divisor // 2
    balance, rows, final = principal, [], len(dues)
    for number, (due, numerator) in enumerate(zip(dues, numerators, strict=True), start=1):
        interest = (balance * numerator + half) // divisor
        paid = step if payment is None else max(payment - interest, 0)
        if paid >= balance or number == final:
            balance, paid = 0, balance
        else:
            balance -= paid
        rows.append(Installment(number, due, paid + interest, paid, interest, balance))
        if not balance:
            break
    return tuple(rows)


def _bullet(principal: int, num: int, den: int, months: int, maturity: date, day_count: str,
            start_date: date | None) -> Installment:
    if day_count == "30/360":
        interest = _round_half_up(principal * num * months, den * 12)
    else:
        interest = _round_half_up(principal * num * (maturity - start_date).days, den * _DAYS_IN_YEAR[day_count])
    return Installment(1, maturity, principal + interest, principal, interest, 0)


def _level_payment(principal: int, num: int, den: int, months: int, multiple: int) -> int:
    """P*r/(1-(1+r)^-n) with r = num/(12 den), exactly, rounded HALF_UP to `multiple` minor units."""
    if num == 0:
        return _round_half_up(principal, months * multiple) * multiple
    monthly_den = den * 12
    growth, base = (monthly_den + num) ** months, monthly_den**months  # (1+r)^n = growth / base
    return _round_half_up(principal * num * growth, monthly_den * (growth - base) * multiple) * multiple


def _round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded HALF_UP, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def _months_between(first_due: date, last_due: date) -> int:
    """The term in months: 1 when the last due date is the first."""
    return (last_due.year - first_due.year) * 12 + last_due.month - first_due.month + 1


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(principal: int, annual_rate: Decimal, months: int, method: str, first_due: date, multiple: int,
           day_count: str, start_date: date | None) -> None:
    """Refuse input no schedule can be built from, naming the field and the fix."""
    if not _is_int(principal) or not _is_int(months) or not _is_int(multiple):
        raise TypeError("principal, months and installment_multiple are ints (minor units, months)")
    if not isinstance(annual_rate, Decimal):
        raise TypeError("annual_rate is a Decimal, never a float")
    if not isinstance(first_due, date) or (start_date is not None and not isinstance(start_date, date)):
        raise TypeError("first_due and start_date are dates")
    if principal <= 0:
        raise InputError("principal", _("the principal must be more than zero"))
    if principal > MAX_PRINCIPAL:
        raise InputError("principal", _("the principal is too large: the most is {most}").format(
            most=format_minor(MAX_PRINCIPAL)))
    if not annual_rate.is_finite() or not 0 <= annual_rate <= 1:
        raise InputError("annual rate", _("enter an annual rate from 0% to 100%"))
    if 10**MAX_RATE_PLACES % annual_rate.as_integer_ratio()[1]:
        raise InputError("annual rate", _("the rate has too many decimals: at most {places} in a percentage").format(
            places=MAX_RATE_PLACES - 2))
    if not 1 <= months <= MAX_MONTHS:
        raise InputError("term", _("enter a term from 1 to {most} months").format(most=MAX_MONTHS))
    if method not in METHODS:
        raise InputError("repayment method", _("choose one of: {choices}").format(
            choices=", ".join(_(METHOD_LABELS[known]) for known in METHODS)))
    if multiple < 1:
        raise InputError("installment multiple", _(
            "the installment multiple is a whole number of minor units, at least 1 (100: whole yuan)"))
    if day_count not in DAY_COUNTS:
        raise InputError("day count", _("choose one of: {choices}").format(choices=", ".join(DAY_COUNTS)))
    if first_due.year * 12 + first_due.month - 1 + months - 1 >= (MAXYEAR + 1) * 12:
        raise InputError("first due date", _("the last due date would fall after the year {year}").format(
            year=MAXYEAR))
    if start_date is None and day_count != "30/360":
        raise InputError("start date", _("enter the loan's start date: {day_count} interest counts the days from it")
                         .format(day_count=day_count))
    if start_date is not None and start_date >= first_due:
        raise InputError("start date", _("the start date must be before the first due date"))


def _check_fixed(fixed_payment: int, level_payment: int, months: int, multiple: int) -> None:
    """A fixed payment must repay the loan within `months` and keep to the installment multiple."""
    if not _is_int(fixed_payment):
        raise TypeError("fixed_payment is an int of minor units")
    if fixed_payment < level_payment:
        raise InputError("fixed payment", _("to repay within {months} months the payment must be at least {least}")
                         .format(months=months, least=format_minor(level_payment)))
    if fixed_payment % multiple:
        raise InputError("fixed payment", _("the payment must be a multiple of {multiple}").format(
            multiple=format_minor(multiple)))
