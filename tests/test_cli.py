"""The `teller` command line, run as a person would: one clear line on error, non-zero exit on a problem."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest

from sqlalchemy import text

from tests.helpers import PASSWORD, deposit, post
from teller.ledger import Leg


def teller(location, *args, stdin: str = ""):
    env = {**os.environ, "TELLER_DATABASE_URL": location.url.render_as_string(hide_password=False)}
    return subprocess.run([sys.executable, "-m", "teller", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_version():
    result = subprocess.run([sys.executable, "-m", "teller", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("teller, version")


def test_upgrade_then_verify_on_a_new_ledger(tmp_path):
    from sqlalchemy.engine import make_url

    from teller.config import LedgerLocation

    location = LedgerLocation(make_url(f"sqlite:///{tmp_path / 'new' / 'ledger.sqlite3'}"), "test")
    status = teller(location, "db", "status")
    assert "no ledger file yet" in status.stdout
    upgraded = teller(location, "db", "upgrade")
    assert upgraded.returncode == 0 and "Created a new ledger" in upgraded.stdout
    assert "Ledger: embedded SQLite file" in upgraded.stderr
    again = teller(location, "db", "upgrade")
    assert "Ledger upgraded" in again.stdout
    assert "up to date" in teller(location, "db", "status").stdout
    assert teller(location, "ledger", "verify").returncode == 0
    assert teller(location, "audit", "verify").returncode == 0


@pytest.mark.postgres
def test_upgrade_then_verify_on_a_new_postgresql_database(request):
    from sqlalchemy.engine import make_url

    from teller.config import LedgerLocation
    from tests.conftest import POSTGRES_ADMIN_URL, POSTGRES_PROBLEM, _admin_execute

    if POSTGRES_PROBLEM:
        pytest.skip(f"PostgreSQL unreachable: {POSTGRES_PROBLEM}")
    name = f"teller_cli_{uuid.uuid4().hex[:10]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    request.addfinalizer(lambda: _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    location = LedgerLocation(make_url(POSTGRES_ADMIN_URL).set(database=name), "test")
    upgraded = teller(location, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Created a new ledger" in upgraded.stdout and "Ledger: PostgreSQL" in upgraded.stderr
    assert "up to date" in teller(location, "db", "status").stdout
    verified = teller(location, "ledger", "verify")
    assert verified.returncode == 0 and "Ledger verified" in verified.stdout
    assert teller(location, "audit", "verify").returncode == 0


def test_verify_and_trial_balance_after_postings(db, bank, location):
    deposit(db, bank, bank.alice, 500_00)
    post(db, bank, [Leg(bank.alice, debit=120_00), Leg(bank.bob, credit=120_00)])
    verified = teller(location, "ledger", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "2 entries, 4 postings" in verified.stdout
    trial = teller(location, "ledger", "trial-balance")
    assert trial.returncode == 0 and "balanced" in trial.stdout and "OUT OF BALANCE" not in trial.stdout
    audit = teller(location, "audit", "verify")
    assert audit.returncode == 0 and "Audit chain verified" in audit.stdout
    listed = teller(location, "instruction", "list")
    assert "cash_deposit" in listed.stdout and "APPROVED" in listed.stdout


@pytest.mark.tampers
def test_verify_names_a_balance_changed_behind_the_ledger(db, bank, location):
    deposit(db, bank, bank.alice, 500_00)
    with db.engine.begin() as connection:  # past the database's guard, as someone with admin rights could
        if db.is_sqlite:
            connection.execute(text("UPDATE ledger_gate SET open = 1"))
        else:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text("UPDATE account SET balance = balance + 1 WHERE number = :n"), {"n": bank.alice})
        if db.is_sqlite:
            connection.execute(text("UPDATE ledger_gate SET open = 0"))
    result = teller(location, "ledger", "verify")
    assert result.returncode == 1
    assert f"account {bank.alice} balance 500.01 differs from its postings 500.00" in result.stderr
    assert "Traceback" not in result.stderr
    trial = teller(location, "ledger", "trial-balance")
    assert trial.returncode == 1 and "OUT OF BALANCE" in trial.stdout


def test_unreachable_database_is_one_line(tmp_path):
    env = {**os.environ, "TELLER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = subprocess.run([sys.executable, "-m", "teller", "ledger", "verify"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "cannot open the ledger" in errors[0] and "Traceback" not in result.stderr


def test_bootstrap_staff_then_four_eyes(db, bank, location):
    # The seeded bank has one admin: set-up may add the second directly, after that only proposals.
    created = teller(location, "staff", "add", "admin2", "--name", "Admin Two", "--branch", bank.branch_code,
                     "--roles", "admin", stdin="Keys#Second2026\nKeys#Second2026\n")
    assert created.returncode == 0, created.stderr
    refused = teller(location, "staff", "add", "teller7", "--name", "T7", "--branch", bank.branch_code,
                     "--roles", "teller", stdin="Drawer#7777xx\nDrawer#7777xx\n")
    assert refused.returncode == 1 and "propose the change with --as ADMIN" in refused.stderr
    listed = teller(location, "staff", "list")
    assert "admin2" in listed.stdout and "teller7" not in listed.stdout


def test_policy_show_lists_limits(location):
    shown = teller(location, "policy", "show")
    assert shown.returncode == 0 and "supervisor" in shown.stdout and "200,000.00" in shown.stdout


def test_enroll_totp_shows_a_qr_code_and_activates_on_the_first_code(db, bank, location):
    from teller import authentication, clock, totp

    env = {**os.environ, "TELLER_DATABASE_URL": location.url.render_as_string(hide_password=False)}
    process = subprocess.Popen([sys.executable, "-m", "teller", "staff", "enroll-totp", "super2"], env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    shown = []
    for line in process.stdout:
        shown.append(line)
        if "secret into the authenticator:" in line:
            break
    secret = shown[-1].rsplit(":", 1)[1].strip()
    assert any("█" in line or "▀" in line or "▄" in line for line in shown), "no QR code drawn"
    earlier = clock.now() - timedelta(seconds=30)
    output, errors = process.communicate(totp.code_at(secret, earlier) + "\n", timeout=60)
    assert process.returncode == 0, errors
    assert "Authenticator enrolled for super2" in output
    actor = authentication.authenticate(db, "super2", PASSWORD, totp.code_at(secret, clock.now()), "t")
    assert actor.username == "super2"


def test_staff_change_proposed_and_approved_by_two_admins_on_the_command_line(db, bank, location):
    from teller import clock, staff, totp
    from teller.actor import system_actor
    from tests.helpers import enrol

    db.run(lambda session: staff.create_staff(session, system_actor("t"), username="admin2", display_name="A2",
                                              branch_code=bank.branch_code, roles=("admin",), password=PASSWORD))
    secrets = {username: enrol(db, username) for username in ("admin1", "admin2")}

    def next_code(username):
        return totp.code_at(secrets[username], clock.now() + timedelta(seconds=30))

    proposed = teller(location, "staff", "add", "teller9", "--name", "张伟", "--branch", bank.branch_code,
                      "--roles", "teller", "--as", "admin1",
                      stdin=f"Drawer#9012x\nDrawer#9012x\n{PASSWORD}\n{next_code('admin1')}\n")
    assert proposed.returncode == 0, proposed.stderr
    change_id = proposed.stdout.split("admin change ")[1].split()[0]
    assert "teller9" not in teller(location, "staff", "list").stdout
    assert change_id in teller(location, "admin", "pending").stdout
    approved = teller(location, "admin", "approve", change_id, "--as", "admin2",
                      stdin=f"{PASSWORD}\n{next_code('admin2')}\n")
    assert approved.returncode == 0, approved.stderr
    assert "teller9" in teller(location, "staff", "list").stdout
