"""The counter as a teller and a supervisor use it: deposits, withdrawals and transfers with their refusals and
warnings, the second key on the same terminal and from the queue, rejection, void and reversal from the
customer file, the large-value report. After every flow the ledger and the audit chain verify clean."""

import json

import pytest
from sqlalchemy import select
from textual.widgets import DataTable, Input, Select

from models import AuditEvent, IdentityCheck
from screens.approval_queue import ApprovalQueueScreen
from screens.confirm import ConfirmScreen
from screens.correction import CorrectionScreen
from screens.counter import CounterScreen
from screens.customer_file import CustomerFileScreen
from screens.instruction_detail import InstructionDetailScreen
from screens.large_value_report import LargeValueReportScreen
from screens.lookup import LookupScreen
from screens.receipt import ReceiptScreen
from screens.second_key import SecondKeyScreen
from teller import accounts, approvals, counter, customers, instructions
from teller.identifiers import mask_account
from tests.counter_support import assert_clean
from tests.helpers import PASSWORD, close_business_day, next_business_day
from tests.ui_support import (
    code_for, make_app, next_code, open_teller_drawer, paste, screen_text, seed_ui_bank, shows, sign_in_quickly,
    type_ahead, type_credentials, wait_until,
)

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)

WANG_ID = "11010519491231002X"


@pytest.fixture
def ui(db):
    made = seed_ui_bank(db)
    open_teller_drawer(made)
    yield made
    assert_clean(db)


def wang_account(ui) -> str:
    return customers.customer_file(ui.db, ui.customer_ids["王芳"]).accounts[0].number


def balance(ui, number: str) -> tuple[int, int]:
    view = accounts.get_account(ui.db, number)
    return view.balance, view.available


def instruction_count(ui) -> int:
    return len(instructions.list_instructions(ui.db, limit=1000))


def idle(app, *groups: str) -> bool:
    return not [worker for worker in app.workers if worker.group in groups and not worker.is_finished]


async def open_counter(pilot) -> None:
    """From the search: 王芳's file, then F8."""
    app = pilot.app
    await pilot.press("w", "f")
    await wait_until(pilot, lambda: app.screen.query_one("#results", DataTable).row_count > 0)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None)
    await pilot.press("f8")
    await wait_until(pilot, lambda: isinstance(app.screen, CounterScreen) and app.screen.file is not None)
    await pilot.pause()


async def open_transfer(pilot, ui) -> None:
    """Signed in, at 王芳's counter, the form switched to a transfer (F6)."""
    await sign_in_quickly(pilot, ui)
    await open_counter(pilot)
    await pilot.press("f6")


async def fill(pilot, field: str, value: str) -> None:
    widget = pilot.app.screen.query_one(f"#{field}", Input)
    widget.focus()
    await pilot.pause()
    widget.value = ""
    await paste(pilot, value)
    assert widget.value == value


async def previewed(pilot, *texts: str) -> str:
    app = pilot.app
    await wait_until(pilot, lambda: idle(app, "counter-preview"))
    return await shows(pilot, *texts)


async def submit_and_wait_for_second_key(pilot) -> None:
    await pilot.press("f9")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SecondKeyScreen))
    await pilot.pause()


async def second_key(pilot, ui, username: str = "super1", code: str | None = None) -> None:
    await type_credentials(pilot, username, PASSWORD, code or code_for(ui, username))
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, SecondKeyScreen))


