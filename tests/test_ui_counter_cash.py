"""The cash drawer, the end of day and receipts as a teller and a supervisor use them at the workstation:
F11 opens the drawer; opening with cash counted by denomination and a supervisor's second key; blind end
of day with an over and with a short; the supervisor closing the business day; a receipt issued and
reprinted. After every flow the ledger and the audit chain verify."""

from datetime import timedelta

import pypdf
import pytest
from textual.widgets import Input

from models.cash import DENOMINATIONS
from screens.document import DocumentScreen
from screens.drawer import CashMoveScreen, DrawerScreen, OpenDrawerScreen
from screens.end_of_day import EndOfDayScreen
from screens.hand_over import HandOverScreen
from screens.receipt import ReceiptScreen
from screens.second_key import SecondKeyScreen
from teller import accounts, clock, drawers, end_of_day, instructions, staff
from teller.actor import system_actor
from teller.errors import LedgerError
from teller.ui.widgets.denominations import field_id
from tests.helpers import PASSWORD, assert_books_clean, counted, deposit, enrol, fund_vault, open_drawer
from tests.ui_support import (
    code_for, make_app, next_code, open_palette, palette_titles, paste, screen_text, seed_ui_bank, shows,
    sign_in_quickly, type_ahead, type_credentials, wait_until,
)

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
SEEDED_CASH = 12_345_67  # the seeded bank's first cash deposit went into teller1's drawer
COUNTABLE = 12_345_60  # no note or coin below 0.1 yuan is counted: 0.07 of it always shows as short


@pytest.fixture
def ui(db):
    made = seed_ui_bank(db)
    fund_vault(db, made.bank, 1_000_000_00)
    return made


def idle(app) -> bool:
    """No worker busy, leaving out the approval queue's follower (a supervisor's home keeps it running)."""
    return not [worker for worker in app.workers if not worker.is_finished and worker.group != "queue-follow"]


async def type_count(pilot, pieces: dict[int, int]) -> None:
    """Paste each denomination's pieces into its field (Enter moves on; Enter on the last submits)."""
    app = pilot.app
    app.screen.query_one(f"#{field_id(DENOMINATIONS[0])}", Input).focus()
    await pilot.pause()
    for denomination in DENOMINATIONS:
        assert app.focused.id == field_id(denomination)
        if pieces.get(denomination):
            await paste(pilot, str(pieces[denomination]))
        await pilot.press("enter")


async def supervisor_key(pilot, ui) -> None:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SecondKeyScreen))
    await type_credentials(pilot, "super1", PASSWORD, next_code(ui, "super1"))


async def open_drawer_screen(pilot) -> None:
    await pilot.press("f11")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, DrawerScreen) and pilot.app.screen.day is not None
                     and idle(pilot.app))
    await pilot.pause()


async def open_drawer_form(pilot, ui) -> None:
    """Signed in, the drawer screen, F4: the form that counts the cash taken from the vault."""
    await sign_in_quickly(pilot, ui)
    await open_drawer_screen(pilot)
    await pilot.press("f4")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, OpenDrawerScreen))


async def test_teller_opens_the_drawer_with_counted_cash_and_the_second_key(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_drawer_screen(pilot)
        await shows(pilot, "not opened today")
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, OpenDrawerScreen))
        await type_count(pilot, {10000: 50, 5000: 10, 50: 3})
        await supervisor_key(pilot, ui)
        await wait_until(pilot, lambda: isinstance(app.screen, DrawerScreen) and app.screen.mine is not None
                         and app.screen.mine.state == "open")
        await shows(pilot, "open", "5,501.50", "CNY 0.5")
    assert accounts.get_account(ui.db, ui.bank.drawer).balance == SEEDED_CASH + 5_501_50
    assert_books_clean(ui.db)


DRAWER_STEPS = {"To vault", "To teller", "End of day"}


async def drawer_keys(pilot) -> tuple[str, set[str]]:
    """The drawer screen's footer line, and the drawer's own commands the palette lists (then closed)."""
    footer = screen_text(pilot.app).splitlines()[-1]
    await open_palette(pilot)
    offered = palette_titles(pilot.app) & (DRAWER_STEPS | {"Open drawer"})
    await pilot.press("escape")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, DrawerScreen))
    return footer, offered


