"""The customer file and the customer form as a teller uses them: what the file shows (an overdue loan's
figures too), older transactions, notes, creating a customer through every validation failure, leaving a
form, and edits that apply at once, wait for a supervisor's second key, are rejected by one, or are refused
writing nothing."""

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from textual.widgets import DataTable, Input, Select, Tabs

from models import AuditEvent, Customer
from screens.confirm import ConfirmScreen
from screens.customer_file import CustomerFileScreen
from screens.customer_form import CustomerFormScreen
from screens.loan_dialogs import ReasonScreen
from screens.lookup import LookupScreen
from screens.second_key import SecondKeyScreen
from teller import clock, customers, loan_servicing, loans
from teller.customers import CustomerDraft
from teller.i18n import format_moment
from teller.ledger import Leg
from tests.helpers import PASSWORD, deposit, reference, submit
from tests.loan_money_ui_support import disbursed_loan, seed_money_bank
from tests.servicing_support import days_pass, repay
from tests.ui_support import (
    code_for, make_app, next_code, paste, seed_ui_bank, shows, sign_in_quickly, type_credentials, wait_until,
    widget_text,
)

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)

REFERENCE = reference("identifiers.json")
NEW_ID = "110101200001011232"  # valid, and nobody's in the seeded bank
JOHN_SMITH = CustomerDraft(kind="individual", name="John Smith", id_type="passport", id_number="E12345678",
                           registered_mobile="13600001234", birth_date=date(1985, 3, 7), gender="female")
TAB_ORDER = ("tab-identity", "tab-accounts", "tab-transactions", "tab-loans", "tab-pending", "tab-notes")


@pytest.fixture
def ui(db):
    return seed_ui_bank(db)


def full_width(text: str) -> str:
    return "".join(chr(ord(character) + 0xFEE0) if "!" <= character <= "~" else character for character in text)


def table_rows(app, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


def loaded(app) -> bool:
    busy = [worker for worker in app.workers if worker.group in ("file", "approve") and not worker.is_finished]
    return isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None and not busy


def customer_count(db) -> int:
    return db.run(lambda session: session.execute(select(func.count()).select_from(Customer)).scalar_one(),
                  readonly=True)


def yuan(fen: int) -> str:
    """An amount in fen as the tables show it (12,000.00), by integer arithmetic."""
    return f"{fen // 100:,}.{fen % 100:02d}"


async def open_file(pilot, query: str) -> None:
    """From the search: type `query`, wait for the results, Enter opens the first."""
    app = pilot.app
    await pilot.press(*query)
    await wait_until(pilot, lambda: app.screen.query_one("#results", DataTable).row_count > 0)
    await pilot.press("enter")
    await wait_until(pilot, lambda: loaded(app))
    await pilot.pause()


async def show_tab(pilot, tab: str) -> None:
    """Move along the file's tabs with the arrow keys (the tabs have the focus) until `tab` shows."""
    app = pilot.app
    tabs = app.screen.query_one("#file-tabs Tabs", Tabs)
    assert app.focused is tabs
    current = TAB_ORDER.index(app.screen.query_one("#file-tabs").active)
    wanted = TAB_ORDER.index(tab)
    await pilot.press(*(["right"] * (wanted - current) if wanted >= current else ["left"] * (current - wanted)))
    await wait_until(pilot, lambda: app.screen.query_one("#file-tabs").active == tab)
    await pilot.pause()


async def fill(pilot, field: str, value: str) -> None:
    """Go to a form field, empty it, and paste `value` into it."""
    widget = pilot.app.screen.query_one(f"#{field}", Input)
    widget.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u")
    if value:
        await paste(pilot, value)
    assert widget.value == value


async def save(pilot) -> str | None:
    """Ctrl+S; wait for the answer. Returns the form's message, or None once the form has gone."""
    app = pilot.app
    form = app.screen
    await pilot.press("ctrl+s")

    def answered() -> bool:
        if app.screen is not form:
            return True
        busy = [worker for worker in app.workers if worker.group == "save" and not worker.is_finished]
        return not busy and widget_text(app, "#form-message") not in ("", "Saving…")

    await wait_until(pilot, answered)
    await pilot.pause()
    return widget_text(app, "#form-message") if app.screen is form else None


async def refused(pilot, field_widget: str) -> str:
    """Save, expect a refusal; the cursor goes to the field it names. Returns the message as shown."""
    message = await save(pilot)
    assert message is not None, "the form was saved"
    await shows(pilot, message[:70])  # under the form, in sight however far the form is scrolled
    assert pilot.app.focused is pilot.app.screen.query_one(f"#{field_widget}")
    return message


async def new_customer_form(pilot) -> None:
    await pilot.press("f3")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CustomerFormScreen))
    await pilot.pause()
    assert pilot.app.focused is pilot.app.screen.query_one("#name")


