"""The idle lock and the manual lock: customer data leaves the screen until the same user types their
password and a fresh code; the lock screen offers signing out instead. Work that finishes under the lock (a
customer saved, a posting, a receipt) waits behind it and shows after the unlock."""

import threading

import pytest
from textual.widgets import DataTable, Input

from screens.counter import CounterScreen
from screens.customer_file import CustomerFileScreen
from screens.customer_form import CustomerFormScreen
from screens.help import HelpScreen
from screens.loan_application import LoanApplicationScreen
from screens.loan_repayment import LoanRepaymentScreen
from screens.lock import LockScreen
from screens.login import LoginScreen
from screens.lookup import LookupScreen
from screens.receipt import ReceiptScreen
from screens.second_key import SecondKeyScreen
from teller import customers, instructions
from tests.helpers import PASSWORD, assert_books_clean
from tests.loan_money_ui_support import disbursed_loan, open_loan_file, seed_money_bank
from tests.loan_ui_support import settle
from tests.servicing_support import days_pass
from tests.ui_support import (
    code_for, make_app, next_code, open_teller_drawer, paste, screen_text, seed_ui_bank, shows, sign_in_quickly,
    type_credentials, wait_until, widget_text,
)

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)

NEW_ID = "110101200001011232"  # valid, and nobody's in the seeded bank

WANG_FANG_ID = "11010519491231002X"


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
    app = make_app(ui, idle_seconds=4.0)  # idleness checked every second
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await find_wang(pilot)  # on a busy machine signing in and searching could take a short idle limit
        app.idle_seconds = 1.0  # the teller steps away from the results
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


# --- Work that finishes while the screen is locked -------------------------------------------------------
# The teller starts something slow, locks (or walks away), and the answer arrives under the lock. The lock
# must stay on top, showing nothing of it, until the same user unlocks; then the answer is there.


@pytest.fixture
def held(monkeypatch):
    """`held(module, name)`: that service, real, but each call waits until the test releases it."""
    gates = []

    def hold(module, name: str) -> Gate:
        gate = Gate(getattr(module, name))
        monkeypatch.setattr(module, name, gate.call)
        gates.append(gate)
        return gate

    yield hold
    for gate in gates:  # a failed test must not leave a worker thread waiting
        gate.release.set()


class Gate:
    def __init__(self, service) -> None:
        self.service = service
        self.entered = threading.Event()
        self.release = threading.Event()

    def call(self, *args, **kwargs):
        self.entered.set()
        self.release.wait(timeout=60)
        return self.service(*args, **kwargs)


def idle(app, group: str) -> bool:
    return not [worker for worker in app.workers if worker.group == group and not worker.is_finished]


async def answer_arrives_under_the_lock(pilot, gate: Gate, group: str) -> None:
    """Lock while the worker waits in the service; let the service finish; let its answer be handled."""
    app = pilot.app
    await wait_until(pilot, gate.entered.is_set)
    await pilot.press("ctrl+l")
    await wait_until(pilot, lambda: app.is_locked)
    gate.release.set()
    await wait_until(pilot, lambda: idle(app, group))
    for _ in range(5):
        await pilot.pause(0.05)


async def fill(pilot, field: str, value: str) -> None:
    widget = pilot.app.screen.query_one(f"#{field}", Input)
    widget.focus()
    await pilot.pause()
    widget.value = ""
    await paste(pilot, value)


async def unlock(pilot, ui) -> None:
    await type_credentials(pilot, None, PASSWORD, next_code(ui))
    await wait_until(pilot, lambda: not pilot.app.is_locked)


async def test_lock_while_saving_a_customer_keeps_the_lock_until_unlock_then_shows_the_new_file(ui, held):
    gate = held(customers, "create_customer")
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFormScreen))
        await fill(pilot, "name", "赵敏")
        await fill(pilot, "id-number", NEW_ID)
        await fill(pilot, "mobile", "13600001111")
        await pilot.press("ctrl+s")
        await wait_until(pilot, gate.entered.is_set)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: app.is_locked)
        await pilot.press("f1")  # help over the lock: the answer must not close it either
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        gate.release.set()
        await wait_until(pilot, lambda: idle(app, "save"))
        for _ in range(5):
            await pilot.pause(0.05)
        assert customers.search(ui.db, NEW_ID), "the customer was saved meanwhile"

        assert [type(screen) for screen in app.screen_stack[1:]] == [
            LookupScreen, CustomerFormScreen, LockScreen, HelpScreen]
        await shows(pilot, "Keys: Screen locked")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LockScreen))
        text = await shows(pilot, "Screen locked. Teller1 may unlock it.")
        assert "赵敏" not in text and "110101" not in text

        await unlock(pilot, ui)
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None)
        await shows(pilot, "赵敏  110101********1232  Individual  Mass")
        assert [type(screen) for screen in app.screen_stack[1:]] == [LookupScreen, CustomerFileScreen]


def toasts(app) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query("Toast")]


