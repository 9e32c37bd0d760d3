"""Blind end-of-day balancing (日终轧账) of the teller's drawer: the count by denomination comes first;
only after it is recorded does the screen show the expected balance and the difference. Closing posts
an over or short and returns the cash to the vault under a supervisor's second key, then shows the
teller's end-of-day proof (text and PDF)."""

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Static

from teller import drawers, end_of_day
from teller.actor import Actor
from teller.end_of_day import Balancing
from teller.errors import TellerError
from teller.i18n import N_, _, format_amount
from teller.ui.commands import UserCommand
from teller.ui.widgets.denominations import DenominationFields
from screens.base import TellerScreen
from screens.second_key import SecondKeyScreen

SUBMIT_COUNT = UserCommand("submit_count", "f4", "submit_count", N_("Submit count"),
                           N_("Record the count; only then is the expected balance shown"))
CLOSE_DRAWER = UserCommand("close_drawer", "f5", "close_drawer", N_("Close drawer"),
                           N_("Post the difference and return the cash to the vault, with a supervisor's second key"))
COUNT_AGAIN = UserCommand("count_again", "f6", "count_again", N_("Count again"),
                          N_("Count the drawer again (every count stays on record)"))
BACK = UserCommand("back", "escape", "back", N_("Back"), N_("Back to the drawer"))


class EndOfDayScreen(TellerScreen):
    """Dismissed with the closed drawer session's id (None if the teller backs out)."""

    HELP_TITLE = N_("End of day")
    PALETTE_COMMANDS = (SUBMIT_COUNT, CLOSE_DRAWER, COUNT_AGAIN)
    BINDINGS = [command.binding() for command in (BACK, *PALETTE_COMMANDS)]
    DEFAULT_CSS = """
    #eod-heading { padding: 0 1; text-style: bold; height: auto; }
    #eod-hint { padding: 0 1; height: auto; color: $text-muted; }
    EndOfDayScreen DenominationFields { margin: 1 1 0 1; }
    #eod-result { padding: 1 1 0 1; height: auto; display: none; }
    #eod-message { padding: 0 1; height: auto; color: $error; }
    """

    class Counted(Message):
        def __init__(self, balancing: Balancing) -> None:
            super().__init__()
            self.balancing = balancing

    class Closed(Message):
        def __init__(self, session_id: int) -> None:
            super().__init__()
            self.session_id = session_id

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.balancing: Balancing | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(_("End of day: count your drawer's cash"), id="eod-heading", markup=False)
        yield Static(_("Type the pieces of each note and coin. The expected balance is shown only after the count "
                       "is recorded. Enter on the last line (or F4) submits."), id="eod-hint", markup=False)
        yield DenominationFields()
        yield Static("", id="eod-result", markup=False)
        yield Static("", id="eod-message", markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit_count":
            return self.balancing is None
        if action in ("close_drawer", "count_again"):
            return self.balancing is not None
        return True

    def on_denomination_fields_submitted(self, message: DenominationFields.Submitted) -> None:
        self.action_submit_count()

    def action_submit_count(self) -> None:
        if self.balancing is None:
            self.record_count(self.query_one(DenominationFields).typed())

    @work(thread=True, exclusive=True, exit_on_error=False, group="count")
    def record_count(self, typed: dict[int, str]) -> None:
        try:
            pieces = drawers.parse_pieces(typed)
            self.post_message(self.Counted(end_of_day.count_drawer(self.app.db, self.app.session.actor, pieces)))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_end_of_day_screen_counted(self, message: Counted) -> None:
        balancing = self.balancing = message.balancing
        lines = [
            _("Counted:  {amount}").format(amount=format_amount(balancing.counted)),
            _("Expected: {amount}").format(amount=format_amount(balancing.expected)),
            _("Difference: {difference}").format(difference=end_of_day.difference_text(balancing.difference)),
            "",
            _("F5 closes the drawer with a supervisor's second key; F6 counts again."),
        ]
        result = self.query_one("#eod-result", Static)
        result.update("\n".join(lines))
        result.display = True
        self.query_one(DenominationFields).display = False
        self.query_one("#eod-hint", Static).display = False
        self.query_one("#eod-message", Static).update("")
        self.refresh_bindings()

    def action_count_again(self) -> None:
        self.balancing = None
        self.query_one("#eod-result", Static).display = False
        self.query_one("#eod-hint", Static).display = True
        fields = self.query_one(DenominationFields)
        fields.display = True
        fields.clear()
        self.refresh_bindings()

    def action_close_drawer(self) -> None:
        if self.balancing is None:
            return
        summary = _("Close {username}'s drawer: {difference}; {amount} back to the vault").format(
            username=self.app.session.actor.username,
            difference=end_of_day.difference_text(self.balancing.difference),
            amount=format_amount(self.balancing.counted))
        self.app.push_screen(SecondKeyScreen(summary), self._second_key_given)

    def _second_key_given(self, checker: Actor | None) -> None:
        if checker is not None:
            self.close_with(checker)

    @work(thread=True, exclusive=True, exit_on_error=False, group="close")
    def close_with(self, checker: Actor) -> None:
        try:
            closed = end_of_day.close_drawer(self.app.db, self.app.session.actor, checker)
            self.post_message(self.Closed(closed.session_id))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_end_of_day_screen_closed(self, message: Closed) -> None:
        self.dismiss(message.session_id)

    def on_end_of_day_screen_failed(self, message: Failed) -> None:
        self.query_one("#eod-message", Static).update(message.reason)

    def action_back(self) -> None:
        self.dismiss(None)
