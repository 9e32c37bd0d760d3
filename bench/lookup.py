"""Customer lookup latency: every query kind of `teller.customers.search` against the floor, with each
statement's query plan checked to use an index.

The queries are drawn (seeded) from the ledger's own customers, so each finds someone:

- ``name prefix (1 char)``: a name's first character (王, 李, J ...);
- ``full name (2 Chinese chars)``: a two-character Chinese name (王芳), exact and prefix matches;
- ``given name (2 Chinese chars)``: a two-character given name without its surname (小芳 of 王小芳 or
  欧阳小芳), through the given-name index;
- ``substring (3+ chars)``: three or more characters from inside a name (the trigram index);
- ``pinyin full`` / ``pinyin initials``: wangfang, wf;
- ``ID prefix``: the first ten characters of a resident ID number;
- ``mobile prefix`` / ``mobile last four``: 1381234, 5678;
- ``account number``: a deposit account's full number.

Teller's figure is the wall time of one `customers.search(db, query)` call (20 results, as the lookup
screen asks). The floor is the same SQL statements that call sent, captured from the driver and replayed
through the DB-API driver alone (sqlite3 or psycopg) on the same database, as Teller sends them (in one
transaction on SQLite; on PostgreSQL outside one, on a connection that plans each statement once, as
Teller's lookup connections do): what the database needs for the answer, without Teller's Python around
it. Every captured statement is also explained: EXPLAIN QUERY PLAN on SQLite, and on PostgreSQL the one
plan a lookup connection keeps for it (`bench.measure.generic_plan`); a full scan (SQLite ``SCAN t`` without an
index, PostgreSQL ``Seq Scan``) of a table of ``--scan-rows`` rows or more (default 50,000) is reported
as a plan problem and makes the run exit 1. Smaller tables may rightly be read whole (the generated
ledger has no pending instructions, so their link table is empty), so tiny ledgers check little.

Run from the repository root on a generated ledger (bench/generate.py)::

    python -m bench.lookup --database sqlite:////work/benchdata/teller-1m.sqlite3
    python -m bench.lookup --database postgresql://postgres@127.0.0.1/teller_1m --key-file /work/benchdata/teller_1m-pg.key
"""