async def test_lock_while_saving_an_edit_holds_the_dismissal_and_its_notice_until_unlock(ui, held):
    gate = held(customers, "update_customer")
    app = make_app(ui)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await sign_in_quickly(pilot, ui)
        await find_wang(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None)
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFormScreen)
                         and app.screen.query_one("#name", Input).value == "王芳")
        await fill(pilot, "mobile", "13900001234")
        await pilot.press("ctrl+s")
        await answer_arrives_under_the_lock(pilot, gate, "save")
        assert customers.customer_file(ui.db, ui.customer_ids["王芳"]).pending_change is not None

        assert [type(screen) for screen in app.screen_stack[1:]] == [
            LookupScreen, CustomerFileScreen, CustomerFormScreen, LockScreen]
        await assert_customer_data_hidden(pilot)
        assert toasts(app) == []  # the form's notice waits too

        await unlock(pilot, ui)
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen))
        change = customers.customer_file(ui.db, ui.customer_ids["王芳"]).pending_change
        await shows(pilot, f"Identity change {change.id} waits for a second key (F7) or a rejection (Ctrl+X).")
        await wait_until(pilot, lambda: toasts(app) == [
            "Saved. The new ID number or mobile waits for a supervisor's second key (F7)."])
        assert [type(screen) for screen in app.screen_stack[1:]] == [LookupScreen, CustomerFileScreen]


async def deposit_up_to_the_second_key(pilot, ui) -> None:
    """Signed in as teller1: 王芳's counter, a cash deposit of 1,000.00 submitted, the second-key dialog up."""
    app = pilot.app
    await sign_in_quickly(pilot, ui)
    await find_wang(pilot)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None)
    await pilot.press("f8")
    await wait_until(pilot, lambda: isinstance(app.screen, CounterScreen) and app.screen.file is not None)
    await fill(pilot, "amount", "1,000")
    await fill(pilot, "narrative", "cash in")
    await fill(pilot, "document-number", WANG_FANG_ID)  # the depositor's document, checked by the teller
    await pilot.press("f9")
    await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))


async def test_lock_while_the_counter_posts_holds_the_receipt_until_unlock(ui, held):
    open_teller_drawer(ui)
    gate = held(instructions, "approve")
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await deposit_up_to_the_second_key(pilot, ui)
        await type_credentials(pilot, "super1", PASSWORD, code_for(ui, "super1"))
        await answer_arrives_under_the_lock(pilot, gate, "counter-approve")
        assert customers.customer_file(ui.db, ui.customer_ids["王芳"]).accounts[0].balance == 13_345_67

        assert [type(screen) for screen in app.screen_stack[1:]] == [
            LookupScreen, CustomerFileScreen, CounterScreen, LockScreen]
        await assert_customer_data_hidden(pilot)
        assert "receipt" not in screen_text(app).lower()

        await unlock(pilot, ui)
        await wait_until(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        await shows(pilot, "Transaction receipt", "Amount in words  壹仟元整")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, CounterScreen))
        await shows(pilot, "Posted: instruction")


async def test_ctrl_l_locks_over_a_dialog_too_and_unlocking_returns_to_it(ui):
    open_teller_drawer(ui)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await deposit_up_to_the_second_key(pilot, ui)
        await pilot.press("ctrl+l")  # the teller steps away while the supervisor is still coming
        await wait_until(pilot, lambda: app.is_locked)
        await assert_customer_data_hidden(pilot)
        await unlock(pilot, ui)
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
        await shows(pilot, "Second key required", "Cash deposit 1,000.00 CNY")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, CounterScreen))
        await shows(pilot, "waits in the supervisor's approval queue")


async def test_lock_while_a_loan_repayment_posts_holds_the_receipt_and_the_form_closes_after_it(db, held):
    money = seed_money_bank(db)
    application = disbursed_loan(money)
    days_pass(money.db, money.bank, 1)  # the first due date
    gate = held(instructions, "approve")
    app = make_app(money.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_loan_file(pilot, money, "teller1", application.id)
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanRepaymentScreen) and app.screen.loaded)
        await fill(pilot, "amount", "1,023.72")
        await settle(pilot)
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
        await type_credentials(pilot, "super1", PASSWORD, code_for(money.ui, "super1"))
        await answer_arrives_under_the_lock(pilot, gate, "money-approve")
        assert [type(screen) for screen in app.screen_stack[-3:]] == [
            LoanApplicationScreen, LoanRepaymentScreen, LockScreen]
        text = await shows(pilot, "Screen locked. Teller1 may unlock it.")
        assert application.number not in text and "王芳" not in text

        await unlock(pilot, money.ui)
        await wait_until(pilot, lambda: isinstance(app.screen, ReceiptScreen) and app.screen.saved_to is not None)
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)  # the form under it, resumed by the unlock, left it open
        assert "Loan repayment" in app.screen.text
        await pilot.press("escape")  # the receipt closes, and the form with it: back on the loan file
        await wait_until(pilot, lambda: isinstance(app.screen, LoanApplicationScreen))
    assert_books_clean(db)
