"""What the loan entry form's typed text means: terms and facts read from the fields, each problem kept
against the field it is about, and the product rules' violations placed next to the field that must change.

The form names its fields with the keys below; a combined loan's second row (`amount2`, `term2`, `rate2`,
`method2`) is its commercial part, the first row its fund part. Widgets check nothing: this module and,
again, the loans service do.
"""

import unicodedata
from dataclasses import dataclass, field

from teller.days import parse_day
from teller.errors import InputError
from teller.i18n import _
from teller.loan_products import (
    LoanFacts, LoanTerms, Product, RuleViolation, TrancheTerms, format_rate, parse_rate_percent, reference_rate,
)
from teller.money import MAX_MINOR, parse_amount

MAX_TERM = 600
TERM_FIELDS = ("amount", "term", "rate", "method")
SECOND_PART = "2"  # suffix of the commercial part's fields
MONEY_FACTS = {"property_price": "property price", "pledge_value": "pledge value", "vehicle_price": "vehicle price",
               "monthly_income": "monthly income"}
COUNT_FACTS = {"home_count": ("home count", 9), "fund_months": ("fund contribution months", 1200),
               "spouses": ("contributing spouses", 2)}
YES_NO_FACTS = {"second_hand": "second_hand", "previous_settled": "previous_fund_loan_settled",
                "guarantee_group": "guarantee_group"}
# The service's field (errors.FIELD_LABELS key) of each form field that is not a loan part's.
SERVICE_FIELDS = {
    "first_due": "first due date", "purpose": "purpose", "property_price": "property price",
    "home_count": "home count", "fund_months": "fund contribution months", "spouses": "contributing spouses",
    "previous_settled": "previous fund loan", "pledge_value": "pledge value", "vehicle_price": "vehicle price",
    "monthly_income": "monthly income", "guarantee_group": "guarantee group", "product": "product",
}
FORM_FIELDS = {service: form for form, service in SERVICE_FIELDS.items()} | {
    "tranches": "product", "currency": "product", "customer": "product", "annual rate": "rate",
    "start date": "first_due",
}
# Which facts each eligibility rule needs recorded.
RULE_FACTS = {
    "fund_contribution_months": ("fund_months",), "previous_fund_loan_settled": ("previous_settled",),
    "household_cap": ("spouses",), "pledge_cover": ("pledge_value",), "monthly_income": ("monthly_income",),
    "payment_to_income": ("monthly_income",), "guarantee_group": ("guarantee_group",),
}


@dataclass(frozen=True)
class EntryReading:
    """The form read: `terms` is None while a term field is unreadable; `errors` maps form keys to messages."""

    terms: LoanTerms | None
    facts: LoanFacts
    errors: dict[str, str] = field(default_factory=dict)


def part_kinds(product: Product) -> tuple[str, ...]:
    return tuple(rule.kind for rule in product.tranches)


def fact_fields(product: Product) -> tuple[str, ...]:
    """The facts the product's eligibility rules need, in form order."""
    wanted: set[str] = set()
    for rule in product.eligibility:
        if rule["rule"] == "ltv":
            wanted |= {"vehicle_price"} if rule["price"] == "vehicle_price" else {"property_price", "home_count",
                                                                                  "second_hand"}
        wanted |= set(RULE_FACTS.get(rule["rule"], ()))
    order = ("property_price", "second_hand", "home_count", "fund_months", "spouses", "previous_settled",
             "pledge_value", "vehicle_price", "monthly_income", "guarantee_group")
    return tuple(name for name in order if name in wanted)


