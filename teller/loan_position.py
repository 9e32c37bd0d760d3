"""Where a loan tranche stands on a business date, and what repaying it early costs: pure arithmetic in minor
units (no database, no screens).

`position` reads a tranche's current schedule (`teller.schedule.Installment` rows) and its history of approved
payments and waivers as of a date: what is paid, due and overdue, the penalty interest and late fees, the days
past due. `allocate` splits a repayment in the product's order, `payoff_quote` and `prepayment_quote` price a
full or partial early repayment, and `regenerate` rebuilds the schedule after a prepayment.

Conventions:

- Only payments and waivers dated on or before `as_of` count. Each payment's scheduled interest and principal
  go to the installments' interest and principal, oldest installment first, payments in date order. Its
  broken-period interest and prepaid principal go to no installment: the caller passes the current schedule,
  from which a prepayment's regenerated rows already leave the prepaid principal out.
- Penalty interest runs on overdue principal only: each amount of an installment's principal counts its days
  from the due date to the day it was paid, or to `as_of` while unpaid. The principal-days of the whole history
  are summed and priced at annual rate x penalty multiple / basis (360 for 30/360 and actual/360, 365 for
  actual/365), rounded once HALF_UP, so the figure never depends on how often it was looked at.
- A late fee is charged once for each installment not fully paid by the end of its due date.
- Broken-period interest is principal x annual rate x days / basis, rounded once HALF_UP; 30/360 counts the
  days the US way (a 31st counts as the 30th; an end date on the 31st too when the start was on the 30th/31st).
- Once the principal is fully repaid, installments due after that day are "settled": their interest was never
  earned and is not owed.

Everything is an exact integer fraction (a `Decimal` rate is one); nothing is a float.
"""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from teller.errors import InputError
from teller.i18n import N_, _
from teller.money import format_minor
from teller.schedule import DAY_COUNTS, METHOD_LABELS, METHODS, Installment, build_schedule

ALLOCATION_PARTS = ("penalty", "fees", "interest", "principal")
STATES = ("paid", "due", "overdue", "future", "settled")

# The two ways a prepayment reshapes the rest of the schedule (translate with `_()` where shown).
PREPAYMENT_CHOICES = {
    "shorter_term": N_("shorter term, same installment"),
    "lower_installment": N_("same term, lower installment"),
}

_BASIS = {"30/360": 360, "actual/360": 360, "actual/365": 365}


@dataclass(frozen=True)
class Terms:
    """The contract terms the arithmetic needs. `late_fee` is in minor units (0: none)."""

    annual_rate: Decimal  # 0.0435 = 4.35%
    penalty_multiple: Decimal  # penalty rate = annual_rate x penalty_multiple, on overdue principal
    day_count: str  # one of schedule.DAY_COUNTS
    late_fee: int  # charged once per installment not fully paid by the end of its due date
    method: str  # one of schedule.METHODS
    start_date: date  # disbursement: the start of the first period
    installment_multiple: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.annual_rate, Decimal) or not isinstance(self.penalty_multiple, Decimal):
            raise TypeError("annual_rate and penalty_multiple are Decimals, never floats")
        if self.day_count not in DAY_COUNTS:
            raise InputError("day count", _("choose one of: {choices}").format(choices=", ".join(DAY_COUNTS)))
        if self.method not in METHODS:
            raise InputError("repayment method", _("choose one of: {choices}").format(
                choices=", ".join(_(METHOD_LABELS[known]) for known in METHODS)))


@dataclass(frozen=True)
class Payment:
    """How one approved payment was allocated on this tranche, in minor units."""

    on: date
    penalty: int = 0
    fees: int = 0
    interest: int = 0  # scheduled interest, to installments' interest oldest first
    principal: int = 0  # scheduled principal, to installments' principal oldest first
    accrued_interest: int = 0  # broken-period interest collected with a prepayment or payoff
    prepaid: int = 0  # principal prepaid: the regenerated schedule already leaves it out


@dataclass(frozen=True)
class Waiver:
    """Penalty interest and fees forgiven, in minor units."""

    on: date
    penalty: int = 0
    fees: int = 0


@dataclass(frozen=True)
class InstallmentState:
    """One installment as of a date. `state` is one of STATES; `days_past_due` is 0 unless overdue."""

    number: int
    due_date: date
    principal: int
    interest: int
    paid_principal: int
    paid_interest: int
    state: str
    days_past_due: int


