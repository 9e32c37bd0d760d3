"""The receipt of a posted instruction: issued with the branch's next number the first time, a marked and
audited reprint every later time (F4 prints it again). The counter screen pushes it after approval."""

from teller import receipts
from teller.actor import Actor
from teller.db import Database
from teller.documents import Document
from teller.i18n import N_
from teller.ui.commands import UserCommand
from screens.document import DocumentScreen

REPRINT = UserCommand("reprint_receipt", "f4", "reprint", N_("Reprint"),
                      N_("Print the receipt again, marked as a reprint"))


class ReceiptScreen(DocumentScreen):
    HELP_TITLE = N_("Receipt")
    PALETTE_COMMANDS = (REPRINT,)
    BINDINGS = [command.binding() for command in PALETTE_COMMANDS]

    def __init__(self, instruction_id: int) -> None:
        self.instruction_id = instruction_id
        super().__init__(self._print)

    def _print(self, db: Database, actor: Actor) -> tuple[Document, str]:
        receipt = receipts.print_receipt(db, actor, self.instruction_id)
        return receipt.document(), receipt.file_name

    def action_reprint(self) -> None:
        self.make()
