"""Cash counted by denomination: one field per CNY note or coin, the running total underneath.

Enter moves to the next field; Enter in the last field submits the count (`enter_moves_on`: typed ahead,
each count still lands in its own field). The widget only shows the
total of what parses; the service checks the count again (whole pieces, known denominations)."""

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, Static

from teller.drawers import DENOMINATIONS, count_total, denomination_text, parse_pieces
from teller.errors import InputError
from teller.i18n import _, format_amount
from teller.ui.widgets.input import ENTER_MOVES_ON, Input, enter_moves_on


def field_id(denomination: int) -> str:
    return f"pieces-{denomination}"


class DenominationFields(Vertical):
    BINDINGS = [ENTER_MOVES_ON]
    DEFAULT_CSS = """
    DenominationFields { height: auto; }
    DenominationFields Horizontal { height: 1; }
    DenominationFields Label { width: 15; }
    DenominationFields Input { height: 1; border: none; padding: 0 1; width: 12; background: $boost; }
    DenominationFields Input:focus { border: none; background: $primary 40%; }
    DenominationFields .amount { width: 1fr; padding-left: 2; color: $text-muted; }
    #count-total { margin-top: 1; text-style: bold; height: 1; }
    """

    class Submitted(Message):
        def __init__(self, typed: dict[int, str]) -> None:
            super().__init__()
            self.typed = typed

    def compose(self) -> ComposeResult:
        for denomination in DENOMINATIONS:
            with Horizontal():
                yield Label(_("CNY {value}").format(value=denomination_text(denomination)))
                yield Input(id=field_id(denomination), max_length=9, placeholder="0")
                yield Static("", id=f"amount-{denomination}", classes="amount", markup=False)
        yield Static("", id="count-total", markup=False)

    def on_mount(self) -> None:
        self.show_total()
        self.focus_first()

    def focus_first(self) -> None:
        self.query_one(f"#{field_id(DENOMINATIONS[0])}", Input).focus()

    def typed(self) -> dict[int, str]:
        return {denomination: self.query_one(f"#{field_id(denomination)}", Input).value
                for denomination in DENOMINATIONS}

    def clear(self) -> None:
        for denomination in DENOMINATIONS:
            self.query_one(f"#{field_id(denomination)}", Input).value = ""
        self.focus_first()

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.show_total()

    def show_total(self) -> None:
        try:
            pieces = parse_pieces(self.typed())
        except InputError as error:
            self.query_one("#count-total", Static).update(str(error))
            return
        for denomination, count in pieces.items():
            self.query_one(f"#amount-{denomination}", Static).update(
                format_amount(denomination * count) if count else "")
        self.query_one("#count-total", Static).update(
            _("Total counted: {amount}").format(amount=format_amount(count_total(pieces))))

    def action_next_field(self) -> None:
        enter_moves_on(self.screen, [self.query_one(f"#{field_id(denomination)}", Input)
                                     for denomination in DENOMINATIONS],
                       lambda: self.post_message(self.Submitted(self.typed())))
