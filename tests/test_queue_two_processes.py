"""Two terminals on one PostgreSQL ledger: a supervisor's open approval queue (driven by Pilot here) shows an
instruction a teller submits from another process within a second, without anyone pressing a key."""

import asyncio
import json
import sys
import time

import pytest
from textual.widgets import DataTable

from screens.approval_queue import ApprovalQueueScreen
from teller import customers
from tests.counter_support import assert_clean
from tests.ui_support import make_app, open_teller_drawer, seed_ui_bank, shows, sign_in_quickly
from tests.workers import REPO_ROOT

pytestmark = pytest.mark.parametrize("dialect", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                                     indirect=True)

BOUND_SECONDS = 1.0  # the bound for "appears without a refresh"; a bound, not a speed measurement


def queue_ids(app) -> list[str]:
    table = app.screen.query_one("#queue", DataTable)
    return [str(table.get_row_at(index)[0]) for index in range(table.row_count)]


async def test_a_teller_instruction_from_another_process_appears_in_the_open_queue(db):
    ui = seed_ui_bank(db)
    open_teller_drawer(ui)
    spec = {
        "url": db.url.render_as_string(hide_password=False), "staff_id": ui.bank.teller.staff_id,
        "username": ui.bank.teller.username, "branch_id": ui.bank.branch_id, "customer_id": ui.customer_ids["王芳"],
        "account": customers.customer_file(db, ui.customer_ids["王芳"]).accounts[0].number, "amount": "100",
        "document_number": "11010519491231002X",
    }
    app = make_app(ui)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_quickly(pilot, ui, "super1")
        assert isinstance(app.screen, ApprovalQueueScreen)
        await shows(pilot, "Nothing waits for a second key.")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.submit_at_counter", json.dumps(spec), cwd=REPO_ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
        assert line, (await process.stderr.read()).decode()
        committed_at = time.monotonic()
        instruction = str(json.loads(line)["instruction"])
        while instruction not in queue_ids(app) and time.monotonic() - committed_at < BOUND_SECONDS:
            await pilot.pause(0.02)
        assert instruction in queue_ids(app), f"instruction {instruction} not in the queue within {BOUND_SECONDS} s"
        await process.wait()
    assert_clean(db)
