"""SVG snapshots of the loan screens: the pipeline (a loan officer's home, and the approvals waiting for a
supervisor), loan entry with its live schedule and a broken rule, the application file's terms, schedule,
document checklist and history, an application under review as its supervisor decides it, in English and in Chinese, in a plain 80x24 terminal and at 120x40.

Everything on screen is fixed: the business date, the application numbers, ages of 0 days; the application
whose history, schedule and received documents are shown is worked with the clock set to fixed moments
(history and checklist rows show when each step happened). Update the pictures with `--snapshot-update` and look at them
(tests/__snapshots__/test_ui_loan_snapshots/) before committing."""

from datetime import UTC, datetime

import pytest
from textual.widgets import Input, Select

from screens.loan_application import LoanApplicationScreen
from screens.loan_entry import LoanEntryScreen
from screens.loan_pipeline import LoanPipelineScreen
from teller import clock, loans
from tests.loan_support import CLEAR_CHECK
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


# When each step of the history's application happened (UTC; the branch is eight hours ahead).
STEP_TIMES = [datetime(2026, 11, 24, hour, minute, tzinfo=UTC) for hour, minute in
              ((1, 30), (1, 42), (3, 5), (6, 20), (6, 21), (6, 33), (7, 15))]


@pytest.fixture
def worked_application(loan_bank) -> loans.ApplicationView:
    """An application created, submitted, returned with a reason, resubmitted, its tax record received and
    verified (which meets its either/or group), taken into review: each step at a fixed moment (the real clock
    again afterwards)."""
    supervisor, db, officer = loan_bank.ui.bank.supervisor, loan_bank.db, loan_bank.officer
    steps = [
        lambda made_id: loans.submit(db, officer, made_id),
        lambda made_id: loans.return_to_officer(db, supervisor, made_id, "add the employer's income certificate"),
        lambda made_id: loans.resubmit(db, officer, made_id, "certificate brought in"),
        lambda made_id: loans.receive_item(db, officer, made_id, "tax_record"),
        lambda made_id: loans.verify_item(db, officer, made_id, "tax_record"),
        lambda made_id: loans.start_review(db, supervisor, made_id, notes="income verified", credit_check=CLEAR_CHECK),
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: STEP_TIMES[0])
        made = draft_application(loan_bank, 80_000_00)
        for moment, step in zip(STEP_TIMES[1:], steps, strict=True):
            patch.setattr(clock, "now", lambda moment=moment: moment)
            step(made.id)
    return made


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


def test_approvals_waiting(snap_compare, loan_bank, language, size):  # noqa: F811
    """A supervisor's pipeline: the branch's applications waiting for a review or a decision."""
    app = make_app(loan_bank.ui)

    async def run_before(pilot) -> None:
        await sign_in_quickly(pilot, loan_bank.ui, "super1")
        await pilot.press("f12")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LoanPipelineScreen) and pilot.app.screen.rows)
        await settle(pilot)
        still_cursor(pilot.app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def open_worked(pilot, loan_bank, application: loans.ApplicationView, tab: str, *,
                      signed_in: bool = False) -> None:
    """Open `application` on `tab`: as the officer, from their pipeline, or as whoever has signed in (a
    supervisor), from the approvals waiting (the second-key queue's worker follows it while it shows)."""
    if not signed_in:
        await home(pilot, loan_bank)
    else:
        await pilot.press("f12")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LoanPipelineScreen) and pilot.app.screen.rows)
        await settle(pilot)
    pilot.app.push_screen(LoanApplicationScreen(application.id))
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, LoanApplicationScreen)
                     and pilot.app.screen.file is not None)
    pilot.app.screen.query_one("#application-tabs").active = tab
    await settle(pilot)
    still_cursor(pilot.app)


def test_application_history(snap_compare, loan_bank, worked_application, language, size):  # noqa: F811
    app = make_app(loan_bank.ui)

    async def run_before(pilot) -> None:
        await open_worked(pilot, loan_bank, worked_application, "tab-history")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_application_schedule(snap_compare, loan_bank, worked_application, language, size):  # noqa: F811
    app = make_app(loan_bank.ui)

    async def run_before(pilot) -> None:
        await open_worked(pilot, loan_bank, worked_application, "tab-schedule")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_checklist_group_met(snap_compare, loan_bank, worked_application, language, size):  # noqa: F811
    """The tax record verified: it and its either/or partner, the employer's certificate, are ticked."""
    app = make_app(loan_bank.ui)

    async def run_before(pilot) -> None:
        await open_worked(pilot, loan_bank, worked_application, "tab-checklist")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_application_under_review_for_its_supervisor(snap_compare, loan_bank, worked_application, language,  # noqa: F811
                                                     size, monkeypatch):  # noqa: F811
    """The decision's keys (approve, return, reject), Help and the second-key queue fit an 80-column footer. The
    terms show how long the application has been under review, so the clock is fixed once signed in."""
    app = make_app(loan_bank.ui)

    async def run_before(pilot) -> None:
        await sign_in_quickly(pilot, loan_bank.ui, "super1")
        monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
        await open_worked(pilot, loan_bank, worked_application, "tab-terms", signed_in=True)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
