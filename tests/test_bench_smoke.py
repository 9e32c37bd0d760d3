"""Every benchmark still runs end to end at a tiny scale and reports its figures; the ledgers they write
verify. Nothing here looks at how fast anything was."""

import re
import sqlite3
import subprocess
import sys
import uuid
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from bench.concurrency_pg import floor_statements, statement_shape
from bench.lookup import Driver
from models import Account, Customer, LoanAccount, LoanApplication, LoanSchedule, LoanSequence, StaffUser
from teller import bootstrap, customers, instructions, keys, loan_servicing, loans, staff
from teller.config import LedgerLocation
from teller.ledger import Leg
from teller.loan_products import LoanFacts, LoanTerms, TrancheTerms
from teller.loans import ApplicationDraft

from tests.conftest import POSTGRES_ADMIN_URL, POSTGRES_PROBLEM
from tests.helpers import deposit, submit
from tests.workers import REPO_ROOT

LOOPS = ("raw sqlite3 floor", "teller post_entry", "teller approve")
QUERY_KINDS = ("name prefix (1 char)", "full name (2 Chinese chars)", "given name (2 Chinese chars)",
               "substring (3+ chars)", "pinyin full", "pinyin initials", "ID prefix", "mobile prefix",
               "mobile last four", "account number")
NUMBER = r"[\d.]+"


def bench(*arguments: str, timeout: float = 300) -> str:
    done = subprocess.run([sys.executable, "-m", *arguments], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _postgres_url(name: str) -> str:
    return make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False)


def _drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        for database in (name, f"{name}_raw_floor", f"{name}_pgbench", f"{name}_floor"):
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def generated(request, tmp_path_factory) -> tuple[str, str, str]:
    """A tiny generated branch-network ledger: (database URL, key file, the generator's report)."""
    directory = tmp_path_factory.mktemp("bench")
    key_file = str(directory / "ledger.key")
    if request.param == "sqlite":
        url = f"sqlite:///{directory / 'ledger.sqlite3'}"
    else:
        if POSTGRES_PROBLEM:
            pytest.skip(f"PostgreSQL unreachable: {POSTGRES_PROBLEM}")
        name = f"teller_bench_{uuid.uuid4().hex[:10]}"
        url = _postgres_url(name)
        request.addfinalizer(lambda: _drop_postgres(name))
    report = bench("bench.generate", "--customers", "300", "--chunk", "100", "--floor-customers", "100",
                   "--loans-per-100-customers", "5", "--database", url, "--key-file", key_file, "--verify")
    return url, key_file, report


@pytest.fixture
def generated_ledger(generated, monkeypatch):
    """The generated ledger opened as the workstation opens it."""
    url, key_file, _report = generated
    monkeypatch.setenv(keys.KEY_FILE_ENV, key_file)
    db = bootstrap.open_database(LedgerLocation(make_url(url), "bench"))
    yield db
    db.dispose()


def test_posting_benchmark_reports_every_loop_and_its_ratio(tmp_path):
    output = bench("bench.posting", "--postings", "3", "--runs", "2", "--warmup", "1", "--dir", str(tmp_path))

    rows = {loop: re.search(rf"^{loop}\s+(\d+)\s+([\d.]+)\s+([\d.]+)$", output, re.MULTILINE) for loop in LOOPS}
    assert all(rows.values()), output
    assert all(int(row[1]) > 0 for row in rows.values())
    ratios = re.findall(r"^ratio (teller \w+) / floor: ([\d.]+)", output, re.MULTILINE)
    assert [loop for loop, _ in ratios] == ["teller post_entry", "teller approve"]
    assert all(float(ratio) > 0 for _, ratio in ratios)


SCHEDULE_CASES = ("equal_installment", "equal_principal", "interest_only", "bullet", "equal_installment actual/365")


