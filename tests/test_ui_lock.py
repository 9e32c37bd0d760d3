"""The idle lock and the manual lock: customer data leaves the screen until the same user types their
password and a fresh code; the lock screen offers signing out instead."""

import pytest
from textual.widgets import DataTable, Input

from screens.lock import LockScreen
from screens.login import LoginScreen
from screens.lookup import LookupScreen
from tests.helpers import PASSWORD
from tests.ui_support import (
    make_app, next_code, screen_text, seed_ui_bank, shows, sign_in_quickly, type_credentials, wait_until,
    widget_text,
)

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)


@pytest.fixture
def ui(db):
    return seed_ui_bank(db)


def results_shown(app) -> bool:
    return isinstance(app.screen, LookupScreen) and app.screen.query_one("#results", DataTable).row_count > 0


async def find_wang(pilot) -> None:
    """Put customer data on the screen: the two customers whose name starts with 王."""
    await pilot.press("王")
    await wait_until(pilot, lambda: results_shown(pilot.app) or pilot.app.is_locked)
    assert results_shown(pilot.app), "locked before the results were shown"
    await shows(pilot, "王芳芳", "110105********002X")


async def assert_customer_data_hidden(pilot) -> None:
    app = pilot.app
    assert isinstance(app.screen, LockScreen)
    assert not app.screen.query("#results")  # the results table is not in the visible tree
    assert not app.screen.query(DataTable)
    text = await shows(pilot, "Screen locked. Teller1 may unlock it.")
    for shown_before in ("王芳", "王芳芳", "110105", "VIP", "Test branch"):
        assert shown_before not in text


async def unlocked(pilot) -> None:
    await wait_until(pilot, lambda: not pilot.app.is_locked)
    assert results_shown(pilot.app)


async def test_idle_lock_hides_the_customer_data_and_the_same_user_unlocks(ui):
    app = make_app(ui, idle_seconds=1.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await find_wang(pilot)
        await wait_until(pilot, lambda: app.is_locked)
        await pilot.pause()
        await assert_customer_data_hidden(pilot)
        # The user name is fixed to the signed-in user; the cursor waits in the password.
        username = app.screen.query_one("#username", Input)
        assert username.value == "teller1" and username.disabled
        assert app.focused is app.screen.query_one("#password")

        await type_credentials(pilot, None, PASSWORD, next_code(ui))
        await unlocked(pilot)
        # Back where the teller was: same search, same results.
        assert app.screen.query_one("#search", Input).value == "王"
        await shows(pilot, "王芳芳", "110105********002X")
        assert app.session.actor.username == "teller1"


async def test_a_wrong_password_keeps_the_screen_locked(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await find_wang(pilot)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: app.is_locked)
        await type_credentials(pilot, None, "not-the-password", next_code(ui))
        await wait_until(pilot, lambda: widget_text(app, "#lock-message") not in ("", "Checking…"))
        assert widget_text(app, "#lock-message") == "wrong user name, password or code"
        await shows(pilot, "wrong user name, password or code")
        assert app.screen.query_one("#password", Input).value == ""
        assert app.screen.query_one("#code", Input).value == ""
        await pilot.pause()
        await assert_customer_data_hidden(pilot)
        # The code was not spent on the refused attempt: with the right password it unlocks.
        await type_credentials(pilot, None, PASSWORD, next_code(ui))
        await unlocked(pilot)


async def test_ctrl_l_locks_at_once_and_the_keys_of_the_signed_in_user_stay_shut(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await find_wang(pilot)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: app.is_locked)
        await assert_customer_data_hidden(pilot)
        footer = (await shows(pilot, "Sign out")).splitlines()[-1]
        assert "Sign out" in footer
        assert "Find" not in footer and "New customer" not in footer
        # Find and New customer do nothing while locked, neither by key nor from the palette.
        await pilot.press("f2", "f3")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        # The palette offers only what works on a locked screen.
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: "Sign out and return to the login screen" in screen_text(app))
        assert "Find a customer" not in screen_text(app) and "Create a customer file" not in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LockScreen))
        await pilot.pause()
        assert [type(screen) for screen in app.screen_stack[1:]] == [LookupScreen, LockScreen]
        await assert_customer_data_hidden(pilot)


async def test_ctrl_o_on_the_lock_screen_signs_out(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await find_wang(pilot)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: app.is_locked)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert app.session is None
        assert [type(screen) for screen in app.screen_stack[1:]] == [LoginScreen]
        text = await shows(pilot, "Teller workstation: sign in")
        assert "王芳" not in text
        assert app.screen.query_one("#username", Input).value == ""