async def edit_form(pilot, name: str) -> None:
    await pilot.press("f4")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CustomerFormScreen)
                     and pilot.app.screen.query_one("#name", Input).value == name)
    await shows(pilot, "Edit customer")


# --- The file ------------------------------------------------------------------------------------------


async def test_the_file_shows_identity_accounts_with_both_balances_pending_work_and_transactions(ui):
    number = customers.customer_file(ui.db, ui.customer_ids["王芳"]).accounts[0].number
    withdrawal = submit(ui.db, ui.bank, [Leg(number, debit=345_67), Leg(ui.bank.drawer, credit=345_67)],
                        kind="cash_withdrawal")
    assert withdrawal.status == "PENDING"  # waits for a supervisor and holds the amount meanwhile
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_file(pilot, "wf")
        text = await shows(pilot, "王芳  110105********002X  Individual  VIP", "1 instruction(s) pending.",
                           "Name: 王芳", "Resident ID: 110105********002X", "Born: 1949-12-31", "Gender: Female",
                           "Mobile: 138****8000 (registered)", "Home address: 北京市东城区东长安街1号",
                           "Relationship owner: none")
        assert "13800138000" not in text and "11010519491231002X" not in text  # masked, never in full

        await show_tab(pilot, "tab-accounts")
        assert table_rows(app, "#accounts") == [[number, "12,345.67", "12,000.00", "Open"]]
        await shows(pilot, "Ledger balance", "Available", "12,345.67", "12,000.00")

        await show_tab(pilot, "tab-transactions")
        assert table_rows(app, "#transactions") == [["2026-11-24", number, "12,345.67", "test movement"]]

        await show_tab(pilot, "tab-pending")
        assert table_rows(app, "#pending") == [[str(withdrawal.id), "Cash withdrawal", "345.67", "Teller1"]]

        await pilot.press("f7")
        await shows(pilot, "Nothing here waits for a second key.")
        await pilot.press("f6")
        await shows(pilot, "No older transactions.")


