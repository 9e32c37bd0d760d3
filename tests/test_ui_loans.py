"""The loan screens as loan officers, supervisors and managers use them: the officer's pipeline as home,
loan entry with its live schedule and inline rule violations, saving and submitting, the application
file's steps for each role (review, approval with one's own credentials, return, rejection, signing),
refusals shown as the service words them, and the document checklist with its second-keyed waiver and
take-home list."""

import pytest
from textual.widgets import DataTable, Input, Select

from screens.loan_application import LoanApplicationScreen
from screens.loan_dialogs import ApproveScreen, DocumentScreen, ReasonScreen, ReviewScreen, SigningScreen
from screens.loan_entry import LoanEntryScreen
from screens.loan_pipeline import LoanPipelineScreen
from screens.lookup import LookupScreen
from screens.second_key import SecondKeyScreen
from teller import loans
from tests.helpers import PASSWORD
from tests.loan_support import make_staff
from tests.loan_ui_support import (
    draft_application, reviewed_application, seed_loan_bank, settle, submitted_application,
)
from tests.ui_support import code_for, make_app, paste, shows, sign_in_quickly, type_credentials, wait_until

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)


@pytest.fixture
def loan_bank(db):
    return seed_loan_bank(db)


def rows(app, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def fill(pilot, key: str, value: str) -> None:
    """Empty a loan entry field and paste `value` into it."""
    widget = pilot.app.screen.query_one(f"#input-{key}", Input)
    widget.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u")
    if value:
        await paste(pilot, value)
    assert widget.value == value


def field_error(app, key: str) -> str:
    return str(app.screen.query_one(f"#error-{key}").render())


async def choose_product(pilot, code: str) -> None:
    pilot.app.screen.query_one("#input-product", Select).value = code
    await pilot.pause()


async def open_entry_from_pipeline(pilot, loan_bank) -> None:
    """F9 on the pipeline, find 王芳 by pinyin, Enter: the entry form for her."""
    app = pilot.app
    await pilot.press("f9")
    await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
    await pilot.press(*"wangfang")
    await wait_until(pilot, lambda: app.screen.query_one("#results", DataTable).row_count > 0)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, LoanEntryScreen) and app.screen.products)
    await settle(pilot)


async def quoted(pilot) -> None:
    """Wait out the debounce and the schedule worker."""
    await pilot.pause(0.4)
    await settle(pilot)


async def test_a_loan_officer_starts_on_the_pipeline_and_enters_a_loan_with_a_live_schedule(loan_bank):
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_quickly(pilot, loan_bank.ui, "officer1")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanPipelineScreen))
        await shows(pilot, "My loan applications", "No applications. F9 starts one")
        await open_entry_from_pipeline(pilot, loan_bank)
        assert "王芳" in str(app.screen.query_one("#entry-heading").render())
        await choose_product(pilot, "consumer")
        await fill(pilot, "amount", "１００，０００")  # full-width digits and comma, as an IME types them
        await fill(pilot, "term", "36")
        await fill(pilot, "monthly_income", "30000")
        await quoted(pilot)
        assert app.screen.query_one("#input-rate", Input).value == "4.00"  # the product's reference rate
        schedule = rows(app, "#schedule")
        assert len(schedule) == 36
        assert schedule[0][2] == "2,952.40" and schedule[-1][5] == "0.00"
        assert "Installment CNY 2,952.40" in str(app.screen.query_one("#entry-summary").render())
        await fill(pilot, "term", "72")
        await quoted(pilot)
        assert "outside 6 months to 60 months (rule: term range)" in field_error(app, "term")
        assert len(rows(app, "#schedule")) == 72  # the schedule still shows what the terms would cost
        await fill(pilot, "term", "24")
        await fill(pilot, "rate", "4.123456")
        await quoted(pilot)
        assert "at most four decimals" in field_error(app, "rate") and field_error(app, "term") == ""
        assert rows(app, "#schedule") == []
        await fill(pilot, "rate", "4")
        await fill(pilot, "amount", "-5")
        await quoted(pilot)
        assert field_error(app, "amount")
        await fill(pilot, "amount", "100000")
        await quoted(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await shows(pilot, "Saved as draft DK01012026000001.")
        await pilot.press("ctrl+s")  # a second save updates the same draft
        await settle(pilot)
        made = loans.pipeline(loan_bank.db, loan_bank.officer)
        assert [(row.number, row.amount, row.state) for row in made] == [("DK01012026000001", 100_000_00, "DRAFT")]
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen) and app.screen.file)
        await settle(pilot)
        await shows(pilot, "DK01012026000001", "submitted")
        assert loans.get_application(loan_bank.db, made[0].id).state == "SUBMITTED"
