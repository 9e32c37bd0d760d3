"""The workstation's text box: Textual's Input without a new screen layout on every key.

Textual's Input sets its virtual size (the width of what was typed, for its own horizontal scrolling) on
every change, and a widget's virtual size asks for a new layout of the whole screen: every widget is
arranged and drawn again for each key a teller types. A box's virtual size changes nothing outside it, so
here it only repaints the box. A box sized by its content (`width: auto`) still asks for a layout, as
Textual's own Input does."""

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input as TextualInput


class Input(TextualInput):
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
