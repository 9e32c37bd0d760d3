"""The workstation's data table: Textual's DataTable with two changes.

Re-rendered when its automatic column widths grow: Textual 8's DataTable measures new rows when it is next
idle, but caches the lines it rendered before that under the same key; a repaint that falls between adding
rows and that idle moment (a worker's answer arriving while the screen repaints) leaves the table drawn
with the old, narrower columns until something else changes it. Clearing the caches when the widths change
puts the whole table back in sight.

Plain cells drawn directly: a one-line cell of unstyled text (every cell the workstation shows) becomes one
segment, cropped and padded by terminal cells (CJK characters count two), in exactly the style the generic
path would give it (the cell's pre style under its cursor/hover post style). The generic path renders each
cell through Rich's padding and styling machinery, which was most of the time between a keystroke and the
lookup's painted results (docs/benchmarks.md). Anything else (markup spans, wrapping rows, labels, headers)
takes the generic path."""

from collections.abc import Iterable

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class Table(DataTable):
    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        before = [column.get_render_width(self) for column in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if [column.get_render_width(self) for column in self.ordered_columns] != before:
            self._clear_caches()
            self.refresh()

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        if row_index < 0 or column_index < 0 or column_index < self.fixed_columns or row_index < self.fixed_rows:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        row = self.rows.get(row_key)
        if row is None or row.height != 1:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cell = self._get_row_renderables(row_index).cells[column_index]
        if not isinstance(cell, Text) or cell.spans or cell.style or not _plain_line(cell.plain):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        padding = " " * self.cell_padding
        inner = max(width - 2 * self.cell_padding, 0)
        text = padding + set_cell_size(cell.plain.rstrip(), inner) + padding if inner else " " * width
        return [[Segment(text, style + post_style if post_style else style)]]


def _plain_line(text: str) -> bool:
    """One line of printable text, as the generic path would draw it unchanged."""
    return text.isprintable()