def test_schedule_benchmark_reports_every_method_against_the_target():
    done = subprocess.run([sys.executable, "bench/schedule.py", "--quick"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300)

    assert done.returncode == 0, done.stderr
    rows = {case: re.search(rf"^{case}\s+([\d.]+)\s+([\d.]+)\s+(yes|no)$", done.stdout, re.MULTILINE)
            for case in SCHEDULE_CASES}
    assert all(rows.values()), done.stdout
    assert all(float(row[1]) > 0 and float(row[2]) >= float(row[1]) for row in rows.values())
    assert "median under 1 ms" in done.stdout


def test_generator_loads_a_ledger_that_verifies_and_compares_it_with_raw_inserts(generated):
    _url, _key_file, report = generated

    assert "Loaded" in report and "(300 customers)" in report, report
    assert re.search(rf"^teller, whole ledger\s+\d+\s+{NUMBER}\s+\d+$", report, re.MULTILINE), report
    assert re.search(rf"^raw executemany, first 100\s+\d+\s+{NUMBER}\s+\d+$", report, re.MULTILINE), report
    assert float(re.search(r"ratio teller / raw floor: ([\d.]+)", report)[1]) > 0
    assert "ledger verified: balances, entries, approvals and audit chain" in report
    loans_line = re.search(r"^loans: (\d+) active \((\d+) with nothing due yet, (\d+) with one on-time repayment, "
                           r"(\d+) with two, (\d+) with an installment past due\); (\d+) rows", report, re.MULTILINE)
    assert loans_line, report
    assert int(loans_line[1]) == 15 and all(int(count) > 0 for count in loans_line.groups()[1:]), report
    assert "loans verified: 15 read back by loan_servicing.servicing" in report, report


def test_generated_customers_carry_the_search_keys_the_service_gives(generated_ledger):
    """Bulk-inserted customers are found as customers the service creates: by name, pinyin and given name."""
    db = generated_ledger
    rows = db.run(lambda session: session.execute(select(
        Customer.name, Customer.name_key, Customer.pinyin_full, Customer.pinyin_initials, Customer.given_name_key,
    )).all(), readonly=True)
    for name, *stored in rows:
        assert stored == [customers.name_key(name), *customers.pinyin_keys(name), customers.given_name_key(name)], name
    named, given = next((name, given) for name, *_keys, given in rows if given and len(given) == 2)
    assert named in [hit.name for hit in customers.search(db, given, limit=customers.MAX_SEARCH_LIMIT)]


def test_generated_loans_look_real_to_loan_servicing(generated_ledger):
    db = generated_ledger

    def read(session):
        active = session.execute(select(LoanApplication.id, LoanApplication.number, LoanApplication.customer_id)
                                 .where(LoanApplication.state == "ACTIVE").order_by(LoanApplication.id)).all()
        balances = dict(session.execute(select(LoanAccount.application_id, Account.balance)
                                        .join(Account, Account.id == LoanAccount.account_id)).all())
        versions = session.scalar(select(func.count()).select_from(LoanSchedule).where(LoanSchedule.version == 1))
        return active, balances, versions

    active, balances, versions = db.run(read, readonly=True)
    assert len(active) == versions == 15
    figures = {application_id: loan_servicing.servicing(db, application_id) for application_id, *_ in active}
    for application_id, number, _customer_id in active:
        loan = figures[application_id]
        assert loan.state == "ACTIVE" and loan.pending_instruction_id is None
        assert loan.outstanding_principal == balances[application_id] > 0, number
        assert [tranche.account_number for tranche in loan.tranches] == [f"{number}-1"]
        assert [(view.reason, view.status) for view in loan.versions] == [("disbursement", "APPROVED")]
        assert [view.status for view in loan.disbursements] == ["APPROVED"]
        assert all(payment.status == "APPROVED" and payment.penalty == payment.fees == 0 for payment in loan.payments)
        assert loan.next_due is not None and loan.next_due.due_date >= loan.on
    repaid = {len(loan.payments) for loan in figures.values()}
    overdue = {customer_id for application_id, _number, customer_id in active if figures[application_id].days_past_due}
    assert repaid == {0, 1, 2} and overdue
    assert all(loan.tranches[0].position.penalty > 0 and loan.tranches[0].position.fees > 0
               for loan in figures.values() if loan.days_past_due)  # penalty interest and the late fee run
    borrowers = [customer_id for *_, customer_id in active]
    assert db.run(lambda session: loan_servicing.overdue_customers(session, borrowers), readonly=True) == overdue
    late = next(number for application_id, number, customer_id in active if customer_id in overdue)
    assert [hit.has_overdue for hit in customers.search(db, late)] == [True]


def test_generated_loan_numbering_continues_in_the_service(generated_ledger):
    db = generated_ledger

    def read(session):
        officer = session.scalars(select(StaffUser).where(StaffUser.username == "officer0001")).one()
        last = session.scalar(select(LoanSequence.last_value).where(LoanSequence.branch_id == officer.branch_id,
                                                                    LoanSequence.year == 2026))
        numbers = list(session.scalars(select(LoanApplication.number).where(
            LoanApplication.branch_id == officer.branch_id).order_by(LoanApplication.number)))
        customer_id = session.scalar(select(LoanApplication.customer_id).order_by(LoanApplication.id).limit(1))
        return staff.actor_for(officer, "bench-test"), last, numbers, customer_id

    officer, last, numbers, customer_id = db.run(read, readonly=True)
    assert numbers[-1] == f"DK00012026{last:06d}"
    made = loans.create_application(db, officer, ApplicationDraft(customer_id, LoanTerms(
        "consumer", (TrancheTerms("standard", 50_000_00, Decimal("0.04"), "equal_installment", 12),),
        date(2026, 12, 20), "装修 home renovation"), LoanFacts(monthly_income=20_000_00)))
    assert made.number == f"DK00012026{last + 1:06d}"


def test_generator_is_deterministic(tmp_path):
    reports = []
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.sqlite3"
        bench("bench.generate", "--customers", "40", "--chunk", "20", "--floor-customers", "0",
              "--database", url, "--key-file", str(tmp_path / f"{name}.key"))
        with sqlite3.connect(tmp_path / f"{name}.sqlite3") as connection:
            reports.append(connection.execute(
                "SELECT group_concat(name || id_number || pinyin_full, ','), (SELECT sum(balance) FROM account),"
                " (SELECT count(*) FROM posting),"
                " (SELECT group_concat(number || amount || first_due_date || purpose, ',') FROM loan_application),"
                " (SELECT sum(principal * number + interest) FROM loan_installment),"
                " (SELECT group_concat(paid_on || principal, ',') FROM loan_payment) FROM customer").fetchone())
    assert reports[0] == reports[1]
    assert reports[0][2] > 40  # opening balances and transfers were posted
    assert reports[0][3].count("DK") == 2  # 5 loans per 100 customers (the default)


def test_lookup_benchmark_reports_every_query_kind_with_its_plan(generated):
    url, key_file, _report = generated

    output = bench("bench.lookup", "--database", url, "--key-file", key_file, "--queries", "5", "--runs", "1")

    for kind in QUERY_KINDS:
        row = re.search(rf"^{re.escape(kind)}\s+(\d+)\s+\d+\s+({NUMBER})\s+({NUMBER})\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}"
                        r"\s+(index|FULL SCAN)$", output, re.MULTILINE)
        assert row, f"{kind} missing:\n{output}"
    assert "worst p95" in output


def test_lookup_plan_check_tells_a_full_scan_from_an_index(generated):
    url, _key_file, _report = generated
    ledger = make_url(url)
    driver = Driver(SimpleNamespace(is_sqlite=ledger.get_backend_name() == "sqlite", url=ledger))
    marker = "?" if ledger.get_backend_name() == "sqlite" else "%(value)s"
    parameters = ("x",) if ledger.get_backend_name() == "sqlite" else {"value": "x"}
    try:
        by_name = f"SELECT id FROM customer WHERE name = {marker}"  # customer.name has no index of its own
        by_id_number = f"SELECT id FROM customer WHERE id_number = {marker}"
        if ledger.get_backend_name() == "postgresql":  # 300 rows: make the planner show what it would do at scale
            driver.connection.execute("SET enable_seqscan = off")
        assert driver.full_scans(by_name, parameters, {"customer"})
        assert not driver.full_scans(by_name, parameters, set())  # a small table may be read whole
        assert not driver.full_scans(by_id_number, parameters, {"customer"})
    finally:
        driver.close()


def test_keystroke_benchmark_times_keys_to_painted_results(generated):
    url, key_file, _report = generated

    output = bench("bench.keystroke", "--database", url, "--key-file", key_file, "--queries", "2", "--warmup", "1")

    keystrokes = re.search(rf"^keystroke to painted results\s+(\d+)(\s+{NUMBER}){{4}}$", output, re.MULTILINE)
    floor = re.search(rf"^search alone \(floor\)\s+(\d+)(\s+{NUMBER}){{4}}$", output, re.MULTILINE)
    assert keystrokes and floor, output
    assert int(keystrokes[1]) == int(floor[1]) > 0
    assert re.search(r"ratio keystroke / search alone \(medians\): [\d.]+", output)


def test_startup_benchmark_compares_with_a_minimal_textual_app(generated):
    url, key_file, _report = generated
    if not url.startswith("sqlite"):
        pytest.skip("one database is enough to keep the start-up benchmark working")

    output = bench("bench.startup", "--database", url, "--key-file", key_file, "--runs", "1")

    assert re.search(r"^minimal Textual app\s+\d+\s+\d+$", output, re.MULTILINE), output
    assert re.search(r"^teller workstation\s+\d+\s+\d+$", output, re.MULTILINE), output
    assert re.search(r"^teller, ledger open\s+\d+\s+\d+$", output, re.MULTILINE), output
    assert re.search(r"ratio teller login screen / minimal Textual app \(medians\): [\d.]+", output)
    assert re.search(r"ratio teller ledger open / minimal Textual app \(medians\): [\d.]+", output)


def test_memory_benchmark_reports_resident_memory_while_searching(generated):
    url, key_file, _report = generated
    if not url.startswith("sqlite"):
        pytest.skip("one database is enough to keep the memory benchmark working")

    output = bench("bench.memory", "--database", url, "--key-file", key_file, "--queries", "2")

    rows = {name: re.search(rf"^{name}\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})$", output, re.MULTILINE)
            for name in ("minimal Textual app", "teller workstation")}
    assert all(rows.values()), output
    assert all(float(row[3]) > 10 for row in rows.values())  # a Python process holds megabytes at least


@pytest.mark.postgres
def test_concurrency_benchmark_posts_from_many_terminals_and_the_ledger_verifies(tmp_path):
    if POSTGRES_PROBLEM:
        pytest.skip(f"PostgreSQL unreachable: {POSTGRES_PROBLEM}")
    name = f"teller_bench_{uuid.uuid4().hex[:10]}"
    try:
        output = bench("bench.concurrency_pg", "--database", _postgres_url(name), "--customers", "60",
                       "--seconds", "1", "--runs", "1", "--clients", "2", "3", "--pgbench-scale", "1",
                       "--key-file", str(tmp_path / "ledger.key"), timeout=600)
    finally:
        _drop_postgres(name)

    for clients in (2, 3):  # terminals, pgbench, their ratio, the floor, its ratio, the terminals' share of it
        row = re.search(rf"^\s+{clients}\s+(\d+)\s+(\d+)\s+({NUMBER})\s+(\d+)\s+({NUMBER})\s+({NUMBER})\s+",
                        output, re.MULTILINE)
        assert row and int(row[2]) > 0 and int(row[4]) > 0, output
    assert re.search(rf"the floor \(Teller's statements from pgbench\) reaches {NUMBER}", output), output
    assert "ledger verified after the runs: 0 invariant violations" in output


@pytest.mark.parametrize("dialect", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_the_concurrency_floor_sends_the_statements_of_a_teller_posting(db, bank):
    """The floor stands for Teller's posting only while it sends the same statements in the same transactions:
    a change to the posting path fails here until `bench/posting_floor.sql` follows it."""
    deposit(db, bank, bank.alice, 500_00)
    shapes: list[tuple[str, ...]] = []

    def statement(_connection, _cursor, sql, parameters, _context, executemany):
        shapes.extend([statement_shape(sql)] * (len(parameters) if executemany else 1))

    listeners = {"before_cursor_execute": statement, "begin": lambda _connection: shapes.append(("BEGIN",)),
                 "commit": lambda _connection: shapes.append(("COMMIT",))}
    for name, listener in listeners.items():
        event.listen(db.engine, name, listener)
    try:
        view = submit(db, bank, [Leg(bank.alice, debit=12_34), Leg(bank.bob, credit=12_34)])
        instructions.approve(db, view.id, bank.supervisor)
    finally:
        for name, listener in listeners.items():
            event.remove(db.engine, name, listener)

    assert shapes.count(("COMMIT",)) == 2  # the maker's unit of work, then the checker's
    assert [statement_shape(sql) for sql in floor_statements()] == shapes