async def test_the_drawer_offers_what_its_state_allows_in_the_footer_and_the_palette(ui):
    """Until the drawer is open F4 opens it and nothing moves or balances its cash; once it is open, To vault,
    To teller and End of day, and no second opening. At 80 columns the footer keeps Help in view."""
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_drawer_screen(pilot)
        footer, offered = await drawer_keys(pilot)
        assert "f4 Open drawer" in footer and "f1 Help" in footer, footer
        assert not any(step in footer for step in DRAWER_STEPS), footer
        assert offered == {"Open drawer"}
        await pilot.press("f7")
        await pilot.pause()
        assert isinstance(app.screen, DrawerScreen)  # a drawer that is not open has no end of day

        open_drawer(ui.db, ui.bank, 2_000_00)
        await pilot.press("escape")
        await open_drawer_screen(pilot)
        await shows(pilot, "Your drawer 0101-1002-teller1: open.")
        footer, offered = await drawer_keys(pilot)
        assert all(f"{key} {step}" in footer for key, step in (("f5", "To vault"), ("f6", "To teller"),
                                                               ("f7", "End of day"), ("f1", "Help"))), footer
        assert "Open drawer" not in footer and offered == DRAWER_STEPS
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, DrawerScreen)  # an open drawer is not opened twice


async def test_a_count_typed_all_at_once_opens_the_drawer_with_every_piece(ui):
    """Counts typed faster than the screen handles them (Enter after each field, keys not waiting for one
    another): the count submitted from the last field holds every field's pieces as typed."""
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_drawer_form(pilot, ui)
        await pilot.pause()
        pieces = {10000: 50, 5000: 10, 100: 7, 50: 3}
        await type_ahead(pilot, *(key for denomination in DENOMINATIONS
                                  for key in (*str(pieces.get(denomination, "")), "enter")))
        await supervisor_key(pilot, ui)
        await wait_until(pilot, lambda: isinstance(app.screen, DrawerScreen) and app.screen.mine is not None
                         and app.screen.mine.state == "open")
    assert accounts.get_account(ui.db, ui.bank.drawer).balance == SEEDED_CASH + 5_508_50
    assert_books_clean(ui.db)


async def test_a_count_that_is_not_whole_pieces_is_refused_on_the_drawer_screen(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_drawer_form(pilot, ui)
        await type_count(pilot, {10000: "2.5"})
        await wait_until(pilot, lambda: isinstance(app.screen, DrawerScreen) and idle(app))
        await shows(pilot, "whole number")
    assert drawers.my_drawer(ui.db, ui.bank.teller).state == "none"


@pytest.mark.parametrize(("difference", "wanted"), [(+20_00, "over (长款) 19.93"), (-3_50, "short (短款) 3.57")])
async def test_blind_end_of_day_with_over_and_short(ui, difference, wanted):
    open_drawer(ui.db, ui.bank, 2_000_00)
    deposit(ui.db, ui.bank, ui.bank.alice, 500_00)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_drawer_screen(pilot)
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, EndOfDayScreen))
        text = await shows(pilot, "count your drawer")
        assert "14,845.67" not in text  # blind: the expected balance is not on the screen yet
        await type_count(pilot, counted(COUNTABLE + 2_500_00 + difference))
        await shows(pilot, "Expected: 14,845.67", wanted)
        await pilot.press("f5")
        await supervisor_key(pilot, ui)
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen) and app.screen.saved_to is not None)
        await shows(pilot, "End-of-day proof: teller teller1")
        assert "Audit chain head at close: row" in app.screen.text
        layer = pypdf.PdfReader(app.screen.saved_to).pages[0].extract_text()
        assert "teller1" in layer
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DrawerScreen) and idle(app))
        await shows(pilot, "closed for the day")
    over_short = accounts.branch_account_number(ui.bank.branch_code, "6711")
    assert accounts.get_account(ui.db, over_short).balance == SEEDED_CASH - COUNTABLE - difference
    assert accounts.get_account(ui.db, ui.bank.drawer).balance == 0
    assert_books_clean(ui.db)


async def test_a_recount_leaves_the_first_blind_count_on_the_proof(ui):
    open_drawer(ui.db, ui.bank, 2_000_00)
    app = make_app(ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_drawer_screen(pilot)
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, EndOfDayScreen))
        await type_count(pilot, counted(COUNTABLE + 1_900_00))  # blind: 100.07 short
        await shows(pilot, "short (短款) 100.07")
        await pilot.press("f6")  # count again, having seen the expected balance
        await wait_until(pilot, lambda: app.screen.balancing is None)
        await type_count(pilot, counted(COUNTABLE + 2_000_00))
        await shows(pilot, "short (短款) 0.07")
        await pilot.press("f5")
        await supervisor_key(pilot, ui)
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen) and app.screen.saved_to is not None)
        shown = [" ".join(line.split()) for line in app.screen.text.splitlines()]
    assert "Counts made 2" in shown
    assert "First count (blind) counted 14,245.60 · expected 14,345.67 · short (短款) 100.07" in shown
    assert "Recount 2 counted 14,345.60 · expected 14,345.67 · short (短款) 0.07" in shown
    over_short = accounts.branch_account_number(ui.bank.branch_code, "6711")
    assert accounts.get_account(ui.db, over_short).balance == 7  # the last count's difference is posted
    assert_books_clean(ui.db)


