"""What the loan entry form's typed text means, where each problem shows, and the quote built from it:
pure functions, no database."""

from datetime import date
from decimal import Decimal

import pytest

from teller.loan_form import default_rate_text, fact_fields, read_entry, violation_field
from teller.loan_products import LoanFacts, LoanTerms, TrancheTerms, check_terms, fixture_definitions, parse_product
from teller.documents import render_text
from teller.loan_documents import quote_document
from teller.loan_quote import preview

PRODUCTS = {definition["code"]: parse_product(definition) for definition in fixture_definitions()}
TODAY = date(2026, 11, 24)
CONSUMER = {"amount": "100000", "term": "36", "rate": "4", "method": "equal_installment", "first_due": "2026-12-20",
            "monthly_income": "30000"}


def test_typed_terms_are_read_exactly_full_width_digits_included():
    reading = read_entry(PRODUCTS["consumer"], {**CONSUMER, "amount": "１２３，４５６．７８", "term": "３６",
                                                "rate": "４.３５％", "first_due": "２０２６-１２-２０"})
    assert reading.errors == {}
    tranche = reading.terms.tranches[0]
    assert (tranche.amount, tranche.term_months, tranche.annual_rate) == (123_456_78, 36, Decimal("0.0435"))
    assert reading.terms.first_due_date == date(2026, 12, 20) and reading.facts.monthly_income == 30_000_00


@pytest.mark.parametrize(("key", "typed", "says"), [
    ("amount", "-5", "leave out the minus sign"), ("amount", "0", "more than zero"), ("amount", "1.234", "at most 2 decimal"),
    ("amount", "9" * 30, "too large"), ("amount", "1 000", "remove the spaces"), ("amount", "壹万", "not an amount"),
    ("term", "0", "1 to 600"), ("term", "3.5", "whole months"), ("term", "", "e.g. 36"),
    ("rate", "4.123456", "four decimals"), ("rate", "-1", "never negative"), ("rate", "40", "not lawful"),
    ("first_due", "20/12/2026", "YYYY-MM-DD"), ("first_due", "20261220", "YYYY-MM-DD"),
    ("first_due", "2026-W51-7", "YYYY-MM-DD"), ("first_due", "2026-02-30", "not a real date"),
    ("method", "", "repayment method"),
    ("monthly_income", "abc", "not an amount"),
])
def test_each_problem_is_kept_against_its_field_and_no_terms_are_made(key, typed, says):
    reading = read_entry(PRODUCTS["consumer"], {**CONSUMER, key: typed})
    assert says in reading.errors[key]
    assert set(reading.errors) == {key}
    assert (reading.terms is None) == (key != "monthly_income")


def test_a_combined_loans_second_row_is_its_commercial_part_and_violations_land_on_the_right_row():
    product = PRODUCTS["combined"]
    reading = read_entry(product, {**CONSUMER, "rate": "2.6", "term": "240", "amount2": "300000", "term2": "240",
                                   "rate2": "7", "method2": "equal_principal", "spouses": "1"})
    assert [tranche.kind for tranche in reading.terms.tranches] == ["fund", "commercial"]
    violations = check_terms(product, reading.terms, reading.facts, today=TODAY)
    fields = {violation.rule: violation_field(product, violation) for violation in violations}
    assert fields["rate_range"] == "rate2" and fields["fund_contribution_months"] == "fund_months"
    assert fields["previous_fund_loan_settled"] == "previous_settled" and fields["ltv"] == "property_price"


def test_the_form_asks_only_for_the_facts_a_products_rules_check():
    assert fact_fields(PRODUCTS["consumer"]) == ("monthly_income",)
    assert fact_fields(PRODUCTS["auto"]) == ("vehicle_price", "monthly_income")
    assert fact_fields(PRODUCTS["housing_fund"]) == ("property_price", "second_hand", "home_count", "fund_months",
                                                     "spouses", "previous_settled")
    assert default_rate_text(PRODUCTS["housing_fund"], 0, 60, LoanFacts()) == "2.10"
    assert default_rate_text(PRODUCTS["housing_fund"], 0, 240, LoanFacts()) == "2.60"


def test_a_combined_quote_adds_the_parts_per_due_date_and_repays_exactly_the_amount():
    terms = LoanTerms("combined", (TrancheTerms("fund", 400_000_00, Decimal("0.026"), "equal_installment", 240),
                                   TrancheTerms("commercial", 300_000_00, Decimal("0.035"), "equal_principal", 120)),
                      date(2026, 12, 20))
    shown = preview(PRODUCTS["combined"], terms, LoanFacts(), today=TODAY)
    rows, loan = shown.rows, shown.quote
    schedules = [part.schedule for part in loan.tranches]
    assert len(rows) == 240 and rows[-1].balance_after == 0
    assert sum(row.principal for row in rows) == 700_000_00
    assert sum(row.interest for row in rows) == loan.total_interest == sum(s.total_interest for s in schedules)
    assert rows[0].payment == loan.installment == sum(s.installments[0].payment for s in schedules)
    assert rows[120].payment == schedules[0].installments[120].payment  # the commercial part is repaid
    document = quote_document(shown.product, terms, loan, "王芳", number="DK01012026000001", today=TODAY)
    assert ("Application", "DK01012026000001") in document.fields and len(document.rows) == 240
    assert document.rows[0][2] == "5,514.15" and document.rows[-1][5] == "0.00"
    assert "Installment      CNY 5,514.15" in render_text(document)


def test_terms_the_schedule_engine_refuses_give_a_quote_with_the_reason_and_no_rows():
    terms = LoanTerms("consumer", (TrancheTerms("standard", 100_000_00, Decimal("0.04"), "equal_installment", 500),),
                      date(2026, 12, 20))
    shown = preview(PRODUCTS["consumer"], terms, LoanFacts(monthly_income=30_000_00), today=TODAY)
    assert shown.quote is None and shown.problem.field == "term" and shown.rows == ()
    assert any(violation.rule == "term_range" for violation in shown.violations)
    document = quote_document(shown.product, terms, None, "王芳")
    assert document.rows == () and document.fields[-1] == ("First due date", "2026-12-20")
