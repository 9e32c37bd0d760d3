"""The loan officer's view of proposed terms: each part's schedule (`loan_products.quote`), the rows of the
whole loan by due date, and the rules the terms break (the printable quote is `loan_documents`).

Pure (no database, no Textual), so the loan entry screen can recompute it on every change and the
application file, the printed quote and the tests all show the same figures. A combined loan's rows add
its parts' installments falling due on the same date, which involves no further rounding.
"""

from dataclasses import dataclass
from datetime import date

from teller.errors import InputError
from teller.loan_products import LoanFacts, LoanQuote, LoanTerms, Product, RuleViolation, check_terms, quote


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


def preview(product: Product, terms: LoanTerms, facts: LoanFacts, *, today: date | None = None,
            unsettled_fund_loans: tuple[str, ...] = ()) -> Preview:
    """The schedules of `terms` and every rule they break (`check_terms`; the first due date is checked
    against `today`, also the start of an actual-day first period; the customer's fund loans the ledger
    shows unsettled against the previous-fund-loan rule)."""
    violations = tuple(check_terms(product, terms, facts, today=today, unsettled_fund_loans=unsettled_fund_loans))
    start_date = today if product.day_count != "30/360" else None
    try:
        return Preview(product, terms, quote(product, terms, start_date=start_date), violations)
    except InputError as error:
        return Preview(product, terms, None, violations, error)
