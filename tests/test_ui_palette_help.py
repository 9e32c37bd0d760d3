"""The command palette offers what the user's role may do, with the current screen's own commands (a form's
Save, a checker's Approve and Reject, a loan entry's Save draft, Submit and Quote), and runs it; F1 lists
the current screen's keys."""

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input, Select

from screens.approval_queue import ApprovalQueueScreen
from screens.customer_file import CustomerFileScreen
from screens.customer_form import CustomerFormScreen
from screens.help import HelpScreen
from screens.instruction_detail import InstructionDetailScreen
from screens.loan_entry import LoanEntryScreen
from screens.login import LoginScreen
from screens.lookup import LookupScreen
from screens.receipt import ReceiptScreen
from teller import clock, customers, instructions, loans, totp
from teller.ledger import Leg
from tests.helpers import deposit, enrol, submit
from tests.loan_ui_support import seed_loan_bank, settle
from tests.ui_support import (
    make_app, open_palette, palette_titles, paste, screen_text, seed_ui_bank, shows, sign_in_quickly, wait_until,
)

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


async def paste_into(pilot, selector: str, value: str) -> None:
    pilot.app.screen.query_one(selector, Input).focus()
    await pilot.pause()
    await paste(pilot, value)


async def test_the_customer_form_offers_save_and_saving_from_the_palette_creates_the_customer(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_palette(pilot)
        assert "Save" not in palette_titles(app)  # the lookup has nothing to save
        await close_palette(pilot, LookupScreen)

        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFormScreen))
        for selector, value in (("#name", "赵敏"), ("#id-number", "110101200001011232"), ("#mobile", "13600001234")):
            await paste_into(pilot, selector, value)
        text = await open_palette(pilot)
        assert {"Save", *TELLER_COMMANDS} <= palette_titles(app)
        assert "Check and save the customer" in text
        await run_from_palette(pilot, "save", "Save")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None)
        await shows(pilot, "赵敏  110101********1232  Individual  Mass")
    [created] = customers.search(ui.db, "110101200001011232")
    assert created.name == "赵敏"


async def test_an_instruction_offers_approve_and_reject_and_is_rejected_from_the_palette(ui):
    account = customers.open_account_for(ui.db, ui.bank.teller, ui.customer_ids["李强"])
    waiting = submit(ui.db, ui.bank, [Leg(ui.bank.drawer, debit=500_00), Leg(account.number, credit=500_00)],
                     kind="cash_deposit")
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui, "super1")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalQueueScreen)
                         and app.screen.query_one("#queue", DataTable).row_count == 1)
        app.screen.query_one("#queue", DataTable).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, InstructionDetailScreen)
                         and app.screen.detail is not None)
        text = await open_palette(pilot)
        assert {"Approve", "Reject", "Queue", "Find"} <= palette_titles(app)
        assert "Reject with a reason; the hold is released" in text
        await run_from_palette(pilot, "reject", "Reject")
        await wait_until(pilot, lambda: isinstance(app.screen, InstructionDetailScreen))
        reason = app.screen.query_one("#reject-reason", Input)
        await wait_until(pilot, lambda: app.focused is reason)
        await paste(pilot, "wrong account")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalQueueScreen))
    assert instructions.get(ui.db, waiting.id).status == "REJECTED"


async def test_loan_entry_offers_save_draft_submit_and_quote_and_saves_from_the_palette(db):
    loan_bank = seed_loan_bank(db)
    app = make_app(loan_bank.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, loan_bank.ui, "officer1")
        await settle(pilot)
        await pilot.press("f9")  # a new loan: pick the customer, then the entry form
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await pilot.press(*"wangfang")
        await wait_until(pilot, lambda: app.screen.query_one("#results", DataTable).row_count > 0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanEntryScreen) and app.screen.products)
        app.screen.query_one("#input-product", Select).value = "consumer"
        for key, value in (("amount", "100000"), ("term", "36"), ("monthly_income", "30000")):
            await paste_into(pilot, f"#input-{key}", value)
        await settle(pilot)
        await open_palette(pilot)
        assert {"Save draft", "Submit", "Quote", "Loans"} <= palette_titles(app)
        await run_from_palette(pilot, "save", "Save draft")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanEntryScreen))
        await settle(pilot)
        await shows(pilot, "Saved as draft DK01012026000001.")
    assert [(row.number, row.state) for row in loans.pipeline(db, loan_bank.officer)] == [("DK01012026000001", "DRAFT")]


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


async def test_a_receipt_offers_reprint_and_the_palette_reprints_it_marked(ui, tmp_path, monkeypatch):
    monkeypatch.setenv("TELLER_DOCUMENTS_DIR", str(tmp_path))
    account = customers.customer_file(ui.db, ui.customer_ids["王芳"]).accounts[0].number
    posted = deposit(ui.db, ui.bank, account, 300_00)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        app.push_screen(ReceiptScreen(posted.id))
        await wait_until(pilot, lambda: isinstance(app.screen, ReceiptScreen) and app.screen.saved_to is not None)
        assert "REPRINT" not in await shows(pilot, "Transaction receipt", "叁佰元整")
        text = await open_palette(pilot)
        assert "Print the receipt again, marked as a reprint" in text
        await run_from_palette(pilot, "reprint", "Reprint")
        await shows(pilot, "*** REPRINT ***")
