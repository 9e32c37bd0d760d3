"""SVG snapshots of the counter (a withdrawal with its balances now and after), the second key given on the
same terminal (the supervisor steps over), the supervisor's approval queue and an instruction opened from it
for the second key, in English and Chinese, at 80x24 and 120x40.

Everything shown is fixed: the seeded bank, the business date, instruction numbers, ages under a minute.
Update with `--snapshot-update` and look at the pictures before committing."""

import pytest
from textual.widgets import DataTable, Input

from screens.approval_queue import ApprovalQueueScreen
from screens.counter import CounterScreen
from screens.customer_file import CustomerFileScreen
from screens.instruction_detail import InstructionDetailScreen
from screens.second_key import SecondKeyScreen
from teller import counter, customers
from tests.test_ui_snapshots import language, size, still_cursor  # noqa: F401 (fixtures)
from tests.ui_support import open_teller_drawer, paste, seed_ui_bank, make_app, sign_in_quickly, wait_until

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)

WANG_ID = "11010519491231002X"


@pytest.fixture
def ui(db):
    made = seed_ui_bank(db)
    open_teller_drawer(made)
    return made


def settled(app) -> bool:
    return not [worker for worker in app.workers if not worker.is_finished and worker.group != "queue-follow"]


def pending_withdrawal(ui) -> None:
    number = customers.customer_file(ui.db, ui.customer_ids["王芳"]).accounts[0].number
    counter.submit(ui.db, ui.bank.teller, counter.MovementDraft(
        kind="cash_withdrawal", customer_id=ui.customer_ids["王芳"], account_number=number, amount="2,000",
        narrative="school fees", document_type="resident_id", document_number=WANG_ID,
        idempotency_key=counter.new_idempotency_key()))


async def type_into(pilot, field: str, value: str) -> None:
    pilot.app.screen.query_one(f"#{field}", Input).focus()
    await pilot.pause()
    await paste(pilot, value)


async def counter_with_a_withdrawal(pilot, ui) -> None:
    """王芳's counter with a withdrawal typed in full, its balances previewed."""
    app = pilot.app
    await sign_in_quickly(pilot, ui)
    await pilot.press("w", "f")
    await wait_until(pilot, lambda: app.screen.query_one("#results", DataTable).row_count == 2)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, CustomerFileScreen) and app.screen.file is not None)
    await pilot.press("f8")
    await wait_until(pilot, lambda: isinstance(app.screen, CounterScreen) and app.screen.file is not None)
    await pilot.press("f5")
    await type_into(pilot, "amount", "2,000")
    await type_into(pilot, "document-number", WANG_ID)
    await type_into(pilot, "narrative", "school fees")
    await wait_until(pilot, lambda: settled(app) and app.screen.preview is not None)


def test_counter(snap_compare, ui, language, size):
    app = make_app(ui)

    async def run_before(pilot) -> None:
        await counter_with_a_withdrawal(pilot, ui)
        await pilot.pause()
        still_cursor(app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_second_key_on_the_same_terminal(snap_compare, ui, language, size):
    app = make_app(ui)

    async def run_before(pilot) -> None:
        await counter_with_a_withdrawal(pilot, ui)
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, SecondKeyScreen) and settled(app))
        await pilot.pause()
        still_cursor(app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_approval_queue(snap_compare, ui, language, size):
    pending_withdrawal(ui)
    app = make_app(ui)

    async def run_before(pilot) -> None:
        await sign_in_quickly(pilot, ui, "super1")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalQueueScreen) and len(app.screen.items) == 1
                         and settled(app))
        await pilot.pause()
        still_cursor(app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_instruction_detail(snap_compare, ui, language, size):
    pending_withdrawal(ui)
    app = make_app(ui)

    async def run_before(pilot) -> None:
        await sign_in_quickly(pilot, ui, "super1")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalQueueScreen) and len(app.screen.items) == 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, InstructionDetailScreen)
                         and app.screen.detail is not None and settled(app))
        await pilot.pause()
        still_cursor(app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
