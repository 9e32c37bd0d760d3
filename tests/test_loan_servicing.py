"""Loan money on both databases: disbursement behind the checklist gate to each destination, repayments
allocated in the product's order on fixed dates, penalty and fees, payoff equal to its quote, both prepayment
choices with schedule versions kept, tranche-targeted and fund-centre payments, waivers; the database's own
refusals; the books clean after every flow."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from models import Instruction, LoanAccount, LoanDisbursement, LoanSchedule
from teller import (
    accounts, admin_changes, approvals, customers, drawers, instructions, large_value, loan_servicing, loans,
    receipts, schedule,
)
from teller.errors import ApprovalError, InputError, LedgerError
from teller.loan_products import LoanTerms, TrancheTerms
from teller.loan_servicing import (
    DisbursementDraft, PayeeDraft, RepaymentDraft, WaiverDraft, first_due_after, servicing,
)
from teller.ledger import Leg
from teller.loans import ApplicationDraft
from tests.helpers import assert_books_clean, fund_vault, new_key, open_drawer, post
from tests.loan_support import make_staff
from tests.servicing_support import (
    HOME_FACTS, NEXT_DAY_DUE, borrower, combined_terms, consumer_terms, days_pass, disbursed, repay, signed,
)


def balance(db, number: str) -> int:
    return accounts.get_account(db, number).balance


def gl(bank, code: str) -> str:
    return accounts.branch_account_number(bank.branch_code, code)


def refusal(db, sql: str, params: dict | None = None) -> str:
    with pytest.raises(DBAPIError) as caught:
        with db.engine.begin() as connection:
            connection.execute(text(sql), params or {})
    return str(caught.value.orig)


def preview(db, who, application_id, **draft):
    return loan_servicing.preview_repayment(db, who.officer, RepaymentDraft(
        application_id, **{"kind": "repayment", "source": "account", "account_number": who.account, **draft}))


# --- Disbursement ----------------------------------------------------------------------------------------


def test_disbursement_is_refused_with_an_incomplete_checklist_and_allowed_after_a_second_keyed_waiver(db, bank):
    who = borrower(db, bank)
    application = signed(db, bank, who, complete_checklist=False)
    draft = DisbursementDraft(application.id, "account", account_number=who.account, idempotency_key=new_key())
    with pytest.raises(LedgerError, match="checklist is incomplete"):
        loan_servicing.request_disbursement(db, who.officer, draft)
    assert db.run(lambda s: s.scalars(select(LoanAccount)).all()) == []
    assert db.run(lambda s: s.scalars(select(Instruction).where(Instruction.kind == "loan_disbursement")).all()) == []
    for item in db.run(lambda s: loans.checklist_items(s, application.id)):
        if item.required and item.state == "MISSING":
            loans.waive_item(db, who.officer, bank.supervisor, application.id, item.code, "original seen at signing")
    made = loan_servicing.request_disbursement(db, who.officer, draft)
    assert loans.get_application(db, application.id).state == "CONTRACT_SIGNED"  # not before the second key
    instructions.approve(db, made.id, bank.supervisor)
    assert loans.get_application(db, application.id).state == "ACTIVE"
    assert balance(db, who.account) == 12_000_00
    assert_books_clean(db)


def test_a_disbursement_to_the_account_fixes_the_schedule_from_today_and_carries_principal_on_a_loan_account(db, bank):
    who = borrower(db, bank)
    application = signed(db, bank, who)
    made = loan_servicing.request_disbursement(db, who.officer, DisbursementDraft(
        application.id, "account", account_number=who.account, idempotency_key=new_key()))
    assert [(leg.account_number, leg.debit, leg.credit) for leg in made.legs] == [
        ("DK01012026000001-1", 12_000_00, 0), (who.account, 0, 12_000_00)]
    instructions.approve(db, made.id, bank.supervisor)
    loan_account = accounts.get_account(db, "DK01012026000001-1")
    assert (loan_account.gl_code, loan_account.balance) == ("1303", 12_000_00)
    figures = servicing(db, application.id)
    assert figures.outstanding_principal == 12_000_00
    assert figures.next_due.due_date == NEXT_DAY_DUE and len(figures.tranches[0].position.installments) == 12
    start = db.run(lambda s: s.execute(select(LoanSchedule.start_date)).scalar_one())
    assert start == date(2026, 11, 24)
    receipt = receipts.print_receipt(db, who.officer, made.id)
    assert ("Loan", "DK01012026000001 · Disbursement") in receipt.details
    assert_books_clean(db)


def test_a_late_first_due_date_moves_to_the_next_month_on_the_same_day():
    assert first_due_after(date(2026, 11, 25), date(2026, 11, 24)) == date(2026, 11, 25)
    assert first_due_after(date(2026, 11, 25), date(2026, 11, 25)) == date(2026, 12, 25)
    assert first_due_after(date(2026, 1, 31), date(2026, 2, 10)) == date(2026, 2, 28)


def test_a_rejected_disbursement_leaves_the_loan_signed_and_a_second_disbursement_is_refused(db, bank):
    who = borrower(db, bank)
    application = signed(db, bank, who)
    draft = DisbursementDraft(application.id, "account", account_number=who.account, idempotency_key=new_key())
    first = loan_servicing.request_disbursement(db, who.officer, draft)
    assert loan_servicing.request_disbursement(db, who.officer, draft).id == first.id  # a retry, not a second one
    with pytest.raises(LedgerError, match="waits for its second key"):
        loan_servicing.request_disbursement(db, who.officer, DisbursementDraft(
            application.id, "account", account_number=who.account, idempotency_key=new_key()))
    instructions.reject(db, first.id, bank.supervisor, "wrong account")
    assert loans.get_application(db, application.id).state == "CONTRACT_SIGNED"
    second = loan_servicing.request_disbursement(db, who.officer, DisbursementDraft(
        application.id, "account", account_number=who.account, idempotency_key=new_key()))
    instructions.approve(db, second.id, bank.supervisor)
    with pytest.raises(LedgerError, match="only a signed loan is disbursed"):
        loan_servicing.request_disbursement(db, who.officer, DisbursementDraft(
            application.id, "account", account_number=who.account, idempotency_key=new_key()))
    assert balance(db, "DK01012026000001-1") == 12_000_00
    assert_books_clean(db)


def test_a_payee_is_paid_only_after_its_second_key_in_house_escrow_credits_its_account_others_clear(db, bank):
    who = borrower(db, bank)
    application = signed(db, bank, who)
    external = loan_servicing.register_payee(db, who.officer, application.id, PayeeDraft(
        "payee", "示范房地产开发有限公司", "Another Bank Shanghai", "6217 0012 3456 7890"))
    draft = DisbursementDraft(application.id, "payee", payee_id=external.id, idempotency_key=new_key())
    with pytest.raises(InputError, match="waits for its second key"):
        loan_servicing.preview_disbursement(db, who.officer, draft)
    with pytest.raises(ApprovalError, match="no role that may give a second key"):
        loan_servicing.approve_payee(db, external.id, who.officer)
    assert loan_servicing.approve_payee(db, external.id, bank.supervisor).approved
    made = loan_servicing.request_disbursement(db, who.officer, draft)
    assert made.legs[-1].account_number == gl(bank, "3001")
    instructions.approve(db, made.id, bank.supervisor)
    assert balance(db, gl(bank, "3001")) == 12_000_00

    escrow_holder = borrower(db, bank, username="officer2")
    second = signed(db, bank, escrow_holder)
    escrow = loan_servicing.register_payee(db, escrow_holder.officer, second.id, PayeeDraft(
        "escrow", "资金监管账户", "Test branch", bank.bob))
    loan_servicing.approve_payee(db, escrow.id, bank.supervisor)
    made = loan_servicing.request_disbursement(db, escrow_holder.officer, DisbursementDraft(
        second.id, "payee", payee_id=escrow.id, idempotency_key=new_key()))
    instructions.approve(db, made.id, bank.supervisor)
    assert balance(db, bank.bob) == 12_000_00
    assert_books_clean(db)


def test_a_cash_disbursement_is_paid_by_a_teller_from_an_open_drawer_and_reported_as_large_value_cash(db, bank):
    fund_vault(db, bank, 200_000_00)
    who = borrower(db, bank)
    application = signed(db, bank, who, consumer_terms(60_000_00))
    cash = DisbursementDraft(application.id, "cash", idempotency_key=new_key())
    with pytest.raises(ApprovalError, match="a teller does this"):
        loan_servicing.request_disbursement(db, who.officer, cash)
    with pytest.raises(LedgerError, match="drawer is not open"):
        loan_servicing.request_disbursement(db, bank.teller, cash)
    open_drawer(db, bank, 100_000_00)
    flag = loan_servicing.preview_disbursement(db, bank.teller, cash).large_value
    assert (flag.day_total, flag.threshold) == (60_000_00, 50_000_00)
    made = loan_servicing.request_disbursement(db, bank.teller, cash)
    assert approvals.instruction_detail(db, made.id).large_value.day_total == 60_000_00  # the checker sees it too
    instructions.approve(db, made.id, bank.manager)
    assert balance(db, bank.drawer) == 40_000_00
    assert loans.get_application(db, application.id).state == "ACTIVE"
    report = large_value.large_value_report(db, bank.branch_id, date(2026, 11, 24))
    assert [(entry.customer_id, entry.withdrawals, entry.deposits) for entry in report] == [
        (who.customer_id, 60_000_00, 0)]
    assert report[0].lines[0].account_number == "DK01012026000001-1"
    payoff = loan_servicing.preview_repayment(db, bank.teller, RepaymentDraft(application.id, "payoff", "cash"))
    assert payoff.large_value.day_total == 60_000_00 + payoff.total  # cash out and back in, the same day
    assert_books_clean(db)


def test_a_cash_repayment_over_the_drawer_limit_warns_and_waits_while_the_drawer_is_over(db, bank):
    limit = drawers.drawer_limit()
    fund_vault(db, bank, limit)
    who = borrower(db, bank)
    application = disbursed(db, bank, who)
    open_drawer(db, bank, limit - 100_00)
    payoff = RepaymentDraft(application.id, "payoff", "cash", idempotency_key=new_key())
    preview = loan_servicing.preview_repayment(db, bank.teller, payoff)
    assert preview.drawer_limit == drawers.LimitWarning(bank.drawer, "CNY", limit, preview.total - 100_00)
    post(db, bank, [Leg(bank.drawer, debit=200_00), Leg(bank.alice, credit=200_00)], kind="cash_deposit")
    for attempt in (loan_servicing.preview_repayment, loan_servicing.request_repayment):
        with pytest.raises(LedgerError, match="over its limit of 200,000.00: return the excess of 100.00 to the vault"):
            attempt(db, bank.teller, payoff)
    instructions.approve(db, drawers.return_to_vault(db, bank.teller, 100_00, new_key()).id, bank.supervisor)
    made = loan_servicing.request_repayment(db, bank.teller, payoff)
    instructions.approve(db, made.id, bank.supervisor)
    assert loans.get_application(db, application.id).state == "SETTLED"
    assert_books_clean(db)


def test_a_loan_paid_into_an_account_is_not_cash(db, bank):
    who = borrower(db, bank)
    application = signed(db, bank, who, consumer_terms(60_000_00))
    draft = DisbursementDraft(application.id, "account", account_number=who.account, idempotency_key=new_key())
    assert loan_servicing.preview_disbursement(db, who.officer, draft).large_value is None
    instructions.approve(db, loan_servicing.request_disbursement(db, who.officer, draft).id, bank.supervisor)
    assert large_value.large_value_report(db, bank.branch_id, date(2026, 11, 24)) == []


# --- Repayment -------------------------------------------------------------------------------------------


def test_an_on_time_repayment_pays_the_installments_interest_and_principal(db, bank):
    who = borrower(db, bank, funds=5_000_00)
    application = disbursed(db, bank, who)
    days_pass(db, bank, 1)  # the first due date
    first = servicing(db, application.id).tranches[0].position.installments[0]
    before = preview(db, who, application.id, amount="1")
    assert before.before[0].position.total_due == first.principal + first.interest
    owed = first.principal + first.interest
    posted = repay(db, bank, who, application.id, amount=f"{owed / 100:.2f}")
    figures = servicing(db, application.id)
    assert figures.tranches[0].position.installments[0].state == "paid"
    second = figures.tranches[0].position.installments[1]
    details = dict(receipts.print_receipt(db, who.officer, posted.id).details)
    assert details["Loan"] == "DK01012026000001 · Repayment"
    assert (details["Penalty interest"], details["Fees"]) == ("CNY 0.00", "CNY 0.00")
    assert details["Interest"] == f"CNY {first.interest / 100:,.2f}"
    assert details["Principal"] == f"CNY {first.principal / 100:,.2f}"
    assert details["Remaining principal"] == f"CNY {(12_000_00 - first.principal) / 100:,.2f}"
    assert details["Next due"] == f"2026-12-25 · CNY {(second.principal + second.interest) / 100:,.2f}"
    repay(db, bank, who, application.id, kind="prepayment", amount="1,000", choice="lower_installment")
    assert dict(receipts.print_receipt(db, who.officer, posted.id).details) == details  # a reprint, as it was
    figures = servicing(db, application.id)
    assert figures.outstanding_principal == 12_000_00 - first.principal - 1_000_00
    assert figures.days_past_due == 0 and figures.next_due.due_date == date(2026, 12, 25)
    assert balance(db, gl(bank, "6011")) == first.interest
    assert balance(db, "DK01012026000001-1") == 12_000_00 - first.principal - 1_000_00
    assert_books_clean(db)


def test_a_late_repayment_pays_penalty_then_fees_then_interest_then_principal(db, bank):
    who = borrower(db, bank, funds=5_000_00)
    application = disbursed(db, bank, who)
    days_pass(db, bank, 11)  # ten days past the first due date
    first = servicing(db, application.id).tranches[0].position.installments[0]
    expected_penalty = int((Decimal(first.principal) * Decimal("0.0435") * Decimal("1.5") * 10 / 360)
                           .quantize(Decimal(1), rounding=ROUND_HALF_UP))
    position = servicing(db, application.id).tranches[0].position
    assert (position.days_past_due, position.penalty, position.fees) == (10, expected_penalty, 50_00)
    partial = expected_penalty + 50_00 + 10_00  # penalty, the late fee and part of the interest
    shown = preview(db, who, application.id, amount=f"{partial / 100:.2f}").allocations[0]
    assert (shown.penalty, shown.fees, shown.interest, shown.principal) == (expected_penalty, 50_00, 10_00, 0)
    repay(db, bank, who, application.id, amount=f"{partial / 100:.2f}")
    position = servicing(db, application.id).tranches[0].position
    assert (position.penalty, position.fees, position.interest_due) == (0, 0, first.interest - 10_00)
    assert balance(db, gl(bank, "6012")) == expected_penalty and balance(db, gl(bank, "6021")) == 50_00
    assert_books_clean(db)


def test_a_signed_loan_keeps_the_product_terms_it_was_signed_under_and_new_loans_get_the_new_ones(db, bank):
    who = borrower(db, bank, funds=20_000_00)
    application = signed(db, bank, who)  # consumer version 1: no rounding, penalty x1.5, late fee 50, penalty first
    quoted = loans.application_file(db, application.id).quote
    admin2 = make_staff(db, bank, "admin2", ("admin",))
    changed = {**loans.product_definition(db, "consumer"), "installment_multiple": 100_00,
               "penalty_rate_multiple": "2", "late_fee": 200_00, "overpayment": "prepay",
               "allocation_order": ["principal", "interest", "fees", "penalty"]}
    admin_changes.decide(db, admin_changes.propose_product(db, bank.admin, changed).id, admin2, approve=True)
    assert loans.get_product(db, "consumer").version == 2

    file = loans.application_file(db, application.id)
    assert (file.product.version, file.product.installment_multiple, file.product.late_fee) == (1, 1, 50_00)
    assert file.quote == quoted
    made = loan_servicing.request_disbursement(db, who.officer, DisbursementDraft(
        application.id, "account", account_number=who.account, idempotency_key=new_key()))
    instructions.approve(db, made.id, bank.supervisor)
    signed_terms = schedule.build_schedule(12_000_00, Decimal("0.0435"), 12, "equal_installment", NEXT_DAY_DUE,
                                           day_count="30/360", start_date=date(2026, 11, 24))
    held = servicing(db, application.id).tranches[0].position.installments
    assert [(row.due_date, row.principal, row.interest) for row in held] == [
        (row.due_date, row.principal, row.interest) for row in signed_terms.installments]
    days_pass(db, bank, 11)  # ten days past the first due date
    first = signed_terms.installments[0]
    expected_penalty = int((Decimal(first.principal) * Decimal("0.0435") * Decimal("1.5") * 10 / 360)
                           .quantize(Decimal(1), rounding=ROUND_HALF_UP))
    position = servicing(db, application.id).tranches[0].position
    assert (position.penalty, position.fees) == (expected_penalty, 50_00)
    shown = preview(db, who, application.id, amount=f"{(expected_penalty + 50_00) / 100:.2f}").allocations[0]
    assert (shown.penalty, shown.fees, shown.interest, shown.principal) == (expected_penalty, 50_00, 0, 0)
    with pytest.raises(InputError, match="ask for a prepayment or the payoff"):
        preview(db, who, application.id, amount=f"{(servicing(db, application.id).total_due + 1_00) / 100:.2f}")

    new = loans.create_application(db, who.officer, ApplicationDraft(who.customer_id, consumer_terms(), HOME_FACTS))
    new_file = loans.application_file(db, new.id)
    assert new_file.product.version == 2 and new_file.quote.installment % 100_00 == 0
    assert_books_clean(db)


def test_an_overpayment_is_refused_where_the_product_says_so_and_prepays_where_it_says_so(db, bank):
    who = borrower(db, bank, funds=20_000_00)
    consumer = disbursed(db, bank, who)
    fund_borrower = borrower(db, bank, funds=20_000_00, username="officer2")
    fund = disbursed(db, bank, fund_borrower, LoanTerms("housing_fund", (
        TrancheTerms("standard", 100_000_00, Decimal("0.021"), "equal_installment", 24),), NEXT_DAY_DUE, "first home"))
    days_pass(db, bank, 1)  # both loans' first due date
    with pytest.raises(InputError, match="ask for a prepayment or the payoff"):
        preview(db, who, consumer.id, amount="3,000")
    due = servicing(db, fund.id).total_due
    shown = preview(db, fund_borrower, fund.id, amount=f"{(due + 1_000_00) / 100:.2f}").allocations[0]
    assert shown.interest + shown.principal == due
    assert shown.prepaid + shown.accrued_interest == 1_000_00 and shown.prepaid == 1_000_00  # nothing accrued yet
    assert shown.new_schedule is not None
    repay(db, bank, fund_borrower, fund.id, amount=f"{(due + 1_000_00) / 100:.2f}")
    assert servicing(db, fund.id).outstanding_principal == shown.remaining_principal
    assert_books_clean(db)


def test_the_payoff_equals_its_quote_on_its_date_and_settles_the_loan(db, bank):
    who = borrower(db, bank, funds=20_000_00)
    application = disbursed(db, bank, who)
    days_pass(db, bank, 16)  # fifteen days late on the first installment, mid-period
    quote = servicing(db, application.id).payoff_total
    document = loan_servicing.payoff_document(db, application.id)
    assert f"{quote / 100:,.2f}" in dict(document.fields)["Payoff amount"]
    posted = repay(db, bank, who, application.id, kind="payoff")
    assert posted.amount == quote
    assert loans.get_application(db, application.id).state == "SETTLED"
    assert balance(db, "DK01012026000001-1") == 0
    assert all(row.state in ("paid", "settled") for row in servicing(db, application.id).tranches[0].position.installments)
    with pytest.raises(LedgerError, match="only an active loan"):
        preview(db, who, application.id, amount="1")
    assert_books_clean(db)


@pytest.mark.parametrize("choice", ["lower_installment", "shorter_term"])
def test_a_prepayment_regenerates_the_schedule_as_the_customer_chooses_and_keeps_both_versions(db, bank, choice):
    who = borrower(db, bank, funds=20_000_00)
    application = disbursed(db, bank, who)
    days_pass(db, bank, 1)  # on the first due date: the installment is paid with the prepayment
    old = servicing(db, application.id).tranches[0].position.installments
    shown = preview(db, who, application.id, kind="prepayment", amount="5,000", choice=choice).allocations[0]
    assert shown.prepaid == 5_000_00 and shown.accrued_interest == 0  # on a due date nothing has accrued since
    repay(db, bank, who, application.id, kind="prepayment", amount="5,000", choice=choice)
    figures = servicing(db, application.id)
    new = figures.tranches[0].position.installments
    assert [version.version for version in figures.versions] == [1, 2]
    assert figures.versions[1].reason == choice
    assert figures.outstanding_principal == 12_000_00 - old[0].principal - 5_000_00
    assert sum(row.principal for row in new[1:]) == figures.outstanding_principal
    if choice == "lower_installment":
        assert len(new) == 12 and new[1].principal + new[1].interest < old[1].principal + old[1].interest
    else:
        assert len(new) < 12 and abs((new[1].principal + new[1].interest) - (old[1].principal + old[1].interest)) <= 1
    assert balance(db, "DK01012026000001-1") == figures.outstanding_principal
    assert_books_clean(db)


def test_a_payment_can_target_one_tranche_of_a_combined_loan_and_the_fund_centre_offsets_the_fund_part(db, bank):
    who = borrower(db, bank, funds=30_000_00)
    application = disbursed(db, bank, who, combined_terms())
    days_pass(db, bank, 1)
    figures = servicing(db, application.id)
    commercial = next(item for item in figures.tranches if item.tranche == "commercial")
    owed = commercial.position.total_due
    repay(db, bank, who, application.id, amount=f"{owed / 100:.2f}", tranche="commercial")
    after = {item.tranche: item.position for item in servicing(db, application.id).tranches}
    assert after["commercial"].total_due == 0 and after["fund"].total_due > 0
    fund_due = after["fund"].total_due
    made = loan_servicing.request_repayment(db, who.officer, RepaymentDraft(
        application.id, "fund_centre", amount=f"{fund_due / 100:.2f}", idempotency_key=new_key()))
    assert made.kind == "fund_centre_repayment" and made.legs[0].account_number == gl(bank, "3002")
    instructions.approve(db, made.id, bank.supervisor)
    assert servicing(db, application.id).total_due == 0
    assert_books_clean(db)


def test_the_fund_centre_offsets_only_fund_loans(db, bank):
    who = borrower(db, bank, funds=5_000_00)
    application = disbursed(db, bank, who)
    with pytest.raises(InputError, match="fund loan"):
        loan_servicing.preview_repayment(db, who.officer, RepaymentDraft(application.id, "fund_centre", amount="100"))


# --- Waivers ---------------------------------------------------------------------------------------------


def test_a_waiver_lowers_the_penalty_and_fees_under_a_second_key(db, bank):
    who = borrower(db, bank, funds=5_000_00)
    application = disbursed(db, bank, who)
    days_pass(db, bank, 6)
    owed = servicing(db, application.id).tranches[0].position
    draft = WaiverDraft(application.id, None, f"{owed.penalty / 100:.2f}", "50.00", "hospital stay, documented")
    with pytest.raises(ApprovalError, match="someone other"):
        loan_servicing.waive(db, who.officer, who.officer, draft)
    with pytest.raises(InputError, match="only 50.00 of fees"):
        loan_servicing.waive(db, who.officer, bank.supervisor, WaiverDraft(application.id, None, "0", "60", "why"))
    with pytest.raises(InputError) as blank:
        loan_servicing.waive(db, who.officer, bank.supervisor, WaiverDraft(application.id, None, "1", "", " "))
    assert blank.value.field == "reason"
    waived = loan_servicing.waive(db, who.officer, bank.supervisor, draft)
    assert (waived.requested_by, waived.approved_by) == ("Officer1", "Super1")
    after = servicing(db, application.id).tranches[0].position
    assert (after.penalty, after.fees) == (0, 0)
    assert after.interest_due == owed.interest_due
    assert_books_clean(db)


# --- Bad input and the database's own refusals -----------------------------------------------------------


@pytest.mark.parametrize("typed, message", [
    ("0", "amount"), ("-100", "amount"), ("1.234", "amount"), ("12345678901234567890", "amount"),
    ("abc", "amount"), ("", "amount"),
])
def test_bad_repayment_amounts_are_refused_naming_the_field(db, bank, typed, message):
    who = borrower(db, bank, funds=5_000_00)
    application = disbursed(db, bank, who)
    with pytest.raises(InputError) as refused:
        preview(db, who, application.id, amount=typed)
    assert refused.value.field == message


def test_full_width_digits_are_read_as_an_amount(db, bank):
    who = borrower(db, bank, funds=5_000_00)
    application = disbursed(db, bank, who)
    days_pass(db, bank, 1)
    assert preview(db, who, application.id, amount="１００").total == 100_00


def test_the_database_refuses_a_second_disbursement_edits_and_a_payee_approved_by_its_registrar(db, bank):
    who = borrower(db, bank, funds=5_000_00)
    application = disbursed(db, bank, who)
    instruction_id = db.run(lambda s: s.execute(select(LoanDisbursement.instruction_id)).scalar_one())
    assert "only a signed loan" in refusal(db, (
        "INSERT INTO loan_disbursement (application_id, instruction_id, destination, account_number, disbursed_on)"
        " VALUES (:a, :i, 'account', 'x', '2026-11-24')"), {"a": application.id, "i": instruction_id})
    assert "never changed or deleted" in refusal(db, "UPDATE loan_installment SET principal = 0")
    assert "never changed or deleted" in refusal(db, "DELETE FROM loan_schedule")
    other = signed(db, bank, borrower(db, bank, username="officer2"))
    payee = loan_servicing.register_payee(db, who.officer, other.id, PayeeDraft("payee", "x", "y", "12345678"))
    officer_id = db.run(lambda s: s.execute(text("SELECT registered_by FROM loan_payee")).scalar_one())
    assert "second_key_not_registrar" in refusal(
        db, "UPDATE loan_payee SET approved_by = :s, approved_at = '2026-11-24' WHERE id = :p",
        {"s": officer_id, "p": payee.id})
    assert_books_clean(db)


def test_the_lookup_marks_and_the_customer_file_shows_an_overdue_loan(db, bank):
    who = borrower(db, bank, funds=5_000_00)
    disbursed(db, bank, who)
    assert not customers.search(db, "王芳")[0].has_overdue
    days_pass(db, bank, 3)
    assert customers.search(db, "王芳")[0].has_overdue
    loan = customers.customer_file(db, who.customer_id).loans[0]
    assert (loan.state, loan.outstanding_principal, loan.next_due_date, loan.days_past_due) == (
        "ACTIVE", 12_000_00, date(2026, 12, 25), 2)


def test_the_lookups_overdue_marker_agrees_with_the_loans_position_through_its_life(db, bank):
    """The marker reads sums, not positions: it must say what the loan's own figures say at every turn."""
    who = borrower(db, bank, funds=30_000_00)
    application = disbursed(db, bank, who)

    def marker_and_position() -> tuple[bool, bool]:
        marked = db.run(lambda session: loan_servicing.overdue_customers(session, [who.customer_id]), readonly=True)
        assert customers.search(db, "王芳")[0].has_overdue == (marked == {who.customer_id})  # the lookup's own column
        return marked == {who.customer_id}, servicing(db, application.id).days_past_due > 0

    assert marker_and_position() == (False, False)
    days_pass(db, bank, 1)  # the first installment falls due today: due, not yet overdue
    assert marker_and_position() == (False, False)
    days_pass(db, bank, 2)
    assert marker_and_position() == (True, True)
    position = servicing(db, application.id).tranches[0].position
    partial = position.penalty + position.fees + 10_00  # leaves interest and principal of the installment unpaid
    repay(db, bank, who, application.id, amount=f"{partial / 100:.2f}")
    assert marker_and_position() == (True, True)
    rest = servicing(db, application.id).total_due
    waiting = loan_servicing.request_repayment(db, who.officer, RepaymentDraft(
        application.id, "repayment", source="account", account_number=who.account, amount=f"{rest / 100:.2f}",
        idempotency_key=new_key()))
    assert marker_and_position() == (True, True)  # a repayment without its second key has paid nothing
    instructions.approve(db, waiting.id, bank.supervisor)
    assert marker_and_position() == (False, False)
    repay(db, bank, who, application.id, kind="prepayment", amount="2,000", choice="shorter_term")
    assert [version.version for version in servicing(db, application.id).versions] == [1, 2]
    assert marker_and_position() == (False, False)
    days_pass(db, bank, 33)  # past the next due date of the new schedule
    assert marker_and_position() == (True, True)


