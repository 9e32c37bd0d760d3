"""Loan products and the rule checks an officer sees while typing: pure, no database."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from teller import i18n
from teller.errors import InputError
from teller.loan_products import (
    LoanFacts, LoanTerms, TrancheTerms, check_terms, fixture_definitions, format_rate, parse_product,
    parse_rate_percent, quote, reference_rate,
)

PRODUCTS = {definition["code"]: parse_product(definition) for definition in fixture_definitions()}
TODAY = date(2026, 11, 24)
FIRST_DUE = date(2026, 12, 20)
FIRST_HOME = LoanFacts(property_price=1_000_000_00, home_count=1, fund_contribution_months=24, contributing_spouses=2,
                       previous_fund_loan_settled=True)


def single(code: str, amount: int, rate: str, months: int, method: str = "equal_installment") -> LoanTerms:
    return LoanTerms(code, (TrancheTerms("standard", amount, Decimal(rate), method, months),), FIRST_DUE)


def rules(code: str, terms: LoanTerms, facts: LoanFacts) -> list[tuple[str, str]]:
    return [(violation.field, violation.rule) for violation in check_terms(PRODUCTS[code], terms, facts, today=TODAY)]


def test_the_shipped_products_cover_branch_practice_in_two_languages():
    assert set(PRODUCTS) == {"housing_fund", "combined", "commercial_mortgage", "consumer", "small_credit",
                             "farmer_micro", "pledge", "auto"}
    for product in PRODUCTS.values():
        assert product.name_en and product.name_zh and product.name_en != product.name_zh
        assert Decimal("1.3") <= product.penalty_rate_multiple <= Decimal("1.5")
        assert product.allocation_order == ("penalty", "fees", "interest", "principal")
        assert {item.group for item in product.checklist} <= {"personal", "property", "loan"}
        assert any(item.required for item in product.checklist)
        assert product.approval_route.policy_kinds[-1] == "loan"
    assert [tranche.kind for tranche in PRODUCTS["combined"].tranches] == ["fund", "commercial"]
    either_or = {item.code: item.either_or for item in PRODUCTS["housing_fund"].checklist if item.either_or}
    assert either_or["fund_contribution_record"] == either_or["tax_record"] == "income_proof"


def test_a_first_home_fund_loan_within_every_rule_passes():
    assert rules("housing_fund", single("housing_fund", 400_000_00, "0.026", 240), FIRST_HOME) == []


def test_fund_loan_rate_follows_term_and_home_count():
    fund = PRODUCTS["housing_fund"].tranche("standard")
    assert reference_rate(fund, 60, FIRST_HOME) == Decimal("0.021")
    assert reference_rate(fund, 61, FIRST_HOME) == Decimal("0.026")
    assert reference_rate(fund, 240, replace(FIRST_HOME, home_count=2)) == Decimal("0.0286")  # 1.1 x 2.6%
    wrong = check_terms(PRODUCTS["housing_fund"], single("housing_fund", 300_000_00, "0.026", 240),
                        replace(FIRST_HOME, home_count=2, property_price=1_000_000_00), today=TODAY)
    assert [(v.rule, v.tranche) for v in wrong] == [("rate_fixed", "standard")]
    assert "2.86%" in wrong[0].message and "fixed rate" in wrong[0].message


def test_loan_to_value_caps_by_home_count_and_second_hand():
    terms = single("housing_fund", 400_000_00, "0.026", 240)
    assert rules("housing_fund", terms, replace(FIRST_HOME, property_price=570_000_00)) == [("amount", "ltv")]
    assert rules("housing_fund", terms, replace(FIRST_HOME, property_price=572_000_00)) == []
    assert rules("housing_fund", terms, replace(FIRST_HOME, second_hand=True, property_price=650_000_00)) == [
        ("amount", "ltv")]
    assert rules("housing_fund", replace(terms, tranches=(replace(terms.tranches[0], annual_rate=Decimal("0.0286")),)),
                 replace(FIRST_HOME, home_count=3)) == [("home count", "ltv")]
    message = check_terms(PRODUCTS["housing_fund"], terms, replace(FIRST_HOME, property_price=500_000_00))[0].message
    assert "70%" in message and "350,000.00" in message and "loan-to-value cap" in message


def test_fund_eligibility_contributions_previous_loan_and_household_cap():
    terms = single("housing_fund", 400_000_00, "0.026", 240)
    assert rules("housing_fund", terms, replace(FIRST_HOME, fund_contribution_months=5)) == [
        ("fund contribution months", "fund_contribution_months")]
    assert rules("housing_fund", terms, replace(FIRST_HOME, previous_fund_loan_settled=False)) == [
        ("previous fund loan", "previous_fund_loan_settled")]
    assert rules("housing_fund", terms, replace(FIRST_HOME, contributing_spouses=1)) == [("amount", "household_cap")]
    assert rules("housing_fund", terms, LoanFacts()) == [
        ("fund contribution months", "fund_contribution_months"), ("previous fund loan", "previous_fund_loan_settled"),
        ("property price", "ltv"), ("contributing spouses", "household_cap")]


def test_an_unsettled_fund_loan_in_the_ledger_breaks_the_previous_fund_loan_rule_whatever_was_typed():
    fund = single("housing_fund", 400_000_00, "0.026", 240)
    found = check_terms(PRODUCTS["housing_fund"], fund, FIRST_HOME, unsettled_fund_loans=("DK01012026000001",))
    assert [(v.field, v.rule) for v in found] == [("previous fund loan", "previous_fund_loan_settled")]
    assert "DK01012026000001 is not settled" in found[0].message
    assert "(rule: previous fund loan settled)" in found[0].message
    consumer = single("consumer", 100_000_00, "0.04", 36)
    assert check_terms(PRODUCTS["consumer"], consumer, LoanFacts(monthly_income=100_000_00),
                       unsettled_fund_loans=("DK01012026000001",)) == []


def test_combined_loan_checks_each_part_by_its_own_rules():
    fund = TrancheTerms("fund", 450_000_00, Decimal("0.026"), "equal_installment", 300)
    commercial = TrancheTerms("commercial", 200_000_00, Decimal("0.0305"), "equal_principal", 300)
    terms = LoanTerms("combined", (fund, commercial), FIRST_DUE)
    assert rules("combined", terms, FIRST_HOME) == []
    too_much_fund = replace(terms, tranches=(replace(fund, amount=460_000_00), commercial))
    assert rules("combined", too_much_fund, FIRST_HOME) == [("amount", "amount_range"), ("amount", "household_cap")]
    cheap = replace(terms, tranches=(fund, replace(commercial, annual_rate=Decimal("0.029"))))
    assert [(v.rule, v.tranche) for v in check_terms(PRODUCTS["combined"], cheap, FIRST_HOME)] == [
        ("rate_range", "commercial")]
    one_part = replace(terms, tranches=(fund,))
    assert rules("combined", one_part, FIRST_HOME) == [("tranches", "tranches")]


def test_ranges_method_and_first_due_date():
    terms = single("small_credit", 350_000_00, "0.20", 48, "bullet")
    assert rules("small_credit", replace(terms, first_due_date=TODAY), LoanFacts(monthly_income=1_000_00)) == [
        ("amount", "amount_range"), ("term", "term_range"), ("rate", "rate_range"),
        ("first due date", "first_due_date"), ("monthly income", "monthly_income")]
    assert rules("auto", single("auto", 100_000_00, "0.045", 36, "bullet"),
                 LoanFacts(vehicle_price=200_000_00, monthly_income=20_000_00)) == [("method", "method_allowed")]


def test_pledge_must_cover_the_amount_and_farmers_need_a_group():
    pledge = single("pledge", 90_000_00, "0.035", 12, "bullet")
    assert rules("pledge", pledge, LoanFacts(pledge_value=100_000_00)) == []
    assert rules("pledge", pledge, LoanFacts(pledge_value=99_999_00)) == [("amount", "pledge_cover")]
    farmer = single("farmer_micro", 30_000_00, "0.045", 24)
    assert rules("farmer_micro", farmer, LoanFacts(guarantee_group=True)) == []
    assert rules("farmer_micro", farmer, LoanFacts()) == [("guarantee group", "guarantee_group")]
    assert rules("farmer_micro", replace(farmer, tranches=(replace(farmer.tranches[0], amount=2_000_00),)),
                 LoanFacts(guarantee_group=True)) == [("amount", "amount_range")]


def test_installment_to_income_uses_the_first_month_of_the_schedule():
    terms = single("consumer", 100_000_00, "0.04", 36)
    installment = quote(PRODUCTS["consumer"], terms).installment
    assert installment == 2_952_40  # 100,000 at 4% over 36 months
    assert rules("consumer", terms, LoanFacts(monthly_income=installment * 2)) == []
    violations = check_terms(PRODUCTS["consumer"], terms, LoanFacts(monthly_income=installment * 2 - 2))
    assert [(v.field, v.rule) for v in violations] == [("amount", "payment_to_income")]
    assert "2,952.40" in violations[0].message and "50%" in violations[0].message
    assert rules("consumer", terms, LoanFacts()) == [("monthly income", "payment_to_income")]


def test_a_combined_loan_is_quoted_part_by_part():
    fund = TrancheTerms("fund", 450_000_00, Decimal("0.026"), "equal_installment", 300)
    commercial = TrancheTerms("commercial", 200_000_00, Decimal("0.0305"), "equal_principal", 300)
    quoted = quote(PRODUCTS["combined"], LoanTerms("combined", (fund, commercial), FIRST_DUE))
    parts = {part.terms.kind: part.schedule for part in quoted.tranches}
    assert sum(row.principal for row in parts["fund"].installments) == 450_000_00
    assert sum(row.principal for row in parts["commercial"].installments) == 200_000_00
    assert parts["commercial"].installments[0].due_date == FIRST_DUE
    assert quoted.installment == parts["fund"].installment + parts["commercial"].installment
    assert quoted.total_interest == parts["fund"].total_interest + parts["commercial"].total_interest
    assert quoted.total_payment == 650_000_00 + quoted.total_interest


def test_farm_loan_installments_round_to_whole_yuan():
    quoted = quote(PRODUCTS["farmer_micro"], single("farmer_micro", 30_000_00, "0.045", 24))
    rows = quoted.tranches[0].schedule.installments
    assert all(row.payment % 100 == 0 for row in rows[:-1]) and rows[-1].balance_after == 0


def test_messages_are_translated_and_name_the_rule():
    i18n.set_language("zh_CN")
    try:
        violation = check_terms(PRODUCTS["pledge"], single("pledge", 90_000_00, "0.035", 12, "bullet"),
                                LoanFacts(pledge_value=50_000_00))[0]
        assert "质押" in violation.message
        assert PRODUCTS["pledge"].name == "质押贷款"
    finally:
        i18n.set_language("en")


@pytest.mark.parametrize(("typed", "rate"), [("3.1", "0.031"), ("３．１％", "0.031"), (" 4.35 % ", "0.0435"),
                                             ("0", "0"), ("3.1234", "0.031234")])
def test_typed_rates_in_percent(typed, rate):
    assert parse_rate_percent(typed) == Decimal(rate)


@pytest.mark.parametrize("typed", ["", "abc", "-1", "3.12345", "1e1", "37", "NaN", "3,1"])
def test_bad_typed_rates_are_refused_naming_the_field(typed):
    with pytest.raises(InputError) as refused:
        parse_rate_percent(typed)
    assert refused.value.field == "rate"


def test_format_rate():
    assert [format_rate(Decimal(rate)) for rate in ("0.031", "0.0305", "0.031234", "0")] == [
        "3.10%", "3.05%", "3.1234%", "0.00%"]


@pytest.mark.parametrize(("change", "complaint"), [
    (lambda d: d.update(tranches=[{**d["tranches"][0], "methods": ["balloon"]}]), "repayment methods"),
    (lambda d: d.update(penalty_rate_multiple="3"), "penalty-rate multiple"),
    (lambda d: d.update(allocation_order=["interest", "principal"]), "allocation order"),
    (lambda d: d.update(checklist=[{"group": "personal", "code": "selfie", "required": True}]), "checklist item"),
    (lambda d: d.update(eligibility=[{"rule": "lucky_number"}]), "eligibility rule"),
    (lambda d: d.update(amount={"min": 10, "max": 5}), "minimum is above"),
    (lambda d: d.pop("approval_route"), "approval_route"),
])
def test_a_broken_product_definition_is_refused_naming_the_part(change, complaint):
    definition = next(d for d in fixture_definitions() if d["code"] == "consumer")
    change(definition)
    with pytest.raises(InputError, match=complaint) as refused:
        parse_product(definition)
    assert refused.value.field == "product"
