"""The loan money screens as a loan officer, a teller, a supervisor and an auditor use them: disbursement
behind the checklist gate (refused in plain words, nothing written), to the borrower's account or a payee
registered under a second key; repayment with its allocation preview, payoff and prepayment with its
regenerated schedule, all posted under the supervisor's second key on the same terminal with the receipt
after; a waiver of penalty and fees under a second key; the loan file's schedule, payments and versions.
After every flow the ledger and the audit chain verify clean."""

import pytest
from textual.widgets import Input, Select

from screens.document import DocumentScreen
from screens.loan_application import LoanApplicationScreen
from screens.loan_dialogs import PayeeScreen, WaiverScreen
from screens.loan_disbursement import LoanDisbursementScreen
from screens.loan_repayment import LoanRepaymentScreen
from screens.receipt import ReceiptScreen
from screens.second_key import SecondKeyScreen
from teller import instructions, loan_servicing, loans
from teller.errors import LedgerError
from teller.loan_servicing import RepaymentDraft
from tests.helpers import assert_books_clean
from tests.loan_money_ui_support import (
    disbursed_loan, give_second_key, open_loan_file, seed_money_bank, signed_loan, table_rows,
)
from tests.loan_ui_support import settle
from tests.servicing_support import combined_terms, days_pass, repay
from tests.ui_support import make_app, next_code, paste, shows, sign_in_quickly, type_ahead, wait_until


@pytest.fixture
def money(db):
    made = seed_money_bank(db)
    yield made
    assert_books_clean(db)


def status(app) -> str:
    return str(app.screen.query_one("#application-status").render())


def message(app) -> str:
    return str(app.screen.query_one("#money-message").render())


async def previewed(pilot) -> None:
    await settle(pilot)
    await settle(pilot)


async def test_a_disbursement_to_the_borrowers_account_posts_under_the_second_key_and_the_loan_is_active(money):
    application = signed_loan(money)
    app = make_app(money.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_loan_file(pilot, money, "officer1", application.id)
        await shows(pilot, "contract signed", "Disburse")
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanDisbursementScreen) and app.screen.loaded)
        await previewed(pilot)
        await shows(pilot, f"Credited account {money.borrower.account}", "Disbursed 2026-11-24 · first due 2026-11-25",
                    "installment CNY 1,023.72", " 12      2027-10-25  1,023.70")
        await pilot.press("f9")
        await give_second_key(pilot, money)
        await wait_until(pilot, lambda: isinstance(app.screen, ReceiptScreen) and app.screen.saved_to is not None)
        receipt = app.screen.text
        assert "Loan disbursement" in receipt and application.number in receipt
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen))
        await settle(pilot)
        await settle(pilot)
        await shows(pilot, "active", "Outstanding CNY 12,000.00")
    assert loans.get_application(money.db, application.id).state == "ACTIVE"


def instruction_count(money) -> int:
    return len(instructions.list_instructions(money.db, limit=1000))


async def test_escape_at_the_second_key_leaves_the_disbursement_in_the_approval_queue_saying_so(money):
    application = signed_loan(money)
    app = make_app(money.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_loan_file(pilot, money, "officer1", application.id)
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanDisbursementScreen) and app.screen.loaded)
        await previewed(pilot)
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanDisbursementScreen))
        made = app.screen.made
        assert made is not None and made.status == "PENDING"
        await shows(pilot, f"Instruction {made.id} waits in the supervisor's approval queue")
        await pilot.press("f9")  # the supervisor came after all: the same instruction, keyed here
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanDisbursementScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen))
        await settle(pilot)
        await settle(pilot)
        footer = (await shows(pilot, f"Instruction {made.id} waits for its second key")).splitlines()[-1]
        assert "Disburse" not in footer  # one money instruction waits per loan at a time
    assert [row.id for row in instructions.list_instructions(money.db, status="PENDING")] == [made.id]
    assert loans.get_application(money.db, application.id).state == "CONTRACT_SIGNED"
    instructions.approve(money.db, made.id, money.bank.supervisor)  # from the approval queue, later
    assert loans.get_application(money.db, application.id).state == "ACTIVE"


