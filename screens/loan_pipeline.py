"""The loan pipeline: a loan officer's applications by state with their age (the officer's home screen), or
for supervisors, managers and auditors the applications of the branch waiting for review or a decision."""

from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static

from teller import loans
from teller.errors import TellerError
from teller.i18n import N_, _, format_amount
from teller.loans import ORIGINATOR_ROLES, PipelineRow, state_name
from teller.ui.commands import UserCommand
from teller.ui.widgets.table import Table
from screens.base import TellerScreen

NEW_LOAN = UserCommand("new_loan_application", "f9", "new_loan", N_("New loan"),
                       N_("Choose the customer, then enter the loan application"), roles=ORIGINATOR_ROLES)
# "Ended", not "Closed": the applications that ended (rejected, settled, written off), not a closed account.
CLOSED = UserCommand("show_closed", "f6", "toggle_closed", N_("Ended"),
                     N_("Show or hide the applications that ended: rejected, settled or written off"),
                     roles=ORIGINATOR_ROLES)
REFRESH = UserCommand("refresh_pipeline", "f5", "refresh", N_("Refresh"), N_("Read the pipeline again"))


def officer_view(roles: tuple[str, ...]) -> bool:
    """Loan officers see their own applications; everyone else the approvals waiting in the branch."""
    return bool(set(roles) & set(ORIGINATOR_ROLES))


class LoanPipelineScreen(TellerScreen):
    HELP_TITLE = N_("Loan pipeline")
    AUTO_FOCUS = "#pipeline"
    BINDINGS = [command.binding() for command in (NEW_LOAN, CLOSED, REFRESH)]
    PALETTE_COMMANDS = (NEW_LOAN, CLOSED, REFRESH)
    DEFAULT_CSS = """
    #pipeline-heading { padding: 0 1; text-style: bold; height: 1; }
    #pipeline-status { padding: 0 1; height: auto; color: $text-muted; }
    #pipeline { margin: 0 1; }
    """

    class Loaded(Message):
        def __init__(self, rows: list[PipelineRow]) -> None:
            super().__init__()
            self.rows = rows

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.include_closed = False
        self.rows: list[PipelineRow] | None = None

    @property
    def officer(self) -> bool:
        return officer_view(self.app.session.actor.roles)

    def compose(self) -> ComposeResult:
        heading = _("My loan applications") if self.officer else _("Loan applications waiting for a decision")
        yield from self.compose_frame()
        yield Static(heading, id="pipeline-heading", markup=False)
        yield Static(_("Loading…"), id="pipeline-status", markup=False)
        table = Table(id="pipeline", cursor_type="row", zebra_stripes=True)
        table.add_columns(_("Application"), _("Customer"), _("State"), _("Amount"), _("Open for"), _("In state"),
                          _("Officer") if not self.officer else _("Product"))
        yield table

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.rows is not None:
            self.load()  # back from an application: its state may have moved

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        for command in (NEW_LOAN, CLOSED):
            if action == command.action:
                return command.allowed_for(self.app.session.actor.roles)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="pipeline")
    def load(self) -> None:
        try:
            view = "officer" if self.officer else "approver"
            rows = loans.pipeline(self.app.db, self.app.session.actor, view=view, include_closed=self.include_closed)
            self.post_message(self.Loaded(rows))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_loan_pipeline_screen_loaded(self, message: Loaded) -> None:
        self.rows = message.rows
        table = self.query_one("#pipeline", DataTable)
        row = table.cursor_row
        table.clear()
        for item in message.rows:
            table.add_row(item.number, item.customer_name, state_name(item.state),
                          format_amount(item.amount, item.currency), _("{days} d").format(days=item.age_days),
                          _("{days} d").format(days=item.days_in_state),
                          item.product_name if self.officer else item.originator_name, key=str(item.id))
        table.move_cursor(row=row)
        if message.rows:
            status = _("{count} application(s). Enter opens one.").format(count=len(message.rows))
        elif self.officer:
            status = _("No applications. F9 starts one for a customer.")
        else:
            status = _("Nothing waits for your decision.")
        self.query_one("#pipeline-status", Static).update(status)

    def on_loan_pipeline_screen_failed(self, message: Failed) -> None:
        self.query_one("#pipeline-status", Static).update(message.reason)

    @on(DataTable.RowSelected, "#pipeline")
    def open_application(self, event: DataTable.RowSelected) -> None:
        from screens.loan_application import LoanApplicationScreen

        self.app.push_screen(LoanApplicationScreen(int(event.row_key.value)))

    def action_new_loan(self) -> None:
        from screens.lookup import LookupScreen

        def chosen(customer: tuple[int, str] | None) -> None:
            from screens.loan_entry import LoanEntryScreen

            if customer is not None:
                self.app.push_screen(LoanEntryScreen(*customer))

        self.app.push_screen(LookupScreen(pick=True), chosen)

    def action_toggle_closed(self) -> None:
        self.include_closed = not self.include_closed
        self.load()

    def action_refresh(self) -> None:
        self.load()