@dataclass(frozen=True)
class Position:
    """A tranche as of `as_of`. "Due" amounts are unpaid on installments due on or before `as_of`, "overdue"
    ones on installments due before it. `period_start` is where the current period's interest accrues from."""

    as_of: date
    installments: tuple[InstallmentState, ...]
    outstanding_principal: int
    principal_due: int
    interest_due: int
    overdue_principal: int
    overdue_interest: int
    penalty_accrued: int  # over the whole history, before payments and waivers
    penalty: int  # still owed
    fees_charged: int
    fees: int  # still owed
    days_past_due: int  # of the oldest overdue installment
    next_due: InstallmentState | None  # the first unpaid installment due on or after `as_of`
    period_start: date

    @property
    def total_due(self) -> int:
        return self.penalty + self.fees + self.interest_due + self.principal_due

    @property
    def remaining_principal(self) -> int:
        """Outstanding principal not yet due."""
        return self.outstanding_principal - self.principal_due


@dataclass(frozen=True)
class Allocation:
    """How a repayment splits against what is due; `remainder` is what is left once all of it is covered."""

    penalty: int
    fees: int
    interest: int
    principal: int
    remainder: int


@dataclass(frozen=True)
class PayoffQuote:
    """What repays the tranche in full on `as_of`: everything due, the interest accrued this period on the
    principal not yet due, and that principal."""

    as_of: date
    penalty: int
    fees: int
    interest_due: int
    principal_due: int
    accrued_interest: int
    remaining_principal: int
    total: int


@dataclass(frozen=True)
class PrepaymentQuote:
    """What a partial prepayment of `prepaid` principal costs on `as_of`: everything due, the prepaid
    principal, and the interest accrued on it this period."""

    as_of: date
    penalty: int
    fees: int
    interest_due: int
    principal_due: int
    accrued_interest: int
    prepaid: int
    total: int


def position(schedule: tuple[Installment, ...], terms: Terms, payments: tuple[Payment, ...],
             waivers: tuple[Waiver, ...], as_of: date) -> Position:
    """The tranche on `as_of`, from its current schedule and the payments and waivers recorded so far."""
    applied = sorted((payment for payment in payments if payment.on <= as_of), key=lambda payment: payment.on)
    waived = [waiver for waiver in waivers if waiver.on <= as_of]
    principal_paid = [[] for _row in schedule]  # per installment: (date, amount) chunks
    interest_paid = [[] for _row in schedule]
    for payment in applied:
        _pour(payment.principal, [row.principal for row in schedule], principal_paid, payment.on)
        _pour(payment.interest, [row.interest for row in schedule], interest_paid, payment.on)

    outstanding = sum(row.principal for row in schedule) - sum(
        amount for chunks in principal_paid for _on, amount in chunks)
    repaid_on = None if outstanding else max(on for chunks in principal_paid for on, _amount in chunks)
    states = tuple(_state(row, principal_chunks, interest_chunks, as_of, repaid_on) for row, principal_chunks,
                   interest_chunks in zip(schedule, principal_paid, interest_paid, strict=True))
    principal_days = sum(_principal_days(row, chunks, as_of)
                         for row, chunks in zip(schedule, principal_paid, strict=True))
    late = sum(_paid_late(state, principal_chunks + interest_chunks) for state, principal_chunks, interest_chunks
               in zip(states, principal_paid, interest_paid, strict=True))

    owed = [state for state in states if state.state in ("due", "overdue")]
    overdue = [state for state in owed if state.state == "overdue"]
    rate_num, rate_den = (terms.annual_rate * terms.penalty_multiple).as_integer_ratio()
    penalty_accrued = _round_half_up(principal_days * rate_num, rate_den * _BASIS[terms.day_count])
    fees_charged = late * terms.late_fee
    return Position(
        as_of=as_of,
        installments=states,
        outstanding_principal=outstanding,
        principal_due=_unpaid_principal(owed),
        interest_due=_unpaid_interest(owed),
        overdue_principal=_unpaid_principal(overdue),
        overdue_interest=_unpaid_interest(overdue),
        penalty_accrued=penalty_accrued,
        penalty=max(penalty_accrued - sum(item.penalty for item in (*applied, *waived)), 0),
        fees_charged=fees_charged,
        fees=max(fees_charged - sum(item.fees for item in (*applied, *waived)), 0),
        days_past_due=overdue[0].days_past_due if overdue else 0,
        next_due=next((state for state in states if state.state in ("due", "future")), None),
        period_start=max((row.due_date for row in schedule if row.due_date <= as_of), default=terms.start_date),
    )