async def test_a_disbursement_with_the_checklist_incomplete_is_refused_plainly_and_nothing_is_written(money):
    application = signed_loan(money, complete_checklist=False)
    before = instruction_count(money)
    app = make_app(money.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_loan_file(pilot, money, "officer1", application.id)
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanDisbursementScreen) and app.screen.loaded)
        await previewed(pilot)
        await shows(pilot, "the document checklist is incomplete", "Nothing is disbursed while the form is refused.")
        await pilot.press("f9")
        await previewed(pilot)
        assert "the document checklist is incomplete" in message(app)
        assert isinstance(app.screen, LoanDisbursementScreen) and app.screen.made is None
    assert instruction_count(money) == before
    assert loans.get_application(money.db, application.id).state == "CONTRACT_SIGNED"
    assert loan_servicing.servicing(money.db, application.id).disbursements == ()


async def test_a_payee_registered_under_a_second_key_is_then_paid_the_loan(money):
    application = signed_loan(money)
    app = make_app(money.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_loan_file(pilot, money, "officer1", application.id)
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanDisbursementScreen) and app.screen.loaded)
        app.screen.query_one("#destination", Select).value = "payee"
        await previewed(pilot)
        await shows(pilot, "choose one of the loan's registered", "f4 New payee")
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, PayeeScreen))
        app.screen.query_one("#kind", Select).value = "escrow"
        await pilot.pause()
        await type_ahead(pilot, *"北京房产交易资金监管中心", "enter", *"中国建设银行北京分行", "enter", *"12345", "enter")
        await settle(pilot)  # typed all at once, each in its field: the account number is the one refused
        assert "8 to 34 digits" in str(app.screen.query_one("#error-payee-account").render())  # under its field
        assert loan_servicing.payees(money.db, application.id) == ()  # nothing registered
        app.screen.query_one("#account-number", Input).value = "11001016700053012345"
        await pilot.press("enter")
        await give_second_key(pilot, money)
        await wait_until(pilot, lambda: isinstance(app.screen, LoanDisbursementScreen))
        await previewed(pilot)
        await previewed(pilot)
        await shows(pilot, "Payee 北京房产交易资金监管中心 registered and approved.",
                    "escrow account 北京房产交易资金监管中心 · 中国建设银行北京分行 · 11001016700053012345")
        [payee] = loan_servicing.payees(money.db, application.id)
        assert (payee.kind, payee.registered_by, payee.approved_by) == ("escrow", "Officer1", "Super1")
        await pilot.press("f9")
        await give_second_key(pilot, money, code=next_code(money.ui, "super1"))
        await wait_until(pilot, lambda: isinstance(app.screen, ReceiptScreen) and app.screen.saved_to is not None)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen))
        await settle(pilot)
        await settle(pilot)
        text = await shows(pilot, "active", "Payee", "second key by Super1")
        assert "to a registered payee" in text
    [disbursement] = loan_servicing.servicing(money.db, application.id).disbursements
    assert (disbursement.destination, disbursement.status) == ("payee", "APPROVED")


async def open_repayment(pilot) -> None:
    app = pilot.app
    await pilot.press("f9")
    await wait_until(pilot, lambda: isinstance(app.screen, LoanRepaymentScreen) and app.screen.loaded)
    await settle(pilot)


async def type_amount(pilot, amount: str) -> None:
    field = pilot.app.screen.query_one("#amount", Input)
    field.focus()
    field.value = ""
    await paste(pilot, amount)
    await previewed(pilot)


async def post_with_receipt(pilot, money, code: str | None = None) -> str:
    """F9, the supervisor's key on this terminal, the receipt read and closed: back on the loan file."""
    app = pilot.app
    await pilot.press("f9")
    await give_second_key(pilot, money, code=code)
    await wait_until(pilot, lambda: isinstance(app.screen, ReceiptScreen) and app.screen.saved_to is not None)
    receipt = app.screen.text
    await pilot.press("escape")
    await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen))
    await settle(pilot)
    await settle(pilot)
    return receipt


