"""SVG snapshots of the loan screens a loan officer works with: the pipeline (their home), loan entry with
its live schedule, the application file's terms and its document checklist, in English and in Chinese, in
a plain 80x24 terminal and at 120x40.

Everything on screen is fixed: the business date, the application numbers, ages of 0 days, no history (it
shows times) and no document received (that shows a time). Update the pictures with `--snapshot-update`
and look at them (tests/__snapshots__/test_ui_loan_snapshots/) before committing."""

import pytest
from textual.widgets import Input, Select

from screens.loan_application import LoanApplicationScreen
from screens.loan_entry import LoanEntryScreen
from screens.loan_pipeline import LoanPipelineScreen
from tests.loan_ui_support import draft_application, seed_loan_bank, settle, submitted_application
from tests.test_ui_loans import fill, quoted
from tests.test_ui_snapshots import language, size, still_cursor  # noqa: F401 (fixtures)
from tests.ui_support import make_app, sign_in_quickly, wait_until

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)


@pytest.fixture
def loan_bank(db):
    bank = seed_loan_bank(db)
    submitted_application(bank)
    draft_application(bank, 50_000_00)
    return bank


async def home(pilot, loan_bank) -> None:
    app = pilot.app
    await sign_in_quickly(pilot, loan_bank.ui, "officer1")
    await wait_until(pilot, lambda: isinstance(app.screen, LoanPipelineScreen) and app.screen.rows)
    await settle(pilot)


async def open_first(pilot, tab: str = "tab-terms") -> None:
    app = pilot.app
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen) and app.screen.file is not None)
    app.screen.query_one("#application-tabs").active = tab
    await settle(pilot)


def test_pipeline(snap_compare, loan_bank, language, size):  # noqa: F811
    app = make_app(loan_bank.ui)

    async def run_before(pilot) -> None:
        await home(pilot, loan_bank)
        still_cursor(pilot.app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_loan_entry(snap_compare, loan_bank, language, size):  # noqa: F811
    app = make_app(loan_bank.ui)

    async def run_before(pilot) -> None:
        await home(pilot, loan_bank)
        pilot.app.push_screen(LoanEntryScreen(loan_bank.customer_id, "王芳"))
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LoanEntryScreen) and pilot.app.screen.products)
        pilot.app.screen.query_one("#input-product", Select).value = "consumer"
        await pilot.pause()
        await fill(pilot, "amount", "100000")
        await fill(pilot, "term", "72")  # beyond the product's 60 months: the rule shows under the field
        await fill(pilot, "monthly_income", "30000")
        await quoted(pilot)
        pilot.app.screen.query_one("#input-amount", Input).focus()
        await pilot.pause()
        still_cursor(pilot.app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_application_file(snap_compare, loan_bank, language, size):  # noqa: F811
    app = make_app(loan_bank.ui)

    async def run_before(pilot) -> None:
        await home(pilot, loan_bank)
        await open_first(pilot)
        still_cursor(pilot.app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_checklist(snap_compare, loan_bank, language, size):  # noqa: F811
    app = make_app(loan_bank.ui)

    async def run_before(pilot) -> None:
        await home(pilot, loan_bank)
        await open_first(pilot, "tab-checklist")
        still_cursor(pilot.app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
