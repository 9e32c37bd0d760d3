"""One cash hand-over between tellers' drawers that waits for the receiving teller, opened from the drawer
screen. The receiving teller counts the cash and confirms it with their own password and a fresh code, or
refuses it with a reason; the sending teller may withdraw it while it waits. A refusal or a withdrawal
releases the hold on the sender's cash (and so unblocks their end-of-day count)."""

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Static

from teller.drawers import HandOver
from teller.i18n import N_, _, format_amount
from teller.ui.widgets.credentials import CredentialFields
from teller.ui.widgets.input import Input
from screens.decision import DecisionScreen

RECEIVER_ACTIONS = ("confirm", "refuse")


class HandOverScreen(DecisionScreen):
    """Returns the decided instruction (approved, rejected or cancelled), or None when closed undecided."""

    HELP_TITLE = N_("Cash hand-over")
    BINDINGS = [
        Binding("escape", "close", N_("Close"), tooltip=N_("Back to the drawer, deciding nothing")),
        Binding("f5", "confirm", N_("Confirm"),
                tooltip=N_("The cash is counted and in your drawer: your password and a fresh code")),
        Binding("f6", "refuse", N_("Refuse"), tooltip=N_("Refuse the cash with a reason; it stays with the sender")),
        Binding("f6", "withdraw", N_("Withdraw"), tooltip=N_("Take the hand-over back while it waits")),
    ]
    DEFAULT_CSS = """
    HandOverScreen { align: center middle; }
    HandOverScreen > Vertical { width: 64; max-width: 100%; height: auto; border: double $warning;
                                background: $surface; padding: 0 2; }
    #hand-over-reason { display: none; margin-top: 1; }
    #hand-over-reason.open { display: block; }
    #decision-message { color: $error; height: auto; margin-top: 1; }
    """
    FIRST_OF_TWO_KEYS = N_("Your key is given; a more senior checker gives the second from the approval queue.")

    def __init__(self, hand_over: HandOver) -> None:
        super().__init__()
        self.hand_over = hand_over
        self.instruction_id = hand_over.instruction_id

    def compose(self) -> ComposeResult:
        hand_over = self.hand_over
        with Vertical():
            yield Static(_("Cash hand-over, instruction {id}").format(id=hand_over.instruction_id),
                         id="hand-over-title")
            yield Static(_("{amount} {currency} from {sender}'s drawer to {receiver}'s").format(
                amount=format_amount(hand_over.amount, hand_over.currency), currency=hand_over.currency,
                sender=hand_over.sender, receiver=hand_over.receiver), id="hand-over-summary", markup=False)
            if hand_over.incoming:
                yield Static(_("Count the cash. F5: confirm with your password and code. F6: refuse it."),
                             classes="muted", markup=False)
                yield CredentialFields(self.app.session.actor.username, id="hand-over-credentials")
                yield Input(id="hand-over-reason", max_length=200,
                            placeholder=_("Why you refuse the cash; Enter refuses"))
            else:
                yield Static(_("It waits for {receiver} to confirm with their own password and code. "
                               "F6 withdraws it: the cash stays in your drawer.").format(receiver=hand_over.receiver),
                             classes="muted", markup=False)
            yield Static("", id=self.MESSAGE_ID, markup=False)
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in RECEIVER_ACTIONS:
            return self.hand_over.incoming
        if action == "withdraw":
            return not self.hand_over.incoming
        return True

    def action_confirm(self) -> None:
        self.query_one("#hand-over-reason", Input).remove_class("open")
        self.query_one(CredentialFields).display = True
        self.query_one(CredentialFields).clear_secrets()

    def action_refuse(self) -> None:
        self.query_one(CredentialFields).display = False
        reason = self.query_one("#hand-over-reason", Input)
        reason.add_class("open")
        reason.focus()

    @on(Input.Submitted, "#hand-over-reason")
    def submit_refusal(self, event: Input.Submitted) -> None:
        self.reject(event.value)

    def action_withdraw(self) -> None:
        self.withdraw()

    def action_close(self) -> None:
        self.dismiss(None)
