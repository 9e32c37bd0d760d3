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
from teller import instructions, loan_servicing, loans
from teller.loan_servicing import RepaymentDraft
from tests.helpers import assert_books_clean
from tests.loan_money_ui_support import (
    disbursed_loan, give_second_key, open_loan_file, seed_money_bank, signed_loan, table_rows,
)
from tests.loan_ui_support import settle
from tests.servicing_support import days_pass, repay
from tests.ui_support import make_app, next_code, paste, shows, wait_until


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
