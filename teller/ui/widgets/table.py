"""The workstation's data table: Textual's DataTable, re-rendered when its automatic column widths grow.

Textual 8's DataTable measures new rows when it is next idle, but caches the lines it rendered before that
under the same key; a repaint that falls between adding rows and that idle moment (a worker's answer
arriving while the screen repaints) leaves the table drawn with the old, narrower columns until something
else changes it. Clearing the caches when the widths change puts the whole table back in sight."""

from collections.abc import Iterable

from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class Table(DataTable):
    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        before = [column.get_render_width(self) for column in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if [column.get_render_width(self) for column in self.ordered_columns] != before:
            self._clear_caches()
            self.refresh()
