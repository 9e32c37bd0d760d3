"""The receipt of a posted instruction: issued with the branch's next number the first time, a marked and
audited reprint every later time (F4 prints it again). The counter screen pushes it after approval."""

from textual.binding import Binding

from teller import receipts
from teller.actor import Actor
from teller.db import Database
from teller.documents import Document
from teller.i18n import N_
from screens.document import DocumentScreen


class ReceiptScreen(DocumentScreen):
    HELP_TITLE = N_("Receipt")
    BINDINGS = [Binding("f4", "reprint", N_("Reprint"), tooltip=N_("Print the receipt again, marked as a reprint"))]

    def __init__(self, instruction_id: int) -> None:
        self.instruction_id = instruction_id
        super().__init__(self._print)

    def _print(self, db: Database, actor: Actor) -> tuple[Document, str]:
        receipt = receipts.print_receipt(db, actor, self.instruction_id)
        return receipt.document(), receipt.file_name

    def action_reprint(self) -> None:
        self.make()
