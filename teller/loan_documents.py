"""The loan officer's printed pages, as `documents.Document`s (text on screen, PDF for the printer): the
loan quote with its full schedule, and the list of documents the customer still has to bring."""

from datetime import date

from teller.documents import Document
from teller.i18n import _, format_amount, format_day
from teller.loan_products import TRANCHE_NAMES, LoanQuote, LoanTerms, Product, format_rate
from teller.loan_quote import quote_rows
from teller.loans import MissingDocuments
from teller.schedule import METHOD_LABELS


def _money(minor: int, currency: str) -> str:
    return f"{currency} {format_amount(minor, currency)}"


def quote_document(product: Product, terms: LoanTerms, loan: LoanQuote | None, customer_name: str, *,
                   number: str | None = None, today: date | None = None) -> Document:
    """The loan quote: who and what, each part's terms, the totals and the whole loan's schedule (without a
    quote, the terms only). It is a quote, not an offer: the footer says so."""
    currency = terms.currency
    fields = [(_("Customer"), customer_name), (_("Product"), product.name)]
    if number:
        fields.append((_("Application"), number))
    if today is not None:
        fields.append((_("Quoted on"), format_day(today)))
    for tranche in terms.tranches:
        fields.append((_(TRANCHE_NAMES[tranche.kind]), _("{amount}, {months} months at {rate}, {method}").format(
            amount=_money(tranche.amount, currency), months=tranche.term_months,
            rate=format_rate(tranche.annual_rate), method=_(METHOD_LABELS[tranche.method]))))
    fields.append((_("First due date"), format_day(terms.first_due_date)))
    rows: tuple[tuple[str, ...], ...] = ()
    if loan is not None:
        fields += [(_("Installment"), _money(loan.installment, currency)),
                   (_("Total interest"), _money(loan.total_interest, currency)),
                   (_("Total to repay"), _money(loan.total_payment, currency))]
        rows = tuple((str(row.number), row.due_date.isoformat(), format_amount(row.payment, currency),
                      format_amount(row.principal, currency), format_amount(row.interest, currency),
                      format_amount(row.balance_after, currency)) for row in quote_rows(loan))
    return Document(
        title=_("Loan quote"), fields=tuple(fields),
        columns=(_("Period"), _("Due date"), _("Payment"), _("Principal"), _("Interest"), _("Principal left")) if rows else (),
        rows=rows, right_aligned=frozenset({0, 2, 3, 4, 5}),
        footer=(_("This quote is for information; the loan contract alone binds the bank and the customer."),))


def missing_documents_document(missing: MissingDocuments) -> Document:
    """The take-home list: by group, one line per document (either/or alternatives on one line), to tick."""
    rows = tuple((group if position == 0 else "", f"[ ] {document}")
                 for group, documents in missing.groups for position, document in enumerate(documents))
    return Document(
        title=_("Documents still needed"),
        fields=((_("Application"), missing.number), (_("Customer"), missing.customer_name),
                (_("Product"), missing.product_name)),
        columns=(_("Group"), _("Item")) if rows else (), rows=rows,
        footer=(_("Please bring the originals; copies are made at the branch.") if rows
                else _("Nothing more is needed."),))