async def test_the_loans_tab_shows_an_overdue_loans_outstanding_principal_next_due_date_and_days_past_due(db):
    """王芳 pays her first installment on its due date and misses the second: three days after it, the file
    shows the principal left after the first, the third installment's date as the next, and 3 days."""
    money = seed_money_bank(db)
    application = disbursed_loan(money)  # CNY 12,000.00 over 12 months
    [version] = loan_servicing.servicing(db, application.id).versions
    first, second, third = version.installments[:3]
    days_pass(db, money.bank, (first.due_date - version.start_date).days)
    repay(db, money.bank, money.borrower, application.id, amount=yuan(first.payment))
    today = second.due_date + timedelta(days=3)
    days_pass(db, money.bank, (today - first.due_date).days)
    app = make_app(money.ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_quickly(pilot, money.ui)
        await shows(pilot, f"Branch 0101 · {today.isoformat()}")  # the session bar's business date
        await open_file(pilot, "wf")
        await show_tab(pilot, "tab-loans")
        assert table_rows(app, "#loans") == [[
            application.number, application.product_name, "active", "12,000.00",
            yuan(application.amount - first.principal), third.due_date.isoformat(), str((today - second.due_date).days),
        ]]
        await shows(pilot, "Outstanding", "Next due", "Days past due", yuan(application.amount - first.principal))
    assert loans.get_application(db, application.id).state == "ACTIVE"


async def test_f6_loads_older_transactions_a_page_at_a_time(ui):
    number = customers.customer_file(ui.db, ui.customer_ids["王芳"]).accounts[0].number
    for amount in range(1_00, 23_00, 1_00):  # 22 more deposits of 1.00 to 22.00: 23 lines in all
        deposit(ui.db, ui.bank, number, amount)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_file(pilot, "wf")
        await show_tab(pilot, "tab-transactions")
        first_page = [row[2] for row in table_rows(app, "#transactions")]
        assert first_page == [f"{amount}.00" for amount in range(22, 2, -1)]  # newest first, 20 lines
        await shows(pilot, "22.00")

        await pilot.press("f6")
        await wait_until(pilot, lambda: len(table_rows(app, "#transactions")) > 20)
        assert [row[2] for row in table_rows(app, "#transactions")][20:] == ["2.00", "1.00", "12,345.67"]

        await pilot.press("f6")
        await shows(pilot, "No older transactions.")
        assert len(table_rows(app, "#transactions")) == 23


async def test_notes_are_added_with_f5_and_shown_at_once(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_file(pilot, "wf")
        # Keys typed on the file without F5 go nowhere near the notes.
        await pilot.press(*"xyz", "enter")
        await pilot.pause()
        await wait_until(pilot, lambda: not [worker for worker in app.workers
                                             if worker.group == "note" and not worker.is_finished])
        assert customers.customer_file(ui.db, ui.customer_ids["王芳"]).notes == ()

        await pilot.press("f5")
        await pilot.pause()
        note = app.screen.query_one("#note-input", Input)
        assert note.display and app.focused is note
        await shows(pilot, "Type the note and press Enter; Escape leaves it")
        await pilot.press(*"abc", "escape")  # Escape leaves the note unsaved
        await pilot.pause()
        assert not note.display and note.value == ""
        assert isinstance(app.screen, CustomerFileScreen)

        await pilot.press("f5", *"Asked about 定期 deposits", "enter")
        await wait_until(pilot, lambda: loaded(app) and app.screen.query_one("#notes", DataTable).row_count == 1)
        await pilot.pause()
        assert app.screen.query_one("#file-tabs").active == "tab-notes"
        [[when, by, text]] = table_rows(app, "#notes")
        assert (by, text) == ("Teller1", "Asked about 定期 deposits")
        await shows(pilot, "Asked about 定期 deposits", "Teller1")
        assert not note.display
        [saved] = customers.customer_file(ui.db, ui.customer_ids["王芳"]).notes
        assert saved.text == "Asked about 定期 deposits"
        assert when == format_moment(saved.created_at)  # the branch's clock, not the stored UTC



async def test_notes_show_brackets_as_typed_not_as_markup(ui):
    """A note is shown exactly as the teller typed it: text in square brackets is neither styling nor an
    error (a stray closing tag once stopped the customer's file from drawing)."""
    typed = "Paid [/b] back; ask for [red] slip [Jr]"
    customers.add_note(ui.db, ui.bank.teller, ui.customer_ids["王芳"], typed)
    app = make_app(ui)
    async with app.run_test(size=(100, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_file(pilot, "wf")
        app.screen.query_one("#file-tabs").active = "tab-notes"
        await wait_until(pilot, lambda: loaded(app) and app.screen.query_one("#notes", DataTable).row_count == 1)
        await pilot.pause()
        [[_when, _by, text]] = table_rows(app, "#notes")
        assert text == typed
        await shows(pilot, typed)

# --- Creating a customer -------------------------------------------------------------------------------


async def test_new_customer_refuses_an_empty_name_and_bad_id_numbers_naming_the_field(ui):
    invalid = REFERENCE["resident_id"]["invalid"]
    wrong_check = next(number for number, why in invalid.items() if why == "wrong check character")
    no_such_day = next(number for number, why in invalid.items() if why == "no 30 February")
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await new_customer_form(pilot)
        await shows(pilot, "New customer")

        message = await refused(pilot, "name")
        assert message.lower() == "name: give the customer's name as on their id document"

        await fill(pilot, "name", "赵敏")
        await fill(pilot, "id-number", wrong_check)
        await fill(pilot, "mobile", "13800138000")
        message = await refused(pilot, "id-number")
        assert message.lower().startswith("id number: ")
        assert "check character does not match" in message

        await fill(pilot, "id-number", no_such_day)
        message = await refused(pilot, "id-number")
        assert message.lower().startswith("id number: ")
        assert "must be a real birth date (YYYYMMDD); 19490230 is not" in message

        await fill(pilot, "id-number", "")
        message = await refused(pilot, "id-number")
        assert message.lower() == "id number: type the 18-character resident id number"
        assert isinstance(app.screen, CustomerFormScreen)


async def test_new_customer_refuses_bad_mobiles_and_a_known_id_then_accepts_full_width_digits(ui):
    mobiles = REFERENCE["mobile"]
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await new_customer_form(pilot)
        await fill(pilot, "name", "赵敏")
        await fill(pilot, "id-number", NEW_ID)
        for mobile, why in mobiles["invalid"].items():
            await fill(pilot, "mobile", mobile)
            message = await refused(pilot, "mobile")
            assert message.lower().startswith("registered mobile: ")
            assert {"second digit 2": "starts 13 to 19", "10 digits": "11 digits, not 10"}[why] in message

        # 王芳's ID number in full-width characters is still 王芳's: refused, pointing at her file.
        full_width_wang = next(number for number, normal in REFERENCE["resident_id"]["normalises_to"].items()
                               if normal == "11010519491231002X" and not number.isascii())
        await fill(pilot, "id-number", full_width_wang)
        await fill(pilot, "mobile", "13800138000")
        message = await refused(pilot, "id-number")
        assert message.lower().startswith("id number: ")
        assert f"110105********002X already belongs to customer {ui.customer_ids['王芳']} 王芳" in message
        assert "open that customer instead" in message

        # Full-width digits (as a Chinese input method types them) are accepted and normalised.
        full_width_mobile = next(number for number in mobiles["normalises_to"] if not number.isascii())
        await fill(pilot, "id-number", full_width(NEW_ID))
        await fill(pilot, "mobile", full_width_mobile)
        assert await save(pilot) is None
        await wait_until(pilot, lambda: loaded(app))
        await shows(pilot, "赵敏  110101********1232  Individual  Mass", "Born: 2000-01-01", "Gender: Male",
                    "Mobile: 138****8000 (registered)", "Relationship owner: Teller1")
        # The new file replaced the form: Escape goes back to the search.
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))

    created = customers.search(ui.db, NEW_ID)
    assert [(hit.name, hit.masked_mobile) for hit in created] == [("赵敏", "138****8000")]
    assert customers.customer_file(ui.db, created[0].id).id_number == NEW_ID


async def test_new_customer_refuses_a_resident_id_of_17_characters_and_y_as_its_check_character(ui):
    invalid = REFERENCE["resident_id"]["invalid"]
    before = customer_count(ui.db)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await new_customer_form(pilot)
        await fill(pilot, "name", "赵敏")
        await fill(pilot, "mobile", REFERENCE["mobile"]["valid"][0])
        for why, fix in (("17 characters", "a resident ID number has 18 characters, not 17: check for a missing "
                                            "or extra digit"),
                         ("Y is not a check character", "the last character of a resident ID number is a digit or X")):
            await fill(pilot, "id-number", next(number for number, reason in invalid.items() if reason == why))
            assert await refused(pilot, "id-number") == f"id number: {fix}"
            assert customer_count(ui.db) == before
        assert isinstance(app.screen, CustomerFormScreen)


async def choose(pilot, select: str, steps: int) -> None:
    """Open a select from the keyboard, move `steps` options down, and choose."""
    pilot.app.screen.query_one(f"#{select}", Select).focus()
    await pilot.press("enter", *["down"] * steps, "enter")
    await pilot.pause()


async def test_a_company_is_refused_an_invalid_social_credit_code_and_saved_with_a_valid_one(ui):
    codes = REFERENCE["unified_social_credit_code"]
    fixes = {"wrong check character": "the check character does not match: a character was probably mistyped",
             "19 characters": "a unified social credit code has 18 characters, not 19"}
    before = customer_count(ui.db)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await new_customer_form(pilot)
        await choose(pilot, "kind", 1)  # Individual -> Company: the ID type follows
        assert app.screen.query_one("#kind", Select).value == "company"
        assert app.screen.query_one("#id-type", Select).value == "uscc"
        assert not app.screen.query_one("#passport-details").display  # a company has no birth date or gender
        await fill(pilot, "name", "福州示例科技有限公司")
        await fill(pilot, "mobile", REFERENCE["mobile"]["valid"][1])
        for code, why in codes["invalid"].items():
            await fill(pilot, "id-number", code)
            assert await refused(pilot, "id-number") == f"id number: {fixes[why]}"
            assert customer_count(ui.db) == before

        [valid] = codes["valid"]
        await fill(pilot, "id-number", valid.lower())  # typed in lower case: upper-cased
        assert await save(pilot) is None
        await wait_until(pilot, lambda: loaded(app))
        await shows(pilot, "福州示例科技有限公司  913501********0Y43  Company  Mass")
    assert customer_count(ui.db) == before + 1
    [company] = customers.search(ui.db, valid)
    assert (company.kind, company.name) == ("company", "福州示例科技有限公司")
    assert customers.customer_file(ui.db, company.id).id_number == valid


async def test_new_customer_refuses_a_passport_number_outside_5_to_17_letters_or_digits(ui):
    before = customer_count(ui.db)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await new_customer_form(pilot)
        await choose(pilot, "id-type", 2)  # Resident ID -> Unified social credit code -> Passport
        assert app.screen.query_one("#id-type", Select).value == "passport"
        await fill(pilot, "name", "John Smith")
        await fill(pilot, "mobile", REFERENCE["mobile"]["valid"][0])
        for number in ("E123", "E1234567890123456789", "E1234567#"):  # too short, too long, a sign in it
            await fill(pilot, "id-number", number)
            assert await refused(pilot, "id-number") == "id number: a passport number has 5 to 17 letters or digits"
            assert customer_count(ui.db) == before


async def test_a_passport_customer_needs_the_birth_date_and_gender_the_form_asks_for_then_is_saved(ui):
    """Birth date and gender show for a passport only (a resident ID's follow from its number); each missing
    or wrong one is refused naming it, with the cursor on it, and writes nothing."""
    before = customer_count(ui.db)
    tomorrow = (clock.branch_today() + timedelta(days=1)).isoformat()
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await new_customer_form(pilot)
        details = app.screen.query_one("#passport-details")
        assert not details.display
        await choose(pilot, "id-type", 2)  # Resident ID -> Unified social credit code -> Passport
        assert details.display
        await shows(pilot, "Birth date (YYYY-MM-DD)", "Gender")
        await fill(pilot, "name", "John Smith")
        await fill(pilot, "id-number", JOHN_SMITH.id_number)
        await fill(pilot, "mobile", JOHN_SMITH.registered_mobile)
        assert await refused(pilot, "birth-date") == "birth date: give the birth date as in the passport"
        for typed, fix in (("1985/03/07", "type the date as YYYY-MM-DD, e.g. 1985-03-07"),
                           ("1985-02-30", "1985-02-30 is not a real date: check the month and day"),
                           (tomorrow, f"{tomorrow} cannot be a birth date")):
            await fill(pilot, "birth-date", typed)
            assert await refused(pilot, "birth-date") == f"birth date: {fix}"
            assert customer_count(ui.db) == before

        await fill(pilot, "birth-date", full_width("1985-03-07"))  # as a Chinese input method types it
        assert await refused(pilot, "gender") == "gender: choose male or female as in the passport"
        assert customer_count(ui.db) == before
        await choose(pilot, "gender", 2)  # (none) -> Male -> Female
        assert app.screen.query_one("#gender", Select).value == "female"
        assert await save(pilot) is None
        await wait_until(pilot, lambda: loaded(app))
        await shows(pilot, "John Smith  E1*****78  Individual  Mass", "Passport: E1*****78", "Born: 1985-03-07",
                    "Gender: Female")
    assert customer_count(ui.db) == before + 1
    [created] = customers.search(ui.db, JOHN_SMITH.id_number)
    saved = customers.customer_file(ui.db, created.id)
    assert (saved.id_type, saved.id_number, saved.birth_date, saved.gender) == (
        "passport", "E12345678", date(1985, 3, 7), "female")


async def test_escape_on_a_form_with_input_asks_first(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await new_customer_form(pilot)
        await pilot.press("escape")  # nothing typed: leaves at once
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))

        await new_customer_form(pilot)
        await pilot.press(*"zhao")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await shows(pilot, "Leave the form? What you typed will be lost.")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFormScreen))
        assert app.screen.query_one("#name", Input).value == "zhao"

        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
    assert all(hit.name != "zhao" for hit in customers.search(ui.db, "zhao"))  # nothing was saved


