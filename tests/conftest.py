"""Test harness: a real SQLite file and a real PostgreSQL database per test, both cloned from a template
migrated once per worker. In CI (CI=true) an unreachable PostgreSQL fails the run; elsewhere the
PostgreSQL half is skipped with a message saying why."""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

# Set before Teller is imported anywhere: a key file and fast (still argon2id) password hashing.
_RUN_DIR = Path(tempfile.mkdtemp(prefix="teller-tests-"))
os.environ["TELLER_KEY_FILE"] = str(_RUN_DIR / "ledger.key")
os.environ["TELLER_FAST_PASSWORD_HASH"] = "1"
os.environ.pop("TELLER_DATABASE_URL", None)

from teller import bootstrap  # noqa: E402
from teller.actor import system_actor  # noqa: E402
from teller.config import LedgerLocation  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get("TELLER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as error:
        return str(error).strip().splitlines()[0]


POSTGRES_PROBLEM = _postgres_problem()


def pytest_sessionstart(session: pytest.Session) -> None:
    if POSTGRES_PROBLEM and IN_CI:
        raise pytest.UsageError(
            f"CI=true but PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable ({POSTGRES_PROBLEM}): "
            "the PostgreSQL tests must run in CI"
        )


def pytest_report_header(config) -> str:
    if POSTGRES_PROBLEM:
        return f"PostgreSQL tests SKIPPED: {POSTGRES_ADMIN_URL} unreachable ({POSTGRES_PROBLEM})"
    return f"PostgreSQL tests against {POSTGRES_ADMIN_URL}"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _admin_execute(sql: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)


def _pg_url(database: str):
    return make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+psycopg", database=database)


class Templates:
    """Migrated, initialised template ledgers to clone per test."""

    def __init__(self) -> None:
        self.sqlite_path: Path | None = None
        self.postgres_name: str | None = None

    def sqlite(self) -> Path:
        if self.sqlite_path is None:
            path = _RUN_DIR / f"template-{_worker()}.sqlite3"
            location = LedgerLocation(make_url(f"sqlite:///{path}"), "test template")
            database, _ = bootstrap.upgrade(location, system_actor("tests"))
            database.dispose()
            self.sqlite_path = path
        return self.sqlite_path

    def postgres(self) -> str:
        if self.postgres_name is None:
            name = f"teller_template_{_worker()}_{os.getpid()}"
            _admin_execute(f'DROP DATABASE IF EXISTS "{name}"')
            _admin_execute(f'CREATE DATABASE "{name}"')
            location = LedgerLocation(_pg_url(name), "test template")
            database, _ = bootstrap.upgrade(location, system_actor("tests"))
            database.dispose()
            self.postgres_name = name
        return self.postgres_name

    def drop(self) -> None:
        if self.postgres_name:
            _admin_execute(f'DROP DATABASE IF EXISTS "{self.postgres_name}"')


@pytest.fixture(autouse=True)
def documents_in_tmp(tmp_path, monkeypatch):
    """Receipts, proofs and reports a test saves go to its own folder, never the user's documents."""
    monkeypatch.setenv("TELLER_DOCUMENTS_DIR", str(tmp_path / "documents"))


@pytest.fixture(scope="session")
def templates():
    made = Templates()
    yield made
    made.drop()


def _fresh_sqlite(templates: Templates, directory: Path) -> LedgerLocation:
    path = directory / "ledger.sqlite3"
    shutil.copyfile(templates.sqlite(), path)
    return LedgerLocation(make_url(f"sqlite:///{path}"), "test")


def _fresh_postgres(templates: Templates, request) -> LedgerLocation:
    if POSTGRES_PROBLEM:
        pytest.skip(f"PostgreSQL unreachable: {POSTGRES_PROBLEM}")
    name = f"teller_t_{uuid.uuid4().hex[:12]}"
    _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{templates.postgres()}"')
    request.addfinalizer(lambda: _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return LedgerLocation(_pg_url(name), "test")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def dialect(request) -> str:
    return request.param


@pytest.fixture
def location(dialect, templates, tmp_path, request) -> LedgerLocation:
    """A migrated, initialised, empty ledger of the test's dialect."""
    if dialect == "sqlite":
        return _fresh_sqlite(templates, tmp_path)
    return _fresh_postgres(templates, request)


def books_problems(database) -> list[str]:
    """What `teller ledger verify` and `teller audit verify` would report on the ledger."""
    from teller import audit, ledger

    def work(session) -> list[str]:
        report = ledger.verify(session)
        chain = audit.verify_chain(session, session.info["audit_key"])
        return ([f"ledger verify: {report.problem}"] if not report.ok else []) + (
            [f"audit verify: {chain.problem}"] if not chain.ok else [])

    return database.run(work, readonly=True)


@pytest.fixture
def db(location, request):
    """An open ledger; after the test, the ledger and the audit chain must verify clean (as after every flow
    at a branch), unless the test is marked `tampers` because it breaks them on purpose."""
    database = bootstrap.open_database(location)
    yield database
    try:
        if request.node.get_closest_marker("tampers") is None:
            problems = books_problems(database)
            assert not problems, f"the books do not verify after the test: {problems}"
    finally:
        database.dispose()


@pytest.fixture
def bank(db):
    from tests.helpers import seed_bank

    return seed_bank(db)
