"""The loan screens as loan officers, supervisors and managers use them: the officer's pipeline as home,
loan entry with its live schedule and inline rule violations, saving and submitting, the application
file's steps for each role (review, approval with one's own credentials, return, rejection, signing),
refusals shown as the service words them, the two approvals of rising level a large loan needs, and the
document checklist with its either/or groups, second-keyed waiver and take-home list; the officer's and the
approver's day in Chinese too."""

import pytest
from textual.widgets import DataTable, Input, Select

from screens.loan_application import LoanApplicationScreen
from screens.document import DocumentScreen
from screens.loan_dialogs import ApproveScreen, ReasonScreen, ReviewScreen, SigningScreen
from screens.loan_entry import LoanEntryScreen
from screens.loan_pipeline import LoanPipelineScreen
from screens.lookup import LookupScreen
from screens.second_key import SecondKeyScreen
from teller import i18n, loans
from tests.helpers import PASSWORD
from tests.loan_support import CLEAR_CHECK, consumer_draft, fund_draft, make_staff
from tests.loan_ui_support import (
    draft_application, enrol_in_the_past, reviewed_application, seed_loan_bank, settle, submitted_application,
)
from tests.ui_support import (
    code_for, make_app, next_code, paste, shows, sign_in_quickly, type_ahead, type_credentials, wait_until,
)

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)


@pytest.fixture
def loan_bank(db):
    return seed_loan_bank(db)


@pytest.fixture
def chinese():
    """The workstation in Chinese, chosen before the app is built (as `--lang zh_CN` does), English again after."""
    i18n.set_language("zh_CN")
    yield
    i18n.set_language("en")


