"""Every benchmark still runs end to end at a tiny scale and reports its figures; the ledgers they write
verify. Nothing here looks at how fast anything was."""

import re
import sqlite3
import subprocess
import sys
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy.engine import make_url

from bench.lookup import Driver

from tests.conftest import POSTGRES_ADMIN_URL, POSTGRES_PROBLEM
from tests.workers import REPO_ROOT

LOOPS = ("raw sqlite3 floor", "teller post_entry", "teller approve")
QUERY_KINDS = ("name prefix (1 char)", "full name (2 Chinese chars)", "substring (3+ chars)", "pinyin full",
               "pinyin initials", "ID prefix", "mobile prefix", "mobile last four", "account number")
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
        for database in (name, f"{name}_raw_floor", f"{name}_pgbench"):
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
                   "--database", url, "--key-file", key_file, "--verify")
    return url, key_file, report


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


def test_generator_is_deterministic(tmp_path):
    reports = []
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.sqlite3"
        bench("bench.generate", "--customers", "40", "--chunk", "20", "--floor-customers", "0",
              "--database", url, "--key-file", str(tmp_path / f"{name}.key"))
        with sqlite3.connect(tmp_path / f"{name}.sqlite3") as connection:
            reports.append(connection.execute(
                "SELECT group_concat(name || id_number || pinyin_full, ','), (SELECT sum(balance) FROM account),"
                " (SELECT count(*) FROM posting) FROM customer").fetchone())
    assert reports[0] == reports[1]
    assert reports[0][2] > 40  # opening balances and transfers were posted


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
    assert re.search(r"ratio teller / minimal Textual app \(medians\): [\d.]+", output)


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

    for clients in (2, 3):
        row = re.search(rf"^\s+{clients}\s+(\d+)\s+(\d+)\s+({NUMBER})\s+", output, re.MULTILINE)
        assert row and int(row[2]) > 0, output
    assert "ledger verified after the runs: 0 invariant violations" in output
