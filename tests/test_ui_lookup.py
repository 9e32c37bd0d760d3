"""Customer lookup as a teller types: every kind of key, the rows it shows with their markers, opening a
customer file with Enter or from the list, Escape, and a late answer to an older search left unshown."""

import random
import threading

import pytest
from textual.widgets import DataTable, Input

from screens.customer_file import CustomerFileScreen
from screens.lookup import LookupScreen
from teller import customers, loans
from teller.ledger import Leg
from teller.synthetic_people import resident_id
from tests.counter_support import new_customer
from tests.helpers import submit
from tests.loan_money_ui_support import disbursed_loan, seed_money_bank
from tests.loan_support import consumer_draft, make_staff
from tests.servicing_support import days_pass
from tests.ui_support import make_app, seed_ui_bank, shows, sign_in_quickly, wait_until, widget_text

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)

TYPE_TO_SEARCH = "Type to search. Enter opens the first result."
WANG_FANG = ["王芳", "110105********002X", "138****8000", "VIP", ""]
WANG_FANGFANG = ["王芳芳", "320106********4562", "137****1111", "Mass", ""]
LI_QIANG = ["李强", "310101********7894", "139****5678", "Quality", ""]
ZHANG_WEI = ["Zhang Wei", "440300********1236", "199****5678", "Mass", ""]


@pytest.fixture
def ui(db):
    return seed_ui_bank(db)