async def test_a_teller_takes_a_repayment_from_the_customer_file_with_the_allocation_shown_first(money):
    application = disbursed_loan(money)
    days_pass(money.db, money.bank, 1)  # the first due date
    expected = loan_servicing.preview_repayment(money.db, money.bank.teller, RepaymentDraft(
        application.id, "repayment", account_number=money.borrower.account, amount="1,023.72")).allocations[0]
    app = make_app(money.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_quickly(pilot, money.ui, "teller1")
        await pilot.press(*application.number.lower())
        await wait_until(pilot, lambda: app.screen.query_one("#results").row_count == 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "file", None) is not None)
        app.screen.query_one("#file-tabs").active = "tab-loans"
        await pilot.pause()
        app.screen.query_one("#loans").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen) and app.screen.file is not None)
        await settle(pilot)
        await shows(pilot, "Outstanding CNY 12,000.00", "next due 2026-11-25 CNY 1,023.72", "due today CNY 1,023.72",
                    "f9 Repay", "p Payoff quote")
        await open_repayment(pilot)
        await shows(pilot, "Due today", "Installments due", "1,023.72")
        app.screen.query_one("#amount", Input).focus()
        await pilot.pause()
        await type_ahead(pilot, *"1,023.72", "enter", *"November installment")  # all at once, each in its field
        assert [app.screen.query_one(f"#{field}", Input).value for field in ("amount", "narrative")] == [
            "1,023.72", "November installment"]
        await previewed(pilot)
        text = await shows(pilot, "This payment: CNY 1,023.72", "Remaining principal",
                           f"Debits deposit account {money.borrower.account}")
        for label, amount in (("Interest", expected.interest), ("Principal", expected.principal),
                              ("Remaining principal", expected.remaining_principal)):
            line = next(line for line in text.splitlines() if f" {label} " in line and "│" not in line)
            assert f"{amount / 100:,.2f}" in line.split(label, 2)[-1], (label, line)
        assert "2026-12-25 1,023.72" in text  # the next due date and amount after it
        receipt = await post_with_receipt(pilot, money)
        assert "Loan repayment" in receipt and "Remaining principal" in receipt
        principal_line = next(line for line in receipt.splitlines() if line.split()[:1] == ["Principal"])
        assert principal_line.split() == ["Principal", "CNY", f"{expected.principal / 100:,.2f}"]
        await shows(pilot, f"Outstanding CNY {expected.remaining_principal / 100:,.2f}", "next due 2026-12-25")
        app.screen.query_one("#application-tabs").active = "tab-payments"
        await settle(pilot)
        [row] = table_rows(app, "#payments")
        assert row == ["2026-11-25", "Repayment", "0.00", "0.00", "43.50", "980.22", "1,023.72", "posted",
                       "Teller1", "Super1"]
    figures = loan_servicing.servicing(money.db, application.id)
    assert figures.tranches[0].position.installments[0].state == "paid"


