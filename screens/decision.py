"""A modal where the signed-in user decides one waiting instruction: the second key with their own password
and a fresh code, a refusal with a reason (which releases the hold), or, for its maker, a withdrawal. The
decided instruction is the screen's result; the first of two keys leaves it open and says a more senior
checker gives the second. The approval queue's instruction detail and a waiting cash hand-over are both
this screen."""

from textual import work
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from teller import instructions
from teller.errors import TellerError
from teller.i18n import N_, _
from teller.instructions import InstructionView
from teller.ui.widgets.credentials import CredentialFields, Credentials
from screens.base import TranslatedBindings


class DecisionScreen(TranslatedBindings, ModalScreen[InstructionView | None]):
    """Subclasses compose a `CredentialFields`, a Static with the id `MESSAGE_ID`, and call `reject` (and
    `withdraw`) from their own reason input and keys; they set `instruction_id` before mounting."""

    MESSAGE_ID = "decision-message"
    FIRST_OF_TWO_KEYS = N_("Your key is given; a more senior checker gives the second.")

    class Decided(Message):
        def __init__(self, instruction: InstructionView) -> None:
            super().__init__()
            self.instruction = instruction

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    instruction_id: int

    def say(self, text: str) -> None:
        self.query_one(f"#{self.MESSAGE_ID}", Static).update(text)

    def on_credential_fields_submitted(self, event: CredentialFields.Submitted) -> None:
        self.say(_("Checking…"))
        self.approve(event.credentials)

    @work(thread=True, exclusive=True, exit_on_error=False, group="decide")
    def approve(self, credentials: Credentials) -> None:
        self._decide(lambda: instructions.approve_with_second_key(
            self.app.db, self.instruction_id, credentials.username, credentials.password, credentials.code,
            self.app.terminal))

    @work(thread=True, exclusive=True, exit_on_error=False, group="decide")
    def reject(self, reason: str) -> None:
        self._decide(lambda: instructions.reject(self.app.db, self.instruction_id, self.app.session.actor, reason))

    @work(thread=True, exclusive=True, exit_on_error=False, group="decide")
    def withdraw(self) -> None:
        self._decide(lambda: instructions.cancel(self.app.db, self.instruction_id, self.app.session.actor))

    def _decide(self, decision) -> None:
        """Run on a worker thread: the decision's outcome, or its refusal, goes back as a message."""
        try:
            self.post_message(self.Decided(decision()))
        except TellerError as error:
            self.post_message(self.Failed(str(error)))

    def on_decision_screen_decided(self, message: Decided) -> None:
        if message.instruction.status == "PENDING":  # the first of two keys
            self.say(_(self.FIRST_OF_TWO_KEYS))
            self.query_one(CredentialFields).clear_secrets()
            return
        self.dismiss(message.instruction)

    def on_decision_screen_failed(self, message: Failed) -> None:
        self.say(message.reason)
        credentials = self.query(CredentialFields)
        if credentials and credentials.first().display:  # a refused key: type password and code afresh
            credentials.first().clear_secrets()
