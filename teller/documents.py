"""Printable documents: one small model (title, header fields, a table, footer) rendered to plain text and
to PDF. Receipts, end-of-day proofs and, later, loan quotes and checklists are all built as a `Document`.

Plain text pads columns by terminal cells (`rich.cells.cell_len`), so Chinese characters, which take two
cells, line up with ASCII. The PDF uses ReportLab's built-in CID font STSong-Light, which every PDF
reader supplies: Chinese renders without any font package installed.
"""

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from rich.cells import cell_len

from teller import clock
from teller.config import data_dir

PDF_FONT = "STSong-Light"
TEXT_WIDTH = 64
COLUMN_GAP = 2
PDF_MARGIN = 18 * mm
PDF_SIZE = 10
PDF_TITLE_SIZE = 15
PDF_LEADING = 15


@dataclass(frozen=True)
class Document:
    """What a printed page says. `fields` are label/value lines under the title; `columns` and `rows` a
    table whose `right_aligned` columns (indexes) hold figures; `mark` is a stamp under the title
    (a reprint's 重打 / REPRINT); `footer` lines close the page."""

    title: str
    fields: tuple[tuple[str, str], ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    right_aligned: frozenset[int] = frozenset()
    footer: tuple[str, ...] = ()
    mark: str = ""


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * max(width - cell_len(text), 0)
    return space + text if right else text + space


def _centre(text: str, width: int) -> str:
    left = max((width - cell_len(text)) // 2, 0)
    return " " * left + text


def _column_widths(document: Document) -> list[int]:
    return [max(cell_len(cell) for cell in column) for column in zip(document.columns, *document.rows, strict=True)]


def render_text(document: Document) -> str:
    """The document as lines of plain text, columns aligned by terminal cells."""
    widths = _column_widths(document) if document.columns else []
    table_width = sum(widths) + COLUMN_GAP * max(len(widths) - 1, 0)
    width = max(TEXT_WIDTH, table_width)
    lines = [_centre(document.title, width)]
    if document.mark:
        lines.append(_centre(f"*** {document.mark} ***", width))
    lines.append("=" * width)
    label_width = max((cell_len(label) for label, _value in document.fields), default=0)
    lines.extend(f"{_pad(label, label_width)}  {value}" for label, value in document.fields)
    if document.columns:
        def row_text(cells: tuple[str, ...]) -> str:
            return (" " * COLUMN_GAP).join(
                _pad(cell, widths[index], index in document.right_aligned) for index, cell in enumerate(cells)
            ).rstrip()

        lines.append("-" * width)
        lines.append(row_text(document.columns))
        lines.append("-" * width)
        lines.extend(row_text(row) for row in document.rows)
    if document.footer:
        lines.append("-" * width)
        lines.extend(document.footer)
    lines.append("=" * width)
    return "\n".join(lines) + "\n"


def _register_font() -> None:
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))


class _Page:
    """A cursor down A4 pages: writes a line and starts a new page when the bottom margin is reached."""

    def __init__(self, path: Path, title: str) -> None:
        self.canvas = Canvas(str(path), pagesize=A4, pageCompression=1)
        self.canvas.setTitle(title)
        self.width, self.height = A4
        self.y = self.height - PDF_MARGIN

    def line(self, size: int = PDF_SIZE, *, leading: int = PDF_LEADING) -> float:
        if self.y < PDF_MARGIN + leading:
            self.canvas.showPage()
            self.y = self.height - PDF_MARGIN
        y = self.y
        self.canvas.setFont(PDF_FONT, size)
        self.y -= leading
        return y

    def rule(self) -> None:
        y = self.line(leading=PDF_LEADING // 2) + PDF_SIZE / 2
        self.canvas.line(PDF_MARGIN, y, self.width - PDF_MARGIN, y)


def render_pdf(document: Document, path: Path) -> Path:
    """Write the document as a PDF at `path` (A4, STSong-Light) and return the path."""
    _register_font()
    page = _Page(path, document.title)
    canvas = page.canvas
    centre = page.width / 2
    canvas.drawCentredString(centre, page.line(PDF_TITLE_SIZE, leading=PDF_LEADING + 6), document.title)
    if document.mark:
        canvas.drawCentredString(centre, page.line(), f"*** {document.mark} ***")
    page.rule()
    label_width = max((pdfmetrics.stringWidth(label, PDF_FONT, PDF_SIZE) for label, _v in document.fields),
                      default=0)
    for label, value in document.fields:
        y = page.line()
        canvas.drawString(PDF_MARGIN, y, label)
        canvas.drawString(PDF_MARGIN + label_width + 4 * mm, y, value)
    if document.columns:
        cells = (document.columns, *document.rows)
        widths = [max(pdfmetrics.stringWidth(cell, PDF_FONT, PDF_SIZE) for cell in column) for column in zip(*cells)]
        lefts, x = [], PDF_MARGIN
        for width in widths:
            lefts.append(x)
            x += width + 6 * mm

        def draw_row(row: tuple[str, ...]) -> None:
            y = page.line()
            for index, cell in enumerate(row):
                if index in document.right_aligned:
                    canvas.drawRightString(lefts[index] + widths[index], y, cell)
                else:
                    canvas.drawString(lefts[index], y, cell)

        page.rule()
        draw_row(document.columns)
        page.rule()
        for row in document.rows:
            draw_row(row)
    if document.footer:
        page.rule()
        for text in document.footer:
            canvas.drawString(PDF_MARGIN, page.line(), text)
    canvas.save()
    return path


def documents_dir() -> Path:
    """Where saved documents go: `TELLER_DOCUMENTS_DIR`, else `documents` in the user data directory."""
    configured = os.environ.get("TELLER_DOCUMENTS_DIR")
    directory = Path(configured) if configured else data_dir() / "documents"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def save_pdf(document: Document, name: str) -> Path:
    """Render the document to `<documents dir>/<name>.pdf` (replacing an older copy) and return the path."""
    return render_pdf(document, documents_dir() / f"{name}.pdf")


def branch_time(moment: datetime) -> str:
    """A stored UTC moment as the branch's clock shows it (UTC+8), to the second."""
    return clock.in_branch_time(moment).strftime("%Y-%m-%d %H:%M:%S")