def allocate(position: Position, amount: int, order: tuple[str, ...] = ALLOCATION_PARTS) -> Allocation:
    """`amount` split against what is due (penalty, fees, interest due, principal due) in the product's `order`."""
    _check_amount(amount)
    if sorted(order) != sorted(ALLOCATION_PARTS):
        raise ValueError(f"the allocation order lists {', '.join(ALLOCATION_PARTS)} once each, not {order}")
    due = {"penalty": position.penalty, "fees": position.fees, "interest": position.interest_due,
           "principal": position.principal_due}
    parts = {}
    for part in order:
        parts[part] = min(amount, due[part])
        amount -= parts[part]
    return Allocation(**parts, remainder=amount)


def accrued_interest(principal: int, terms: Terms, start: date, end: date) -> int:
    """Interest on `principal` minor units from `start` to `end` under the terms' rate and day count."""
    if end < start:
        raise ValueError(f"interest accrues forwards: {end} is before {start}")
    days = _days_30_360(start, end) if terms.day_count == "30/360" else (end - start).days
    rate_num, rate_den = terms.annual_rate.as_integer_ratio()
    return _round_half_up(principal * rate_num * days, rate_den * _BASIS[terms.day_count])


def payoff_quote(position: Position, terms: Terms) -> PayoffQuote:
    """What repays the tranche in full on the position's date (no accrued interest on a due date)."""
    remaining = position.remaining_principal
    accrued = accrued_interest(remaining, terms, position.period_start, position.as_of)
    return PayoffQuote(
        as_of=position.as_of, penalty=position.penalty, fees=position.fees, interest_due=position.interest_due,
        principal_due=position.principal_due, accrued_interest=accrued, remaining_principal=remaining,
        total=position.total_due + accrued + remaining,
    )


def prepayment_quote(position: Position, terms: Terms, prepaid: int) -> PrepaymentQuote:
    """What prepaying `prepaid` minor units of principal costs on the position's date: everything due first,
    then the principal and its interest accrued since the period started."""
    _check_prepaid(position, prepaid)
    accrued = accrued_interest(prepaid, terms, position.period_start, position.as_of)
    return PrepaymentQuote(
        as_of=position.as_of, penalty=position.penalty, fees=position.fees, interest_due=position.interest_due,
        principal_due=position.principal_due, accrued_interest=accrued, prepaid=prepaid,
        total=position.total_due + accrued + prepaid,
    )


