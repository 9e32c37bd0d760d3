"""The workstation's text box: Textual's Input without a new screen layout on every key; and Enter moving
a form on, safe for keys typed ahead.

Textual's Input sets its virtual size (the width of what was typed, for its own horizontal scrolling) on
every change, and a widget's virtual size asks for a new layout of the whole screen: every widget is
arranged and drawn again for each key a teller types. A box's virtual size changes nothing outside it, so
here it only repaints the box. A box sized by its content (`width: auto`) still asks for a layout, as
Textual's own Input does.

Enter moves a form on to its next field, and in its last field submits (`enter_moves_on`, the action of
a priority Enter binding). Keys typed ahead (a fast typist, a card reader, a loaded machine sends them
together) go to the widget focused when the app reads them, before the box they were typed into has
handled the ones before: moved by an ordinary binding or by `focus()`, which both wait their turn, the
focus comes too late and the keys land in the field before. A priority binding moves it at once. It also
runs while earlier keys still wait in their boxes' queues, so the submission waits for them
(`when_typed`)."""

from collections.abc import Callable, Sequence

from textual.actions import SkipAction
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget
from textual.reactive import Reactive
from textual.widgets import Input as TextualInput
from textual.widgets import Select


class Input(TextualInput):
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)


# A form's Enter: the binding whose action calls `enter_moves_on` (a priority binding, see above).
ENTER_MOVES_ON = Binding("enter", "next_field", show=False, priority=True)


def enter_moves_on(screen: Screen, fields: Sequence[Widget], submit: Callable[[], object]) -> None:
    """Enter in one of `fields` (a form's fields in order: text boxes, and choice lists whose Space or Down
    opens them): focus the next field at once, or from the last one `submit` once every text box among them
    holds what was typed before. On a list with nothing chosen yet Enter opens it; focused elsewhere (an open
    list, a button), Enter does what it does there."""
    focused = screen.focused
    if focused not in fields or (isinstance(focused, Select) and focused.is_blank()):
        raise SkipAction()
    position = fields.index(focused)
    if position + 1 < len(fields):
        screen.set_focus(fields[position + 1])
        return
    when_typed([field for field in fields if isinstance(field, TextualInput)], submit)


def when_typed(boxes: Sequence[TextualInput], callback: Callable[[], object]) -> None:
    """Run `callback` once each of `boxes` has handled every message already sent to it (each in turn)."""
    if not boxes:
        callback()
        return
    first, *rest = boxes
    first.call_later(when_typed, rest, callback)