async def test_the_payoff_settles_the_loan(money):
    application = disbursed_loan(money)
    days_pass(money.db, money.bank, 3)
    payoff = loan_servicing.servicing(money.db, application.id).payoff_total
    app = make_app(money.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_loan_file(pilot, money, "officer1", application.id)
        await open_repayment(pilot)
        app.screen.query_one("#kind", Select).value = "payoff"
        await previewed(pilot)
        assert app.screen.query_one("#field-amount").has_class("hidden")
        await shows(pilot, f"This payment: CNY {payoff / 100:,.2f}", "This payment settles the loan.")
        receipt = await post_with_receipt(pilot, money)
        assert "Remaining principal  CNY 0.00" in receipt
        await shows(pilot, "settled", "Settled: nothing is owed.")
        assert "f9 Repay" not in await shows(pilot, "Settled")
    assert loans.get_application(money.db, application.id).state == "SETTLED"


async def test_a_prepayment_for_a_shorter_term_shows_the_regenerated_schedule_and_keeps_the_versions(money):
    application = disbursed_loan(money)
    days_pass(money.db, money.bank, 1)
    expected = loan_servicing.preview_repayment(money.db, money.borrower.officer, RepaymentDraft(
        application.id, "prepayment", account_number=money.borrower.account, amount="5,000",
        choice="shorter_term")).allocations[0]
    app = make_app(money.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_loan_file(pilot, money, "officer1", application.id)
        await open_repayment(pilot)
        app.screen.query_one("#kind", Select).value = "prepayment"
        await settle(pilot)
        assert not app.screen.query_one("#field-choice").has_class("hidden")
        await type_amount(pilot, "5,000")
        assert "choose a shorter term or a lower installment" in str(app.screen.query_one("#error-choice").render())
        app.screen.query_one("#choice", Select).value = "shorter_term"
        await previewed(pilot)
        rows = expected.new_schedule
        await shows(pilot, f"The schedule from here on ({len(rows)} installments):", "Prepaid")
        shown = table_rows(app, "#repayment-schedule")
        assert len(shown) == len(rows) < 12
        assert shown[-1][1] == f"{rows[-1].due_date:%Y-%m-%d}" and shown[-1][5] == "0.00"
        await post_with_receipt(pilot, money)
        app.screen.query_one("#application-tabs").active = "tab-versions"
        await settle(pilot)
        versions = table_rows(app, "#versions")
        assert [row[1:3] + row[5:] for row in versions] == [
            ["1", "at disbursement", "posted", "12"], ["2", "prepayment: shorter term", "posted", str(len(rows))]]
        app.screen.query_one("#versions").focus()
        await pilot.press("down")
        await settle(pilot)
        await shows(pilot, "loan, version 2: prepayment: shorter term")
        assert len(table_rows(app, "#version-rows")) == len(rows)
        app.screen.query_one("#application-tabs").active = "tab-payments"
        await settle(pilot)
        [payment] = table_rows(app, "#payments")
        assert payment[1] == "Prepayment" and payment[5] == f"{(expected.principal + 5_000_00) / 100:,.2f}"


async def test_a_waiver_under_the_second_key_lowers_what_is_due(money):
    application = disbursed_loan(money)
    days_pass(money.db, money.bank, 6)  # five days late: penalty interest and the late fee
    before = loan_servicing.servicing(money.db, application.id)
    assert before.tranches[0].position.fees == 50_00
    app = make_app(money.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_loan_file(pilot, money, "officer1", application.id)
        await shows(pilot, f"5 day(s) past due · due today CNY {before.total_due / 100:,.2f}",
                    "f9 Repay  p Payoff quote  ^w Waive charges  f1 Help")
        await pilot.press("ctrl+w")
        await wait_until(pilot, lambda: isinstance(app.screen, WaiverScreen))
        await shows(pilot, "loan: penalty interest", "fees 50.00 owed")
        await pilot.press("tab")
        await paste(pilot, "60")
        await pilot.press("enter", "enter")
        assert isinstance(app.screen, WaiverScreen)  # refused before any supervisor is asked, under its field
        assert "only 50.00 of fees is owed" in str(app.screen.query_one("#error-waiver-fees").render())
        app.screen.query_one("#fees", Input).value = "50"
        app.screen.query_one("#reason", Input).focus()
        await paste(pilot, "hospital stay, documented")
        await pilot.press("enter")
        await give_second_key(pilot, money)
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen))
        await settle(pilot)
        await settle(pilot)
        await shows(pilot, "Waived penalty 0.00 and fees 50.00", f"due today CNY {(before.total_due - 50_00) / 100:,.2f}")
        app.screen.query_one("#application-tabs").active = "tab-history"
        await settle(pilot)
        assert any("penalty or fees waived: penalty 0.00 · fees 50.00" in row[2] and row[4] == "hospital stay, documented"
                   for row in table_rows(app, "#history"))
    after = loan_servicing.servicing(money.db, application.id)
    assert after.total_due == before.total_due - 50_00 and after.waivers[0].approved_by == "Super1"


async def test_an_auditor_reads_the_schedule_payments_and_versions_and_the_payoff_quote(money):
    application = disbursed_loan(money)
    days_pass(money.db, money.bank, 1)
    repay(money.db, money.bank, money.borrower, application.id, amount="1,023.72")
    repay(money.db, money.bank, money.borrower, application.id, kind="prepayment", amount="2,000",
          choice="lower_installment")
    figures = loan_servicing.servicing(money.db, application.id)
    app = make_app(money.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_loan_file(pilot, money, "audit1", application.id)
        footer = (await shows(pilot, "Outstanding CNY", "p Payoff quote")).splitlines()[-1]
        assert "Repay" not in footer and "Disburse" not in footer and "Waive" not in footer
        app.screen.query_one("#application-tabs").active = "tab-schedule"
        await settle(pilot)
        schedule = table_rows(app, "#schedule")
        assert [row[5] for row in schedule[:2]] == ["paid", "future"] and len(schedule) == 12
        assert schedule[1][2] == f"{figures.tranches[0].position.installments[1].principal / 100:,.2f}"
        app.screen.query_one("#application-tabs").active = "tab-payments"
        await settle(pilot)
        payments = table_rows(app, "#payments")
        assert [row[1] for row in payments] == ["Repayment", "Prepayment"]
        assert [row[7] for row in payments] == ["posted", "posted"]
        await shows(pilot, "Instruction", "made by Officer1, checked by Super1")
        app.screen.query_one("#application-tabs").active = "tab-versions"
        await settle(pilot)
        assert [row[2] for row in table_rows(app, "#versions")] == ["at disbursement", "prepayment: lower installment"]
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen) and app.screen.saved_to is not None)
        assert "Loan payoff quote" in app.screen.text
        assert f"{figures.payoff_total / 100:,.2f}" in app.screen.text