def regenerate(schedule: tuple[Installment, ...], position: Position, terms: Terms, prepaid: int,
               choice: str) -> tuple[Installment, ...]:
    """The schedule after prepaying `prepaid` on the position's date together with everything due.

    `position` is the one before the prepayment. Installments due on or before its date stay as they are; the
    rest are rebuilt for the balance left from the first due date after it, interest counted from the period's
    start. "lower_installment" keeps the number of installments; "shorter_term" ends earlier, keeping the
    installment (equal installments: rounded down to the installment multiple, or the level payment if that is
    more) or the principal per period (equal principal: the months it takes, evened out).
    """
    if choice not in PREPAYMENT_CHOICES:
        raise InputError("prepayment choice", _("choose one of: {choices}").format(
            choices=", ".join(_(label) for label in PREPAYMENT_CHOICES.values())))
    if choice == "shorter_term" and terms.method not in ("equal_installment", "equal_principal"):
        raise InputError("prepayment choice",
                         _("a shorter term applies to equal-installment and equal-principal loans"))
    _check_prepaid(position, prepaid)
    kept = tuple(row for row in schedule if row.due_date <= position.as_of)
    future = schedule[len(kept):]
    balance = position.remaining_principal - prepaid
    if terms.method == "bullet":
        # One row at maturity whose interest runs from the period's start: build_schedule would count its
        # term from the first monthly due date, which the rows do not keep.
        interest = accrued_interest(balance, terms, position.period_start, future[0].due_date)
        return (*kept, Installment(len(kept) + 1, future[0].due_date, balance + interest, balance, interest, 0))

    months, fixed_payment = len(future), None
    options = {"installment_multiple": terms.installment_multiple, "day_count": terms.day_count,
               "start_date": position.period_start, "due_day": max(row.due_date.day for row in schedule)}
    if choice == "shorter_term" and terms.method == "equal_principal":
        months = -(-balance // future[0].principal)
    elif choice == "shorter_term":
        level = build_schedule(balance, terms.annual_rate, months, terms.method, future[0].due_date, **options)
        old = future[0].payment - future[0].payment % terms.installment_multiple
        fixed_payment = max(old, level.installment)
    rows = build_schedule(balance, terms.annual_rate, months, terms.method, future[0].due_date,
                          fixed_payment=fixed_payment, **options).installments
    return (*kept, *(replace(row, number=len(kept) + row.number) for row in rows))


def _state(row: Installment, principal_chunks: list[tuple[date, int]], interest_chunks: list[tuple[date, int]],
           as_of: date, repaid_on: date | None) -> InstallmentState:
    """The installment as of `as_of`, given its payments and the day the whole principal was repaid (if it was)."""
    paid_principal = sum(amount for _on, amount in principal_chunks)
    paid_interest = sum(amount for _on, amount in interest_chunks)
    if paid_principal == row.principal and paid_interest == row.interest:
        state = "paid"
    elif repaid_on is not None and row.due_date > repaid_on:
        state = "settled"
    else:
        state = "overdue" if row.due_date < as_of else "due" if row.due_date == as_of else "future"
    return InstallmentState(row.number, row.due_date, row.principal, row.interest, paid_principal, paid_interest,
                            state, (as_of - row.due_date).days if state == "overdue" else 0)


def _principal_days(row: Installment, principal_chunks: list[tuple[date, int]], as_of: date) -> int:
    """Overdue principal x days: each chunk paid after the due date for the days it was late, and what is
    still unpaid for the days up to `as_of`."""
    paid_late = sum(amount * (on - row.due_date).days for on, amount in principal_chunks if on > row.due_date)
    unpaid = row.principal - sum(amount for _on, amount in principal_chunks)
    return paid_late + unpaid * max((as_of - row.due_date).days, 0)


def _paid_late(state: InstallmentState, chunks: list[tuple[date, int]]) -> bool:
    """Not fully paid by the end of its due date: still overdue, or paid in full only after it. A settled
    installment was never late."""
    return state.state == "overdue" or (state.state == "paid" and any(on > state.due_date for on, _amount in chunks))


def _pour(amount: int, owed: list[int], paid: list[list[tuple[date, int]]], on: date) -> None:
    """Record `amount` paid on `on` against `owed`, oldest first, as chunks in `paid`."""
    for index, total in enumerate(owed):
        if not amount:
            return
        taken = min(amount, total - sum(chunk for _on, chunk in paid[index]))
        if taken > 0:
            paid[index].append((on, taken))
            amount -= taken
    if amount:
        raise ValueError(f"a payment on {on} does not fit the schedule: {amount} minor units left over")


def _unpaid_principal(states: list[InstallmentState]) -> int:
    return sum(state.principal - state.paid_principal for state in states)


def _unpaid_interest(states: list[InstallmentState]) -> int:
    return sum(state.interest - state.paid_interest for state in states)


def _days_30_360(start: date, end: date) -> int:
    """Days from `start` to `end` under 30/360 US: D1 = min(d1, 30); D2 = min(d2, 30) when D1 is 30."""
    start_day = min(start.day, 30)
    end_day = min(end.day, 30) if start_day == 30 else end.day
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + end_day - start_day


def _round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded HALF_UP, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("amounts are ints of minor units")
    if amount <= 0:
        raise InputError("amount", _("the amount must be more than zero"))


def _check_prepaid(position: Position, prepaid: int) -> None:
    """A prepayment is more than zero and less than the principal not yet due: all of it is a payoff."""
    _check_amount(prepaid)
    if prepaid >= position.remaining_principal:
        raise InputError("amount", _("a prepayment must be less than the principal not yet due, {remaining}: "
                                     "to repay it all, take the payoff quote").format(
            remaining=format_minor(position.remaining_principal)))