def rows(app) -> list[list[str]]:
    table = app.screen.query_one("#results", DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


def search_settled(app) -> bool:
    busy = [worker for worker in app.workers if worker.group == "lookup" and not worker.is_finished]
    return not busy and widget_text(app, "#search-hint") != TYPE_TO_SEARCH


async def look_up(pilot, query: str) -> list[list[str]]:
    """Empty the box with Escape, type `query` key by key, and wait for the last search's answer."""
    app = pilot.app
    await pilot.press("escape")
    assert app.screen.query_one("#search", Input).value == ""
    await pilot.press(*query)
    await wait_until(pilot, lambda: search_settled(app))
    await pilot.pause()
    assert app.screen.query_one("#search", Input).value == query
    return rows(app)


@pytest.fixture
async def lookup(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
        yield pilot


async def test_home_screen_waits_for_a_search(lookup):
    app = lookup.app
    text = await shows(lookup, TYPE_TO_SEARCH, "Name", "ID number", "Mobile", "Segment", "Flags", "f3 New customer")
    assert rows(app) == []
    footer = text.splitlines()[-1]
    for key in ("esc Clear", "f1 Help", "f2 Find", "f3 New customer"):
        assert key in footer
    # Lock and Sign out have no room in an 80-column footer: F1 and the palette list them.
    assert "^l Lock" not in footer and "^o Sign out" not in footer


async def test_chinese_names_by_one_character_prefix_and_full_name(lookup):
    assert await look_up(lookup, "王") == [WANG_FANG, WANG_FANGFANG]
    await shows(lookup, "2 found. Enter opens the first; Down moves into the list.", "王芳  ", "王芳芳")
    assert await look_up(lookup, "李强") == [LI_QIANG]
    assert await look_up(lookup, "王芳芳") == [WANG_FANGFANG]


async def test_a_two_character_given_name_finds_people_of_any_surname(ui):
    """芳芳 is too short for a substring, but it is 王芳芳's given name, and 欧阳芳芳's after a compound surname."""
    ouyang = new_customer(ui.db, ui.bank, "欧阳芳芳", "110101199001010015", "13600001234")
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        assert await look_up(pilot, "芳芳") == [WANG_FANGFANG, ["欧阳芳芳", "110101********0015", "136****1234", "Mass", ""]]
        await shows(pilot, "2 found. Enter opens the first; Down moves into the list.")
        await pilot.press("down", "down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None)
        assert app.screen.customer_id == ouyang


async def test_latin_names_by_prefix_in_any_case_and_by_substring(lookup):
    assert await look_up(lookup, "zhang") == [ZHANG_WEI]
    assert await look_up(lookup, "ZHANG W") == [ZHANG_WEI]
    assert await look_up(lookup, "wei") == [ZHANG_WEI]  # three letters: a substring of the name


async def test_pinyin_in_full_and_by_initials_exact_match_first(lookup):
    assert await look_up(lookup, "wangfang") == [WANG_FANG, WANG_FANGFANG]
    assert await look_up(lookup, "wff") == [WANG_FANGFANG]
    assert await look_up(lookup, "wf") == [WANG_FANG, WANG_FANGFANG]
    assert await look_up(lookup, "lq") == [LI_QIANG]


async def test_id_number_prefix(lookup):
    assert await look_up(lookup, "110105") == [WANG_FANG]
    assert await look_up(lookup, "3101011990") == [LI_QIANG]
    assert await look_up(lookup, "320106200002294562") == [WANG_FANGFANG]


async def test_mobile_by_prefix_and_by_last_four_digits(lookup):
    assert await look_up(lookup, "1391234") == [LI_QIANG]
    assert await look_up(lookup, "199") == [ZHANG_WEI]
    assert await look_up(lookup, "1111") == [WANG_FANGFANG]
    assert await look_up(lookup, "8000") == [WANG_FANG]


async def test_account_number(lookup, ui):
    number = customers.customer_file(ui.db, ui.customer_ids["王芳"]).accounts[0].number
    assert await look_up(lookup, number) == [WANG_FANG]


async def test_loan_number_in_full_and_as_typed_in_lower_case(ui):
    officer = make_staff(ui.db, ui.bank, "officer1", ("loan_officer",))
    application = loans.create_application(ui.db, officer, consumer_draft(ui.customer_ids["李强"]))
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        assert await look_up(pilot, application.number) == [LI_QIANG]
        assert await look_up(pilot, application.number.lower()) == [LI_QIANG]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None)
        assert app.screen.customer_id == ui.customer_ids["李强"]


async def test_more_than_twenty_matches_are_not_counted_as_found(ui):
    """The list holds 20; with a 21st match the line under the box says there are more instead of a count, so
    that a customer missing from the list is looked for with more letters, not created again."""
    rng, used_ids = random.Random(8), set()
    for number in range(18):  # 王芳 and 王芳芳 are there already
        new_customer(ui.db, ui.bank, f"王{'甲乙丙丁戊己庚辛壬癸'[number % 10]}{'一二'[number // 10]}",
                     resident_id(rng, used_ids)[0], f"1370000{number:04d}")
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        assert len(await look_up(pilot, "王")) == 20
        await shows(pilot, "20 found. Enter opens the first; Down moves into the list.")
        new_customer(ui.db, ui.bank, "王子", resident_id(rng, used_ids)[0], "13700009999")
        assert len(await look_up(pilot, "王")) == 20
        text = await shows(pilot, "Over 20 match, first 20 shown: type more to narrow; Enter opens the first.")
        assert "found" not in text
        assert [row[0] for row in await look_up(pilot, "王子")] == ["王子"]


async def test_no_match_says_so(lookup):
    assert await look_up(lookup, "zzz") == []
    await shows(lookup, "No customer matches.")


async def test_a_pending_instruction_is_flagged(ui):
    account = customers.open_account_for(ui.db, ui.bank.teller, ui.customer_ids["李强"])
    waiting = submit(ui.db, ui.bank, [Leg(ui.bank.drawer, debit=500_00), Leg(account.number, credit=500_00)],
                     kind="cash_deposit")
    assert waiting.status == "PENDING"
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        assert await look_up(pilot, "李") == [LI_QIANG[:4] + ["PENDING"]]


async def test_a_customer_with_an_installment_past_due_is_flagged_overdue(db):
    money = seed_money_bank(db)  # 王芳 borrows; her first installment falls due the next business day
    disbursed_loan(money)
    days_pass(money.db, money.bank, 2)  # the day after the first due date: one day past due, unpaid
    app = make_app(money.ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, money.ui)
        assert await look_up(pilot, "wf") == [WANG_FANG[:4] + ["OVERDUE"], WANG_FANGFANG]
        await shows(pilot, "OVERDUE")


async def test_a_late_answer_to_an_older_search_does_not_replace_the_newer_results(ui, monkeypatch):
    """The teller types w, f, f: the answer for "wf" is held back until "wff" has been answered and shown,
    then delivered. The results stay those of "wff", what the box says."""
    older_started, older_may_answer = threading.Event(), threading.Event()
    real_search = customers.search

    def search_answering_wf_late(db, query, **options):
        hits = real_search(db, query, **options)
        if query == "wf":
            older_started.set()
            older_may_answer.wait(timeout=30)
        return hits

    monkeypatch.setattr(customers, "search", search_answering_wf_late)
    answered: list[str] = []  # the queries whose answers reached the lookup screen, in order

    def record_answers(message) -> None:
        if isinstance(message, LookupScreen.Found):
            answered.append(message.query)

    app = make_app(ui)
    try:
        async with app.run_test(size=(80, 24), message_hook=record_answers) as pilot:
            await sign_in_quickly(pilot, ui)
            await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
            await pilot.press("w", "f")
            await wait_until(pilot, older_started.is_set)
            await pilot.press("f")
            await wait_until(pilot, lambda: "wff" in answered)
            await pilot.pause()
            assert rows(app) == [WANG_FANGFANG]

            older_may_answer.set()
            await wait_until(pilot, lambda: "wf" in answered)
            await pilot.pause()
            assert answered.index("wff") < answered.index("wf")  # the older answer did arrive, and last
            assert rows(app) == [WANG_FANGFANG]
            assert widget_text(app, "#search-hint") == "1 found. Enter opens the first; Down moves into the list."
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen))
            assert app.screen.customer_id == ui.customer_ids["王芳芳"]
    finally:
        older_may_answer.set()  # never leave the worker thread waiting