async def test_cash_deposit_with_the_supervisors_key_on_the_same_terminal(ui):
    number = wang_account(ui)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_counter(pilot)
        assert app.screen.query_one("#account", Select).value == number
        assert app.focused is app.screen.query_one("#amount")
        await fill(pilot, "amount", "1,000")
        await previewed(pilot, "Now", "12,345.67", "After", "13,345.67")
        assert not app.screen.query_one("#identity-row").has_class("hidden")  # the depositor's document too
        await fill(pilot, "narrative", "cash in")
        await pilot.press("f9")
        await shows(pilot, "document number: type the number printed on the customer's document")
        assert app.focused is app.screen.query_one("#document-number")
        await fill(pilot, "document-number", WANG_ID)
        await submit_and_wait_for_second_key(pilot)
        await shows(pilot, "Second key required", "Cash deposit 1,000.00 CNY")
        await second_key(pilot, ui)
        await shows(pilot, "Transaction receipt", "Amount in words  壹仟元整", "Checker          super1")
        await pilot.press("escape")  # the receipt is printed: back to the counter
        await shows(pilot, "Posted: instruction")
        assert app.screen.query_one("#amount", Input).value == ""  # ready for the next customer
    assert balance(ui, number) == (13_345_67, 13_345_67)
    checks = ui.db.run(lambda s: s.execute(select(IdentityCheck.document_number)).scalars().all(), readonly=True)
    assert checks == [WANG_ID]  # the depositor's document, as the teller confirmed it


async def test_leaving_the_counter_asks_first_and_the_file_shows_the_new_balance(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_counter(pilot)
        await fill(pilot, "amount", "45.33")
        await fill(pilot, "document-number", WANG_ID)
        await fill(pilot, "narrative", "cash in")
        await submit_and_wait_for_second_key(pilot)
        await second_key(pilot, ui)
        await shows(pilot, "Transaction receipt")
        await pilot.press("escape")
        await shows(pilot, "Posted")
        await fill(pilot, "amount", "1")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, CounterScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen) and idle(app, "file"))
        await pilot.press("right")
        await shows(pilot, "12,391.00")


async def test_withdrawal_with_identity_left_for_the_queue(ui):
    number = wang_account(ui)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_counter(pilot)
        await pilot.press("f5")
        await shows(pilot, "Cash withdrawal", "ID document")
        await fill(pilot, "amount", "345.67")
        await previewed(pilot, "12,000.00")
        await fill(pilot, "narrative", "cash out")
        await pilot.press("f9")
        await shows(pilot, "document number: type the number printed on the customer's document")
        assert app.focused is app.screen.query_one("#document-number")
        await fill(pilot, "document-number", "110105194912310021")
        await pilot.press("f9")
        await shows(pilot, "does not match the document")
        await fill(pilot, "document-number", WANG_ID)
        await submit_and_wait_for_second_key(pilot)
        await pilot.press("escape")
        await shows(pilot, "waits in the supervisor's approval queue")
    assert balance(ui, number) == (12_345_67, 12_000_00)
    queue = approvals.pending_queue(ui.db, ui.bank.branch_id)
    assert [(item.kind, item.amount, item.customer) for item in queue] == [("cash_withdrawal", 345_67, "王芳")]
    checks = ui.db.run(lambda s: s.execute(select(IdentityCheck.document_number)).scalars().all(), readonly=True)
    assert checks == [WANG_ID]


async def test_a_refusal_stays_when_the_preview_of_the_same_form_answers_after_it(ui):
    """Enter at the end of the form submits while the preview of what was just typed may still be on its way
    (found typing a transfer in one go): its answer must not wipe the refusal. A change to the form does."""
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_counter(pilot)
        await pilot.press("f5")
        await fill(pilot, "amount", "345.67")
        await fill(pilot, "document-number", "110105194912310021")
        await fill(pilot, "narrative", "cash out")
        await previewed(pilot, "12,000.00")
        await pilot.press("f9")
        refusal = "does not match the document"
        await shows(pilot, refusal)
        app.screen.refresh_preview()  # the same form's preview, answering late
        await previewed(pilot, "12,000.00", refusal)
        await fill(pilot, "document-number", WANG_ID)
        await previewed(pilot, "12,000.00")
        assert refusal not in screen_text(app)