async def test_excess_cash_is_flagged_and_returned_to_the_vault(ui):
    open_drawer(ui.db, ui.bank, drawers.drawer_limit() - COUNTABLE + 1_000_00)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_drawer_screen(pilot)
        await shows(pilot, "1,000.07 above its limit")
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, CashMoveScreen))
        assert app.screen.query_one("#amount", Input).value == "1,000.07"
        app.screen.query_one("#amount", Input).focus()
        await pilot.press("enter")
        await supervisor_key(pilot, ui)
        await wait_until(pilot, lambda: isinstance(app.screen, DrawerScreen) and idle(app)
                         and app.screen.mine is not None and not app.screen.mine.excess)
    assert accounts.get_account(ui.db, ui.bank.drawer).balance == drawers.drawer_limit()
    assert_books_clean(ui.db)


async def test_supervisor_cannot_close_the_day_while_a_drawer_is_open_then_closes_it(ui):
    open_drawer(ui.db, ui.bank, 100_00)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui, "super1")
        await open_drawer_screen(pilot)
        await shows(pilot, "teller1", "open")
        await pilot.press("f9")
        await shows(pilot, "drawers still open: teller1")
        end_of_day.count_drawer(ui.db, ui.bank.teller, counted(COUNTABLE + 100_00))
        end_of_day.close_drawer(ui.db, ui.bank.teller, ui.bank.supervisor)
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen) and app.screen.saved_to is not None)
        await shows(pilot, "End-of-day proof: branch 0101")
        assert "Audit chain head at the day's close: row" in app.screen.text
        await pilot.press("escape")
        await shows(pilot, "2026-11-25 (closed)")
        await pilot.press("f8")
        await shows(pilot, "2026-11-25 (open)")
    assert_books_clean(ui.db)


async def test_receipt_is_issued_then_reprinted_marked(ui):
    made = deposit(ui.db, ui.bank, ui.bank.alice, 10_000_00)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        app.push_screen(ReceiptScreen(made.id))
        await wait_until(pilot, lambda: isinstance(app.screen, ReceiptScreen) and app.screen.saved_to is not None)
        text = await shows(pilot, "Transaction receipt", "壹万元整", "PDF saved")
        assert "REPRINT" not in text
        first = app.screen.saved_to
        await pilot.press("f4")
        await wait_until(pilot, lambda: app.screen.saved_to != first)
        await shows(pilot, "*** REPRINT ***")
        assert first.exists() and app.screen.saved_to.exists() and first != app.screen.saved_to
    assert_books_clean(ui.db)


def second_teller(ui):
    """teller2 at the same branch with an enrolled authenticator (its codes then work through `code_for`)."""
    def make(session):
        user = staff.create_staff(session, system_actor("tests"), username="teller2", display_name="Teller Two",
                                  branch_code=ui.bank.branch_code, roles=("teller",), password=PASSWORD)
        return staff.actor_for(user, "test-terminal")

    receiver = ui.db.run(make)
    real_now = clock.now
    clock.now = lambda: real_now() - timedelta(minutes=5)  # enrolled before now: the codes of now are unused
    try:
        ui.secrets["teller2"] = enrol(ui.db, "teller2")
    finally:
        clock.now = real_now
    return receiver


@pytest.fixture
def two_drawers(ui):
    """teller1's drawer and teller2's, both open: teller2's actor."""
    receiver = second_teller(ui)
    open_drawer(ui.db, ui.bank, 1_000_00)
    open_drawer(ui.db, ui.bank, 100_00, teller=receiver)
    return receiver


def teller2_drawer(ui) -> str:
    return accounts.drawer_number(ui.bank.branch_code, "teller2")


async def hand_over_to_teller2(pilot, amount: str) -> None:
    await open_drawer_screen(pilot)
    await pilot.press("f6")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CashMoveScreen))
    await pilot.pause()
    await type_ahead(pilot, *"teller2", "enter", *amount, "enter")  # all at once: each lands in its field
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SecondKeyScreen))
    await shows(pilot, "teller2 counts the cash")


async def open_hand_over(pilot) -> None:
    await pilot.press("f8")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, HandOverScreen))
    await pilot.pause()


