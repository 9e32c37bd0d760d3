"""The command palette offers what the user's role may do, and runs it; F1 lists the current screen's keys."""

from datetime import timedelta

import pytest

from screens.customer_file import CustomerFileScreen
from screens.customer_form import CustomerFormScreen
from screens.help import HelpScreen
from screens.login import LoginScreen
from screens.lookup import LookupScreen
from textual.command import CommandList, CommandPalette
from teller import clock, totp
from tests.helpers import enrol
from tests.ui_support import make_app, paste, screen_text, seed_ui_bank, shows, sign_in_quickly, wait_until

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)

TELLER_COMMANDS = ("Help", "Find", "New customer", "Lock", "Sign out", "Quit")


@pytest.fixture
def ui(db):
    return seed_ui_bank(db)


async def sign_in_as_auditor(pilot, ui) -> None:
    """audit1 (role auditor) enrols now; the code of now is spent on the enrolment, so sign in with the next."""
    secret = enrol(ui.db, "audit1")
    await pilot.click("#username")
    for value in ("audit1", "Counter#2026", totp.code_at(secret, clock.now() + timedelta(seconds=30))):
        await paste(pilot, value)
        await pilot.press("enter")
    await wait_until(pilot, lambda: pilot.app.session is not None)
    assert pilot.app.session.actor.roles == ("auditor",)


async def open_palette(pilot) -> str:
    """Ctrl+P; wait until the palette has listed everything (Quit comes last for every role)."""
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette) and "Quit" in palette_titles(pilot.app))
    return await shows(pilot, "Search for commands", "Help")


async def close_palette(pilot, screen_type) -> None:
    await pilot.press("escape")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, screen_type))


async def open_first_customer(pilot, query: str = "wf") -> None:
    app = pilot.app
    await pilot.press(*query)
    await wait_until(pilot, lambda: app.screen.query_one("#results").row_count > 0)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None)


def palette_lines(app) -> list[str]:
    """The palette's lines under its search box: each command's title, then its help."""
    lines = screen_text(app).splitlines()
    start = next(index for index, line in enumerate(lines) if "🔎" in line)
    return [line.strip() for line in lines[start + 1:] if line.strip() and not line.strip().startswith("▁")]


async def run_from_palette(pilot, query: str, title: str) -> None:
    """Type `query` into the open palette, wait until `title` is the first hit, and run it with Enter."""
    await pilot.press(*query)
    await wait_until(pilot, lambda: palette_lines(pilot.app)[:1] == [title])
    await pilot.press("enter")


def palette_titles(app) -> set[str]:
    """The titles of the commands the open palette lists (scrolled into view or not)."""
    commands = app.screen.query_one(CommandList)
    return {str(commands.get_option_at_index(index).hit.text) for index in range(commands.option_count)}


async def test_the_palette_before_signing_in_offers_only_help_and_quit(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_palette(pilot)
        assert {"Help", "Quit"} <= palette_titles(app)
        assert not {"Find", "New customer", "Lock", "Sign out"} & palette_titles(app)


async def test_a_teller_sees_every_teller_command_and_runs_new_customer_from_the_palette(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        text = await open_palette(pilot)
        assert set(TELLER_COMMANDS) <= palette_titles(app)
        assert "Create a customer file" in text  # each command with its help line

        await run_from_palette(pilot, "new", "New customer")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFormScreen))
        text = await shows(pilot, "New customer")
        assert "New customer" in text.splitlines()[1]  # the form's title under the session bar
        assert app.focused is app.screen.query_one("#name")


async def test_the_customer_file_adds_its_own_commands_to_the_palette(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_first_customer(pilot)
        await open_palette(pilot)
        assert {"Edit", "Note", "Older", "Second key", *TELLER_COMMANDS} <= palette_titles(app)
        await run_from_palette(pilot, "edit", "Edit")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFormScreen)
                         and app.screen.query_one("#name").value == "王芳")
        await shows(pilot, "Edit customer")


async def test_an_auditor_is_not_offered_new_customer_nor_edit(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await sign_in_as_auditor(pilot, ui)
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
        text = await shows(pilot, "Audit1 (audit1) · Auditor · Test branch", "f2 Find")
        assert "New customer" not in text.splitlines()[-1]  # the footer

        text = await open_palette(pilot)
        assert {"Help", "Find", "Lock", "Sign out", "Quit"} <= palette_titles(app)
        assert "New customer" not in palette_titles(app)
        assert "Create a customer file" not in text
        await close_palette(pilot, LookupScreen)

        await pilot.press("f3")  # the key does nothing for an auditor
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen)

        await open_first_customer(pilot)
        await open_palette(pilot)
        assert "Edit" not in palette_titles(app) and "Note" not in palette_titles(app)
        assert "Older" in palette_titles(app)
        await close_palette(pilot, CustomerFileScreen)
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, CustomerFileScreen)


async def test_f1_lists_the_keys_of_the_current_screen_and_escape_closes_it(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = await shows(pilot, "Keys: Find a customer", "Open the command palette")
        for key, does in (("esc", "Empty the search box"), ("f1", "Show the keys of this screen"),
                          ("f2", "Find a customer by name"), ("f3", "Create a customer file"),
                          ("^l", "Lock the screen until you sign in again"),
                          ("^o", "Sign out and return to the login screen"), ("^p", "Open the command palette")):
            assert any(key in line and does in line for line in text.splitlines()), (key, does)
        assert "Move cursor left" not in text  # the search box's editing keys are not the screen's keys
        assert "Ctrl+P opens the command palette with every command your role may use." in text

        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
        assert app.focused is app.screen.query_one("#search")

        await open_first_customer(pilot)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        # The file has more keys than 24 lines show: the list scrolls, and the hint under it stays in view.
        text = await shows(pilot, "Keys: Customer file", "Ctrl+P opens the command palette")
        for key, does in (("esc", "Back to the search"), ("f4", "Edit this customer's file"),
                          ("f5", "Add a note to the visit log"), ("f6", "Load the next page of older transactions"),
                          ("f7", "A supervisor approves the pending identity change here")):
            assert any(key in line and does in line for line in text.splitlines()), (key, does)
        await pilot.press("f1")  # F1 closes it too
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen))


async def test_f1_on_the_login_screen_lists_only_what_works_before_signing_in(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = await shows(pilot, "Keys: Sign in", "Show the keys of this screen", "Close the workstation")
        assert "Create a customer file" not in text and "Lock the screen" not in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))