async def test_withdrawal_beyond_the_available_balance_and_from_a_frozen_account(ui):
    number = wang_account(ui)
    before = instruction_count(ui)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_counter(pilot)
        await pilot.press("f5")
        await fill(pilot, "amount", "12,345.68")
        await previewed(pilot, "amount: more than the available balance of 12,345.67")
        await fill(pilot, "document-number", WANG_ID)
        await fill(pilot, "narrative", "too much")
        await pilot.press("f9")
        await wait_until(pilot, lambda: idle(app, "counter-submit"))
        await shows(pilot, "more than the available balance")
        assert app.focused is app.screen.query_one("#amount")
        accounts.set_status(ui.db, ui.bank.supervisor, number, "frozen", "court order")
        await fill(pilot, "amount", "10")
        await previewed(pilot, f"account {number} is frozen: it takes no movements")
        await pilot.press("f9")
        await wait_until(pilot, lambda: idle(app, "counter-submit"))
        await shows(pilot, "is frozen")
    assert instruction_count(ui) == before


async def test_withdrawal_is_refused_on_the_available_balance_while_a_hold_stands(ui):
    number = wang_account(ui)
    held = submit_withdrawal(ui, "10,000")  # waits for its second key: 10,000 of the balance is on hold
    before = instruction_count(ui)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_counter(pilot)
        await pilot.press("f5")
        await fill(pilot, "amount", "3,000")  # less than the ledger balance, more than the available
        await previewed(pilot, "amount: more than the available balance of 2,345.67")
        await fill(pilot, "document-number", WANG_ID)
        await fill(pilot, "narrative", "cash out")
        await pilot.press("f9")
        await wait_until(pilot, lambda: idle(app, "counter-submit"))
        await shows(pilot, "more than the available balance of 2,345.67")
        assert app.focused is app.screen.query_one("#amount")
    assert instruction_count(ui) == before
    assert balance(ui, number) == (12_345_67, 2_345_67)
    assert instructions.get(ui.db, held.id).status == "PENDING"


async def test_transfer_between_the_customers_own_two_accounts(ui):
    number = wang_account(ui)
    savings = customers.open_account_for(ui.db, ui.bank.teller, ui.customer_ids["王芳"]).number
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_transfer(pilot, ui)
        assert app.screen.query_one("#account", Select).value == number
        await fill(pilot, "to-account", savings)
        await fill(pilot, "amount", "2,000")
        await previewed(pilot, "10,345.67", "王芳: 0.00 → 2,000.00")
        await fill(pilot, "document-number", WANG_ID)
        await fill(pilot, "narrative", "to savings")
        await submit_and_wait_for_second_key(pilot)
        await second_key(pilot, ui)
        await shows(pilot, "Transaction receipt", "Transfer", "2,000.00")
    assert balance(ui, number) == (10_345_67, 10_345_67)
    assert balance(ui, savings) == (2_000_00, 2_000_00)


async def test_transfer_to_another_customers_account(ui):
    payee = customers.open_account_for(ui.db, ui.bank.teller, ui.customer_ids["李强"]).number
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_transfer(pilot, ui)
        await fill(pilot, "to-account", payee)
        await fill(pilot, "amount", "2,345.67")
        await previewed(pilot, "10,000.00", "李强", "0.00 → 2,345.67")
        await fill(pilot, "document-number", WANG_ID)
        await fill(pilot, "narrative", "rent")
        await submit_and_wait_for_second_key(pilot)
        await shows(pilot, "Transfer 2,345.67 CNY", f"{mask_account(wang_account(ui))}  王芳",
                    f"to {mask_account(payee)}  李强")  # the supervisor sees where the money goes
        await second_key(pilot, ui)
        await shows(pilot, "Transaction receipt", "Transfer")
    assert balance(ui, payee) == (2_345_67, 2_345_67)
    assert balance(ui, wang_account(ui)) == (10_000_00, 10_000_00)


