"""Loan products and the pure evaluation of proposed terms against them: no database, no Textual.

A product is read from its JSON definition (fixtures/loan_products.json, then the `loan_product` table):
amount and term ranges per tranche, the rate rule, allowed repayment methods, day-count basis, installment
multiple, penalty-rate multiple, repayment allocation order, eligibility rules, the document checklist
template and the approval route. `check_terms` lists every rule the terms or the recorded facts break, for
inline display while the officer types; the service refuses to submit while any remains. `quote` builds each
part's repayment schedule (`teller.schedule`) under the product's day count and installment multiple.

Rates are `Decimal` annual rates (0.031 = 3.1%), stored as integer parts per million. A tranche's reference
rate is its base rate for the term times the multiplier (times the second-home multiplier for a second
home) plus the spread in basis points, rounded HALF_UP to the ppm once.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

import fixtures
from models.loan import CHECKLIST_GROUPS, METHODS, TRANCHE_KINDS
from teller import schedule
from teller.errors import InputError
from teller.i18n import N_, _, format_day, language
from teller.money import format_minor

PPM = Decimal(1_000_000)
BASIS_POINT = Decimal("0.0001")
ALLOCATION_PARTS = ("penalty", "fees", "interest", "principal")
LOANS_RECEIVABLE_GL = ("1301", "1302", "1303", "1304", "1305", "1306", "1307")
OVERPAYMENT_RULES = ("refuse", "prepay")
MAX_RATE = Decimal("0.36")  # nothing above 36% a year is a lawful loan rate

TRANCHE_NAMES = {"standard": N_("loan"), "fund": N_("fund part"), "commercial": N_("commercial part")}
GROUP_NAMES = {"personal": N_("Personal"), "property": N_("Property"), "loan": N_("Loan and guarantee")}

# Every document a checklist template may name; the label is the catalogue key stored with each item.
CHECKLIST_LABELS = {
    "id_card": N_("Resident identity card"),
    "household_register": N_("Household register"),
    "marriage_certificate": N_("Marriage certificate"),
    "fund_contribution_record": N_("Fund contribution record"),
    "tax_record": N_("Tax record"),
    "income_certificate": N_("Employer's income certificate"),
    "bank_statement": N_("Bank statement, last six months"),
    "village_certificate": N_("Village committee residence certificate"),
    "purchase_contract": N_("Purchase contract"),
    "property_certificate": N_("Property certificate"),
    "deed_tax_certificate": N_("Deed-tax certificate"),
    "vehicle_purchase_contract": N_("Vehicle purchase contract"),
    "vehicle_invoice": N_("Vehicle sales invoice"),
    "pledge_certificate": N_("Pledged time deposit or bond certificate"),
    "freeze_confirmation": N_("Confirmation that the pledge is frozen"),
    "guarantee_agreement": N_("Joint-guarantee group agreement"),
    "loan_purpose_proof": N_("Loan purpose proof or plan for the funds"),
    "application_declaration": N_("Signed application declaration"),
    "loan_contract": N_("Loan contract"),
}

# The name of each rule, as messages show it.
RULE_NAMES = {
    "amount_range": N_("amount range"),
    "term_range": N_("term range"),
    "rate_range": N_("rate floor and ceiling"),
    "rate_fixed": N_("fixed rate"),
    "method_allowed": N_("repayment methods"),
    "tranches": N_("loan parts"),
    "first_due_date": N_("first due date"),
    "fund_contribution_months": N_("fund contribution months"),
    "previous_fund_loan_settled": N_("previous fund loan settled"),
    "ltv": N_("loan-to-value cap"),
    "household_cap": N_("household cap"),
    "pledge_cover": N_("pledge cover"),
    "monthly_income": N_("stable income"),
    "guarantee_group": N_("guarantee group"),
    "payment_to_income": N_("installment to income"),
}
# Fund loans (公积金贷款): a housing-fund product's loan, or a loan with a fund part.
FUND_PRODUCTS = ("housing_fund",)
FUND_TRANCHES = ("fund",)
ELIGIBILITY_RULES = ("fund_contribution_months", "previous_fund_loan_settled", "ltv", "household_cap",
                     "pledge_cover", "monthly_income", "guarantee_group", "payment_to_income")


# --- Products -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    low: int
    high: int


@dataclass(frozen=True)
class BaseRate:
    name: str
    rate: Decimal
    up_to_months: int | None


@dataclass(frozen=True)
class RateRule:
    bases: tuple[BaseRate, ...]
    multiplier: Decimal
    spread_bp: int
    second_home_multiplier: Decimal
    fixed: bool
    floor: Decimal
    ceiling: Decimal


@dataclass(frozen=True)
class TrancheRule:
    kind: str
    amount: Range
    term_months: Range
    rate: RateRule
    methods: tuple[str, ...]
    gl_code: str  # loans receivable: the GL code the tranche's principal account is opened under


@dataclass(frozen=True)
class ChecklistTemplateItem:
    group: str
    code: str
    required: bool
    either_or: str | None

    @property
    def label_key(self) -> str:
        return CHECKLIST_LABELS[self.code]


@dataclass(frozen=True)
class ApprovalRoute:
    reviewer_roles: tuple[str, ...]
    policy_kinds: tuple[str, ...]
    credit_check_required: bool


@dataclass(frozen=True)
class Product:
    """A loan product as its rules say. `eligibility` keeps each rule's parameters as given."""

    code: str
    name_en: str
    name_zh: str
    currency: str
    amount: Range
    tranches: tuple[TrancheRule, ...]
    day_count: str
    rounding: str
    installment_multiple: int
    penalty_rate_multiple: Decimal
    late_fee: int  # minor units, once per installment not fully paid by the end of its due date
    overpayment: str  # OVERPAYMENT_RULES: what a repayment above what is due does
    allocation_order: tuple[str, ...]
    eligibility: tuple[dict, ...]
    checklist: tuple[ChecklistTemplateItem, ...]
    approval_route: ApprovalRoute
    version: int = 1
    active: bool = True

    @property
    def name(self) -> str:
        """The name in the current language."""
        return self.name_zh if language() == "zh_CN" else self.name_en

    def tranche(self, kind: str) -> TrancheRule | None:
        return next((rule for rule in self.tranches if rule.kind == kind), None)

    def rule(self, rule_id: str) -> dict | None:
        return next((rule for rule in self.eligibility if rule["rule"] == rule_id), None)


