"""The workstation's text box: Textual's Input without a new screen layout on every key; and `when_typed`,
for a form that submits from a priority binding.

Textual's Input sets its virtual size (the width of what was typed, for its own horizontal scrolling) on
every change, and a widget's virtual size asks for a new layout of the whole screen: every widget is
arranged and drawn again for each key a teller types. A box's virtual size changes nothing outside it, so
here it only repaints the box. A box sized by its content (`width: auto`) still asks for a layout, as
Textual's own Input does.

A priority binding runs as soon as the app reads its key, while the keys typed before it may still wait in
the queues of the boxes they were sent to: a form that reads its boxes there (Enter in the last of them
submitting) can read them before they hold what was typed, when a fast typist, a card reader or a loaded
machine sends the keys together. `when_typed` runs the form's callback once every box has handled what
was sent to it before."""

from collections.abc import Callable, Sequence

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input as TextualInput


class Input(TextualInput):
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)


def when_typed(boxes: Sequence[TextualInput], callback: Callable[[], object]) -> None:
    """Run `callback` once each of `boxes` has handled every message already sent to it (each in turn)."""
    if not boxes:
        callback()
        return
    first, *rest = boxes
    first.call_later(when_typed, rest, callback)
