"""A printable document on screen: its plain text, saved as a PDF in the documents directory (the path
is shown, for the printer or the file). Receipts and end-of-day proofs open here."""

from collections.abc import Callable
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from teller.actor import Actor
from teller.db import Database
from teller.documents import Document, render_text, save_pdf
from teller.errors import TellerError
from teller.i18n import N_, _
from screens.base import TranslatedBindings

# Makes the document on the worker thread: (document, file name without extension).
Producer = Callable[[Database, Actor], tuple[Document, str]]


class DocumentScreen(TranslatedBindings, ModalScreen[None]):
    HELP_TITLE = N_("Document")
    BINDINGS = [Binding("escape", "close", N_("Close"), tooltip=N_("Close the document"))]
    DEFAULT_CSS = """
    DocumentScreen { align: center middle; }
    DocumentScreen > Vertical { width: 80; max-width: 100%; height: 100%; border: round $primary;
                                background: $surface; padding: 0 1; }
    #document-body { height: 1fr; }
    #document-text { width: auto; }
    #document-saved { height: auto; color: $success; }
    """

    class Shown(Message):
        def __init__(self, text: str, path: Path) -> None:
            super().__init__()
            self.text = text
            self.path = path

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, produce: Producer) -> None:
        super().__init__()
        self.produce = produce
        self.saved_to: Path | None = None
        self.text = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll(id="document-body"):
                yield Static(_("Preparing the document…"), id="document-text", markup=False)
            yield Static("", id="document-saved", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.make()

    @work(thread=True, exclusive=True, exit_on_error=False, group="document")
    def make(self) -> None:
        try:
            document, name = self.produce(self.app.db, self.app.session.actor)
            path = save_pdf(document, name)
            self.post_message(self.Shown(render_text(document), path))
        except (TellerError, OSError) as error:
            self.post_message(self.Failed(str(error)))

    def on_document_screen_shown(self, message: Shown) -> None:
        self.saved_to, self.text = message.path, message.text
        self.query_one("#document-text", Static).update(message.text)
        self.query_one("#document-saved", Static).update(_("PDF saved: {path}").format(path=message.path))

    def on_document_screen_failed(self, message: Failed) -> None:
        self.query_one("#document-saved", Static).update(message.reason)

    def action_close(self) -> None:
        self.dismiss(None)
