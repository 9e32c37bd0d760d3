"""The demo ledger's loan applications: one in each state of origination, on a clean ledger."""

import os

from sqlalchemy import select

from models import StaffUser
from teller import audit, demo, keys, ledger, loans, staff


def test_demo_has_an_application_in_every_origination_state(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv(keys.KEY_FILE_ENV, os.environ[keys.KEY_FILE_ENV])  # the demo points it at its own key file
    database = demo.build(10, progress=lambda _message: None).database
    try:
        officer = database.run(lambda s: staff.actor_for(
            s.execute(select(StaffUser).where(StaffUser.username == "officer1")).scalar_one(), "demo"), readonly=True)
        rows = loans.pipeline(database, officer, include_closed=True)
        assert sorted(row.state for row in rows) == sorted(
            ["DRAFT", "SUBMITTED", "UNDER_REVIEW", "RETURNED", "APPROVED", "CONTRACT_SIGNED", "REJECTED"])
        combined = next(row for row in rows if row.product_code == "combined")
        assert [a.decision for a in loans.application_file(database, combined.id).approvals] == ["APPROVED"] * 2
        assert database.run(ledger.verify, readonly=True).problem is None
        assert database.run(lambda s: audit.verify_chain(s, s.info["audit_key"]), readonly=True).ok
    finally:
        database.dispose()
