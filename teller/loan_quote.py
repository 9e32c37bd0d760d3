"""The loan officer's view of proposed terms: each part's schedule (`loan_products.quote`), the rows of the
whole loan by due date, the rules the terms break, and the printable loan quote.

Pure (no database, no Textual), so the loan entry screen can recompute it on every change and the
application file, the printed quote and the tests all show the same figures. A combined loan's rows add
its parts' installments falling due on the same date, which involves no further rounding.
"""

from dataclasses import dataclass
from datetime import date

from teller.errors import InputError
from teller.i18n import _, format_amount, format_day
from teller.loan_products import (
    TRANCHE_NAMES, LoanFacts, LoanQuote, LoanTerms, Product, RuleViolation, check_terms, format_rate, quote,
)
from teller.schedule import METHOD_LABELS


@dataclass(frozen=True)
class QuoteRow:
    """One due date of the whole loan (all parts together), amounts in minor units."""

    number: int
    due_date: date
    payment: int
    principal: int
    interest: int
    balance_after: int


def quote_rows(loan: LoanQuote) -> tuple[QuoteRow, ...]:
    """The whole loan's schedule: the parts' installments added per due date, the balance counted down."""
    by_date: dict[date, list[int]] = {}
    for part in loan.tranches:
        for row in part.schedule.installments:
            sums = by_date.setdefault(row.due_date, [0, 0, 0])
            sums[0] += row.payment
            sums[1] += row.principal
            sums[2] += row.interest
    balance = sum(part.terms.amount for part in loan.tranches)
    rows = []
    for number, due in enumerate(sorted(by_date), start=1):
        payment, principal, interest = by_date[due]
        balance -= principal
        rows.append(QuoteRow(number, due, payment, principal, interest, balance))
    return tuple(rows)


@dataclass(frozen=True)
class Preview:
    """Proposed terms as the entry form shows them: `quote` is None when the schedule engine refuses the
    terms (`problem` says why); `violations` lists the product rules they break."""

    product: Product
    terms: LoanTerms
    quote: LoanQuote | None
    violations: tuple[RuleViolation, ...]
    problem: InputError | None = None

    @property
    def rows(self) -> tuple[QuoteRow, ...]:
        return quote_rows(self.quote) if self.quote is not None else ()


def preview(product: Product, terms: LoanTerms, facts: LoanFacts, *, today: date | None = None) -> Preview:
    """The schedules of `terms` and every rule they break (`check_terms`; the first due date is checked
    against `today`, also the start of an actual-day first period)."""
    violations = tuple(check_terms(product, terms, facts, today=today))
    start_date = today if product.day_count != "30/360" else None
    try:
        return Preview(product, terms, quote(product, terms, start_date=start_date), violations)
    except InputError as error:
        return Preview(product, terms, None, violations, error)


def _money(minor: int, currency: str) -> str:
    return f"{currency} {format_amount(minor, currency)}"


def quote_lines(product: Product, terms: LoanTerms, loan: LoanQuote | None, customer_name: str, *,
                number: str | None = None, today: date | None = None) -> list[str]:
    """The printable loan quote as lines of text: who and what, each part's terms, the totals and the full
    schedule (or, without a quote, only the terms). It is a quote, not an offer: the last line says so."""
    currency = terms.currency
    title = _("Loan quote for application {number}").format(number=number) if number else _("Loan quote")
    lines = [title, _("Customer: {name}    Product: {product}").format(name=customer_name, product=product.name)]
    if today is not None:
        lines.append(_("Quoted on {day}").format(day=format_day(today)))
    lines.append("")
    for tranche in terms.tranches:
        lines.append(_("{part}: {amount} over {months} months at {rate}, {method}").format(
            part=_(TRANCHE_NAMES[tranche.kind]), amount=_money(tranche.amount, currency), months=tranche.term_months,
            rate=format_rate(tranche.annual_rate), method=_(METHOD_LABELS[tranche.method])))
    lines.append(_("First due date: {day}").format(day=format_day(terms.first_due_date)))
    if loan is None:
        return lines
    lines += [
        _("Installment: {amount}").format(amount=_money(loan.installment, currency)),
        _("Total interest: {amount}    Total to repay: {total}").format(
            amount=_money(loan.total_interest, currency), total=_money(loan.total_payment, currency)),
        "",
        "{:>4}  {:<10}  {:>14}  {:>14}  {:>12}  {:>16}".format(
            _("No."), _("Due date"), _("Payment"), _("Principal"), _("Interest"), _("Balance")),
    ]
    for row in quote_rows(loan):
        lines.append("{:>4}  {:<10}  {:>14}  {:>14}  {:>12}  {:>16}".format(
            row.number, row.due_date.isoformat(), format_amount(row.payment, currency),
            format_amount(row.principal, currency), format_amount(row.interest, currency),
            format_amount(row.balance_after, currency)))
    lines += ["", _("This quote is for information; the loan contract alone binds the bank and the customer.")]
    return lines