def _problem(message: str) -> InputError:
    return InputError("product", message)


def _decimal(value, where: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _problem(_("{where}: {value!r} is not a number").format(where=where, value=value)) from None
    if not number.is_finite() or number < 0:
        raise _problem(_("{where}: {value!r} is not a non-negative number").format(where=where, value=value))
    return number


def _int(value, where: str, *, low: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise _problem(_("{where}: give a whole number of at least {low}").format(where=where, low=low))
    return value


def _range(data: dict, where: str, *, low: int = 1) -> Range:
    result = Range(_int(data.get("min"), where, low=low), _int(data.get("max"), where, low=low))
    if result.low > result.high:
        raise _problem(_("{where}: the minimum is above the maximum").format(where=where))
    return result


def _rate_rule(data: dict, where: str) -> RateRule:
    bases = tuple(BaseRate(str(base["name"]), _decimal(base["rate"], where), base.get("up_to_months"))
                  for base in data.get("bases", ()))
    if not bases:
        raise _problem(_("{where}: name at least one base rate").format(where=where))
    rule = RateRule(
        bases=bases, multiplier=_decimal(data.get("multiplier", "1"), where), spread_bp=int(data.get("spread_bp", 0)),
        second_home_multiplier=_decimal(data.get("second_home_multiplier", "1"), where),
        fixed=bool(data.get("fixed", False)), floor=_decimal(data["floor"], where), ceiling=_decimal(data["ceiling"], where),
    )
    if not rule.floor <= rule.ceiling <= MAX_RATE:
        raise _problem(_("{where}: the floor must not exceed the ceiling, nor the ceiling {most}").format(
            where=where, most=format_rate(MAX_RATE)))
    return rule


def parse_product(data: dict, *, version: int = 1, active: bool = True) -> Product:
    """A product from its JSON definition, every part checked; InputError (field `product`) names the first
    part that is wrong, so a bad product change is refused before a second admin sees it."""
    try:
        code = str(data["code"])
        where = code
        tranches = []
        for tranche in data["tranches"]:
            kind = tranche["kind"]
            if kind not in TRANCHE_KINDS:
                raise _problem(_("{where}: unknown loan part {kind!r}").format(where=where, kind=kind))
            methods = tuple(tranche["methods"])
            if not methods or any(method not in METHODS for method in methods):
                raise _problem(_("{where}: repayment methods are among {methods}").format(
                    where=where, methods=", ".join(METHODS)))
            gl_code = str(tranche["gl_code"])
            if gl_code not in LOANS_RECEIVABLE_GL:
                raise _problem(_("{where}: a loan part's GL code is one of {codes}").format(
                    where=where, codes=", ".join(LOANS_RECEIVABLE_GL)))
            tranches.append(TrancheRule(kind, _range(tranche["amount"], where), _range(tranche["term_months"], where),
                                        _rate_rule(tranche["rate"], where), methods, gl_code))
        kinds = [tranche.kind for tranche in tranches]
        if kinds not in (["standard"], ["fund", "commercial"]):
            raise _problem(_("{where}: a product has one standard part, or a fund and a commercial part").format(
                where=where))
        checklist = []
        for item in data["checklist"]:
            if item["code"] not in CHECKLIST_LABELS or item["group"] not in CHECKLIST_GROUPS:
                raise _problem(_("{where}: unknown checklist item {code!r} or group {group!r}").format(
                    where=where, code=item["code"], group=item["group"]))
            checklist.append(ChecklistTemplateItem(item["group"], item["code"], bool(item.get("required", True)),
                                                   item.get("either_or")))
        if len({item.code for item in checklist}) != len(checklist):
            raise _problem(_("{where}: a checklist names each document once").format(where=where))
        eligibility = tuple(dict(rule) for rule in data.get("eligibility", ()))
        for rule in eligibility:
            if rule.get("rule") not in ELIGIBILITY_RULES:
                raise _problem(_("{where}: unknown eligibility rule {rule!r}").format(where=where, rule=rule.get("rule")))
        allocation = tuple(data.get("allocation_order", ALLOCATION_PARTS))
        if sorted(allocation) != sorted(ALLOCATION_PARTS):
            raise _problem(_("{where}: the allocation order lists penalty, fees, interest and principal once each")
                           .format(where=where))
        if data.get("day_count", "30/360") not in schedule.DAY_COUNTS:
            raise _problem(_("{where}: the day-count basis is one of {bases}").format(
                where=where, bases=", ".join(schedule.DAY_COUNTS)))
        if data.get("rounding", "HALF_UP") != "HALF_UP":
            raise _problem(_("{where}: schedules round HALF_UP to the minor unit").format(where=where))
        penalty = _decimal(data.get("penalty_rate_multiple", "1.5"), where)
        if not Decimal("1") <= penalty <= Decimal("2"):
            raise _problem(_("{where}: the penalty-rate multiple lies between 1 and 2 (commonly 1.3 to 1.5)").format(
                where=where))
        overpayment = data.get("overpayment", "refuse")
        if overpayment not in OVERPAYMENT_RULES:
            raise _problem(_("{where}: an overpayment is {rules}").format(where=where, rules=" or ".join(OVERPAYMENT_RULES)))
        route = data["approval_route"]
        name = data["name"]
        return Product(
            code=code, name_en=str(name["en"]), name_zh=str(name["zh_CN"]), currency=str(data.get("currency", "CNY")),
            amount=_range(data["amount"], where), tranches=tuple(tranches),
            day_count=data.get("day_count", "30/360"), rounding=data.get("rounding", "HALF_UP"),
            installment_multiple=_int(data.get("installment_multiple", 1), where, low=1),
            penalty_rate_multiple=penalty, late_fee=_int(data.get("late_fee", 0), where), overpayment=overpayment,
            allocation_order=allocation, eligibility=eligibility,
            checklist=tuple(checklist),
            approval_route=ApprovalRoute(tuple(route["reviewer_roles"]), tuple(route["policy_kinds"]),
                                         bool(route.get("credit_check_required", True))),
            version=version, active=active,
        )
    except (KeyError, TypeError) as error:
        raise _problem(_("the product definition lacks or misshapes {part}").format(part=error)) from None


def fixture_definitions() -> list[dict]:
    """The products shipped with Teller, loaded into a new ledger."""
    return fixtures.load("loan_products.json")["products"]


# --- Rates --------------------------------------------------------------------------------------------


def rate_to_ppm(rate: Decimal) -> int:
    return int((rate * PPM).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def ppm_to_rate(ppm: int) -> Decimal:
    return Decimal(ppm) / PPM


def format_rate(rate: Decimal) -> str:
    """0.0305 -> '3.05%' (trailing zeros dropped, at least two decimals)."""
    percent = (rate * 100).quantize(Decimal("0.0001"))
    text = f"{percent:f}".rstrip("0")
    whole, _dot, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}%"


def parse_rate_percent(text: str, *, field: str = "rate") -> Decimal:
    """A typed annual rate in percent ('3.1', '3.10%', full-width digits) as a decimal rate (0.031); at most
    four decimals of a percent (the ppm stored), never negative or above 36%."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip().removesuffix("%").strip()
    if not cleaned:
        raise InputError(field, _("enter the annual rate in percent, e.g. 3.1"))
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:
        raise InputError(field, _("{text!r} is not a rate: type a percentage such as 3.1").format(text=text.strip())) from None
    if not percent.is_finite() or "e" in cleaned.lower():
        raise InputError(field, _("type the rate in full, e.g. 3.1"))
    if percent < 0:
        raise InputError(field, _("a rate is never negative"))
    if percent.as_tuple().exponent < -4:
        raise InputError(field, _("a rate has at most four decimals of a percent"))
    rate = percent / 100
    if rate > MAX_RATE:
        raise InputError(field, _("a rate above {most} is not lawful").format(most=format_rate(MAX_RATE)))
    return rate


def base_rate(rule: RateRule, term_months: int) -> BaseRate:
    """The first base whose `up_to_months` covers the term, else the last."""
    for base in rule.bases:
        if base.up_to_months is not None and term_months <= base.up_to_months:
            return base
    return rule.bases[-1]


def reference_rate(tranche: TrancheRule, term_months: int, facts: "LoanFacts") -> Decimal:
    """Base rate for the term x multiplier (x the second-home multiplier) + spread, HALF_UP to the ppm."""
    rule = tranche.rate
    rate = base_rate(rule, term_months).rate * rule.multiplier
    if facts.home_count is not None and facts.home_count >= 2:
        rate *= rule.second_home_multiplier
    rate += rule.spread_bp * BASIS_POINT
    return ppm_to_rate(rate_to_ppm(rate))


# --- Terms, facts and violations ----------------------------------------------------------------------


@dataclass(frozen=True)
class TrancheTerms:
    """One part of a proposed loan: `amount` in minor units, `annual_rate` a Decimal (0.031 = 3.1%)."""

    kind: str
    amount: int
    annual_rate: Decimal
    method: str
    term_months: int


@dataclass(frozen=True)
class LoanTerms:
    product_code: str
    tranches: tuple[TrancheTerms, ...]
    first_due_date: date
    purpose: str = ""
    currency: str = "CNY"

    @property
    def amount(self) -> int:
        return sum(tranche.amount for tranche in self.tranches)

    @property
    def term_months(self) -> int:
        return max((tranche.term_months for tranche in self.tranches), default=0)


@dataclass(frozen=True)
class LoanFacts:
    """What the officer records for the eligibility rules; None where not (yet) known. Money in minor units.
    `home_count` counts the household's homes including this one (1 first home, 2 second home)."""

    property_price: int | None = None
    second_hand: bool = False
    home_count: int | None = None
    fund_contribution_months: int | None = None
    contributing_spouses: int | None = None
    previous_fund_loan_settled: bool | None = None
    pledge_value: int | None = None
    vehicle_price: int | None = None
    monthly_income: int | None = None
    guarantee_group: bool | None = None

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict) -> "LoanFacts":
        return cls(**{name: data.get(name, spec.default) for name, spec in cls.__dataclass_fields__.items()})


@dataclass(frozen=True)
class RuleViolation:
    """A rule the terms or facts break: the field to fix (an errors.FIELD_LABELS key), the rule's id, the
    translated message naming the rule, and the loan part it concerns (None for the whole application)."""

    field: str
    rule: str
    message: str
    tranche: str | None = None


@dataclass
class _Findings:
    items: list[RuleViolation] = field(default_factory=list)

    def add(self, field_name: str, rule: str, problem: str, tranche: str | None = None) -> None:
        message = _("{problem} (rule: {rule})").format(problem=problem, rule=_(RULE_NAMES[rule]))
        self.items.append(RuleViolation(field_name, rule, message, tranche))


def _money(minor: int, currency: str) -> str:
    return f"{currency} {format_minor(minor, currency)}"


def _check_range(found: _Findings, value: int, allowed: Range, field_name: str, rule: str, text, tranche: str | None):
    if not allowed.low <= value <= allowed.high:
        found.add(field_name, rule, _("{value} is outside {low} to {high}").format(
            value=text(value), low=text(allowed.low), high=text(allowed.high)), tranche)


def _check_tranche(found: _Findings, product: Product, terms: TrancheTerms, facts: LoanFacts) -> None:
    rule = product.tranche(terms.kind)
    kind = terms.kind
    money = lambda minor: _money(minor, product.currency)  # noqa: E731
    months = lambda count: _("{count} months").format(count=count)  # noqa: E731
    _check_range(found, terms.amount, rule.amount, "amount", "amount_range", money, kind)
    _check_range(found, terms.term_months, rule.term_months, "term", "term_range", months, kind)
    if terms.method not in rule.methods:
        found.add("method", "method_allowed", _("{method} is not offered; choose {methods}").format(
            method=_(schedule.METHOD_LABELS.get(terms.method, terms.method)),
            methods=", ".join(_(schedule.METHOD_LABELS[method]) for method in rule.methods)), kind)
    reference = reference_rate(rule, terms.term_months, facts)
    if rule.rate.fixed and terms.annual_rate != reference:
        found.add("rate", "rate_fixed", _("the rate for this term is {reference}, not {rate}").format(
            reference=format_rate(reference), rate=format_rate(terms.annual_rate)), kind)
    elif not rule.rate.floor <= terms.annual_rate <= rule.rate.ceiling:
        found.add("rate", "rate_range", _("{rate} is outside {floor} to {ceiling}").format(
            rate=format_rate(terms.annual_rate), floor=format_rate(rule.rate.floor),
            ceiling=format_rate(rule.rate.ceiling)), kind)


def _needs(found: _Findings, value, field_name: str, rule: str, prompt: str) -> bool:
    """True if the fact is recorded; otherwise note that the rule needs it."""
    if value is None:
        found.add(field_name, rule, prompt)
        return False
    return True


def _ltv_cap(rule: dict, facts: LoanFacts) -> Decimal | None:
    for cap in rule["caps"]:
        if "home_count" in cap and cap["home_count"] != facts.home_count:
            continue
        if "second_hand" in cap and cap["second_hand"] != facts.second_hand:
            continue
        return Decimal(cap["max"])
    return None


def unsettled_fund_loan_violation(numbers: tuple[str, ...]) -> RuleViolation:
    """The previous-fund-loan rule broken by the ledger: the customer's fund loans `numbers` are unsettled."""
    found = _Findings()
    found.add("previous fund loan", "previous_fund_loan_settled", _(
        "the customer's fund loan {numbers} is not settled").format(numbers=", ".join(numbers)))
    return found.items[0]


def _check_eligibility(found: _Findings, product: Product, terms: LoanTerms, facts: LoanFacts,
                       unsettled_fund_loans: tuple[str, ...]) -> None:
    currency = product.currency
    for rule in product.eligibility:
        rule_id = rule["rule"]
        if rule_id == "fund_contribution_months":
            if _needs(found, facts.fund_contribution_months, "fund contribution months", rule_id,
                      _("record how many months the customer has contributed")) and (
                    facts.fund_contribution_months < rule["min"]):
                found.add("fund contribution months", rule_id, _("{count} months of contributions; at least {least} needed")
                          .format(count=facts.fund_contribution_months, least=rule["min"]))
        elif rule_id == "previous_fund_loan_settled":
            if unsettled_fund_loans:
                found.items.append(unsettled_fund_loan_violation(unsettled_fund_loans))
            elif facts.previous_fund_loan_settled is not True:
                found.add("previous fund loan", rule_id, _("the household's previous fund loan must be settled first")
                          if facts.previous_fund_loan_settled is False
                          else _("record whether the household's previous fund loan is settled"))
        elif rule_id == "ltv":
            price_field = "vehicle price" if rule["price"] == "vehicle_price" else "property price"
            price = getattr(facts, rule["price"])
            if not _needs(found, price, price_field, rule_id, _("record the price to check the loan-to-value cap")):
                continue
            if rule["price"] == "property_price" and not _needs(
                    found, facts.home_count, "home count", rule_id, _("record whether this is a first or second home")):
                continue
            cap = _ltv_cap(rule, facts)
            if cap is None:
                found.add("home count", rule_id, _("no loan is offered for a home number {count}").format(
                    count=facts.home_count))
            elif Decimal(terms.amount) > Decimal(price) * cap:
                found.add("amount", rule_id, _("{amount} is more than {cap} of the price {price} (at most {most})").format(
                    amount=_money(terms.amount, currency), cap=f"{cap * 100:.0f}%", price=_money(price, currency),
                    most=_money(int((Decimal(price) * cap).to_integral_value(rounding=ROUND_FLOOR)), currency)))
        elif rule_id == "household_cap":
            if not _needs(found, facts.contributing_spouses, "contributing spouses", rule_id,
                          _("record how many spouses contribute to the fund")):
                continue
            cap = rule["caps"].get(str(facts.contributing_spouses))
            tranche = next((part for part in terms.tranches if part.kind == rule.get("tranche", "standard")), None)
            capped = tranche.amount if tranche is not None else terms.amount
            if cap is None:
                found.add("contributing spouses", rule_id, _("one or two spouses contribute, not {count}").format(
                    count=facts.contributing_spouses))
            elif capped > cap:
                found.add("amount", rule_id, _("{amount} is above the household cap of {cap}").format(
                    amount=_money(capped, currency), cap=_money(cap, currency)), rule.get("tranche"))
        elif rule_id == "pledge_cover":
            if _needs(found, facts.pledge_value, "pledge value", rule_id, _("record the value of the pledged deposit or bonds")):
                most = int((Decimal(facts.pledge_value) * Decimal(rule["max"])).to_integral_value(rounding=ROUND_FLOOR))
                if terms.amount > most:
                    found.add("amount", rule_id, _("{amount} is not covered by the pledge: at most {most}").format(
                        amount=_money(terms.amount, currency), most=_money(most, currency)))
        elif rule_id == "monthly_income":
            if _needs(found, facts.monthly_income, "monthly income", rule_id, _("record the customer's monthly income")) and (
                    facts.monthly_income < rule["min"]):
                found.add("monthly income", rule_id, _("an income of at least {least} a month is needed").format(
                    least=_money(rule["min"], currency)))
        elif rule_id == "guarantee_group":
            if facts.guarantee_group is not True:
                found.add("guarantee group", rule_id, _("the farmer must belong to a guarantee or joint-guarantee group"))
        elif rule_id == "payment_to_income":
            _check_payment_to_income(found, product, terms, facts, rule)


def _check_payment_to_income(found: _Findings, product: Product, terms: LoanTerms, facts: LoanFacts,
                             rule: dict) -> None:
    """The first month's installment (all parts together) against the monthly income. A bullet loan has no
    monthly installment; terms no schedule can be built from are left to their own violations."""
    if not _needs(found, facts.monthly_income, "monthly income", "payment_to_income",
                  _("record the customer's monthly income")):
        return
    try:
        monthly = quote(product, terms).monthly_installment
    except InputError:
        return
    most = int((Decimal(facts.monthly_income) * Decimal(rule["max"])).to_integral_value(rounding=ROUND_FLOOR))
    if monthly > most:
        found.add("amount", "payment_to_income", _(
            "the installment {installment} is more than {share} of the monthly income (at most {most})").format(
            installment=_money(monthly, product.currency), share=f"{Decimal(rule['max']) * 100:.0f}%",
            most=_money(most, product.currency)))


def check_terms(product: Product, terms: LoanTerms, facts: LoanFacts, *, today: date | None = None,
                unsettled_fund_loans: tuple[str, ...] = ()) -> list[RuleViolation]:
    """Every rule the proposed terms and recorded facts break, in the order of the form (empty: all met).
    `unsettled_fund_loans` are the numbers of the customer's fund loans the ledger shows unsettled: the
    previous-fund-loan rule checks them before the fact the officer recorded (which covers the household)."""
    found = _Findings()
    wanted = [rule.kind for rule in product.tranches]
    given = [tranche.kind for tranche in terms.tranches]
    if sorted(given) != sorted(wanted):
        found.add("tranches", "tranches", _("this product is lent as {parts}").format(
            parts=" + ".join(_(TRANCHE_NAMES[kind]) for kind in wanted)))
        return found.items
    if len(product.tranches) > 1:  # a single part's own range is the product's
        _check_range(found, terms.amount, product.amount, "amount", "amount_range",
                     lambda minor: _money(minor, product.currency), None)
    for tranche in terms.tranches:
        _check_tranche(found, product, tranche, facts)
    if today is not None and terms.first_due_date <= today:
        found.add("first due date", "first_due_date", _("the first installment falls due after {today}").format(
            today=format_day(today)))
    _check_eligibility(found, product, terms, facts, unsettled_fund_loans)
    return found.items


# --- Quotes -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrancheQuote:
    terms: TrancheTerms
    schedule: schedule.Schedule


@dataclass(frozen=True)
class LoanQuote:
    """The schedule of each part of a loan, and what the customer pays in all (minor units)."""

    tranches: tuple[TrancheQuote, ...]

    @property
    def installment(self) -> int:
        """The first installment, all parts together (for equal installments, the regular monthly payment)."""
        return sum(part.schedule.installment for part in self.tranches)

    @property
    def monthly_installment(self) -> int:
        """What falls due in the first month, all parts together; 0 for parts repaid in one payment at maturity."""
        return sum(part.schedule.installments[0].payment for part in self.tranches if part.terms.method != "bullet")

    @property
    def total_interest(self) -> int:
        return sum(part.schedule.total_interest for part in self.tranches)

    @property
    def total_payment(self) -> int:
        return sum(part.schedule.total_payment for part in self.tranches)


def quote(product: Product, terms: LoanTerms, *, start_date: date | None = None) -> LoanQuote:
    """Each part's repayment schedule from the first due date, with the product's day count (actual-day
    counts need the loan's `start_date`) and installment multiple. Terms no schedule can be built from raise
    InputError naming the field."""
    return LoanQuote(tuple(
        TrancheQuote(tranche, schedule.build_schedule(
            tranche.amount, tranche.annual_rate, tranche.term_months, tranche.method, terms.first_due_date,
            installment_multiple=product.installment_multiple, day_count=product.day_count, start_date=start_date))
        for tranche in terms.tranches))
