"""The workstation's text box types, scrolls and draws as Textual's Input does, without asking for a new
layout of the whole screen on every key (each layout arranges and draws every widget again)."""

from textual.app import App, ComposeResult
from textual.widgets import Input as TextualInput

from teller.ui.widgets.input import Input

TYPED = "王芳 110101199003071234 abcdefghijklmnopqrstuvwxyz"  # wider than the box: it has to scroll


class SideBySide(App[None]):
    def compose(self) -> ComposeResult:
        yield TextualInput(id="textual")
        yield Input(id="teller")


def _drawn(box) -> list[str]:
    return ["".join(segment.text for segment in box.render_line(y)) for y in range(box.size.height)]


async def test_the_text_box_types_scrolls_and_draws_as_textuals_input_does():
    app = SideBySide()
    async with app.run_test(size=(30, 8)) as pilot:
        boxes = [app.query_one("#textual"), app.query_one("#teller")]
        for box in boxes:
            box.focus()
            await pilot.press(*TYPED)
            await pilot.pause()
        assert [box.value for box in boxes] == [TYPED, TYPED]
        assert boxes[1].scroll_offset == boxes[0].scroll_offset and boxes[1].scroll_offset.x > 0
        assert _drawn(boxes[1]) == _drawn(boxes[0])
        for box in boxes:
            box.focus()
            await pilot.press("home")
            await pilot.pause()
        assert boxes[1].scroll_offset.x == boxes[0].scroll_offset.x == 0
        assert _drawn(boxes[1]) == _drawn(boxes[0])


async def test_typing_repaints_the_box_without_a_new_layout_of_the_screen():
    app = SideBySide()
    async with app.run_test(size=(30, 8)) as pilot:
        layouts = {}
        for box in app.query(TextualInput):
            layouts[box.id] = 0

            def counting(*regions, box=box, layout=False, **options):
                layouts[box.id] += layout
                return type(box).refresh(box, *regions, layout=layout, **options)

            box.refresh = counting
            box.focus()
            await pilot.press(*"1381234")
            await pilot.pause()
        assert layouts["textual"] > 0  # what the workstation's box is spared
        assert layouts["teller"] == 0