def parse_term(text: str, *, field: str = "term") -> int:
    """A term in whole months, full-width digits allowed."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    if not cleaned:
        raise InputError(field, _("enter the term in months, e.g. 36"))
    if not cleaned.isdecimal() or not cleaned.isascii():
        raise InputError(field, _("type the term as whole months, e.g. 36"))
    months = int(cleaned)
    if not 1 <= months <= MAX_TERM:
        raise InputError(field, _("the term is 1 to {most} whole months").format(most=MAX_TERM))
    return months


def _count(text: str, field: str, most: int) -> int | None:
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    if not cleaned:
        return None
    if not cleaned.isdecimal() or not cleaned.isascii() or int(cleaned) > most:
        raise InputError(field, _("give a whole number from 0 to {most}").format(most=most))
    return int(cleaned)


def _money(text: str, currency: str, field: str) -> int:
    return parse_amount(text, currency, field=field, allow_zero=True).minor


def read_entry(product: Product, values: dict[str, str]) -> EntryReading:
    """Terms and facts from the form's text (`values` by form key; yes/no facts as "yes", "no" or "")."""
    errors: dict[str, str] = {}

    def attempt(key: str, parse):
        try:
            return parse()
        except InputError as error:
            errors[key] = error.message
            return None

    tranches = []
    for position, kind in enumerate(part_kinds(product)):
        suffix = SECOND_PART if position else ""
        amount = attempt("amount" + suffix, lambda s=suffix: parse_amount(values.get("amount" + s, ""),
                                                                          product.currency).minor)
        if amount is not None and amount > MAX_MINOR:
            errors["amount" + suffix], amount = _("the amount is too large"), None
        months = attempt("term" + suffix, lambda s=suffix: parse_term(values.get("term" + s, "")))
        rate = attempt("rate" + suffix, lambda s=suffix: parse_rate_percent(values.get("rate" + s, "")))
        method = values.get("method" + suffix) or ""
        if not method:
            errors["method" + suffix] = _("choose a repayment method")
        tranches.append((kind, amount, rate, method, months))
    first_due = attempt("first_due", lambda: parse_day(values.get("first_due", ""), field="first due date",
                                                            example="2026-12-20"))
    facts = {}
    for key, service_field in MONEY_FACTS.items():
        text = values.get(key, "").strip()
        facts[key] = attempt(key, lambda t=text, f=service_field: _money(t, product.currency, f)) if text else None
    for key, (service_field, most) in COUNT_FACTS.items():
        facts[key] = attempt(key, lambda k=key, f=service_field, m=most: _count(values.get(k, ""), f, m))
    answers = {key: {"yes": True, "no": False}.get(values.get(key, "")) for key in YES_NO_FACTS}
    loan_facts = LoanFacts(
        property_price=facts["property_price"], second_hand=bool(answers["second_hand"]),
        home_count=facts["home_count"], fund_contribution_months=facts["fund_months"],
        contributing_spouses=facts["spouses"], previous_fund_loan_settled=answers["previous_settled"],
        pledge_value=facts["pledge_value"], vehicle_price=facts["vehicle_price"],
        monthly_income=facts["monthly_income"], guarantee_group=answers["guarantee_group"])
    term_keys = [key + (SECOND_PART if position else "") for position in range(len(tranches)) for key in TERM_FIELDS]
    if first_due is None or any(key in errors for key in term_keys):
        return EntryReading(None, loan_facts, errors)
    terms = LoanTerms(product.code, tuple(TrancheTerms(*tranche) for tranche in tranches), first_due,
                      " ".join(values.get("purpose", "").split()), product.currency)
    return EntryReading(terms, loan_facts, errors)


def violation_field(product: Product, violation: RuleViolation | InputError) -> str:
    """The form key next to which a rule violation (or a service's InputError) is shown."""
    kinds = part_kinds(product)
    tranche = getattr(violation, "tranche", None)
    suffix = SECOND_PART if tranche is not None and len(kinds) > 1 and tranche == kinds[1] else ""
    if violation.field in TERM_FIELDS:
        return violation.field + suffix
    if violation.field == "annual rate":
        return "rate" + suffix
    return FORM_FIELDS.get(violation.field, "product")


def default_rate_text(product: Product, part: int, months: int | None, facts: LoanFacts) -> str:
    """The product's reference rate for the part and term, in percent as the rate field shows it ("3.10")."""
    rule = product.tranches[part]
    rate = reference_rate(rule, months or rule.term_months.low, facts)
    return format_rate(rate).removesuffix("%")