async def test_enter_opens_the_file_of_the_first_result(lookup, ui):
    app = lookup.app
    assert await look_up(lookup, "wf") == [WANG_FANG, WANG_FANGFANG]
    await lookup.press("enter")
    await wait_until(lookup, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None)
    assert app.screen.customer_id == ui.customer_ids["王芳"]
    await shows(lookup, "王芳  110105********002X  Individual  VIP")
    # Escape goes back to the search as it was left.
    await lookup.press("escape")
    await wait_until(lookup, lambda: isinstance(app.screen, LookupScreen))
    assert app.screen.query_one("#search", Input).value == "wf"
    assert rows(app) == [WANG_FANG, WANG_FANGFANG]


async def test_enter_with_nothing_found_stays_on_the_search(lookup):
    app = lookup.app
    assert await look_up(lookup, "zzz") == []
    await lookup.press("enter")
    await lookup.pause()
    assert isinstance(app.screen, LookupScreen)


async def test_down_moves_into_the_list_and_enter_opens_the_selected_customer(lookup, ui):
    app = lookup.app
    assert await look_up(lookup, "王") == [WANG_FANG, WANG_FANGFANG]
    await lookup.press("down")
    table = app.screen.query_one("#results", DataTable)
    assert app.focused is table and table.cursor_row == 0
    await lookup.press("down", "enter")
    await wait_until(lookup, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None)
    assert app.screen.customer_id == ui.customer_ids["王芳芳"]
    await shows(lookup, "王芳芳  320106********4562")


async def test_escape_clears_the_search_and_the_results(lookup):
    app = lookup.app
    assert await look_up(lookup, "王") == [WANG_FANG, WANG_FANGFANG]
    await lookup.press("down")  # Escape clears from the list too, and puts the cursor back in the box
    await lookup.press("escape")
    await lookup.pause()
    search = app.screen.query_one("#search", Input)
    assert search.value == ""
    assert app.focused is search
    assert rows(app) == []
    assert "王芳" not in await shows(lookup, TYPE_TO_SEARCH)


async def test_ctrl_t_switches_between_the_dark_and_the_light_colours_while_searching(lookup):
    app = lookup.app
    assert await look_up(lookup, "wf") == [WANG_FANG, WANG_FANGFANG]
    dark_background = app.screen.styles.background
    assert app.theme == "textual-dark" and app.current_theme.dark
    await lookup.press("ctrl+t")
    await lookup.pause()
    assert app.theme == "textual-light" and not app.current_theme.dark
    assert app.screen.styles.background != dark_background  # the screen is repainted, not only the setting
    assert app.screen.query_one("#search", Input).value == "wf" and rows(app) == [WANG_FANG, WANG_FANGFANG]
    await lookup.press("ctrl+t")
    await lookup.pause()
    assert app.theme == "textual-dark" and app.screen.styles.background == dark_background
