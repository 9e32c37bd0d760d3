"""A small bank with customers and enrolled authenticators, for driving the workstation with Pilot."""

import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from textual import events
from textual.command import CommandList, CommandPalette

from teller import clock, customers, totp
from teller.ui.app import TellerApp
from teller.customers import AddressDraft, CustomerDraft
from teller.db import Database
from tests.helpers import PASSWORD, Bank, deposit, enrol, fund_vault, open_drawer, seed_bank

LEDGER_LINE = "Ledger: embedded SQLite file /srv/teller/ledger.sqlite3 (from test)"
CUSTOMERS = (
    ("王芳", "11010519491231002X", "13800138000", "vip"),
    ("李强", "310101199003077894", "13912345678", "quality"),
    ("Zhang Wei", "440300198511151236", "19912345678", "mass"),
    ("王芳芳", "320106200002294562", "13700001111", "mass"),
)


@dataclass(frozen=True)
class UiBank:
    db: Database
    bank: Bank
    secrets: dict[str, str]
    customer_ids: dict[str, int]


def seed_ui_bank(db: Database) -> UiBank:
    bank = seed_bank(db)
    enrolled_at = clock.now() - timedelta(minutes=5)
    real_now = clock.now
    clock.now = lambda: enrolled_at  # enrol in the past so that the codes of now are unused
    try:
        secrets = {username: enrol(db, username) for username in ("teller1", "super1")}
    finally:
        clock.now = real_now
    ids = {}
    for name, id_number, mobile, segment in CUSTOMERS:
        ids[name] = customers.create_customer(db, bank.teller, CustomerDraft(
            kind="individual", name=name, id_type="resident_id", id_number=id_number, registered_mobile=mobile,
            segment=segment, addresses=(AddressDraft("home", "北京市东城区东长安街1号"),)))
    account = customers.open_account_for(db, bank.teller, ids["王芳"])
    deposit(db, bank, account.number, 12_345_67)
    return UiBank(db, bank, secrets, ids)


def open_teller_drawer(ui: UiBank, cash: int = 100_000_00) -> None:
    """teller1's drawer opened for the day with `cash` from the vault (counted, second-keyed), as the
    counter requires before any cash moves."""
    fund_vault(ui.db, ui.bank, cash)
    open_drawer(ui.db, ui.bank, cash)


def code_for(ui: UiBank, username: str) -> str:
    return totp.code_at(ui.secrets[username], clock.now())


def make_app(ui: UiBank, **options) -> TellerApp:
    return TellerApp(lambda: (ui.db, LEDGER_LINE), terminal="test-terminal", **options)


async def sign_in(pilot, ui: UiBank, username: str = "teller1") -> None:
    """Type the credentials as a person would and wait for the home screen."""
    await pilot.click("#username")
    await pilot.press(*username, "enter", *PASSWORD, "enter", *code_for(ui, username), "enter")
    await wait_until(pilot, lambda: pilot.app.session is not None)


# How long a test waits for the workstation to reach a state: generous, because CI runs two test workers and
# PostgreSQL on two cores, where a password check, a posting and a receipt's PDF can take seconds. A state
# that never comes still fails the test, only later.
ATTEMPTS = 400  # x 0.05 s


async def wait_until(pilot, condition, *, attempts: int = ATTEMPTS) -> None:
    """Let workers and messages run until `condition()` holds (thread workers answer asynchronously)."""
    for _ in range(attempts):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the workstation did not reach the expected state")


def screen_text(app) -> str:
    """What the terminal shows of the current screen, one line per row (wide characters as one cell each)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def widget_text(app, selector: str) -> str:
    """The plain text a Static (or Label) on the current screen shows."""
    return str(app.screen.query_one(selector).render())


async def type_credentials(pilot, username: str | None, password: str, code: str) -> None:
    """Type into the credential fields as a person would: user name (unless fixed), password, code, Enter."""
    keys = [*password, "enter", *code, "enter"]
    if username is not None:
        await pilot.click("#username")
        keys = [*username, "enter", *keys]
    else:
        pilot.app.screen.query_one("#password").focus()
    await pilot.press(*keys)


async def type_ahead(pilot, *keys: str) -> None:
    """Keys sent as a fast typist, a card reader or a loaded machine sends them: all at once, none waiting for
    the one before it to be handled (`Pilot.press` waits after every key)."""
    for key in keys:
        character = "\r" if key == "enter" else key if len(key) == 1 else None  # a function key types nothing
        name = key if len(key) > 1 or key.isalnum() else unicodedata.name(key).lower().replace(" ", "_")
        pilot.app.post_message(events.Key(name, character))
    await pilot.pause()


async def paste(pilot, text: str) -> None:
    """Paste `text` into the focused field, as from the clipboard: one event, much quicker than typing."""
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


async def sign_in_quickly(pilot, ui: UiBank, username: str = "teller1") -> None:
    """Sign in through the login screen as `sign_in` does, pasting each field instead of typing it (for tests
    about what comes after signing in)."""
    await pilot.click("#username")
    for value in (username, PASSWORD, code_for(ui, username)):
        await paste(pilot, value)
        await pilot.press("enter")
    await wait_until(pilot, lambda: pilot.app.session is not None)


async def shows(pilot, *texts: str, attempts: int = ATTEMPTS) -> str:
    """Wait until every one of `texts` is on the screen (the screen repaints after the state changes);
    returns the screen's text."""
    for _ in range(attempts):
        text = screen_text(pilot.app)
        if all(wanted in text for wanted in texts):
            return text
        await pilot.pause(0.05)
    missing = [wanted for wanted in texts if wanted not in text]
    raise AssertionError(f"not on the screen: {missing!r}\n{text}")


async def open_palette(pilot) -> str:
    """Ctrl+P; wait until the palette has listed everything (Quit comes last for every role)."""
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette) and "Quit" in palette_titles(pilot.app))
    return await shows(pilot, "Search for commands", "Help")


def palette_titles(app) -> set[str]:
    """The titles of the commands the open palette lists (scrolled into view or not)."""
    commands = app.screen.query_one(CommandList)
    return {str(commands.get_option_at_index(index).hit.text) for index in range(commands.option_count)}


def next_code(ui: UiBank, username: str = "teller1") -> str:
    """The code one step ahead: once `sign_in` has used the current code (a code is accepted once per user),
    the next one is still inside the window."""
    return totp.code_at(ui.secrets[username], clock.now() + timedelta(seconds=30))