async def test_a_transfer_typed_all_at_once_lands_each_value_in_its_field(ui):
    """Keys faster than the screen handles them (a card reader, a fast teller on a loaded machine): F6 starts the
    form at the account to pay, Enter moves on before the next key is dispatched (past the document type's list
    too, which keeps the type on file), and Enter in the narrative submits every field as typed."""
    payee = customers.open_account_for(ui.db, ui.bank.teller, ui.customer_ids["李强"]).number
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_counter(pilot)
        assert app.focused is app.screen.query_one("#amount", Input)  # a deposit first
        await type_ahead(pilot, "f6", *payee, "enter", *"2,345.67", "enter", "enter", *WANG_ID, "enter", *"rent",
                         "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
        await second_key(pilot, ui)
        await shows(pilot, "Transaction receipt", "Transfer", "2,345.67")
    assert balance(ui, payee) == (2_345_67, 2_345_67)
    checks = ui.db.run(lambda s: s.execute(select(IdentityCheck.document_number)).scalars().all(), readonly=True)
    assert checks == [WANG_ID]


async def test_pressing_submit_twice_makes_one_instruction(ui):
    before = instruction_count(ui)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_counter(pilot)
        await fill(pilot, "amount", "88")
        await fill(pilot, "document-number", WANG_ID)
        await fill(pilot, "narrative", "twice")
        await pilot.press("enter", "f9")  # Enter in the narrative submits; F9 too
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen) and idle(app, "counter-submit"))
        await pilot.pause()
        await pilot.press("escape")
        await shows(pilot, "waits in the supervisor's approval queue")
        assert len([screen for screen in app.screen_stack if isinstance(screen, SecondKeyScreen)]) == 0
    assert instruction_count(ui) == before + 1


async def test_a_withdrawal_of_the_whole_balance_submitted_twice_is_one_instruction_and_no_refusal(ui):
    """Enter and F9 together on a withdrawal of everything available: one instruction, offered once with its
    account, and no refusal shown, whether or not the second submission already finds the first one's hold."""
    before = instruction_count(ui)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_counter(pilot)
        await pilot.press("f5")
        await fill(pilot, "amount", "12,345.67")
        await fill(pilot, "document-number", WANG_ID)
        await fill(pilot, "narrative", "all of it")
        await pilot.press("enter", "f9")
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen) and idle(app, "counter-submit"))
        await shows(pilot, "Cash withdrawal 12,345.67 CNY", f"{mask_account(wang_account(ui))}  王芳")
        await pilot.press("escape")
        text = await shows(pilot, "waits in the supervisor's approval queue")
        assert "available" not in text
    assert instruction_count(ui) == before + 1


async def test_duplicate_warning_and_large_value_flag_are_shown_not_blocking(ui):
    number = wang_account(ui)
    first = counter.submit(ui.db, ui.bank.teller, counter.MovementDraft(
        kind="cash_deposit", customer_id=ui.customer_ids["王芳"], account_number=number, amount="50,000",
        narrative="salary", document_type="resident_id", document_number=WANG_ID,
        idempotency_key=counter.new_idempotency_key()))
    app = make_app(ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_counter(pilot)
        await fill(pilot, "amount", "50,000")
        await previewed(pilot, f"Possible duplicate: instruction {first.id}",
                        "Large-value cash: 112,345.67 CNY today reaches the 50,000.00 reporting threshold")
        await fill(pilot, "document-number", WANG_ID)
        await fill(pilot, "narrative", "again")
        await submit_and_wait_for_second_key(pilot)
        await pilot.press("escape")
    assert len(approvals.pending_queue(ui.db, ui.bank.branch_id)) == 2


async def test_a_closed_business_day_refuses_to_post(ui):
    close_business_day(ui.db, ui.bank)
    before = instruction_count(ui)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_counter(pilot)
        await fill(pilot, "amount", "10")
        await previewed(pilot, "has closed business day")
        await fill(pilot, "narrative", "late")
        await pilot.press("f9")
        await wait_until(pilot, lambda: idle(app, "counter-submit"))
        await shows(pilot, "has closed business day 2026-11-25: nothing posts")
    assert instruction_count(ui) == before


def submit_withdrawal(ui, amount: str = "345.67"):
    return counter.submit(ui.db, ui.bank.teller, counter.MovementDraft(
        kind="cash_withdrawal", customer_id=ui.customer_ids["王芳"], account_number=wang_account(ui),
        amount=amount, narrative="cash out", document_type="resident_id", document_number=WANG_ID,
        idempotency_key=counter.new_idempotency_key()))


async def open_from_queue(pilot, instruction_id: int) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ApprovalQueueScreen)
                     and str(instruction_id) in [str(row[0]) for row in _rows(app)])
    table = app.screen.query_one("#queue", DataTable)
    table.move_cursor(row=[str(row[0]) for row in _rows(app)].index(str(instruction_id)))
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, InstructionDetailScreen) and app.screen.detail is not None)
    await pilot.pause()


