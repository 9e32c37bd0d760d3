"""The login screen, driven with Pilot as a teller would: good credentials, each kind of refusal, lockout,
a replayed code, the keys that leave or do nothing, and the ledger opening behind it."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from textual.widgets import Input

from models import StaffUser
from screens.login import LoginScreen
from screens.lookup import LookupScreen
from teller import clock, totp
from teller.errors import TellerError
from teller.ui.app import TellerApp
from tests.helpers import PASSWORD
from tests.ui_support import (
    LEDGER_LINE, code_for, make_app, seed_ui_bank, shows, sign_in, type_ahead, type_credentials, wait_until,
    widget_text,
)

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)


@pytest.fixture
def ui(db):
    return seed_ui_bank(db)


def wrong_code(ui, username: str = "teller1") -> str:
    """Six digits that match none of the codes valid around now."""
    now = clock.now()
    valid = {totp.code_at(ui.secrets[username], now + timedelta(seconds=offset)) for offset in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


async def refused(pilot, username: str | None, password: str, code: str) -> str:
    """Type one attempt and wait for the refusal: the password and code are emptied and the reason shown."""
    await type_credentials(pilot, username, password, code)
    app = pilot.app

    def answered() -> bool:
        fields = [app.screen.query_one(f"#{name}", Input).value for name in ("password", "code")]
        return fields == ["", ""] and widget_text(app, "#login-message") != "Signing in…"

    await wait_until(pilot, answered)
    assert app.session is None
    assert isinstance(app.screen, LoginScreen)
    return widget_text(app, "#login-message")


async def test_login_screen_names_the_ledger_and_the_fields(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "Teller workstation: sign in", "Ledger: embedded SQLite file /srv/teller/ledger.sqlite3",
                    "User name", "Password", "Code (6 digits)", "f1 Help")
        assert app.focused is app.screen.query_one("#username")


async def test_good_login_lands_on_lookup_with_the_session_bar(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ui)
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
        bar = (await shows(pilot, "Teller1 (teller1)")).splitlines()[0]
        assert "Teller1 (teller1)" in bar
        assert "Teller" in bar.split("(teller1)")[1]  # the role
        assert "Test branch" in bar
        assert "Branch 0101" in bar
        assert "2026-11-24" in bar  # the branch's business date, not today's date
        assert app.focused is app.screen.query_one("#search")
        assert app.session.actor.username == "teller1"


async def test_credentials_typed_all_at_once_sign_in(ui):
    """Keys that come faster than the screen handles them (a fast typist, a loaded machine): each lands in
    its field, and the last Enter signs in with all three, not with fields still waiting for their keys."""
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_ahead(pilot, *"teller1", "enter", *PASSWORD, "enter", *code_for(ui, "teller1"), "enter")
        await wait_until(pilot, lambda: app.session is not None or widget_text(app, "#login-message") not in (
            "Signing in…", "Enter moves to the next field and signs in from the code."))
        assert app.session is not None and app.session.actor.username == "teller1"


async def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        reason = await refused(pilot, "teller1", "not-the-password", code_for(ui, "teller1"))
        assert reason == "wrong user name, password or code"
        await shows(pilot, "wrong user name, password or code")
        assert app.screen.query_one("#username", Input).value == "teller1"
        assert app.focused is app.screen.query_one("#password")


async def test_a_wrong_code_is_refused(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        reason = await refused(pilot, "teller1", PASSWORD, wrong_code(ui))
        assert reason == "wrong user name, password or code"


async def test_an_unknown_user_is_refused_like_a_wrong_password(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        reason = await refused(pilot, "nobody", PASSWORD, "123456")
        assert reason == "wrong user name, password or code"


async def test_a_code_that_is_not_six_digits_is_named_as_an_input_error(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        reason = await refused(pilot, "teller1", PASSWORD, "12a456")
        assert reason == "code: the code is 6 digits 0-9, nothing else"
        reason = await refused(pilot, None, PASSWORD, "12345")
        assert reason == "code: the code has 6 digits (got 5)"
        # An input error is not a failed attempt: the right credentials still work at once.
        await type_credentials(pilot, None, PASSWORD, code_for(ui, "teller1"))
        await wait_until(pilot, lambda: app.session is not None)


async def test_five_failures_lock_the_user_out_plainly_and_the_right_credentials_are_then_refused(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        reasons = [await refused(pilot, "teller1", "wrong-1", "123456")]
        for attempt in range(2, 6):
            reasons.append(await refused(pilot, None, f"wrong-{attempt}", "123456"))
        assert reasons[:4] == ["wrong user name, password or code"] * 4
        locked_until = ui.db.run(lambda session: session.execute(
            select(StaffUser.locked_until).where(StaffUser.username == "teller1")).scalar_one(), readonly=True)
        on_the_branch_clock = clock.in_branch_time(locked_until).strftime("%H:%M")  # as receipts and screens show time
        assert reasons[4] == f"too many failed attempts: teller1 is locked until {on_the_branch_clock}"
        await shows(pilot, "too many failed attempts: teller1 is locked until")

        reason = await refused(pilot, None, PASSWORD, code_for(ui, "teller1"))
        assert reason.startswith("teller1 is locked until ")
        assert app.session is None


async def test_a_code_already_used_is_refused_as_a_replay(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        code = code_for(ui, "teller1")
        await type_credentials(pilot, "teller1", PASSWORD, code)
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen) and app.session is None)
        await pilot.pause()
        reason = await refused(pilot, "teller1", PASSWORD, code)
        assert reason == "that code was already used: wait for the next code"


async def test_escape_on_the_login_screen_does_nothing_and_ctrl_q_quits(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click("#username")
        await pilot.press(*"teller1", "escape")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#username", Input).value == "teller1"
        assert app.is_running
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running)
    assert app.return_code == 0


async def test_the_login_screen_shows_while_the_ledger_opens_and_signing_in_waits_for_it(ui):
    ledger_may_open = threading.Event()

    def open_slowly():
        ledger_may_open.wait(timeout=60)
        return ui.db, LEDGER_LINE

    app = TellerApp(open_slowly, terminal="test-terminal")
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "Teller workstation: sign in", "Opening the ledger…", "User name")
        await type_credentials(pilot, "teller1", PASSWORD, code_for(ui, "teller1"))
        await shows(pilot, "Signing in…")
        assert app.session is None and app.db is None
        ledger_may_open.set()
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
        assert app.session.actor.username == "teller1"
        await shows(pilot, "Teller1 (teller1)")  # the home screen is up before signing out
        app.action_sign_out()
        await shows(pilot, "Teller workstation: sign in", "Ledger: embedded SQLite file /srv/teller/ledger.sqlite3")


async def test_a_ledger_that_cannot_be_opened_closes_the_workstation_with_the_reason(ui):
    def open_an_old_ledger():
        raise TellerError("the ledger's schema is at 0009 and this Teller needs 0010: run `teller db upgrade`")

    app = TellerApp(open_an_old_ledger, terminal="test-terminal")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: not app.is_running)
    assert app.return_code == 1
    assert isinstance(app.return_value, TellerError)
    assert "run `teller db upgrade`" in str(app.return_value)



@pytest.mark.parametrize("username", ["teller1", "super1"])
async def test_a_sign_out_handled_before_the_home_screen_composes_returns_to_the_login(ui, username):
    """The session starts and Ctrl+O is handled back to back, before the home screen (the search, the queue) has
    composed: as when Ctrl+O comes the instant the code is accepted. The login shows; nothing crashes."""
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, ui, username)
        session = app.session
        app.action_sign_out()
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))
        app.start_session(session)
        app.action_sign_out()
        await pilot.pause()
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))
        await shows(pilot, "User name", "Password")
        assert app.session is None