async def test_a_combined_loan_shows_each_part_and_a_payment_can_target_one(money):
    application = disbursed_loan(money, combined_terms())
    days_pass(money.db, money.bank, 1)
    fund = next(part for part in loan_servicing.servicing(money.db, application.id).tranches if part.tranche == "fund")
    app = make_app(money.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_loan_file(pilot, money, "officer1", application.id)
        app.screen.query_one("#application-tabs").active = "tab-schedule"
        await settle(pilot)
        schedule = table_rows(app, "#schedule")
        assert schedule[0][0] == "fund part" and "commercial part" in [row[0] for row in schedule]
        await open_repayment(pilot)
        assert not app.screen.query_one("#field-part").has_class("hidden")
        app.screen.query_one("#part", Select).value = "fund"
        await type_amount(pilot, f"{fund.position.total_due / 100:.2f}")
        text = await shows(pilot, f"This payment: CNY {fund.position.total_due / 100:,.2f}", "commercial part")
        assert "Next due" in text
        preview = app.screen.preview
        assert [item.tranche for item in preview.allocations] == ["fund"]
        await post_with_receipt(pilot, money)
    figures = loan_servicing.servicing(money.db, application.id)
    paid = {part.tranche: part.position.installments[0].state for part in figures.tranches}
    assert paid == {"fund": "paid", "commercial": "due"}


async def test_a_refused_repayment_keeps_its_reason_when_the_preview_of_the_same_form_answers_after_it(
        money, monkeypatch):
    """The service can refuse at submission what its preview let through (the approval limits and the balances
    are checked again as the instruction is made). The preview of that same form, answering after the refusal,
    must not wipe it; a change to the form does."""
    application = disbursed_loan(money)
    days_pass(money.db, money.bank, 1)
    refusal = "the balance moved since the preview"

    def refuse(*_arguments):
        raise LedgerError(refusal)

    app = make_app(money.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_loan_file(pilot, money, "officer1", application.id)
        await open_repayment(pilot)
        await type_amount(pilot, "1,023.72")
        monkeypatch.setattr(loan_servicing, "request_repayment_with_preview", refuse)
        await pilot.press("f9")
        await previewed(pilot)
        assert message(app) == refusal
        app.screen.refresh_preview()  # the same form's preview, answering late
        await previewed(pilot)
        assert message(app) == refusal
        await type_amount(pilot, "1,000")
        assert message(app) == ""
    assert loan_servicing.servicing(money.db, application.id).payments == ()
