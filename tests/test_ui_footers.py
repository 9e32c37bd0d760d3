"""Every screen keeps its footer whole in a plain 80x24 terminal, for each role and in both languages: no key
runs under the Ctrl+P hint at the right or off the edge. The screens are driven as their users reach them, in
the states that list the most keys (a change or a loan waiting for a decision, an open drawer)."""

from dataclasses import replace

import pytest
from textual.widgets import DataTable, Footer

from screens.approval_queue import ApprovalQueueScreen
from screens.counter import CounterScreen
from screens.document import DocumentScreen
from screens.customer_file import CustomerFileScreen
from screens.drawer import DrawerScreen
from screens.instruction_detail import InstructionDetailScreen
from screens.large_value_report import LargeValueReportScreen
from screens.loan_application import LoanApplicationScreen
from screens.loan_pipeline import LoanPipelineScreen
from screens.lookup import LookupScreen
from teller import counter, customers, i18n
from tests.loan_ui_support import draft_application, reviewed_application, seed_loan_bank, submitted_application
from tests.ui_support import make_app, open_teller_drawer, screen_text, shows, sign_in_quickly, wait_until

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)


@pytest.fixture(params=["en", "zh_CN"])
def language(request):
    i18n.set_language(request.param)
    yield request.param
    i18n.set_language("en")


@pytest.fixture
def bank(db, language):
    """The loan bank with what makes footers longest: a withdrawal waiting in the queue, an identity change
    waiting on 李强's file, applications submitted, under review and in draft, the teller's drawer open."""
    made = seed_loan_bank(db)
    ui = made.ui
    open_teller_drawer(ui)
    wang = customers.customer_file(db, ui.customer_ids["王芳"])
    counter.submit(db, ui.bank.teller, counter.MovementDraft(
        kind="cash_withdrawal", customer_id=wang.id, account_number=wang.accounts[0].number, amount="100",
        narrative="cash out", document_type="resident_id", document_number=wang.id_number,
        idempotency_key=counter.new_idempotency_key()))
    li_qiang = ui.customer_ids["李强"]
    customers.update_customer(db, ui.bank.teller, li_qiang,
                              replace(customers.edit_draft(db, li_qiang), registered_mobile="13698765432"))
    return made


def cut_off(app) -> list[str]:
    """The footer keys that do not show whole: past the Ctrl+P hint, or past the screen's edge without one."""
    keys = list(app.screen.query_one(Footer).query("FooterKey"))
    hint = next((key for key in keys if key.has_class("-command-palette")), None)
    limit = hint.region.x if hint is not None else app.size.width
    return [f"{key.key_display} {key.description}" for key in keys if key is not hint and key.region.right > limit]


def loaded(app) -> bool:
    """Every worker has finished but the approval queue's, which follows new instructions for as long as it lives."""
    return all(worker.is_finished for worker in app.workers if worker.group != "queue-follow")


class Walk:
    """Visits screens and notes each one's cut-off keys."""

    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.problems: dict[str, list[str]] = {}

    async def note(self, where: str, screen_type) -> None:
        app = self.pilot.app
        await wait_until(self.pilot, lambda: isinstance(app.screen, screen_type) and loaded(app))
        await self.pilot.pause()
        if cut := cut_off(app):
            self.problems[where] = cut

    async def open_customer(self, query: str, where: str) -> None:
        app = self.pilot.app
        await self.pilot.press("f2")
        await wait_until(self.pilot, lambda: isinstance(app.screen, LookupScreen))
        await self.pilot.press("end", "ctrl+u", *query)  # the search keeps what was typed before
        await wait_until(self.pilot, lambda: app.screen.query_one("#results", DataTable).row_count > 0)
        await self.pilot.press("enter")
        await wait_until(self.pilot, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None)
        await self.note(where, CustomerFileScreen)

    async def open_row(self, table: str, index: int, where: str, screen_type) -> None:
        app = self.pilot.app
        await wait_until(self.pilot, lambda: app.screen.query_one(table, DataTable).row_count > index)
        grid = app.screen.query_one(table, DataTable)
        grid.focus()
        grid.move_cursor(row=index)
        await self.pilot.press("enter")
        await self.note(where, screen_type)

    async def back_to(self, screen_type) -> None:
        while not isinstance(self.pilot.app.screen, screen_type):
            await self.pilot.press("escape")
            await self.pilot.pause()


async def test_a_supervisors_footers_fit_80_columns(bank):
    assert [submitted_application(bank).state, reviewed_application(bank).state] == ["SUBMITTED", "UNDER_REVIEW"]
    app = make_app(bank.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = Walk(pilot)
        await sign_in_quickly(pilot, bank.ui, "super1")
        await walk.note("approval queue", ApprovalQueueScreen)
        await walk.open_row("#queue", 0, "instruction waiting", InstructionDetailScreen)
        await walk.back_to(ApprovalQueueScreen)
        await walk.open_customer("lq", "customer file with a change waiting")
        await walk.open_customer("wf", "customer file")
        await pilot.press("f12")
        await walk.note("loan approvals waiting", LoanPipelineScreen)
        await walk.open_row("#pipeline", 0, "loan application waiting", LoanApplicationScreen)
        await walk.back_to(LoanPipelineScreen)
        await walk.open_row("#pipeline", 1, "loan application waiting (second)", LoanApplicationScreen)
        await pilot.press("f11")
        await walk.note("cash drawer", DrawerScreen)
        await pilot.press("ctrl+g")
        await walk.note("large-value report", LargeValueReportScreen)
    assert not walk.problems, walk.problems


async def test_a_tellers_footers_fit_80_columns(bank):
    app = make_app(bank.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = Walk(pilot)
        await sign_in_quickly(pilot, bank.ui, "teller1")
        await walk.note("customer search", LookupScreen)
        await walk.open_customer("lq", "customer file with a change waiting")
        await walk.open_customer("wf", "customer file")
        await pilot.press("f8")
        await walk.note("counter", CounterScreen)
        await pilot.press("f11")
        await walk.note("cash drawer", DrawerScreen)
    assert not walk.problems, walk.problems


async def test_a_loan_officers_footers_fit_80_columns(bank):
    made = draft_application(bank)
    assert made.state == "DRAFT"
    app = make_app(bank.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = Walk(pilot)
        await sign_in_quickly(pilot, bank.ui, "officer1")
        await walk.note("loan pipeline", LoanPipelineScreen)
        await walk.open_row("#pipeline", 0, "loan application", LoanApplicationScreen)
        await walk.open_customer("lq", "customer file with a change waiting")
    assert not walk.problems, walk.problems


async def test_a_supervisor_deciding_a_loan_has_q_for_the_quote_off_the_footer_but_in_help(bank):
    made = reviewed_application(bank)
    app = make_app(bank.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = Walk(pilot)
        await sign_in_quickly(pilot, bank.ui, "super1")
        await pilot.press("f12")
        await walk.open_row("#pipeline", 0, "loan application waiting", LoanApplicationScreen)
        assert app.screen.file.application.number == made.number
        footer = screen_text(app).splitlines()[-1]
        assert [word in footer for word in (_("Approve", "loan"), _("Return"), _("Reject", "loan"), _("Help"),
                                            _("Queue"), _("Quote"))] == [True] * 5 + [False]
        await pilot.press("f1")
        await shows(pilot, _("Show the printable loan quote with its schedule"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen))
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen) and app.screen.saved_to is not None)
        assert made.number in app.screen.text


def _(message: str, context: str | None = None) -> str:
    """What the footer and help show for a message, in the language of the test."""
    return i18n._(i18n.NC_(context, message) if context else message)
