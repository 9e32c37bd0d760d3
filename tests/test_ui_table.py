"""The workstation's table draws plain cells directly instead of through Rich: what a teller sees must be
exactly what Textual's own DataTable draws (given the strings as plain text), cell for cell and style for
style, header included, in every cursor and focus state, for Chinese, Latin, cropped, empty, padded,
marked-up, justified and styled text."""

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import DataTable, Input

from teller.ui.widgets.table import Table

CELLS = ["王芳", "Lucas Martin", "110101********1234", "  leading", "trailing  ", "很长的中文名字超过宽度的情况",
         "abcdefghijklmnopqrstuvwxyz" * 2, "", "¥1,234.56", "[b]not markup[/b]", Text.from_markup("[b]marked up[/b]"),
         "tab\there", "VIP 逾期",
         Text("¥98.00", justify="right"), Text("centred", justify="center"), Text("bold", style="bold")]


class SideBySide(App[None]):
    """Textual's DataTable and the workstation's Table holding the same rows, in fixed and automatic columns,
    with or without zebra stripes, with a row or a cell cursor."""

    def __init__(self, zebra_stripes: bool, cursor_type: str) -> None:
        super().__init__()
        self.zebra_stripes, self.cursor_type = zebra_stripes, cursor_type

    def compose(self) -> ComposeResult:
        yield Input(id="elsewhere")
        for table in (DataTable(id="textual", cursor_type=self.cursor_type, zebra_stripes=self.zebra_stripes),
                      Table(id="teller", cursor_type=self.cursor_type, zebra_stripes=self.zebra_stripes)):
            table.add_column("Name", width=6)
            table.add_column("ID number")
            table.add_column("Flags", width=9)
            for index, cell in enumerate(CELLS):
                if isinstance(table, DataTable) and not isinstance(table, Table) and isinstance(cell, str):
                    cell = Text(cell, end="")  # what the workstation's Table makes of a string
                table.add_row(cell, cell, cell, key=str(index))
            yield table


def drawn(table: DataTable) -> list[list[tuple]]:
    """The table's lines as one repaint draws them (header and every row)."""
    lines = table.render_lines(Region(0, 0, table.size.width, len(CELLS) + 1))
    return [[(segment.text, segment.style) for segment in line.simplify()] for line in lines]


@pytest.mark.parametrize(("zebra_stripes", "cursor_type"), [(True, "row"), (False, "row"), (True, "cell")],
                         ids=["zebra-rows", "plain-rows", "zebra-cells"])
async def test_plain_cells_are_drawn_exactly_as_textual_draws_them(zebra_stripes, cursor_type):
    app = SideBySide(zebra_stripes, cursor_type)
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
