"""The supervisor's approval queue: the branch's instructions waiting for a second key, oldest first. It
follows changes by itself (LISTEN/NOTIFY on PostgreSQL, the database's change counter on SQLite), so a
teller's new instruction appears without anyone pressing a key. Enter opens one to approve or reject."""

from datetime import timedelta

from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from teller import approvals, instructions, notifications
from teller.approvals import QueueItem
from teller.errors import TellerError
from teller.i18n import N_, _, format_amount
from teller.ui.widgets.table import Table
from teller.ui.workers import post_if_current
from screens.base import TellerScreen

AGE_REFRESH_SECONDS = 30


def age_text(age: timedelta) -> str:
    minutes = max(int(age.total_seconds() // 60), 0)
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    return _("{hours} h {minutes} min").format(hours=minutes // 60, minutes=minutes % 60)


class ApprovalQueueScreen(TellerScreen):
    HELP_TITLE = N_("Approval queue")
    DEFAULT_CSS = """
    #queue-status { padding: 0 1; height: 1; color: $text-muted; }
    #queue { margin: 0 1; }
    """

    class Loaded(Message):
        def __init__(self, items: list[QueueItem]) -> None:
            super().__init__()
            self.items = items

    class Changed(Message):
        """Another terminal (or this one) changed an instruction."""

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.items: list[QueueItem] = []

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(_("Loading…"), id="queue-status", markup=False)
        table = Table(id="queue", cursor_type="row", zebra_stripes=True)
        table.add_columns(_("No."), _("Age"), _("Kind"), _("Amount"), _("Maker"), _("Customer"))
        yield table

    def on_mount(self) -> None:
        self.query_one("#queue", DataTable).focus()
        self.load()
        self.follow()
        self.set_interval(AGE_REFRESH_SECONDS, self.load)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue")
    def load(self) -> None:
        try:
            post_if_current(self, self.Loaded(approvals.pending_queue(self.app.db, self.app.session.actor.branch_id)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue-follow")
    def follow(self) -> None:
        """Runs while the screen is mounted: every committed change to an instruction posts `Changed`."""
        worker = get_current_worker()
        notifications.follow(self.app.db, lambda _notice: self.post_message(self.Changed()),
                             lambda: worker.is_cancelled)

    def on_approval_queue_screen_changed(self, _message: Changed) -> None:
        self.load()

    def on_approval_queue_screen_loaded(self, message: Loaded) -> None:
        self.items = message.items
        table = self.query_one("#queue", DataTable)
        selected = None
        if table.row_count:
            selected = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        for item in message.items:
            table.add_row(str(item.id), age_text(item.age), instructions.kind_name(item.kind),
                          f"{format_amount(item.amount, item.currency)} {item.currency}", item.maker,
                          item.customer or "", key=str(item.id))
        keys = [str(item.id) for item in message.items]
        if selected in keys:
            table.move_cursor(row=keys.index(selected))
        status = _("{count} waiting, oldest first. Enter opens one.").format(count=len(message.items))
        self.query_one("#queue-status", Static).update(status if message.items else _("Nothing waits for a second key."))

    def on_approval_queue_screen_failed(self, message: Failed) -> None:
        self.query_one("#queue-status", Static).update(message.reason)

    @on(DataTable.RowSelected, "#queue")
    def open_instruction(self, event: DataTable.RowSelected) -> None:
        from screens.instruction_detail import InstructionDetailScreen

        self.app.push_screen(InstructionDetailScreen(int(event.row_key.value)), lambda _decided: self.load())
