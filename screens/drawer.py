"""The cash drawer (尾箱) screen, F11 from anywhere: a teller's drawer today (state, cash by denomination
as last counted, a flag when it holds more than the limit) with opening, returning cash to the vault,
handing cash to another teller and the end of day, and the hand-overs that wait (cash handed to the teller,
to confirm or refuse; cash they handed over, to withdraw); a supervisor's view of every drawer of the
branch, with opening and closing the business day."""

import uuid
from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label, Static

from teller import business_day, drawers, end_of_day, instructions
from teller.actor import Actor
from teller.business_day import DayView
from teller.drawers import DrawerView, HandOver
from teller.errors import TellerError
from teller.i18n import N_, _, format_amount, format_day
from teller.money import parse_amount
from teller.ui.commands import UserCommand
from teller.ui.widgets.denominations import DenominationFields
from teller.ui.widgets.table import Table
from teller.ui.widgets.input import ENTER_MOVES_ON, Input, enter_moves_on
from teller.ui.workers import post_if_current
from screens.base import TellerScreen, TranslatedBindings
from screens.document import DocumentScreen
from screens.hand_over import HandOverScreen
from screens.second_key import SecondKeyScreen

TELLER = ("teller",)
SUPERVISORS = drawers.SUPERVISOR_ROLES
OPEN_DRAWER = UserCommand("open_drawer", "f4", "open_drawer", N_("Open drawer"),
                          N_("Take cash from the vault into your drawer, counted by denomination"), roles=TELLER)
TO_VAULT = UserCommand("to_vault", "f5", "to_vault", N_("To vault"),
                       N_("Return cash (the excess over the limit, or any amount) to the vault"), roles=TELLER)
TO_TELLER = UserCommand("to_teller", "f6", "to_teller", N_("To teller"),
                        N_("Hand cash to another teller, who confirms with their own password and code"),
                        roles=TELLER)
END_OF_DAY = UserCommand("end_of_day", "f7", "end_of_day", N_("End of day"),
                         N_("Count your drawer blind, balance it and close it"), roles=TELLER)
# The hand-overs' heading names F8 while some wait, so the footer leaves it out and fits 80 columns.
HAND_OVER = UserCommand("hand_over", "f8", "hand_over", N_("Hand-over"),
                        N_("Open the waiting hand-over under the cursor: confirm or refuse cash handed to you, "
                           "or withdraw cash you handed over"), roles=TELLER, show=False)
OPEN_DAY = UserCommand("open_day", "f8", "open_day", N_("Open day"), N_("Open the branch's business day"),
                       roles=SUPERVISORS)
CLOSE_DAY = UserCommand("close_day", "f9", "close_day", N_("Close day"),
                        N_("Close the business day (every drawer closed, nothing pending) and print the branch proof"),
                        roles=SUPERVISORS)
BACK = UserCommand("back", "escape", "back", N_("Back"), N_("Back to the previous screen"))
OPEN_DRAWER_STEPS = (TO_VAULT.action, TO_TELLER.action, END_OF_DAY.action)
STATE_NAMES = {"none": N_("not opened today"), "opening": N_("opening: the vault cash waits for the second key"),
               "open": N_("open"), "closed": N_("closed for the day")}


def new_key() -> str:
    return f"drawer-{uuid.uuid4().hex}"