def _rows(app):
    table = app.screen.query_one("#queue", DataTable)
    return [table.get_row_at(index) for index in range(table.row_count)]


async def test_supervisor_approves_from_the_queue_which_is_their_home(ui):
    made = submit_withdrawal(ui)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui, "super1")
        assert isinstance(app.screen, ApprovalQueueScreen)
        await shows(pilot, "1 waiting, oldest first", "Cash withdrawal", "345.67 CNY", "Teller1", "王芳")
        await open_from_queue(pilot, made.id)
        text = await shows(pilot, f"Instruction {made.id}", "Customer: 王芳  110105********002X",
                           "Identity checked: Resident ID 110105********002X by Teller1", "0101-1002-teller1")
        assert wang_account(ui) not in text  # the customer's account number is masked
        await pilot.press("f5")
        await type_credentials(pilot, None, PASSWORD, next_code(ui, "super1"))
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalQueueScreen))
        await shows(pilot, "Nothing waits for a second key.")
    assert instructions.get(ui.db, made.id).status == "APPROVED"
    assert balance(ui, wang_account(ui)) == (12_000_00, 12_000_00)


async def test_rejection_from_the_queue_releases_the_hold(ui):
    made = submit_withdrawal(ui, "1,000")
    assert balance(ui, wang_account(ui)) == (12_345_67, 11_345_67)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui, "super1")
        await open_from_queue(pilot, made.id)
        await pilot.press("f6")
        await pilot.press("enter")
        await shows(pilot, "reason: say why the instruction is rejected")
        await paste(pilot, "customer changed their mind")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalQueueScreen))
        await shows(pilot, "Nothing waits for a second key.")
    assert instructions.get(ui.db, made.id).status == "REJECTED"
    assert balance(ui, wang_account(ui)) == (12_345_67, 12_345_67)


async def test_the_queue_shows_new_instructions_without_a_key_press(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui, "super1")
        await shows(pilot, "Nothing waits for a second key.")
        made = submit_withdrawal(ui)  # another connection, as another terminal would
        await shows(pilot, "1 waiting", str(made.id))
        instructions.approve(ui.db, made.id, ui.bank.manager)
        await shows(pilot, "Nothing waits for a second key.")


async def test_f10_opens_the_queue_for_supervisors_only(ui):
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        assert isinstance(app.screen, LookupScreen)  # tellers keep the lookup as home
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen)


async def open_transactions(pilot) -> None:
    app = pilot.app
    await pilot.press("w", "f")
    await wait_until(pilot, lambda: app.screen.query_one("#results", DataTable).row_count > 0)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None
                     and idle(app, "file"))
    await pilot.press("right", "right")
    await wait_until(pilot, lambda: app.screen.query_one("#file-tabs").active == "tab-transactions")
    await pilot.pause()