async def test_ctrl_q_on_a_form_with_input_asks_before_quitting(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await new_customer_form(pilot)
        await pilot.press(*"zhao")
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await shows(pilot, "Quit and lose what you typed in this form?")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFormScreen))
        assert app.is_running
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running)


# --- Editing -------------------------------------------------------------------------------------------


async def test_editing_the_segment_applies_at_once(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_file(pilot, "wf")
        await edit_form(pilot, "王芳")
        segment = app.screen.query_one("#segment", Select)
        assert segment.value == "vip"
        segment.focus()
        await pilot.press("enter", "up", "up", "enter")  # open the list, VIP -> Quality -> Mass, choose
        await pilot.pause()
        assert segment.value == "mass"
        assert await save(pilot) is None
        await wait_until(pilot, lambda: loaded(app) and app.screen.file.segment == "mass")
        text = await shows(pilot, "王芳  110105********002X  Individual  Mass")
        assert "waits for a second key" not in text
    assert customers.customer_file(ui.db, ui.customer_ids["王芳"]).segment == "mass"


async def test_a_new_registered_mobile_waits_for_a_supervisors_second_key(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_file(pilot, "wf")
        await edit_form(pilot, "王芳")
        await fill(pilot, "mobile", "13900001234")
        assert await save(pilot) is None
        await wait_until(pilot, lambda: loaded(app) and app.screen.file.pending_change is not None)
        await pilot.pause()
        change = app.screen.file.pending_change
        await shows(pilot, f"Identity change {change.id} waits for a second key (F7) or a rejection (Ctrl+X).",
                    "Mobile: 138****8000 (registered)")  # unchanged until the second key

        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
        await shows(pilot, "Second key required", "Change of Registered mobile for 王芳")

        # The maker's own credentials, however good, are not a second key.
        await type_credentials(pilot, "teller1", PASSWORD, next_code(ui))
        await wait_until(pilot, lambda: widget_text(app, "#second-key-message") not in ("", "Checking…"))
        assert widget_text(app, "#second-key-message") == "The second key must come from someone other than you."
        assert isinstance(app.screen, SecondKeyScreen)
        assert customers.customer_file(ui.db, ui.customer_ids["王芳"]).pending_change is not None

        # The supervisor steps over and types their own.
        await fill(pilot, "username", "")
        await type_credentials(pilot, "super1", PASSWORD, code_for(ui, "super1"))
        await wait_until(pilot, lambda: loaded(app) and app.screen.file.pending_change is None)
        text = await shows(pilot, "Mobile: 139****1234 (registered)")
        assert "waits for a second key" not in text
    assert customers.customer_file(ui.db, ui.customer_ids["王芳"]).registered_mobile.number == "13900001234"


async def test_a_new_id_number_waits_too_and_escape_backs_out_of_the_second_key(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_file(pilot, "lq")
        await edit_form(pilot, "李强")
        await fill(pilot, "id-number", NEW_ID)
        assert await save(pilot) is None
        await wait_until(pilot, lambda: loaded(app) and app.screen.file.pending_change is not None)
        await shows(pilot, "waits for a second key (F7)",
                    "李强  310101********7894")  # the old number until a supervisor approves

        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
        await pilot.pause()
        summary = widget_text(app, "#second-key-summary")
        assert summary.startswith("Change of ") and "ID number" in summary and summary.endswith(" for 李强")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen))
        await shows(pilot, "waits for a second key (F7)")
    waiting = customers.customer_file(ui.db, ui.customer_ids["李强"])
    assert waiting.id_number == "310101199003077894"
    assert waiting.pending_change.after["id_number"] == NEW_ID


async def test_a_passport_customers_birth_date_and_gender_are_edited_in_the_form_and_wait_for_a_second_key(ui):
    customer_id = customers.create_customer(ui.db, ui.bank.teller, JOHN_SMITH)
    as_it_was = customers.customer_file(ui.db, customer_id)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_file(pilot, JOHN_SMITH.id_number)
        await edit_form(pilot, "John Smith")
        assert app.screen.query_one("#passport-details").display
        assert app.screen.query_one("#birth-date", Input).value == "1985-03-07"
        assert app.screen.query_one("#gender", Select).value == "female"
        await fill(pilot, "birth-date", "1985-13-07")
        assert await refused(pilot, "birth-date") == (
            "birth date: 1985-13-07 is not a real date: check the month and day")
        assert customers.customer_file(ui.db, customer_id) == as_it_was

        await fill(pilot, "birth-date", "1985-07-03")
        app.screen.query_one("#gender", Select).focus()
        await pilot.press("enter", "up", "enter")  # open the list, Female -> Male, choose
        await pilot.pause()
        assert await save(pilot) is None
        await wait_until(pilot, lambda: loaded(app) and app.screen.file.pending_change is not None)
        await shows(pilot, "waits for a second key (F7)",
                    "Born: 1985-03-07", "Gender: Female")  # as they were until a supervisor approves

        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
        await shows(pilot, "Change of Birth date, Gender for John Smith")
        await type_credentials(pilot, "super1", PASSWORD, code_for(ui, "super1"))
        await wait_until(pilot, lambda: loaded(app) and app.screen.file.pending_change is None)
        await shows(pilot, "Born: 1985-07-03", "Gender: Male")
    edited = customers.customer_file(ui.db, customer_id)
    assert (edited.birth_date, edited.gender) == (date(1985, 7, 3), "male")


async def test_an_edit_is_refused_for_another_customers_id_number_or_a_bad_mobile_and_writes_nothing(ui):
    li_qiang = ui.customer_ids["李强"]
    as_it_was = customers.customer_file(ui.db, li_qiang)
    wang_fang_id = REFERENCE["resident_id"]["valid"][0]
    assert customers.customer_file(ui.db, ui.customer_ids["王芳"]).id_number == wang_fang_id
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_file(pilot, "lq")
        await edit_form(pilot, "李强")
        await fill(pilot, "address", "上海市黄浦区中山东一路1号")  # an ordinary change, refused with the rest
        await fill(pilot, "id-number", wang_fang_id)
        message = await refused(pilot, "id-number")
        assert message == (f"id number: 110105********002X already belongs to customer {ui.customer_ids['王芳']} 王芳: "
                           "open that customer instead")
        assert customers.customer_file(ui.db, li_qiang) == as_it_was

        await fill(pilot, "id-number", as_it_was.id_number)
        await fill(pilot, "mobile", next(number for number, why in REFERENCE["mobile"]["invalid"].items()
                                         if why == "second digit 2"))
        assert await refused(pilot, "mobile") == "registered mobile: a mainland mobile number starts 13 to 19"
        assert customers.customer_file(ui.db, li_qiang) == as_it_was
        assert isinstance(app.screen, CustomerFormScreen)
    after = customers.customer_file(ui.db, li_qiang)
    assert after == as_it_was and after.pending_change is None


def change_events(ui) -> list[tuple[str, int | None, dict]]:
    """The audit trail of identity changes: action, who, detail."""
    rows = ui.db.run(lambda session: session.execute(
        select(AuditEvent.action, AuditEvent.staff_id, AuditEvent.detail)
        .where(AuditEvent.action.like("customer.change%")).order_by(AuditEvent.seq)).all(), readonly=True)
    return [(action, staff_id, json.loads(detail)) for action, staff_id, detail in rows]


async def new_id_number_waiting(pilot) -> int:
    """李强's file, edited to NEW_ID and saved: the change waits for its second key. Returns its id."""
    app = pilot.app
    await open_file(pilot, "lq")
    await edit_form(pilot, "李强")
    await fill(pilot, "id-number", NEW_ID)
    assert await save(pilot) is None
    await wait_until(pilot, lambda: loaded(app) and app.screen.file.pending_change is not None)
    await pilot.pause()
    return app.screen.file.pending_change.id


async def test_a_new_id_number_applies_with_the_supervisors_second_key(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        change_id = await new_id_number_waiting(pilot)
        await shows(pilot, f"Identity change {change_id} waits for a second key (F7) or a rejection (Ctrl+X).", "李强  310101********7894")
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
        await type_credentials(pilot, "super1", PASSWORD, code_for(ui, "super1"))
        await wait_until(pilot, lambda: loaded(app) and app.screen.file.pending_change is None)
        text = await shows(pilot, "李强  110101********1232  Individual  Quality", "Born: 2000-01-01")
        assert "waits for a second key" not in text
    applied = customers.customer_file(ui.db, ui.customer_ids["李强"])
    assert (applied.id_number, applied.birth_date.isoformat()) == (NEW_ID, "2000-01-01")
    assert [(action, staff) for action, staff, _detail in change_events(ui)] == [
        ("customer.change_requested", ui.bank.teller.staff_id), ("customer.change_applied", ui.bank.supervisor.staff_id)]


async def test_a_supervisor_rejects_a_pending_id_number_change_saying_why(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await sign_in_quickly(pilot, ui)
        change_id = await new_id_number_waiting(pilot)
        text = await shows(pilot, f"Identity change {change_id} waits for a second key (F7) or a rejection (Ctrl+X).")
        footer = text.splitlines()[-1]
        assert "f1 Help" in footer and "Second key" not in footer and "Reject" not in footer  # the status names them
        await pilot.press("f1")
        await shows(pilot, "A supervisor rejects the pending identity change, saying why")
        await pilot.press("escape")

        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await shows(pilot, "Reject: Change of Birth date, ID number for 李强")
        await pilot.press("enter")  # no reason, no rejection
        await shows(pilot, "Why is the change rejected?")
        await paste(pilot, "the new ID card was not shown")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
        await shows(pilot, "Reason: the new ID card was not shown")
        # The maker cannot reject their own change: the key comes from someone else.
        await type_credentials(pilot, "teller1", PASSWORD, next_code(ui))
        await wait_until(pilot, lambda: widget_text(app, "#second-key-message") not in ("", "Checking…"))
        assert widget_text(app, "#second-key-message") == "The second key must come from someone other than you."
        await fill(pilot, "username", "")
        await type_credentials(pilot, "super1", PASSWORD, code_for(ui, "super1"))
        await wait_until(pilot, lambda: loaded(app) and app.screen.file.pending_change is None)
        text = await shows(pilot, "李强  310101********7894")
        assert "waits for a second key" not in text
        assert "^x Reject" not in text.splitlines()[-1]  # nothing left to reject
        rejected_notice = f"Identity change {change_id} rejected: the customer stays as before."
        await wait_until(pilot, lambda: rejected_notice in [str(toast.render()) for toast in app.screen.query("Toast")])
    kept = customers.customer_file(ui.db, ui.customer_ids["李强"])
    assert (kept.id_number, kept.pending_change) == ("310101199003077894", None)
    [requested, rejected] = change_events(ui)
    assert requested[:2] == ("customer.change_requested", ui.bank.teller.staff_id)
    assert rejected[:2] == ("customer.change_rejected", ui.bank.supervisor.staff_id)
    assert rejected[2]["reason"] == "the new ID card was not shown"
    # Rejected, the change no longer blocks the next one.
    draft = customers.edit_draft(ui.db, ui.customer_ids["李强"])
    outcome = customers.update_customer(ui.db, ui.bank.teller, ui.customer_ids["李强"], replace(draft, id_number=NEW_ID))
    assert outcome.pending_change is not None
