"""SVG snapshots of what a teller sees: the login, the home (lookup) screen, lookup results, 王芳's
customer file and the new-customer form for a passport (every field showing), in English and in Chinese, in a plain 80x24 terminal and at 120x40; and the lookup results in
the light theme (TELLER_THEME=light).

Everything on screen is fixed: the ledger line (ui_support.LEDGER_LINE), the branch's business date, the
seeded customers and account numbers; no notes (they show times) and no demo panel. The input cursor's
blink is stopped before the picture is taken. Update the pictures with `--snapshot-update` and look at
them (tests/__snapshots__/test_ui_snapshots/) before committing."""

import pytest
from textual.widgets import DataTable, Input, Select

from screens.customer_file import CustomerFileScreen
from screens.customer_form import CustomerFormScreen
from screens.lookup import LookupScreen
from teller import i18n
from tests.helpers import PASSWORD
from tests.ui_support import code_for, make_app, paste, seed_ui_bank, wait_until

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.fixture(params=["en", "zh_CN"])
def language(request):
    """The workstation's language, chosen before the app is built (as `--lang` does), English again after."""
    i18n.set_language(request.param)
    yield request.param
    i18n.set_language("en")


@pytest.fixture(params=list(SIZES))
def size(request) -> tuple[int, int]:
    return SIZES[request.param]


@pytest.fixture
def ui(db):
    return seed_ui_bank(db)


def still_cursor(app) -> None:
    """Stop the blinking input cursor so that the picture does not depend on the moment it is taken."""
    for field in app.screen.query(Input):
        field.cursor_blink = False


async def sign_in(pilot, ui) -> None:
    """Keyboard only (the user-name field has the cursor when the login opens): no mouse pointer is left
    hovering over whatever the next screen puts there."""
    app = pilot.app
    for value in ("teller1", PASSWORD, code_for(ui, "teller1")):
        await paste(pilot, value)
        await pilot.press("enter")
    await wait_until(pilot, lambda: app.session is not None and isinstance(app.screen, LookupScreen))
    await pilot.pause()


async def search(pilot, query: str, rows: int) -> None:
    app = pilot.app
    await pilot.press(*query)
    await wait_until(pilot, lambda: app.screen.query_one("#results", DataTable).row_count == rows
                     and not [worker for worker in app.workers if worker.group == "lookup" and not worker.is_finished])
    await pilot.pause()


def test_login(snap_compare, ui, language, size):
    app = make_app(ui)

    async def run_before(pilot) -> None:
        await pilot.pause()
        still_cursor(pilot.app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_home(snap_compare, ui, language, size):
    app = make_app(ui)

    async def run_before(pilot) -> None:
        await sign_in(pilot, ui)
        still_cursor(pilot.app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_lookup_results(snap_compare, ui, language, size):
    app = make_app(ui)

    async def run_before(pilot) -> None:
        await sign_in(pilot, ui)
        await search(pilot, "wf", rows=2)
        still_cursor(pilot.app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_lookup_results_in_the_light_theme(snap_compare, ui, monkeypatch):
    monkeypatch.setenv("TELLER_THEME", "light")
    app = make_app(ui)

    async def run_before(pilot) -> None:
        await sign_in(pilot, ui)
        await search(pilot, "wf", rows=2)
        still_cursor(pilot.app)

    assert snap_compare(app, terminal_size=SIZES["80x24"], run_before=run_before)


def test_customer_file(snap_compare, ui, language, size):
    app = make_app(ui)

    async def run_before(pilot) -> None:
        await sign_in(pilot, ui)
        await search(pilot, "wf", rows=2)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CustomerFileScreen)
                         and pilot.app.screen.file is not None
                         and not [worker for worker in pilot.app.workers if not worker.is_finished])
        await pilot.pause()
        still_cursor(pilot.app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_customer_form_for_a_passport(snap_compare, ui, language, size):
    """With a passport the form shows birth date and gender too, and still fits 80x24."""
    app = make_app(ui)

    async def run_before(pilot) -> None:
        await sign_in(pilot, ui)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CustomerFormScreen))
        form = pilot.app.screen
        form.query_one("#id-type", Select).value = "passport"
        for field, value in (("name", "John Smith"), ("id-number", "E12345678"), ("birth-date", "1985-03-07"),
                             ("mobile", "13600001234")):
            form.query_one(f"#{field}", Input).value = value
        form.query_one("#gender", Select).value = "female"
        form.query_one("#name", Input).focus()
        await pilot.pause()
        still_cursor(pilot.app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
