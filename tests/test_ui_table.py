"""The workstation's table draws plain cells directly instead of through Rich: what a teller sees must be
exactly what Textual's own DataTable draws, cell for cell and style for style, in every cursor and focus
state, for Chinese, Latin, cropped, empty, padded and marked-up text."""

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input

from teller.ui.widgets.table import Table

CELLS = ["王芳", "Lucas Martin", "110101********1234", "  leading", "trailing  ", "很长的中文名字超过宽度的情况",
         "abcdefghijklmnopqrstuvwxyz" * 2, "", "¥1,234.56", "[b]marked up[/b]", "tab\there", "VIP 逾期"]


class SideBySide(App[None]):
    """Textual's DataTable and the workstation's Table holding the same rows, in fixed and automatic columns."""

    def compose(self) -> ComposeResult:
        yield Input(id="elsewhere")
        for table in (DataTable(id="textual", cursor_type="row", zebra_stripes=True),
                      Table(id="teller", cursor_type="row", zebra_stripes=True)):
            table.add_column("Name", width=6)
            table.add_column("ID number")
            table.add_column("Flags", width=9)
            for index, cell in enumerate(CELLS):
                table.add_row(cell, cell, cell, key=str(index))
            yield table


def drawn(table: DataTable) -> list[list[tuple]]:
    return [[(segment.text, segment.style) for segment in table.render_line(y).simplify()]
            for y in range(len(CELLS) + 1)]


async def test_plain_cells_are_drawn_exactly_as_textual_draws_them():
    app = SideBySide()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        textual, teller = app.query_one("#textual", DataTable), app.query_one("#teller", Table)
        assert drawn(teller) == drawn(textual)  # neither focused

        for row in (0, 5):
            textual.move_cursor(row=row)
            teller.move_cursor(row=row)
            textual.focus()
            await pilot.pause()
            focused_textual = drawn(textual)
            teller.focus()
            await pilot.pause()
            assert drawn(teller) == focused_textual
