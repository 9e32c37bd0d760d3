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


class Growing(App[None]):
    """One table ten lines high, of Textual's class or the workstation's, to fill and empty."""

    def __init__(self, table_class: type[DataTable]) -> None:
        super().__init__()
        self.table_class = table_class

    def compose(self) -> ComposeResult:
        table = self.table_class(id="table")
        table.styles.height = 10
        table.add_column("Name")
        table.add_column("ID number")
        yield table


def _fill(table: DataTable, rows: int, name: str) -> None:
    table.clear()
    for index in range(rows):
        table.add_row(Text(name, end=""), Text(f"110101********{index:04d}", end=""), key=str(index))


def _lines(table: DataTable) -> list[str]:
    return ["".join(segment.text for segment in strip) for strip in table.render_lines(table.region.reset_offset)]


async def _coming_and_going(table_class: type[DataTable]) -> list[tuple]:
    """What the table shows as rows come and go: scroll bar, sizes, and its lines scrolled to the end."""
    app = Growing(table_class)
    seen = []
    async with app.run_test(size=(60, 24)) as pilot:
        table = app.query_one("#table", DataTable)
        for rows, name in ((30, "王芳"), (3, "Lucas Martin-Fontaine"), (25, "李"), (9, "王芳")):
            _fill(table, rows, name)
            await pilot.pause()
            await pilot.pause()
            seen.append((table.show_vertical_scrollbar, table.virtual_size, table.max_scroll_y))
            table.scroll_end(animate=False)
            await pilot.pause()
            seen.append((table.scroll_offset, _lines(table)))
    return seen


async def test_rows_coming_and_going_show_and_hide_the_scroll_bar_as_in_textuals_table():
    seen = await _coming_and_going(Table)
    assert seen == await _coming_and_going(DataTable)
    assert [step[0] for step in seen[::2]] == [True, False, True, False]


@pytest.mark.parametrize("table_class", [DataTable, Table], ids=["textual", "teller"])
async def test_new_rows_that_leave_the_scroll_bar_as_it_was_ask_for_no_layout(table_class):
    app = Growing(table_class)
    async with app.run_test(size=(60, 24)) as pilot:
        table = app.query_one("#table", DataTable)
        _fill(table, 30, "王芳")
        await pilot.pause()
        layouts = []

        def counting(*regions, layout=False, **options):
            layouts.append(layout)
            return table_class.refresh(table, *regions, layout=layout, **options)

        table.refresh = counting
        _fill(table, 28, "Lucas Martin-Fontaine")  # wider columns, fewer rows, the scroll bar stays
        await pilot.pause()
        await pilot.pause()
        assert table.show_vertical_scrollbar
        assert any(layouts) == (table_class is DataTable)  # Textual's asks for one; the workstation's need not
