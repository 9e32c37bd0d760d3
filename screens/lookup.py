"""Customer lookup: one search box, results as you type, from any key a teller has at hand."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from teller import customers
from teller.customers import CustomerHit
from teller.errors import TellerError
from teller.ui.commands import FIND_CUSTOMER, NEW_CUSTOMER
from teller.i18n import N_, _
from teller.ui.widgets.input import Input
from teller.ui.widgets.table import Table
from screens.base import TellerScreen

SEGMENT_NAMES = {"mass": N_("Mass"), "quality": N_("Quality"), "vip": N_("VIP")}
SHOWN = 20  # results listed; the search asks for one more, to say so when there are more than these


class LookupScreen(TellerScreen):
    """Find a customer and open their file; with `pick`, the chosen customer's (id, name) is returned to the
    screen that asked (e.g. a new loan application from the pipeline) and Escape on an empty box backs out."""

    HELP_TITLE = N_("Find a customer")
    BINDINGS = [
        Binding("escape", "clear", N_("Clear"), tooltip=N_("Empty the search box"), id="clear"),
        Binding("down", "to_results", N_("Results"), show=False, tooltip=N_("Move into the results")),
        FIND_CUSTOMER.binding(show=True),
        NEW_CUSTOMER.binding(show=True),
    ]
    DEFAULT_CSS = """
    #pick-hint { margin: 0 1; height: 1; text-style: bold; }
    #search { margin: 1 1 0 1; }
    #search-hint { margin: 0 2; color: $text-muted; height: 1; width: 1fr; }
    #results { margin: 0 1; }
    """

    class Found(Message):
        def __init__(self, query: str, hits: list[CustomerHit]) -> None:
            super().__init__()
            self.query = query
            self.hits = hits

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, *, pick: bool = False) -> None:
        super().__init__()
        self.pick = pick

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        if self.pick:
            yield Static(_("Choose the customer for the new loan application."), id="pick-hint", markup=False)
        yield Input(placeholder=_("Name, pinyin (wangfang, wf), ID, mobile or last 4, account/loan number"),
                    id="search")
        yield Static(_("Type to search. Enter opens the first result."), id="search-hint", markup=False)
        table = Table(id="results", cursor_type="row", zebra_stripes=True)
        table.add_columns(_("Name"), _("ID number"), _("Mobile"), _("Segment"), _("Flags"))
        yield table

    def on_mount(self) -> None:
        self.focus_search()

    def focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        query = event.value.strip()
        if not query:
            self.query_one("#results", DataTable).clear()
            self.show_hint(_("Type to search. Enter opens the first result."))
            return
        self.search(query)

    @work(thread=True, exclusive=True, exit_on_error=False, group="lookup")
    def search(self, query: str) -> None:
        try:
            self.post_message(self.Found(query, customers.search(self.app.db, query, limit=SHOWN + 1)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_lookup_screen_found(self, message: Found) -> None:
        if message.query != self.query_one("#search", Input).value.strip():
            return  # an older answer arriving after a newer keystroke
        table = self.query_one("#results", DataTable)
        table.clear()
        for hit in message.hits[:SHOWN]:
            flags = " ".join(flag for flag, present in ((_("OVERDUE"), hit.has_overdue),
                                                        (_("PENDING"), hit.has_pending)) if present)
            table.add_row(hit.name, hit.masked_id, hit.masked_mobile, _(SEGMENT_NAMES.get(hit.segment, hit.segment)),
                          flags, key=str(hit.id))
        if len(message.hits) > SHOWN:  # a count would claim these are all: a customer not listed may still exist
            self.show_hint(_("Over {count} match, first {count} shown: type more to narrow; Enter opens the "
                             "first.").format(count=SHOWN))
        else:
            self.show_hint(_("{count} found. Enter opens the first; Down moves into the list.").format(
                count=len(message.hits)) if message.hits else _("No customer matches."))

    def show_hint(self, hint: str) -> None:
        """The line under the search box: one line of fixed size, so changing it needs no new layout."""
        self.query_one("#search-hint", Static).update(hint, layout=False)

    def on_lookup_screen_failed(self, message: Failed) -> None:
        self.show_hint(message.reason)

    @on(Input.Submitted, "#search")
    def open_first(self) -> None:
        table = self.query_one("#results", DataTable)
        if table.row_count:
            self.open_customer(int(table.coordinate_to_cell_key((0, 0)).row_key.value), str(table.get_cell_at((0, 0))))

    @on(DataTable.RowSelected, "#results")
    def open_selected(self, event: DataTable.RowSelected) -> None:
        table = self.query_one("#results", DataTable)
        self.open_customer(int(event.row_key.value), str(table.get_cell_at((event.cursor_row, 0))))

    def open_customer(self, customer_id: int, name: str) -> None:
        from screens.customer_file import CustomerFileScreen

        if self.pick:
            self.dismiss((customer_id, name))
            return
        self.app.push_screen(CustomerFileScreen(customer_id))

    def action_clear(self) -> None:
        search = self.query_one("#search", Input)
        if self.pick and not search.value:
            self.dismiss(None)
            return
        search.value = ""
        search.focus()

    def action_to_results(self) -> None:
        table = self.query_one("#results", DataTable)
        if table.row_count:
            table.focus()
