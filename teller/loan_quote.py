"""A loan quote: the schedule of proposed terms, with the installment, total interest and the rules they break.

Pure (no database, no Textual), so the loan entry screen can recompute it on every change and the
application file, the printed quote and the tests all show the same figures. A combined loan's tranches
each have their own schedule (`schedule.build_schedule`, rounding as documented there); the quote's rows
add the tranches' installments falling due on the same date, which involves no further rounding.
"""

from dataclasses import dataclass
from datetime import date

from teller.errors import InputError
from teller.i18n import _, format_amount, format_day
from teller.loan_products import (
    METHOD_NAMES, TRANCHE_NAMES, LoanFacts, LoanTerms, Product, RuleViolation, check_terms, format_rate,
)
from teller.schedule import Schedule, build_schedule

# The product definitions name day counts as ACT/365; the schedule engine as actual/365.
DAY_COUNTS = {"30/360": "30/360", "ACT/365": "actual/365", "ACT/360": "actual/360"}


@dataclass(frozen=True)
class QuoteRow:
    """One due date of the whole loan (all tranches together), amounts in minor units."""

    number: int
    due_date: date
    payment: int
    principal: int
    interest: int
    balance_after: int


@dataclass(frozen=True)
class LoanQuote:
    """Proposed terms with their schedules. `schedules` follows `terms.tranches`; `problem` is the input the
    schedule engine refused (then there are no schedules), `violations` the product rules broken."""

    product: Product
    terms: LoanTerms
    schedules: tuple[Schedule, ...]
    violations: tuple[RuleViolation, ...]
    problem: InputError | None = None

    @property
    def rows(self) -> tuple[QuoteRow, ...]:
        by_date: dict[date, list[int]] = {}
        for schedule in self.schedules:
            for row in schedule.installments:
                sums = by_date.setdefault(row.due_date, [0, 0, 0, 0])
                sums[0] += row.payment
                sums[1] += row.principal
                sums[2] += row.interest
        balance = self.terms.amount
        rows = []
        for number, due in enumerate(sorted(by_date), start=1):
            payment, principal, interest, _unused = by_date[due]
            balance -= principal
            rows.append(QuoteRow(number, due, payment, principal, interest, balance))
        return tuple(rows)

    @property
    def installment(self) -> int:
        """The first installment of the whole loan (for equal installments, the regular one)."""
        return sum(schedule.installment for schedule in self.schedules)

    @property
    def total_interest(self) -> int:
        return sum(schedule.total_interest for schedule in self.schedules)

    @property
    def total_payment(self) -> int:
        return sum(schedule.total_payment for schedule in self.schedules)


def quote(product: Product, terms: LoanTerms, facts: LoanFacts, *, today: date | None = None) -> LoanQuote:
    """The schedules of `terms` under `product`'s day count and installment multiple, and every rule they
    break (`check_terms`; the first due date is checked against `today` when given). Terms the schedule
    engine refuses give a quote with no schedules and the refusal as `problem`."""
    violations = tuple(check_terms(product, terms, facts, today=today))
    day_count = DAY_COUNTS[product.day_count]
    try:
        schedules = tuple(
            build_schedule(tranche.amount, tranche.annual_rate, tranche.term_months, tranche.method,
                           terms.first_due_date, installment_multiple=product.installment_multiple,
                           day_count=day_count, start_date=today if day_count != "30/360" else None)
            for tranche in terms.tranches)
    except InputError as error:
        return LoanQuote(product, terms, (), violations, error)
    return LoanQuote(product, terms, schedules, violations)


def _money(minor: int, currency: str) -> str:
    return f"{currency} {format_amount(minor, currency)}"


def quote_lines(loan: LoanQuote, customer_name: str, *, number: str | None = None,
                today: date | None = None) -> list[str]:
    """The printable loan quote as lines of text: who and what, each part's terms, the totals and the full
    schedule. It is a quote, not an offer: the last line says so."""
    currency = loan.terms.currency
    title = (_("Loan quote for application {number}").format(number=number) if number else _("Loan quote"))
    lines = [title, _("Customer: {name}    Product: {product}").format(name=customer_name, product=loan.product.name)]
    if today is not None:
        lines.append(_("Quoted on {day}").format(day=format_day(today)))
    lines.append("")
    for tranche in loan.terms.tranches:
        lines.append(_("{part}: {amount} over {months} months at {rate}, {method}").format(
            part=_(TRANCHE_NAMES[tranche.kind]), amount=_money(tranche.amount, currency), months=tranche.term_months,
            rate=format_rate(tranche.annual_rate), method=_(METHOD_NAMES[tranche.method])))
    lines.append(_("First due date: {day}").format(day=format_day(loan.terms.first_due_date)))
    if loan.problem is not None:
        lines += ["", str(loan.problem)]
        return lines
    lines += [
        _("Installment: {amount}").format(amount=_money(loan.installment, currency)),
        _("Total interest: {amount}    Total to repay: {total}").format(
            amount=_money(loan.total_interest, currency), total=_money(loan.total_payment, currency)),
        "",
        "{:>4}  {:<10}  {:>14}  {:>14}  {:>12}  {:>16}".format(
            _("No."), _("Due date"), _("Payment"), _("Principal"), _("Interest"), _("Balance")),
    ]
    for row in loan.rows:
        lines.append("{:>4}  {:<10}  {:>14}  {:>14}  {:>12}  {:>16}".format(
            row.number, row.due_date.isoformat(), format_amount(row.payment, currency),
            format_amount(row.principal, currency), format_amount(row.interest, currency),
            format_amount(row.balance_after, currency)))
    lines += ["", _("This quote is for information; the loan contract alone binds the bank and the customer.")]
    return lines
