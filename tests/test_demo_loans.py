"""The demo ledger's loans: an application in each state of origination and two active loans, on a clean
ledger; its tellers' drawers open for the day within the drawer limit."""

import os

from sqlalchemy import select

from models import StaffUser
from teller import audit, demo, drawers, keys, ledger, loan_servicing, loans, staff


def test_demo_has_an_application_in_every_origination_state_and_active_loans(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv(keys.KEY_FILE_ENV, os.environ[keys.KEY_FILE_ENV])  # the demo points it at its own key file
    database = demo.build(10, progress=lambda _message: None).database
    try:
        officer = database.run(lambda s: staff.actor_for(
            s.execute(select(StaffUser).where(StaffUser.username == "officer1")).scalar_one(), "demo"), readonly=True)
        rows = loans.pipeline(database, officer, include_closed=True)
        assert sorted(row.state for row in rows) == sorted(
            ["DRAFT", "SUBMITTED", "UNDER_REVIEW", "RETURNED", "APPROVED", "CONTRACT_SIGNED", "REJECTED", "ACTIVE",
             "ACTIVE"])
        combined = next(row for row in rows if row.product_code == "combined" and row.state == "APPROVED")
        active = [loan_servicing.servicing(database, row.id) for row in rows if row.state == "ACTIVE"]
        assert sorted(len(loan.tranches) for loan in active) == [1, 2]
        assert sorted(loan.outstanding_principal for loan in active) == [60_000_00, 200_000_00]
        assert [a.decision for a in loans.application_file(database, combined.id).approvals] == ["APPROVED"] * 2
        tellers = {view.username: view for view in drawers.branch_drawers(database, officer)}
        for username in ("teller1", "teller2"):  # the counter works at once, and no drawer is born over its limit
            assert tellers[username].state == "open" and 0 < tellers[username].balance <= tellers[username].limit
        assert database.run(ledger.verify, readonly=True).problem is None
        assert database.run(lambda s: audit.verify_chain(s, s.info["audit_key"]), readonly=True).ok
    finally:
        database.dispose()
