"""SVG snapshots of the loan money screens, in English and in Chinese, in a plain 80x24 terminal and at
120x40: the disbursement screen with its preview, the repayment screen with an allocation preview, the
payoff quote, and the loan file of an active loan (its schedule with each installment's state).

Everything on screen is fixed: the business date and the days closed after it, the loan and account
numbers, the amounts; no tab that shows a time (history, terms with the signing time) is photographed, and
the payoff quote's PDF goes to a fixed directory so that the path shown is the same every run. Update the
pictures with `--snapshot-update` and look at them (tests/__snapshots__/test_ui_loan_money_snapshots/)
before committing."""

import pytest
from textual.widgets import Input

from screens.document import DocumentScreen
from screens.loan_application import LoanApplicationScreen
from screens.loan_disbursement import LoanDisbursementScreen
from screens.loan_repayment import LoanRepaymentScreen
from tests.loan_money_ui_support import disbursed_loan, open_loan_file, seed_money_bank, signed_loan
from tests.loan_ui_support import settle
from tests.servicing_support import days_pass, repay
from tests.test_ui_snapshots import language, size, still_cursor  # noqa: F401 (fixtures)
from tests.ui_support import make_app, paste, wait_until

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)

DOCUMENTS = "/tmp/teller-snapshot-documents"


@pytest.fixture
def money(db, monkeypatch):
    monkeypatch.setenv("TELLER_DOCUMENTS_DIR", DOCUMENTS)
    return seed_money_bank(db)


async def twice_settled(pilot) -> None:
    """A worker's answer starts another (a preview after a load): wait for both, then the repaint."""
    await settle(pilot)
    await settle(pilot)


def test_disbursement_with_its_preview(snap_compare, money, language, size):  # noqa: F811
    application = signed_loan(money)

    async def run_before(pilot) -> None:
        await open_loan_file(pilot, money, "officer1", application.id)
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LoanDisbursementScreen)
                         and pilot.app.screen.preview is not None)
        await twice_settled(pilot)
        still_cursor(pilot.app)

    assert snap_compare(make_app(money.ui), terminal_size=size, run_before=run_before)


def test_repayment_with_its_allocation(snap_compare, money, language, size):  # noqa: F811
    application = disbursed_loan(money)
    days_pass(money.db, money.bank, 1)  # the first due date

    async def run_before(pilot) -> None:
        await open_loan_file(pilot, money, "teller1", application.id)
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LoanRepaymentScreen) and pilot.app.screen.loaded)
        await settle(pilot)
        pilot.app.screen.query_one("#amount", Input).focus()
        await paste(pilot, "1,023.72")
        await wait_until(pilot, lambda: pilot.app.screen.preview is not None)
        await twice_settled(pilot)
        still_cursor(pilot.app)

    assert snap_compare(make_app(money.ui), terminal_size=size, run_before=run_before)


def test_payoff_quote(snap_compare, money, language, size):  # noqa: F811
    application = disbursed_loan(money)
    days_pass(money.db, money.bank, 3)  # mid-period: interest accrued since the first due date

    async def run_before(pilot) -> None:
        await open_loan_file(pilot, money, "teller1", application.id)
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DocumentScreen)
                         and pilot.app.screen.saved_to is not None)
        await pilot.pause()

    assert snap_compare(make_app(money.ui), terminal_size=size, run_before=run_before)


def test_active_loan_file_schedule(snap_compare, money, language, size):  # noqa: F811
    application = disbursed_loan(money)
    days_pass(money.db, money.bank, 1)
    repay(money.db, money.bank, money.borrower, application.id, amount="43.50")  # the first installment's interest
    days_pass(money.db, money.bank, 5)  # its principal five days overdue

    async def run_before(pilot) -> None:
        await open_loan_file(pilot, money, "officer1", application.id)
        pilot.app.screen.query_one("#application-tabs").active = "tab-schedule"
        await settle(pilot)
        assert isinstance(pilot.app.screen, LoanApplicationScreen)

    assert snap_compare(make_app(money.ui), terminal_size=size, run_before=run_before)