def test_the_overdue_marker_sees_either_tranche_of_a_combined_loan(db, bank):
    who = borrower(db, bank, funds=30_000_00)
    application = disbursed(db, bank, who, combined_terms())
    days_pass(db, bank, 3)
    commercial = next(item for item in servicing(db, application.id).tranches if item.tranche == "commercial")
    repay(db, bank, who, application.id, amount=f"{commercial.position.total_due / 100:.2f}", tranche="commercial")
    tranches = {item.tranche: item.position.days_past_due for item in servicing(db, application.id).tranches}
    assert tranches["commercial"] == 0 and tranches["fund"] > 0
    assert customers.search(db, "王芳")[0].has_overdue


def test_a_tranche_repaid_early_is_not_overdue_for_the_installments_after_its_repayment(db, bank):
    who = borrower(db, bank, funds=150_000_00)
    application = disbursed(db, bank, who, combined_terms())
    days_pass(db, bank, 1)
    repay(db, bank, who, application.id, kind="payoff", tranche="commercial")
    fund = next(item for item in servicing(db, application.id).tranches if item.tranche == "fund")
    repay(db, bank, who, application.id, amount=f"{fund.position.total_due / 100:.2f}", tranche="fund")
    days_pass(db, bank, 33)  # past the second due date: the fund part owes it, the commercial part owes nothing
    tranches = {item.tranche: item.position for item in servicing(db, application.id).tranches}
    assert tranches["commercial"].outstanding_principal == 0 and tranches["commercial"].days_past_due == 0
    assert tranches["fund"].days_past_due > 0
    assert customers.search(db, "王芳")[0].has_overdue
    fund = tranches["fund"]
    repay(db, bank, who, application.id, amount=f"{fund.total_due / 100:.2f}", tranche="fund")
    assert servicing(db, application.id).days_past_due == 0
    assert not customers.search(db, "王芳")[0].has_overdue