import argparse
import os
import random
import re
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/lookup.py` finds teller

from bench.measure import generic_plan, key_file_for, ledger_url, machine, median, p95, raw_url  # noqa: E402
from models import Account, Customer, CustomerPhone  # noqa: E402
from teller import accounts, bootstrap, chinese_names, customers, keys  # noqa: E402
from teller.config import LedgerLocation  # noqa: E402
from teller.db import GENERIC_PLANS, Database  # noqa: E402

TARGET_P95_MS = 5.0
RESULTS = 20  # what the lookup screen asks for


# --- Queries drawn from the ledger ----------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    name: str
    id_number: str
    mobile: str
    account: str


def samples(db: Database, count: int, seed: int) -> list[Sample]:
    """`count` customers picked by id with a seeded generator (their name, ID, registered mobile, account)."""

    def work(session) -> list[Sample]:
        highest = session.scalar(select(Customer.id).order_by(Customer.id.desc()).limit(1))
        rng = random.Random(seed)
        picked = []
        while len(picked) < count:
            customer_id = rng.randint(1, highest)
            row = session.execute(
                select(Customer.name, Customer.id_number, CustomerPhone.number, Account.number)
                .join(CustomerPhone, (CustomerPhone.customer_id == Customer.id) & CustomerPhone.is_registered)
                .join(Account, (Account.customer_id == Customer.id) & (Account.gl_code == accounts.DEPOSIT_GL))
                .where(Customer.id == customer_id).limit(1)
            ).first()
            if row is not None:
                picked.append(Sample(*row))
        return picked

    return db.run(work, readonly=True)


def query_kinds(people: list[Sample]) -> dict[str, list[str]]:
    """Per query kind, one query from each sampled customer that has that kind of key."""
    chinese = [person.name for person in people if chinese_names.is_chinese(person.name)]
    latin = [customers.name_key(person.name) for person in people if not chinese_names.is_chinese(person.name)]
    given_names = [customers.given_name_key(name) for name in chinese]
    substrings = [name for name in chinese if len(name) >= 3] + [name[1:5] for name in latin if len(name) >= 5]
    return {
        "name prefix (1 char)": [person.name[0] for person in people],
        "full name (2 Chinese chars)": [name for name in chinese if len(name) == 2],
        "given name (2 Chinese chars)": [given for given in given_names if given and len(given) == 2],
        "substring (3+ chars)": substrings,
        "pinyin full": [customers.pinyin_keys(name)[0] for name in chinese],
        "pinyin initials": [customers.pinyin_keys(name)[1] for name in chinese],
        "ID prefix": [person.id_number[:10] for person in people],
        "mobile prefix": [person.mobile[:7] for person in people],
        "mobile last four": [person.mobile[-4:] for person in people],
        "account number": [person.account for person in people],
    }


# --- Capturing and replaying the statements ---------------------------------------------------------------

@dataclass
class Capture:
    """The statements (with parameters) the driver is sent while capturing is on."""

    on: bool = False
    statements: list[tuple[str, object]] = field(default_factory=list)

    def install(self, db: Database) -> None:
        @event.listens_for(db.lookup_engine, "before_cursor_execute")
        def _seen(_connection, _cursor, statement, parameters, _context, _executemany) -> None:
            if self.on and not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
                self.statements.append((statement, parameters))

    def of(self, action: Callable[[], object]) -> list[tuple[str, object]]:
        self.statements, self.on = [], True
        try:
            action()
        finally:
            self.on = False
        return self.statements


class Driver:
    """The database through its DB-API driver alone: replaying statements, and explaining them."""

    def __init__(self, db: Database) -> None:
        self.sqlite = db.is_sqlite
        if self.sqlite:
            self.connection = sqlite3.connect(db.url.database, isolation_level=None)
        else:
            import psycopg

            # As Teller looks up (teller.db): statements outside a transaction, each planned once.
            self.connection = psycopg.connect(raw_url(db.url), autocommit=True, options=GENERIC_PLANS)

    def replay(self, statements: list[tuple[str, object]]) -> None:
        if self.sqlite:
            self.connection.execute("BEGIN")
            for statement, parameters in statements:
                self.connection.execute(statement, parameters).fetchall()
            self.connection.execute("COMMIT")
            return
        with self.connection.cursor() as cursor:
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()

    def table_rows(self) -> dict[str, int]:
        if self.sqlite:
            tables = [row[0] for row in self.connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'")]
            return {table: self.connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r'")
            return dict(cursor.fetchall())

    def full_scans(self, statement: str, parameters: object, big_tables: set[str]) -> list[str]:
        """The plan lines that read a whole big table rather than use an index."""
        if self.sqlite:
            lines = [row[3] for row in self.connection.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
            scans = [re.match(r"SCAN (\w+)( (?!USING|VIRTUAL)|$)", line) for line in lines]
        else:
            lines = [line.strip() for line in generic_plan(self.connection, statement, parameters)]
            scans = [re.search(r"Seq Scan on (\w+)", line) for line in lines]
        return [line for line, scan in zip(lines, scans, strict=True) if scan and scan[1] in big_tables]

    def close(self) -> None:
        self.connection.close()


# --- Measuring ------------------------------------------------------------------------------------------

@dataclass
class KindFigures:
    kind: str
    teller_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    statements: int = 0
    plan_problems: list[str] = field(default_factory=list)


def clock_ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def measure(db: Database, kinds: dict[str, list[str]], runs: int, scan_rows: int) -> list[KindFigures]:
    capture = Capture()
    capture.install(db)
    driver = Driver(db)
    big_tables = {table for table, rows in driver.table_rows().items() if rows >= scan_rows}
    figures = []
    for kind, queries in kinds.items():
        figure = KindFigures(kind)
        captured = {}
        for query in queries:  # warm-up, capture and plan check
            captured[query] = capture.of(lambda: customers.search(db, query, limit=RESULTS))
            driver.replay(captured[query])
            for statement, parameters in captured[query]:
                figure.plan_problems += [f"{query!r}: {line}" for line in driver.full_scans(statement, parameters, big_tables)]
        figure.statements = round(sum(len(statements) for statements in captured.values()) / max(1, len(captured)))
        for _ in range(runs):
            for query in queries:
                figure.teller_ms.append(clock_ms(lambda: customers.search(db, query, limit=RESULTS)))
                figure.floor_ms.append(clock_ms(lambda: driver.replay(captured[query])))
        figures.append(figure)
    driver.close()
    return figures


def report(figures: list[KindFigures], db: Database, args) -> None:
    print(f"Lookup benchmark on {db.engine.dialect.name} ({args.customers_found} customers); {machine()}")
    print(f"{args.queries} sampled customers (seed {args.seed}); warm-up pass, then {args.runs} counted passes;"
          f" search(limit={RESULTS}) against its own statements replayed raw\n")
    print(f"{'query kind':<28} {'n':>5} {'stmts':>5} {'median ms':>9} {'p95 ms':>8} {'floor med':>9}"
          f" {'floor p95':>9} {'ratio':>6}  plan")
    for figure in figures:
        if not figure.teller_ms:
            print(f"{figure.kind:<28} {0:>5}  (no sampled customer has this kind of key)")
            continue
        plan = "index" if not figure.plan_problems else "FULL SCAN"
        ratio = median(figure.teller_ms) / median(figure.floor_ms)
        print(f"{figure.kind:<28} {len(figure.teller_ms):>5} {figure.statements:>5} {median(figure.teller_ms):>9.2f}"
              f" {p95(figure.teller_ms):>8.2f} {median(figure.floor_ms):>9.2f} {p95(figure.floor_ms):>9.2f}"
              f" {ratio:>6.2f}  {plan}")
    worst = max((p95(figure.teller_ms), figure.kind) for figure in figures if figure.teller_ms)
    print(f"\nworst p95: {worst[0]:.2f} ms ({worst[1]}); target p95 <= {TARGET_P95_MS:.0f} ms for every kind")
    for figure in figures:
        for problem in figure.plan_problems[:3]:
            print(f"PLAN PROBLEM ({figure.kind}): {problem}")


def open_ledger(database: str, key_file: Path | None) -> Database:
    url = ledger_url(database)
    os.environ[keys.KEY_FILE_ENV] = str(key_file_for(url, key_file))
    return bootstrap.open_database(LedgerLocation(url, "bench"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a generated ledger")
    parser.add_argument("--key-file", type=Path, help="the ledger's key file (default: next to a SQLite file)")
    parser.add_argument("--queries", type=int, default=100, help="sampled customers, one query each per kind")
    parser.add_argument("--runs", type=int, default=5, help="counted passes over the queries (default 5)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--scan-rows", type=int, default=50_000,
                        help="a full scan of a table this big is a plan problem (default 50000)")
    args = parser.parse_args(argv)
    if args.queries < 1 or args.runs < 1:
        parser.error("use --queries >= 1 and --runs >= 1")
    db = open_ledger(args.database, args.key_file)
    args.customers_found = db.run(lambda s: s.scalar(text("SELECT count(*) FROM customer")), readonly=True)
    figures = measure(db, query_kinds(samples(db, args.queries, args.seed)), args.runs, args.scan_rows)
    report(figures, db, args)
    db.dispose()
    return 1 if any(figure.plan_problems for figure in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
