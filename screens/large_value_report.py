"""The large-value transaction report (大额交易报告) of a business day: customers whose posted cash deposits
and withdrawals reach the threshold, with an export to CSV whose path is shown."""

from datetime import date
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Label, Static

from teller import documents, large_value
from teller.days import parse_day
from teller.errors import InputError, TellerError
from teller.i18n import N_, _, format_amount
from teller.large_value import LargeValueCustomer
from teller.ui.commands import UserCommand
from teller.ui.widgets.table import Table
from teller.ui.widgets.input import Input
from teller.ui.workers import post_if_current
from screens.base import TellerScreen

BACK = UserCommand("back", "escape", "back", N_("Back"), N_("Close the report"))
EXPORT = UserCommand("export", "f5", "export", N_("Export CSV"), N_("Write the report to a CSV file"))


class LargeValueReportScreen(TellerScreen):
    HELP_TITLE = N_("Large-value transaction report")
    PALETTE_COMMANDS = (EXPORT,)
    BINDINGS = [command.binding() for command in (BACK, EXPORT)]
    DEFAULT_CSS = """
    LargeValueReportScreen #report-title { padding: 0 1; text-style: bold; height: 1; }
    LargeValueReportScreen Horizontal { height: 1; margin: 0 1; }
    LargeValueReportScreen Horizontal Label { width: 16; }
    LargeValueReportScreen #report-date { width: 16; }
    LargeValueReportScreen #report-status { padding: 0 1; height: auto; }
    LargeValueReportScreen #report { margin: 0 1; }
    """

    class Loaded(Message):
        def __init__(self, day: date, report: list[LargeValueCustomer]) -> None:
            super().__init__()
            self.day = day
            self.report = report

    class Exported(Message):
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, directory: Path | None = None) -> None:
        super().__init__()
        self.directory = directory or documents.documents_dir()
        self.day: date | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(_("Large-value transaction report"), id="report-title", markup=False)
        with Horizontal():
            yield Label(_("Business day"))
            yield Input(self.app.session.business_date.isoformat(), id="report-date", compact=True, max_length=10)
        yield Static("", id="report-status", markup=False)
        table = Table(id="report", cursor_type="row", zebra_stripes=True)
        table.add_columns(_("Customer"), _("ID number"), _("Deposits"), _("Withdrawals"), _("Total"), _("Count"))
        yield table

    def on_mount(self) -> None:
        self.load(self.app.session.business_date)

    @on(Input.Submitted, "#report-date")
    def change_day(self, event: Input.Submitted) -> None:
        try:
            day = parse_day(event.value, field="business date", example="2026-11-24")
        except InputError as error:
            self.query_one("#report-status", Static).update(str(error))
            return
        self.load(day)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def load(self, day: date) -> None:
        try:
            branch = self.app.session.actor.branch_id
            post_if_current(self, self.Loaded(day, large_value.large_value_report(self.app.db, branch, day)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_large_value_report_screen_loaded(self, message: Loaded) -> None:
        self.day = message.day
        table = self.query_one("#report", DataTable)
        table.clear()
        for customer in message.report:
            table.add_row(customer.name, customer.masked_id, format_amount(customer.deposits),
                          format_amount(customer.withdrawals), format_amount(customer.total), str(len(customer.lines)))
        status = _("{count} customer(s) reached the threshold. F5 exports CSV.").format(count=len(message.report))
        self.query_one("#report-status", Static).update(
            status if message.report else _("No customer reached the threshold on this day."))

    def action_export(self) -> None:
        if self.day is not None:
            self.export(self.day)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report-export")
    def export(self, day: date) -> None:
        try:
            self.post_message(self.Exported(large_value.export_large_value_report(
                self.app.db, self.app.session.actor.branch_id, day, self.directory)))
        except (TellerError, OSError) as error:
            self.post_message(self.Failed(str(error)))

    def on_large_value_report_screen_exported(self, message: Exported) -> None:
        self.query_one("#report-status", Static).update(_("Written to {path}").format(path=message.path))

    def on_large_value_report_screen_failed(self, message: Failed) -> None:
        self.query_one("#report-status", Static).update(message.reason)

    def action_back(self) -> None:
        self.app.pop_screen()
