"""SVG snapshots of the cash drawer, the end of day after the blind count, and a receipt, in English and
Chinese, at 80x24 and 120x40 (fixtures of tests/test_ui_snapshots.py: fixed ledger line, business date and
seeded bank). The receipt's posting time is fixed by posting it at a fixed moment, and the PDF goes to a
fixed directory so that the path shown is the same every run."""

from datetime import UTC, datetime

import pytest

from screens.drawer import DrawerScreen
from screens.end_of_day import EndOfDayScreen
from screens.receipt import ReceiptScreen
from teller import clock
from tests.helpers import counted, deposit, fund_vault, open_drawer
from tests.test_ui_snapshots import language, sign_in, size, still_cursor  # noqa: F401 (fixtures)
from tests.test_ui_counter_cash import COUNTABLE, idle, type_count
from tests.ui_support import make_app, seed_ui_bank, wait_until

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)

DOCUMENTS = "/tmp/teller-snapshot-documents"
POSTED_AT = datetime(2026, 11, 24, 2, 30, 15, tzinfo=UTC)  # 10:30:15 at the branch (UTC+8)


@pytest.fixture
def ui(db, monkeypatch):
    monkeypatch.setenv("TELLER_DOCUMENTS_DIR", DOCUMENTS)
    made = seed_ui_bank(db)
    fund_vault(db, made.bank, 1_000_000_00)
    open_drawer(db, made.bank, 50_000_00)
    return made


async def drawer(pilot) -> None:
    await pilot.press("f11")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, DrawerScreen) and pilot.app.screen.mine is not None
                     and idle(pilot.app))
    await pilot.pause()


def test_drawer(snap_compare, ui, language, size):  # noqa: F811
    async def run_before(pilot) -> None:
        await sign_in(pilot, ui)
        await drawer(pilot)
        still_cursor(pilot.app)

    assert snap_compare(make_app(ui), terminal_size=size, run_before=run_before)


def test_end_of_day_after_the_blind_count(snap_compare, ui, language, size):  # noqa: F811
    async def run_before(pilot) -> None:
        await sign_in(pilot, ui)
        await drawer(pilot)
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, EndOfDayScreen))
        await type_count(pilot, counted(COUNTABLE + 50_000_00))
        await wait_until(pilot, lambda: pilot.app.screen.balancing is not None)
        await pilot.pause()
        still_cursor(pilot.app)

    assert snap_compare(make_app(ui), terminal_size=size, run_before=run_before)


def test_receipt(snap_compare, ui, language, size, monkeypatch):  # noqa: F811
    monkeypatch.setattr(clock, "now", lambda: POSTED_AT)
    made = deposit(ui.db, ui.bank, ui.bank.alice, 10_000_00)
    monkeypatch.undo()
    monkeypatch.setenv("TELLER_DOCUMENTS_DIR", DOCUMENTS)

    async def run_before(pilot) -> None:
        await sign_in(pilot, ui)
        pilot.app.push_screen(ReceiptScreen(made.id))
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ReceiptScreen)
                         and pilot.app.screen.saved_to is not None)
        await pilot.pause()

    assert snap_compare(make_app(ui), terminal_size=size, run_before=run_before)