async def correct_first_line(pilot, ui, title: str) -> None:
    app = pilot.app
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: isinstance(app.screen, CorrectionScreen) and app.screen.preview is not None)
    await shows(pilot, title, "Cash deposit 12,345.67 CNY")
    await pilot.press("enter", "enter")  # no reason yet: refused
    await shows(pilot, "narrative: say what the movement is for")
    await paste(pilot, "keyed to the wrong customer")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen))
    account = mask_account(wang_account(ui))
    await shows(pilot, title, "Cash deposit 12,345.67 CNY", f"Debit {account} 12,345.67",
                "Reason: keyed to the wrong customer")  # what the supervisor undoes, and why
    await second_key(pilot, ui)
    await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen) and idle(app, "file"))


async def test_same_day_void_from_the_customer_files_transactions(ui):
    number = wang_account(ui)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_transactions(pilot)
        await correct_first_line(pilot, ui, "Void of instruction")
    assert balance(ui, number) == (0, 0)
    kinds = [view.kind for view in instructions.list_instructions(ui.db)]
    assert kinds[0] == "void"


async def test_reversal_after_the_business_day(ui):
    number = wang_account(ui)
    next_business_day(ui.db, ui.bank)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_transactions(pilot)
        await correct_first_line(pilot, ui, "Reversal of instruction")
    assert balance(ui, number) == (0, 0)
    assert instructions.list_instructions(ui.db)[0].kind == "reversal"


async def test_large_value_report_lists_and_exports(ui, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    big = counter.submit(ui.db, ui.bank.teller, counter.MovementDraft(
        kind="cash_deposit", customer_id=ui.customer_ids["王芳"], account_number=wang_account(ui), amount="50,000",
        narrative="salary", document_type="resident_id", document_number=WANG_ID,
        idempotency_key=counter.new_idempotency_key()))
    instructions.approve(ui.db, big.id, ui.bank.supervisor)
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui, "super1")
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(app.screen, LargeValueReportScreen) and idle(app, "report"))
        await shows(pilot, "1 customer(s) reached the threshold", "王芳", "62,345.67")
        await pilot.press("f5")
        await wait_until(pilot, lambda: idle(app, "report-export"))
        written = await shows(pilot, "Written to")
    files = list(tmp_path.rglob("large-value-0101-2026-11-24.csv"))
    assert len(files) == 1 and files[0].name in "".join(written.split())  # however the path wraps
    assert "王芳" in files[0].read_text(encoding="utf-8-sig")


def audited(ui, action: str) -> list[tuple[int, dict]]:
    """Who did `action` (staff id) and what the audit row says of it, in order."""
    rows = ui.db.run(lambda s: s.execute(select(AuditEvent.staff_id, AuditEvent.detail)
                                         .where(AuditEvent.action == action).order_by(AuditEvent.seq)).all(),
                     readonly=True)
    return [(staff_id, json.loads(detail)) for staff_id, detail in rows]


async def test_receipt_printed_then_reprinted_from_the_customer_file(ui, tmp_path, monkeypatch):
    monkeypatch.setenv("TELLER_DOCUMENTS_DIR", str(tmp_path))
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui)
        await open_transactions(pilot)
        await pilot.press("ctrl+e")  # the seeded deposit: its receipt was never printed
        await wait_until(pilot, lambda: isinstance(app.screen, ReceiptScreen) and app.screen.saved_to is not None)
        first = await shows(pilot, "Transaction receipt", "Cash deposit", "壹万贰仟叁佰肆拾伍元陆角柒分")
        assert "REPRINT" not in first
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen))
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: isinstance(app.screen, ReceiptScreen) and app.screen.saved_to is not None)
        again = await shows(pilot, "*** REPRINT ***")
    number = next(line for line in first.splitlines() if "Receipt number" in line).split()[-1]
    assert number in again  # the same receipt, not a new number
    [(issued_by, issued)] = audited(ui, "receipt.issued")
    [(reprinted_by, reprinted)] = audited(ui, "receipt.reprinted")
    assert issued_by == reprinted_by == ui.bank.teller.staff_id
    assert (reprinted["instruction"], reprinted["number"], reprinted["reprint"]) == (
        issued["instruction"], issued["number"], 1)