async def test_cash_handed_to_another_teller_is_confirmed_by_that_teller(ui, two_drawers):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await hand_over_to_teller2(pilot, "300")
        assert app.screen.query_one("#username", Input).value == "teller2"
        await type_credentials(pilot, None, PASSWORD, code_for(ui, "teller2"))
        await wait_until(pilot, lambda: isinstance(app.screen, DrawerScreen) and idle(app))
    assert accounts.get_account(ui.db, teller2_drawer(ui)).balance == 400_00
    assert accounts.get_account(ui.db, ui.bank.drawer).balance == SEEDED_CASH + 700_00
    assert_books_clean(ui.db)


async def test_a_hand_over_left_waiting_is_confirmed_later_from_the_receivers_own_terminal(ui, two_drawers):
    sender = make_app(ui)
    async with sender.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await hand_over_to_teller2(pilot, "300")
        await pilot.press("escape")  # teller2 is not at this terminal
        await wait_until(pilot, lambda: isinstance(sender.screen, DrawerScreen) and idle(sender)
                         and sender.screen.hand_overs)
        await shows(pilot, "teller2 confirms it from their own drawer screen", "300.00", "withdraw")
    [waiting] = drawers.waiting_hand_overs(ui.db, two_drawers)
    receiver = make_app(ui)
    async with receiver.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui, "teller2")
        await open_drawer_screen(pilot)
        await shows(pilot, "1 for your confirmation", "teller1", "300.00", "confirm or refuse")
        await open_hand_over(pilot)
        await shows(pilot, f"Cash hand-over, instruction {waiting.instruction_id}", "300.00 CNY from teller1")
        assert receiver.screen.query_one("#username", Input).value == "teller2"
        await type_credentials(pilot, None, PASSWORD, "000000")  # a wrong code: refused, still waiting
        await shows(pilot, "wrong user name, password or code")
        assert isinstance(receiver.screen, HandOverScreen)
        await type_credentials(pilot, None, PASSWORD, next_code(ui, "teller2"))
        await wait_until(pilot, lambda: isinstance(receiver.screen, DrawerScreen) and idle(receiver)
                         and not receiver.screen.hand_overs)
        await shows(pilot, "300.00 from teller1 is confirmed and in your drawer")
    assert instructions.get(ui.db, waiting.instruction_id).status == "APPROVED"
    assert accounts.get_account(ui.db, teller2_drawer(ui)).balance == 400_00
    assert accounts.get_account(ui.db, ui.bank.drawer).balance == SEEDED_CASH + 700_00
    assert_books_clean(ui.db)


async def test_the_receiver_refuses_a_waiting_hand_over_with_a_reason(ui, two_drawers):
    made = drawers.transfer_to_teller(ui.db, ui.bank.teller, "teller2", 300_00, "hand-over-refused")
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui, "teller2")
        await open_drawer_screen(pilot)
        await open_hand_over(pilot)
        await pilot.press("f6")
        await pilot.press("enter")  # no reason yet
        await shows(pilot, "say why")
        await paste(pilot, "counted 200.00 only")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DrawerScreen) and idle(app))
        await shows(pilot, "You refused 300.00 from teller1: the cash stays in their drawer")
    refused = instructions.get(ui.db, made.id)
    assert (refused.status, refused.reason) == ("REJECTED", "counted 200.00 only")
    assert accounts.get_account(ui.db, ui.bank.drawer).available == SEEDED_CASH + 1_000_00  # hold released
    assert accounts.get_account(ui.db, teller2_drawer(ui)).balance == 100_00
    assert_books_clean(ui.db)


async def test_the_sender_withdraws_a_waiting_hand_over_and_can_then_balance(ui, two_drawers):
    made = drawers.transfer_to_teller(ui.db, ui.bank.teller, "teller2", 300_00, "hand-over-withdrawn")
    with pytest.raises(LedgerError, match="waits for a second key"):
        end_of_day.count_drawer(ui.db, ui.bank.teller, counted(COUNTABLE + 1_000_00))
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_drawer_screen(pilot)
        await shows(pilot, "0 for your confirmation, 1 from you", "withdraw")
        await open_hand_over(pilot)
        await shows(pilot, "It waits for teller2", "F6 withdraws it")
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, DrawerScreen) and idle(app)
                         and not app.screen.hand_overs)
        await shows(pilot, "Hand-over of 300.00 to teller2 withdrawn: the cash stays in your drawer")
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, EndOfDayScreen))
        await type_count(pilot, counted(COUNTABLE + 1_000_00))
        await shows(pilot, "Expected: 13,345.67")
    assert instructions.get(ui.db, made.id).status == "CANCELLED"
    assert accounts.get_account(ui.db, ui.bank.drawer).available == SEEDED_CASH + 1_000_00
    assert_books_clean(ui.db)