async def document_shown(pilot) -> str:
    """Wait for the printable document's text (made in a worker, saved as a PDF); returns it."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen) and app.screen.saved_to is not None)
    assert app.screen.saved_to.read_bytes().startswith(b"%PDF")
    return app.screen.text


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
        await pilot.press("ctrl+s", "ctrl+s")  # a double press saves once
        await settle(pilot)
        await shows(pilot, "Saved as draft DK01012026000001.")
        assert len(loans.pipeline(loan_bank.db, loan_bank.officer)) == 1
        await pilot.press("ctrl+s")  # a second save updates the same draft
        await settle(pilot)
        made = loans.pipeline(loan_bank.db, loan_bank.officer)
        assert [(row.number, row.amount, row.state) for row in made] == [("DK01012026000001", 100_000_00, "DRAFT")]
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen) and app.screen.file)
        await settle(pilot)
        await shows(pilot, "DK01012026000001", "submitted")
        assert loans.get_application(loan_bank.db, made[0].id).state == "SUBMITTED"


async def test_the_officer_types_the_terms_in_one_go_with_enter_between_them_and_enter_at_the_end_saves(loan_bank):
    """Enter on the product list with nothing chosen opens it; then Enter moves on in reading order, past a
    field already filled or a list already chosen, and in the purpose (the last field) saves the draft."""
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, loan_bank.ui, "officer1")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanPipelineScreen))
        await open_entry_from_pipeline(pilot, loan_bank)
        product = app.screen.query_one("#input-product", Select)
        assert app.focused is product and product.is_blank()
        await pilot.press("enter")
        await wait_until(pilot, lambda: product.expanded)
        below_the_prompt = 1 + list(app.screen.products).index("consumer")  # the list holds "Choose", then these
        await pilot.press(*["down"] * below_the_prompt, "enter")
        await wait_until(pilot, lambda: product.value == "consumer" and app.focused is product)
        await settle(pilot)
        await type_ahead(pilot, "enter", "enter", *"80,000", "enter", *"24", "enter", "enter", "enter", *"30000",
                         "enter", *"home renovation", "enter")
        await settle(pilot)
        await shows(pilot, "Saved as draft DK01012026000001.")
    [row] = loans.pipeline(loan_bank.db, loan_bank.officer)
    saved = loans.get_application(loan_bank.db, row.id)
    assert (saved.state, saved.product_code, saved.amount, saved.term_months, saved.purpose) == (
        "DRAFT", "consumer", 80_000_00, 24, "home renovation")


async def open_application(pilot, ui, username: str, number: str) -> None:
    """Sign in, F12 to the loan pipeline, open the application `number` from it."""
    app = pilot.app
    await sign_in_quickly(pilot, ui, username)
    await pilot.press("f12")
    await wait_until(pilot, lambda: isinstance(app.screen, LoanPipelineScreen) and app.screen.rows is not None)
    await pilot.pause()
    table = app.screen.query_one("#pipeline", DataTable)
    numbers = [row[0] for row in rows(app, "#pipeline")]
    table.focus()
    table.move_cursor(row=numbers.index(number))
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen) and app.screen.file is not None)
    await settle(pilot)


async def reload_done(pilot) -> None:
    """The step's worker has finished, its message has started the file's reload, and that has finished too
    (waiting once could fall in the gap between the step ending and the reload starting)."""
    await settle(pilot)
    await settle(pilot)


def status(app) -> str:
    return str(app.screen.query_one("#application-status").render())


async def test_a_supervisor_reviews_with_the_credit_check_and_approves_with_own_password_and_code(loan_bank):
    made = submitted_application(loan_bank)
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_application(pilot, loan_bank.ui, "super1", made.number)
        await pilot.press("f7")  # not offered before the review starts
        assert not isinstance(app.screen, ApproveScreen)
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await paste(pilot, "income checked with the employer")
        await pilot.press("enter")
        app.screen.query_one("#result", Select).value = "clear"
        app.screen.query_one("#report-date", Input).focus()
        await paste(pilot, "2026-11-30")  # after the business date
        await pilot.press("enter")
        await paste(pilot, "ZX2026112400017")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen))
        await reload_done(pilot)
        assert "report date: give the date of the credit report (not after today)" in status(app)
        assert loans.get_application(loan_bank.db, made.id).state == "SUBMITTED"  # nothing half-written
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await paste(pilot, "income checked with the employer")
        await pilot.press("enter")
        app.screen.query_one("#result", Select).value = "clear"
        app.screen.query_one("#report-date", Input).focus()
        await paste(pilot, "2026-11-24")
        await pilot.press("enter")
        await paste(pilot, "ZX2026112400017")
        await pilot.press("enter")
        await reload_done(pilot)
        await shows(pilot, "Review started.", "under review", "clear, report ZX2026112400017")
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, ApproveScreen))
        await paste(pilot, "stable income")
        await type_credentials(pilot, None, "wrong-password", next_code(loan_bank.ui, "super1"))
        await reload_done(pilot)
        assert loans.get_application(loan_bank.db, made.id).state == "UNDER_REVIEW"
        assert status(app) and "Approved" not in status(app)
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, ApproveScreen))
        await type_credentials(pilot, None, PASSWORD, next_code(loan_bank.ui, "super1"))
        await reload_done(pilot)
        await shows(pilot, "Approved.")
        decided = loans.application_file(loan_bank.db, made.id)
        assert decided.application.state == "APPROVED"
        assert [(d.approver_name, d.decision) for d in decided.approvals] == [("Super1", "APPROVED")]


async def test_the_originator_is_refused_approval_in_plain_words(loan_bank):
    both = make_staff(loan_bank.db, loan_bank.ui.bank, "dual1", ("loan_officer", "supervisor"))
    enrol_in_the_past(loan_bank.ui, "dual1")
    made = loans.create_application(loan_bank.db, both, consumer_draft(loan_bank.customer_id))
    loans.submit(loan_bank.db, both, made.id)
    loans.start_review(loan_bank.db, loan_bank.ui.bank.supervisor, made.id, notes="checked", credit_check=CLEAR_CHECK)
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_application(pilot, loan_bank.ui, "dual1", made.number)
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, ApproveScreen))
        await type_credentials(pilot, None, PASSWORD, next_code(loan_bank.ui, "dual1"))
        await reload_done(pilot)
        await shows(pilot, f"you originated application {made.number}: a different person must review and decide it")
        assert loans.get_application(loan_bank.db, made.id).state == "UNDER_REVIEW"


async def test_above_the_supervisors_limit_the_refusal_shows_and_the_branch_manager_approves(loan_bank):
    made = reviewed_application(loan_bank, amount=300_000_00)
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_application(pilot, loan_bank.ui, "super1", made.number)
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, ApproveScreen))
        await type_credentials(pilot, None, PASSWORD, next_code(loan_bank.ui, "super1"))
        await reload_done(pilot)
        await shows(pilot, "CNY 300,000.00 is above super1's loan limit of 200,000.00")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: app.session is None)
        await open_application(pilot, loan_bank.ui, "manager1", made.number)
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, ApproveScreen))
        await type_credentials(pilot, None, PASSWORD, next_code(loan_bank.ui, "manager1"))
        await reload_done(pilot)
        await shows(pilot, "Approved.")
        assert loans.get_application(loan_bank.db, made.id).state == "APPROVED"


async def test_a_returned_application_is_edited_and_resubmitted_by_its_officer(loan_bank):
    made = reviewed_application(loan_bank)
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_application(pilot, loan_bank.ui, "super1", made.number)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await pilot.press("enter")  # no reason: not returned
        assert isinstance(app.screen, ReasonScreen) and "What must the officer fix?" in str(
            app.screen.query_one(".dialog-message").render())
        await paste(pilot, "lower the amount to 80,000")
        await pilot.press("enter")
        await reload_done(pilot)
        await shows(pilot, "Returned to the officer.", "returned")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: app.session is None)
        await sign_in_quickly(pilot, loan_bank.ui, "officer1")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanPipelineScreen) and app.screen.rows)
        await pilot.pause()
        assert rows(app, "#pipeline")[0][:3] == [made.number, "王芳", "returned"]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen) and app.screen.file is not None)
        await settle(pilot)
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanEntryScreen) and app.screen.products)
        await settle(pilot)
        assert app.screen.query_one("#input-amount", Input).value == "100000.00"
        assert app.screen.query_one("#input-product", Select).disabled  # another product is another application
        await fill(pilot, "amount", "80000")
        await quoted(pilot)
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen) and app.screen.file is not None)
        await settle(pilot)
        resubmitted = loans.application_file(loan_bank.db, made.id)
        assert (resubmitted.application.state, resubmitted.application.amount) == ("SUBMITTED", 80_000_00)
        assert resubmitted.application.review_round == 2
        assert [event.action for event in resubmitted.history][-2:] == ["updated", "resubmitted"]


async def test_a_rejection_needs_a_reason_and_closes_the_application(loan_bank):
    made = submitted_application(loan_bank)
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_application(pilot, loan_bank.ui, "super1", made.number)
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await paste(pilot, "debt service above half of income")
        await pilot.press("enter")
        await reload_done(pilot)
        await shows(pilot, "Rejected.", "debt service above half of income")
        assert loans.get_application(loan_bank.db, made.id).state == "REJECTED"
        await pilot.press("ctrl+x", "f7", "f6")  # nothing more is offered on a rejected application
        assert isinstance(app.screen, LoanApplicationScreen)
        app.screen.query_one("#application-tabs").active = "tab-checklist"
        text = await shows(pilot, "Resident identity card", "m Missing")  # the list of what is missing stays
        assert "R received" not in text and "r Received" not in text  # nothing more is ticked off


async def test_the_officer_signs_an_approved_application_face_to_face(loan_bank):
    made = reviewed_application(loan_bank)
    loans.approve(loan_bank.db, loan_bank.ui.bank.supervisor, made.id)
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_application(pilot, loan_bank.ui, "officer1", made.number)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, SigningScreen))
        await pilot.press("enter", "enter")  # past the place, and Enter on the time (now) signs
        assert "Say where the contract was signed." in str(app.screen.query_one(".dialog-message").render())
        app.screen.query_one("#place", Input).focus()
        await paste(pilot, "示范支行 2号洽谈室")
        await pilot.press("enter", "enter")
        await reload_done(pilot)
        await shows(pilot, "Signed; the terms are frozen.", "HT01012026000001", "示范支行 2号洽谈室")
        assert loans.get_application(loan_bank.db, made.id).state == "CONTRACT_SIGNED"


async def test_the_checklist_receives_verifies_and_waives_under_a_second_key_and_prints_what_is_missing(loan_bank):
    made = draft_application(loan_bank)
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_application(pilot, loan_bank.ui, "officer1", made.number)
        await pilot.press("right", "right")  # Terms, Schedule, Checklist
        await wait_until(pilot, lambda: app.screen.query_one("#application-tabs").active == "tab-checklist")
        await shows(pilot, "For the document under the cursor: R received · V verified · W waived", "m Missing")
        checklist = rows(app, "#checklist")
        assert checklist[:2] == [["Personal", "", "", ""], ["  Resident identity card", "missing", "required", ""]]
        app.screen.query_one("#checklist", DataTable).focus()
        await pilot.press("r")  # on the group's heading: nothing to receive
        await pilot.press("down", "v")  # not received yet
        await reload_done(pilot)
        assert "must be received before it is verified" in status(app)
        await pilot.press("r")
        await reload_done(pilot)
        await pilot.press("v")
        await reload_done(pilot)
        first = rows(app, "#checklist")[1]
        assert first[1] == "verified" and first[3].startswith("Officer1 ")
        either_or = [row[2] for row in rows(app, "#checklist")[2:4]]
        assert either_or == ["or Tax record", "or Employer's income certificate"]  # each names its alternative
        await pilot.press("down", "w")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await paste(pilot, "self-employed: no employer certificate")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
        await type_credentials(pilot, "officer1", PASSWORD, next_code(loan_bank.ui, "officer1"))
        await shows(pilot, "The second key must come from someone other than you.")
        await type_credentials(pilot, "super1", PASSWORD, code_for(loan_bank.ui, "super1"))
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen))
        await reload_done(pilot)
        second = rows(app, "#checklist")[2]
        assert second[1] == "waived" and "Officer1 + Super1" in second[3]
        assert second[3].endswith("self-employed: no employer certificate")
        assert rows(app, "#checklist")[3][1:3] == ["missing", "✓ or Employer's income certificate"]  # met by the waiver
        await pilot.press("m")
        text = await document_shown(pilot)
        assert "Documents still needed" in text and f"Application  {made.number}" in text
        assert "[ ] Loan purpose proof or plan for the funds" in text
        assert "Resident identity card" not in text  # verified
        assert "Tax record" not in text  # its either/or partner was waived
        await pilot.press("escape")
        assert isinstance(app.screen, LoanApplicationScreen)


async def test_a_combined_loan_has_two_parts_each_checked_and_the_fund_rate_follows_the_term(loan_bank):
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_quickly(pilot, loan_bank.ui, "officer1")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanPipelineScreen))
        await open_entry_from_pipeline(pilot, loan_bank)
        assert not app.screen.query_one("#field-amount2").display
        await choose_product(pilot, "combined")
        assert app.screen.query_one("#field-amount2").display and app.screen.query_one("#input-rate").disabled
        await fill(pilot, "amount", "400000")
        await fill(pilot, "term", "240")
        await fill(pilot, "amount2", "300000")
        await fill(pilot, "term2", "240")
        for key, value in (("property_price", "1000000"), ("home_count", "1"), ("fund_months", "24"),
                           ("spouses", "1")):
            await fill(pilot, key, value)
        app.screen.query_one("#input-previous_settled", Select).value = "yes"
        await quoted(pilot)
        assert app.screen.query_one("#input-rate", Input).value == "2.60"  # the fund's fixed rate for 240 months
        assert "above the household cap of CNY 350,000.00 (rule: household cap)" in field_error(app, "amount")
        assert field_error(app, "amount2") == ""
        await fill(pilot, "term", "60")
        await quoted(pilot)
        assert app.screen.query_one("#input-rate", Input).value == "2.10"  # five years or less: the lower base
        await fill(pilot, "rate2", "7")
        await quoted(pilot)
        assert "7.00% is outside 3.05% to 6.00% (rule: rate floor and ceiling)" in field_error(app, "rate2")
        schedule = rows(app, "#schedule")
        assert len(schedule) == 240 and schedule[-1][5] == "0.00"
        await pilot.press("f6")
        text = await document_shown(pilot)
        assert "fund part        CNY 400,000.00, 60 months at 2.10%, equal installment" in text
        assert "commercial part  CNY 300,000.00, 240 months at 7.00%" in text
        assert " 240  2046-11-24" in text and " 241  2046-12-24" not in text
        await pilot.press("escape")
        await pilot.press("escape")
        assert "Leave and lose the changes" in await shows(pilot, "Leave and lose the changes")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanPipelineScreen))
        assert loans.pipeline(loan_bank.db, loan_bank.officer) == []


async def test_the_entry_form_names_the_customers_unsettled_fund_loan_from_the_ledger(loan_bank):
    earlier = loans.create_application(loan_bank.db, loan_bank.officer, fund_draft(loan_bank.customer_id))
    loans.submit(loan_bank.db, loan_bank.officer, earlier.id)
    loans.start_review(loan_bank.db, loan_bank.ui.bank.supervisor, earlier.id, notes="income verified",
                       credit_check=CLEAR_CHECK)
    loans.approve(loan_bank.db, loan_bank.ui.bank.manager, earlier.id)
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_quickly(pilot, loan_bank.ui, "officer1")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanPipelineScreen))
        await open_entry_from_pipeline(pilot, loan_bank)
        await choose_product(pilot, "housing_fund")
        for key, value in (("amount", "300000"), ("term", "240"), ("property_price", "1000000"), ("home_count", "1"),
                           ("fund_months", "24"), ("spouses", "2")):
            await fill(pilot, key, value)
        app.screen.query_one("#input-previous_settled", Select).value = "yes"  # what the customer said
        await quoted(pilot)
        assert (f"the customer's fund loan {earlier.number} is not settled (rule: previous fund loan settled)"
                in field_error(app, "previous_settled"))
        assert field_error(app, "amount") == ""


async def test_the_customer_file_starts_a_loan_for_officers_only(loan_bank):
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_quickly(pilot, loan_bank.ui, "teller1")
        await pilot.press(*"wangfang")
        await wait_until(pilot, lambda: app.screen.query_one("#results", DataTable).row_count > 0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "file", None) is not None)
        await pilot.press("f9", "f12")
        await pilot.pause()
        assert "New loan" not in await shows(pilot, "王芳")
        assert app.screen.__class__.__name__ == "CustomerFileScreen"  # F12 is not a teller's either
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: app.session is None)
        await sign_in_quickly(pilot, loan_bank.ui, "officer1")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanPipelineScreen))
        await pilot.press("f2", *"wangfang")
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen)
                         and app.screen.query_one("#results", DataTable).row_count > 0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "file", None) is not None)
        await shows(pilot, "f9 New loan")
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanEntryScreen))
        assert "New loan application · 王芳" in await shows(pilot, "New loan application")


async def test_an_auditor_sees_the_waiting_applications_and_takes_no_step(loan_bank):
    made = submitted_application(loan_bank)
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_application(pilot, loan_bank.ui, "audit1", made.number)
        text = await shows(pilot, made.number, "submitted")
        assert "Review" not in text and "Reject" not in text and "Quote" in text
        await pilot.press("f6", "ctrl+x", "ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, LoanApplicationScreen)
        assert loans.get_application(loan_bank.db, made.id).state == "SUBMITTED"
        await pilot.press("q")
        text = await document_shown(pilot)
        assert "Loan quote" in text and f"Application     {made.number}" in text


async def test_the_customer_file_lists_the_customers_loans_and_opens_one(loan_bank):
    made = loans.create_application(loan_bank.db, loan_bank.officer, consumer_draft(loan_bank.customer_id, 80_000_00))
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_quickly(pilot, loan_bank.ui, "teller1")
        await pilot.press(*made.number.lower())
        await wait_until(pilot, lambda: app.screen.query_one("#results", DataTable).row_count == 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "file", None) is not None)
        app.screen.query_one("#file-tabs").active = "tab-loans"
        await pilot.pause()
        assert rows(app, "#loans") == [[made.number, made.product_name, "draft", "80,000.00", "0.00", "", "0"]]
        app.screen.query_one("#loans", DataTable).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen))
        await shows(pilot, made.number)


def summary(app) -> str:
    return str(app.screen.query_one("#entry-summary").render())


async def test_in_chinese_the_schedule_follows_the_terms_and_a_broken_rule_is_named_below_the_form(loan_bank, chinese):
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, loan_bank.ui, "officer1")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanPipelineScreen))
        await shows(pilot, "我的贷款申请", "暂无申请。按 F9 为客户新建贷款申请。")
        await open_entry_from_pipeline(pilot, loan_bank)
        assert "新贷款申请 · 王芳" in str(app.screen.query_one("#entry-heading").render())
        await choose_product(pilot, "consumer")
        await fill(pilot, "amount", "100000")
        await fill(pilot, "term", "36")
        await fill(pilot, "monthly_income", "30000")
        await quoted(pilot)
        assert summary(app) == "月供 CNY 2,952.40 · 利息 6,286.35 · 本息合计 106,286.35"
        schedule = rows(app, "#schedule")
        assert len(schedule) == 36 and schedule[0][:3] == ["1", "2026年12月24日", "2,952.40"]
        await fill(pilot, "term", "48")  # typing the term again updates the installment and the interest
        await quoted(pilot)
        assert summary(app) == "月供 CNY 2,257.91 · 利息 8,379.47 · 本息合计 108,379.47"
        assert len(rows(app, "#schedule")) == 48
        await fill(pilot, "term", "72")
        await quoted(pilot)
        assert field_error(app, "term") == "期限（月）：72 个月 不在 6 个月 至 60 个月 之间（规则：期限范围）"
        assert app.screen.query_one("#field-term").has_class("invalid")  # its label turns red
        assert app.screen.query_one("#error-term").region.width == 78  # the form's full width: one readable line
        assert summary(app).startswith("月供 CNY 1,564.52")  # the schedule still shows what the terms would cost
        await fill(pilot, "term", "36")
        await quoted(pilot)
        assert field_error(app, "term") == "" and not app.screen.query_one("#field-term").has_class("invalid")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await shows(pilot, "已保存为草稿 DK01012026000001。")


async def test_in_chinese_the_checklist_receives_and_verifies_and_ticks_an_either_or_group(loan_bank, chinese):
    made = draft_application(loan_bank)
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_application(pilot, loan_bank.ui, "officer1", made.number)
        await pilot.press("right", "right")
        await wait_until(pilot, lambda: app.screen.query_one("#application-tabs").active == "tab-checklist")
        assert rows(app, "#checklist")[:4] == [
            ["个人资料", "", "", ""], ["  居民身份证", "未提交", "必交", ""],
            ["  单位收入证明", "未提交", "或纳税证明", ""], ["  纳税证明", "未提交", "或单位收入证明", ""]]
        app.screen.query_one("#checklist", DataTable).focus()
        await pilot.press("down", "v")
        await reload_done(pilot)
        assert status(app) == "居民身份证须先收取再核验（当前为“未提交”）"
        await pilot.press("r")
        await reload_done(pilot)
        assert status(app) == "居民身份证：已收取。"
        await pilot.press("v")
        await reload_done(pilot)
        assert status(app) == "居民身份证：已核验。"
        identity = rows(app, "#checklist")[1]
        assert identity[1] == "已核验" and identity[3].startswith("Officer1 ")
        await pilot.press("down", "down", "r")  # the tax record: received, not yet checked
        await reload_done(pilot)
        assert [row[2] for row in rows(app, "#checklist")[2:4]] == ["或纳税证明", "或单位收入证明"]
        await pilot.press("v")
        await reload_done(pilot)
        assert status(app) == "纳税证明：已核验。"
        checklist = rows(app, "#checklist")
        assert [row[1:3] for row in checklist[2:4]] == [["未提交", "✓ 或纳税证明"], ["已核验", "✓ 或单位收入证明"]]


async def test_in_chinese_the_pipelines_show_states_and_the_ended_applications_on_f6(loan_bank, chinese):
    waiting = submitted_application(loan_bank)
    refused = submitted_application(loan_bank, 60_000_00)
    loans.reject(loan_bank.db, loan_bank.ui.bank.supervisor, refused.id, "收入不足")
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_quickly(pilot, loan_bank.ui, "officer1")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanPipelineScreen) and app.screen.rows)
        await pilot.pause()
        assert [row[:3] for row in rows(app, "#pipeline")] == [[waiting.number, "王芳", "已提交"]]
        await shows(pilot, "我的贷款申请", "共 1 笔申请。按 Enter 打开。", "f6 已结束")
        await pilot.press("f6")  # the applications that ended: a rejection, not a closed account
        await wait_until(pilot, lambda: len(app.screen.rows) == 2)
        await pilot.pause()
        assert [row[:3] for row in rows(app, "#pipeline")] == [[waiting.number, "王芳", "已提交"],
                                                               [refused.number, "王芳", "已否决"]]
        await pilot.press("f6")
        await wait_until(pilot, lambda: len(app.screen.rows) == 1)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: app.session is None)
        await sign_in_quickly(pilot, loan_bank.ui, "super1")
        await pilot.press("f12")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanPipelineScreen) and app.screen.rows)
        await pilot.pause()
        await shows(pilot, "待审批的贷款申请", "客户经理")
        assert rows(app, "#pipeline") == [[waiting.number, "王芳", "已提交", "100,000.00", "0 天", "0 天", "Officer1"]]


async def test_in_chinese_the_application_file_shows_its_terms_and_a_rejection(loan_bank, chinese):
    made = submitted_application(loan_bank)
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_application(pilot, loan_bank.ui, "super1", made.number)
        heading = str(app.screen.query_one("#application-heading").render())
        assert heading == f"{made.number} · 王芳 · 个人消费贷款 · 已提交"
        terms = str(app.screen.query_one("#terms").render())
        assert "客户：王芳" in terms and "金额：CNY 100,000.00" in terms and "月供 CNY" in terms
        await shows(pilot, "f6 审查", "^x 否决")
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await shows(pilot, "为什么否决该贷款？")
        await paste(pilot, "月供超过收入的一半")
        await pilot.press("enter")
        await reload_done(pilot)
        assert status(app) == "已否决。"
        assert str(app.screen.query_one("#application-heading").render()).endswith("· 已否决")
        app.screen.query_one("#application-tabs").active = "tab-history"
        await pilot.pause()
        assert rows(app, "#history")[-1][1:] == ["Super1", "已否决", "已提交 → 已否决", "月供超过收入的一半"]
        assert loans.get_application(loan_bank.db, made.id).state == "REJECTED"


async def test_above_every_single_limit_two_approvers_of_rising_level_approve_in_turn(loan_bank):
    made = reviewed_application(loan_bank, amount=800_000_00)  # above the manager's 500,000 alone
    app = make_app(loan_bank.ui)

    def heading() -> str:
        return str(app.screen.query_one("#application-heading").render())

    def terms() -> str:
        return str(app.screen.query_one("#terms").render())

    async with app.run_test(size=(120, 40)) as pilot:
        await open_application(pilot, loan_bank.ui, "super1", made.number)
        assert heading().endswith("under review · 0 of 2 approvals") and "Approvals: 0 of 2" in terms()
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, ApproveScreen))
        app.screen.query_one("#approve-note", Input).focus()
        await paste(pilot, "income verified, first key")
        await type_credentials(pilot, None, PASSWORD, next_code(loan_bank.ui, "super1"))
        await reload_done(pilot)
        await shows(pilot, "First approval given; a more senior approver gives the second.")
        assert heading().endswith("under review · 1 of 2 approvals") and "Approvals: 1 of 2" in terms()
        assert loans.get_application(loan_bank.db, made.id).state == "UNDER_REVIEW"
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: app.session is None)
        await open_application(pilot, loan_bank.ui, "manager1", made.number)
        assert heading().endswith("under review · 1 of 2 approvals")
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, ApproveScreen))
        await type_credentials(pilot, None, PASSWORD, next_code(loan_bank.ui, "manager1"))
        await reload_done(pilot)
        await shows(pilot, "Approved.")
        assert heading().endswith("· approved") and "Approvals: 2 of 2" in terms()
        decided = loans.application_file(loan_bank.db, made.id)
        assert decided.application.state == "APPROVED"
        assert [(d.approver_name, d.level, d.reason) for d in decided.approvals] == [
            ("Super1", 1, "income verified, first key"), ("Manager1", 2, None)]