class OpenDrawerScreen(TranslatedBindings, ModalScreen[dict[int, str] | None]):
    """The cash taken from the vault, counted by denomination; returns what was typed."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), tooltip=N_("Back out without opening the drawer"))]
    DEFAULT_CSS = """
    OpenDrawerScreen { align: center middle; }
    OpenDrawerScreen > Vertical { width: 56; max-width: 100%; height: auto; border: round $primary;
                                  background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("Count the cash from the vault by denomination; Enter on the last line submits."),
                         markup=False)
            yield DenominationFields()
        yield Footer()

    def on_denomination_fields_submitted(self, message: DenominationFields.Submitted) -> None:
        self.dismiss(message.typed)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CashMoveScreen(TranslatedBindings, ModalScreen[tuple[str, str] | None]):
    """An amount of cash to move, and for a hand-over the receiving teller; returns (teller, amount)."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), tooltip=N_("Back out without moving cash")),
                ENTER_MOVES_ON]
    DEFAULT_CSS = """
    CashMoveScreen { align: center middle; }
    CashMoveScreen > Vertical { width: 60; max-width: 100%; height: auto; border: round $primary;
                                background: $surface; padding: 0 1; }
    CashMoveScreen Horizontal { height: 1; margin-top: 1; }
    CashMoveScreen Label { width: 18; }
    CashMoveScreen Input { height: 1; border: none; padding: 0 1; width: 1fr; background: $boost; }
    CashMoveScreen Input:focus { border: none; background: $primary 40%; }
    """

    def __init__(self, title: str, *, amount: str = "", to_teller: bool = False) -> None:
        super().__init__()
        self.heading = title
        self.amount = amount
        self.to_teller = to_teller

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.heading, markup=False)
            if self.to_teller:
                with Horizontal():
                    yield Label(_("Receiving teller"))
                    yield Input(id="receiver", max_length=32)
            with Horizontal():
                yield Label(_("Amount (CNY)"))
                yield Input(self.amount, id="amount", max_length=24)
        yield Footer()

    def action_next_field(self) -> None:
        """Enter moves from the receiving teller to the amount, and there returns both (`enter_moves_on`)."""
        enter_moves_on(self, list(self.query(Input)), self._answer)

    def _answer(self) -> None:
        receiver = self.query_one("#receiver", Input).value if self.to_teller else ""
        self.dismiss((receiver, self.query_one("#amount", Input).value))

    def action_cancel(self) -> None:
        self.dismiss(None)


class DrawerScreen(TellerScreen):
    HELP_TITLE = N_("Cash drawer")
    AUTO_FOCUS = "#drawer-table"  # not the hand-over table above it, hidden until hand-overs wait
    PALETTE_COMMANDS = (OPEN_DRAWER, TO_VAULT, TO_TELLER, END_OF_DAY, HAND_OVER, OPEN_DAY, CLOSE_DAY)
    BINDINGS = [command.binding() for command in (BACK, *PALETTE_COMMANDS)]
    DEFAULT_CSS = """
    #drawer-heading { padding: 0 1; text-style: bold; height: auto; }
    #drawer-state { padding: 0 1; height: auto; }
    #drawer-excess { padding: 0 1; height: auto; color: $warning; }
    #drawer-message { padding: 0 1; height: auto; color: $error; }
    #drawer-table { margin: 0 1; }
    #hand-over-heading { padding: 0 1; height: auto; color: $warning; display: none; }
    #hand-over-table { margin: 0 1 1 1; max-height: 5; display: none; }
    """

    class Loaded(Message):
        def __init__(self, day: DayView, mine: DrawerView | None, branch: list[DrawerView] | None,
                     hand_overs: list[HandOver]) -> None:
            super().__init__()
            self.day = day
            self.mine = mine
            self.branch = branch
            self.hand_overs = hand_overs

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class Submitted(Message):
        """An instruction waits for its second key: `username` fixes who gives it (a receiving teller)."""

        def __init__(self, instruction: instructions.InstructionView, summary: str, username: str | None) -> None:
            super().__init__()
            self.instruction = instruction
            self.summary = summary
            self.username = username

    def __init__(self) -> None:
        super().__init__()
        self.day: DayView | None = None
        self.mine: DrawerView | None = None
        self.hand_overs: list[HandOver] = []

    @property
    def actor(self) -> Actor:
        return self.app.session.actor

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(_("Loading…"), id="drawer-heading", markup=False)
        yield Static("", id="drawer-state", markup=False)
        yield Static("", id="drawer-excess", markup=False)
        yield Static("", id="drawer-message", markup=False)
        yield Static("", id="hand-over-heading", markup=False)
        yield Table(id="hand-over-table", cursor_type="row", zebra_stripes=True)
        yield Table(id="drawer-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only what the teller's drawer allows now: opening it until it is open, then moving its cash and
        balancing it; a hand-over while one waits."""
        drawer_open = self.mine is not None and self.mine.state == "open"
        if action == HAND_OVER.action and not self.hand_overs:
            return False
        if action == OPEN_DRAWER.action and drawer_open:
            return False
        if action in OPEN_DRAWER_STEPS and not drawer_open:
            return False
        for command in self.PALETTE_COMMANDS:
            if command.action == action:
                return command.allowed_for(self.actor.roles)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="drawer")
    def load(self) -> None:
        try:
            db, actor = self.app.db, self.actor
            day = business_day.day_status(db, actor.branch_id)
            mine = drawers.my_drawer(db, actor) if "teller" in actor.roles else None
            hand_overs = drawers.waiting_hand_overs(db, actor) if "teller" in actor.roles else []
            branch = drawers.branch_drawers(db, actor) if set(actor.roles) & set(SUPERVISORS) else None
            post_if_current(self, self.Loaded(day, mine, branch, hand_overs))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_drawer_screen_loaded(self, message: Loaded) -> None:
        self.day, self.mine = message.day, message.mine
        day = message.day
        state = _("open") if day.day_open else _("closed")
        self.query_one("#drawer-heading", Static).update(
            _("Branch {code} · business day {day} ({state})").format(
                code=day.branch_code, day=format_day(day.business_date), state=state))
        if self.app.session.business_date != day.business_date:
            self.app.session = replace(self.app.session, business_date=day.business_date)
        table = self.query_one("#drawer-table", DataTable)
        table.clear(columns=True)
        if message.branch is not None:
            self._show_branch(table, message.branch)
        else:
            self._show_mine(table, message.mine)
        self._show_hand_overs(message.hand_overs)
        self.refresh_bindings()  # the drawer's state and the waiting hand-overs decide the keys

    def _show_mine(self, table: DataTable, mine: DrawerView) -> None:
        lines = [_("Your drawer {number}: {state}.").format(number=mine.account_number,
                                                               state=_(STATE_NAMES[mine.state]))]
        if mine.last_count is not None:
            kind = _("opening") if mine.last_count.purpose == "opening" else _("end-of-day count")
            lines.append(_("As last counted ({kind}): {amount}").format(
                kind=kind, amount=format_amount(mine.last_count.total)))
        self.query_one("#drawer-state", Static).update("\n".join(lines))
        excess = ""
        if mine.state == "open" and mine.excess:
            excess = _("The drawer holds {excess} above its limit of {limit}: F5 returns it to the vault.").format(
                excess=format_amount(mine.excess), limit=format_amount(mine.limit))
        self.query_one("#drawer-excess", Static).update(excess)
        table.add_columns(_("Denomination"), _("Pieces"), _("Amount"))
        if mine.last_count is not None:
            for denomination, pieces in mine.last_count.pieces:
                table.add_row(_("CNY {value}").format(value=drawers.denomination_text(denomination)), str(pieces),
                              format_amount(denomination * pieces))

    def _show_branch(self, table: DataTable, branch: list[DrawerView]) -> None:
        self.query_one("#drawer-state", Static).update(_("Drawers of the branch today:"))
        over = [view.username for view in branch if view.state == "open" and view.excess]
        self.query_one("#drawer-excess", Static).update(
            _("Above the drawer limit: {names}").format(names=", ".join(over)) if over else "")
        table.add_columns(_("Teller"), _("State"), _("Balance"), _("Above limit"))
        for view in branch:
            table.add_row(view.username, _(STATE_NAMES[view.state]), format_amount(view.balance),
                          format_amount(view.excess) if view.excess else "")

    def _show_hand_overs(self, hand_overs: list[HandOver]) -> None:
        """The hand-overs that wait, shown only while there are some."""
        self.hand_overs = hand_overs
        heading = self.query_one("#hand-over-heading", Static)
        table = self.query_one("#hand-over-table", DataTable)
        table.clear(columns=True)
        heading.display = table.display = bool(hand_overs)
        if not hand_overs:
            return
        incoming = sum(hand_over.incoming for hand_over in hand_overs)
        heading.update(_("Cash hand-overs waiting: {incoming} for your confirmation, {outgoing} from you "
                         "(F8 or Enter opens one).").format(incoming=incoming, outgoing=len(hand_overs) - incoming))
        table.add_columns(_("Instruction"), _("Sender"), _("Receiver"), _("Amount"), _("You may"))
        for hand_over in hand_overs:
            table.add_row(str(hand_over.instruction_id), hand_over.sender, hand_over.receiver,
                          format_amount(hand_over.amount, hand_over.currency),
                          _("confirm or refuse") if hand_over.incoming else _("withdraw"),
                          key=str(hand_over.instruction_id))
        table.styles.height = len(hand_overs) + 1  # its heading and rows (up to its maximum, then it scrolls)
        table.focus()

    def action_hand_over(self) -> None:
        """Open the waiting hand-over under the cursor of the hand-over table."""
        table = self.query_one("#hand-over-table", DataTable)
        if self.hand_overs and table.row_count:
            self._open_hand_over(self.hand_overs[min(table.cursor_row, len(self.hand_overs) - 1)])

    @on(DataTable.RowSelected, "#hand-over-table")
    def hand_over_selected(self, event: DataTable.RowSelected) -> None:
        self._open_hand_over(next(hand_over for hand_over in self.hand_overs
                                  if str(hand_over.instruction_id) == event.row_key.value))

    def _open_hand_over(self, hand_over: HandOver) -> None:
        def decided(made: instructions.InstructionView | None) -> None:
            if made is not None:
                self._say(hand_over_outcome(hand_over, made))
            self.load()

        self.app.push_screen(HandOverScreen(hand_over), decided)

    def on_drawer_screen_failed(self, message: Failed) -> None:
        self.query_one("#drawer-message", Static).update(message.reason)

    def _say(self, text: str) -> None:
        self.query_one("#drawer-message", Static).update(text)

    # --- Teller: opening, returning, handing over, end of day ------------------------------------------

    def action_open_drawer(self) -> None:
        """Count the opening cash; while an opening waits for its second key, ask for that key again."""
        if self.mine is not None and self.mine.state == "opening":
            summary = _("Drawer opening: {amount} from the vault to {username}").format(
                amount=format_amount(self.mine.last_count.total), username=self.actor.username)
            self.post_message(self.Submitted(instructions.get(self.app.db, self.mine.opening_instruction_id),
                                             summary, None))
            return
        self.app.push_screen(OpenDrawerScreen(), self._opening_counted)

    def _opening_counted(self, typed: dict[int, str] | None) -> None:
        if typed is not None:
            self.submit_opening(typed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit")
    def submit_opening(self, typed: dict[int, str]) -> None:
        try:
            made = drawers.open_drawer(self.app.db, self.actor, drawers.parse_pieces(typed), new_key())
            summary = _("Drawer opening: {amount} from the vault to {username}").format(
                amount=format_amount(made.amount), username=self.actor.username)
            self.post_message(self.Submitted(made, summary, None))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def action_to_vault(self) -> None:
        amount = format_amount(self.mine.excess) if self.mine is not None and self.mine.excess else ""
        self.app.push_screen(CashMoveScreen(_("Cash back to the vault"), amount=amount), self._to_vault_typed)

    def _to_vault_typed(self, typed: tuple[str, str] | None) -> None:
        if typed is not None:
            self.submit_to_vault(typed[1])

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit")
    def submit_to_vault(self, amount_text: str) -> None:
        try:
            amount = parse_amount(amount_text).minor
            made = drawers.return_to_vault(self.app.db, self.actor, amount, new_key())
            summary = _("{amount} from {username}'s drawer to the vault").format(
                amount=format_amount(made.amount), username=self.actor.username)
            self.post_message(self.Submitted(made, summary, None))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def action_to_teller(self) -> None:
        self.app.push_screen(CashMoveScreen(_("Cash to another teller's drawer"), to_teller=True),
                             self._to_teller_typed)

    def _to_teller_typed(self, typed: tuple[str, str] | None) -> None:
        if typed is not None:
            self.submit_to_teller(*typed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit")
    def submit_to_teller(self, receiver: str, amount_text: str) -> None:
        try:
            amount = parse_amount(amount_text).minor
            made = drawers.transfer_to_teller(self.app.db, self.actor, receiver, amount, new_key())
            username = receiver.strip().lower()
            summary = _("{amount} from {sender}'s drawer to {receiver}'s").format(
                amount=format_amount(made.amount), sender=self.actor.username, receiver=username)
            self.post_message(self.Submitted(made, summary, username))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_drawer_screen_submitted(self, message: Submitted) -> None:
        instruction = message.instruction
        self._say("")
        prompt = (_("{username} counts the cash and confirms with their own password and code.").format(
            username=message.username) if message.username else None)

        def given(checker: Actor | None) -> None:
            if checker is None:
                self._say(_("Instruction {id} waits: {username} confirms it from their own drawer screen (F11); "
                            "F8 here withdraws it.").format(id=instruction.id, username=message.username)
                          if message.username else
                          _("Instruction {id} waits for a second key.").format(id=instruction.id))
                self.load()
            else:
                self.approve(instruction.id, checker)

        self.app.push_screen(SecondKeyScreen(message.summary, username=message.username, prompt=prompt), given)

    @work(thread=True, exclusive=True, exit_on_error=False, group="approve")
    def approve(self, instruction_id: int, checker: Actor) -> None:
        try:
            instructions.approve(self.app.db, instruction_id, checker)
            self.app.call_from_thread(self.load)
        except TellerError as error:
            self.post_message(self.Failed(str(error)))
            self.app.call_from_thread(self.load)

    def action_end_of_day(self) -> None:
        from screens.end_of_day import EndOfDayScreen

        self.app.push_screen(EndOfDayScreen(), self._balanced)

    def _balanced(self, session_id: int | None) -> None:
        """Back from the end of day: once the drawer is closed, its end-of-day proof."""
        self.load()
        if session_id is not None:
            self.app.push_screen(DocumentScreen(lambda db, actor: (
                end_of_day.teller_proof(db, session_id), f"end-of-day-{actor.username}-{session_id}")))

    # --- Supervisor: the business day ---------------------------------------------------------------

    def action_open_day(self) -> None:
        self.change_day(opening=True)

    def action_close_day(self) -> None:
        self.change_day(opening=False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="day")
    def change_day(self, opening: bool) -> None:
        try:
            db = self.app.db
            if opening:
                business_day.open_day(db, self.actor)
            else:
                closed_day = self.day.business_date
                business_day.close_day(db, self.actor)
                self.app.call_from_thread(
                    self.app.push_screen,
                    DocumentScreen(lambda db_, actor: (
                        end_of_day.branch_proof(db_, actor.branch_id, closed_day),
                        f"branch-proof-{self.day.branch_code}-{closed_day.isoformat()}")))
            self.app.call_from_thread(self.load)
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def action_back(self) -> None:
        self.app.pop_screen()


def hand_over_outcome(hand_over: HandOver, made: instructions.InstructionView) -> str:
    """What became of a hand-over decided from the drawer screen, in a line."""
    amount = format_amount(made.amount, made.currency)
    if made.status == "APPROVED":
        return _("{amount} from {sender} is confirmed and in your drawer.").format(amount=amount,
                                                                                   sender=hand_over.sender)
    if made.status == "REJECTED":
        return _("You refused {amount} from {sender}: the cash stays in their drawer.").format(
            amount=amount, sender=hand_over.sender)
    return _("Hand-over of {amount} to {receiver} withdrawn: the cash stays in your drawer.").format(
        amount=amount, receiver=hand_over.receiver)
