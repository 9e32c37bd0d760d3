"""The workstation's data table: Textual's DataTable with four changes.

Text shown as it was typed: Textual reads a cell given as a string as Rich markup, so a note reading
"paid [/b] back" stopped the customer's file from drawing and "[red]" in a name turned it red. Cells given
as strings are kept as plain `Text`, never parsed.

Re-rendered when its automatic column widths grow: Textual 8's DataTable measures new rows when it is next
idle, but caches the lines it rendered before that under the same key; a repaint that falls between adding
rows and that idle moment (a worker's answer arriving while the screen repaints) leaves the table drawn
with the old, narrower columns until something else changes it. Clearing the caches when the widths change
puts the whole table back in sight.

Plain cells drawn directly: a one-line cell of unstyled, left-aligned text (every cell and column label the
workstation shows) becomes one segment, cropped and padded by terminal cells (CJK characters count two), in
exactly the style the generic path would give it (the cell's pre style under its cursor/hover post style).
The generic path renders each cell through Rich's padding and styling machinery, which was most of the time
between a keystroke and the lookup's painted results (docs/benchmarks.md). Anything else (markup spans,
justified or wrapping text, labels, fixed rows and columns) takes the generic path.

Styles and columns worked out once per repaint: DataTable asks for its own Rich style, background colours
and its components' styles (header, odd and even rows) for every line it draws, each answer walking the
widget's ancestors, and sorts its columns again for every cell. Within one `render_lines` pass none of
them can change, so the first answer serves the rest of the pass.

No new layout of the screen when its virtual size changes (rows added or removed, columns wider or
narrower): the table's content size changes nothing outside it, so it only updates its own scroll bars and
repaints. Showing or hiding a scroll bar still asks for a layout, as it changes the table's content region."""

from collections.abc import Callable, Iterable
from typing import TypeVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.css.styles import RenderStyles
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import Column, RowKey

T = TypeVar("T")


class _PassStyles:
    """A component's styles as one repaint reads them: its Rich style worked out once."""

    def __init__(self, styles: RenderStyles) -> None:
        self._styles = styles
        self.rich_style = styles.rich_style

    def __getattr__(self, name: str):
        return getattr(self._styles, name)


class Table(DataTable):
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
    _this_pass: dict[object, object] | None = None  # during `render_lines`: what the pass has worked out

    def watch_virtual_size(self, size: Size) -> None:
        self._scroll_update(size)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._this_pass = {}
        try:
            return super().render_lines(crop)
        finally:
            self._this_pass = None

    def _for_this_pass(self, key: object, work: Callable[[], T]) -> T:
        """`work()`'s answer, worked out once per repaint (and every time outside one)."""
        if self._this_pass is None:
            return work()
        if key not in self._this_pass:
            self._this_pass[key] = work()
        return self._this_pass[key]

    @property
    def rich_style(self) -> Style:
        return self._for_this_pass("rich_style", lambda: DataTable.rich_style.fget(self))

    @property
    def background_colors(self) -> tuple[Color, Color]:
        return self._for_this_pass("background_colors", lambda: DataTable.background_colors.fget(self))

    @property
    def ordered_columns(self) -> list[Column]:
        return self._for_this_pass("ordered_columns", lambda: DataTable.ordered_columns.fget(self))

    def get_component_styles(self, *names: str) -> RenderStyles:
        if self._this_pass is None:
            return super().get_component_styles(*names)
        return self._for_this_pass(names, lambda: _PassStyles(DataTable.get_component_styles(self, *names)))

    def add_row(self, *cells: object, height: int | None = 1, key: str | None = None,
                label: object = None) -> RowKey:
        return super().add_row(*(Text(cell, end="") if isinstance(cell, str) else cell for cell in cells),
                               height=height, key=key, label=label)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        before = [column.get_render_width(self) for column in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if [column.get_render_width(self) for column in self.ordered_columns] != before:
            self._clear_caches()
            self.refresh()

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        header = row_index == -1
        if column_index < self.fixed_columns or (not header and row_index < self.fixed_rows):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        if header:
            height = self.header_height
        else:
            row = self.rows.get(self._row_locations.get_key(row_index))
            height = 0 if row is None else row.height
        cell = self._get_row_renderables(row_index).cells[column_index]
        if height != 1 or not _plain(cell):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            header, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        padding = " " * self.cell_padding
        inner = max(width - 2 * self.cell_padding, 0)
        text = padding + set_cell_size(cell.plain.rstrip(), inner) + padding if inner else " " * width
        return [[Segment(text, style + post_style if post_style else style)]]


def _plain(cell: object) -> bool:
    """One line of unstyled, left-aligned printable text, as the generic path would draw it unchanged."""
    return (isinstance(cell, Text) and not cell.spans and not cell.style and cell.justify in (None, "left", "default")
            and cell.plain.isprintable())
