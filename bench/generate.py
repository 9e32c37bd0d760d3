"""A deterministic branch-network ledger at any scale, for the benchmarks: branches with their staff,
customers with realistic Chinese and Latin names, valid resident IDs and mobiles, home addresses, one
deposit account each, opening balances and customer-to-customer transfers. Loans are not generated yet.

The ledger is made by Teller itself: `teller.bootstrap` runs the migrations and gives it its identity and
key, branches and staff are created by the services. Customers and money then go in by bulk inserts in
one unit of work per chunk (`Database.run`, SQLAlchemy Core executemany on the models' tables), each
chunk holding the customers, their phones, addresses and accounts, and the approved instructions, postings
and entry headers that move money. The database enforces the ledger on every row as always: the entry
header's trigger checks that its postings balance, that its instruction is approved by a checker who is
not its maker, and that no deposit goes below zero, then moves the balances. Instructions are written as
APPROVED with their maker and checker(s) as the approval policy requires (two keys above the single
limit), with the canonical payload and hash `instructions.submit` would give them. Each chunk writes one
audit row (``bench.bulk_loaded``), not one per customer, so the audit chain stays intact and verifiable.

The load rate is compared with the floor: the same rows, sent by raw DB-API ``executemany`` (sqlite3 or
psycopg) on a ledger of their own made the same way (same schema and triggers, same settings), over the
first ``--floor-customers`` customers. The target is at least half the floor's rows per second.

Run from the repository root, e.g.::

    python -m bench.generate --customers 1000000 --database sqlite:////work/benchdata/teller-1m.sqlite3
    python -m bench.generate --customers 1000000 --database postgresql+psycopg://postgres@127.0.0.1/teller_1m

The key file is kept next to the SQLite file, or in ``--key-file``. ``--verify`` checks the ledger
(`ledger.verify`, the audit chain) afterwards: minutes at a million customers, seconds at small scales.
"""

import argparse
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import URL

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/generate.py` finds teller

from bench.measure import key_file_for, ledger_url, raw_url  # noqa: E402
from models import (  # noqa: E402
    Account,
    Branch,
    Customer,
    CustomerAddress,
    CustomerPhone,
    Instruction,
    JournalEntry,
    Posting,
    StaffUser,
)
from teller import (  # noqa: E402
    accounts,
    audit,
    bootstrap,
    customers,
    identifiers,
    instructions,
    keys,
    ledger,
    policy,
    staff,
    synthetic_people,
)
from teller.actor import system_actor  # noqa: E402
from teller.config import LedgerLocation  # noqa: E402
from teller.db import Database  # noqa: E402
from teller.ledger import Leg  # noqa: E402

BUSINESS_DATE = date(2026, 11, 24)
LOADED_AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CURRENCY = "CNY"
PASSWORD = "Bench#Pass2026"
STAFF_ROLES = (("teller", ("teller",)), ("super", ("supervisor",)), ("manager", ("branch_manager",)))
# Opening balances go in entries of many legs (plus the clearing leg), each within a branch's top
# approval limit for two keys.
OPENING_LEGS = 500
OPENING_BATCH_LIMIT = 4_000_000_00
TRANSFER_MAX_YUAN = 50
# Tables in the order a chunk writes them: postings before their entry header, which seals them.
TABLES = (Customer, CustomerPhone, CustomerAddress, Account, Instruction, Posting, JournalEntry)
SEQUENCED = ("customer", "customer_phone", "customer_address", "account", "instruction", "posting", "journal_entry")


# --- The ledger to load ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class BranchInfo:
    id: int
    code: str
    deposit_prefix: str
    clearing_number: str
    clearing_id: int
    teller_id: int
    supervisor_id: int
    manager_id: int


def recreate(url: URL) -> None:
    """Start from nothing: delete the SQLite file (and its WAL) or drop and create the PostgreSQL database."""
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        return
    admin = bootstrap.plain_engine(url.set(database="postgres")).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def drop(url: URL) -> None:
    if url.get_backend_name() == "sqlite":
        for leftover in Path(url.database).parent.glob(Path(url.database).name + "*"):
            leftover.unlink()
        return
    admin = bootstrap.plain_engine(url.set(database="postgres")).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def create_ledger(url: URL, branch_count: int) -> tuple[Database, list[BranchInfo]]:
    """A new ledger through Teller's own bootstrap, with its branches and, per branch, a teller, a
    supervisor and a branch manager (created by the staff service)."""
    operator = system_actor("bench")
    os.environ.setdefault("TELLER_FAST_PASSWORD_HASH", "1")  # nothing here measures password hashing
    db, created = bootstrap.upgrade(LedgerLocation(url, "bench"), operator)
    if not created:
        raise SystemExit(f"{url.render_as_string()} is not a new ledger")
    codes = [f"{number:04d}" for number in range(1, branch_count + 1)]
    for code in codes:
        accounts.create_branch(db, operator, code, f"第{code}支行 Branch {code}", BUSINESS_DATE)

    def make_staff(session) -> None:
        for code in codes:
            for username, roles in STAFF_ROLES:
                staff.create_staff(session, operator, username=f"{username}{code}", display_name=f"{username} {code}",
                                   branch_code=code, roles=roles, password=PASSWORD)

    db.run(make_staff)
    return db, db.run(lambda session: branch_infos(session, codes), readonly=True)


def branch_infos(session, codes: list[str]) -> list[BranchInfo]:
    infos = []
    for code in codes:
        branch_id = session.scalar(select(Branch.id).where(Branch.code == code))
        clearing = accounts.branch_account_number(code, "3001")
        people = {username: session.scalar(select(StaffUser.id).where(StaffUser.username == f"{username}{code}"))
                  for username, _roles in STAFF_ROLES}
        infos.append(BranchInfo(
            id=branch_id, code=code, deposit_prefix=accounts.deposit_prefix(code), clearing_number=clearing,
            clearing_id=session.scalar(select(Account.id).where(Account.number == clearing)),
            teller_id=people["teller"], supervisor_id=people["super"], manager_id=people["manager"],
        ))
    return infos


# --- Rows ---------------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _name_keys(name: str) -> tuple[str, str, str]:
    return (customers.name_key(name)[:120], *customers.pinyin_keys(name))


@dataclass
class Chunk:
    customers: int
    rows: dict[str, list[dict]] = field(default_factory=lambda: {model.__tablename__: [] for model in TABLES})

    @property
    def row_count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


class Network:
    """Generates the rows of a branch-network ledger chunk by chunk, from one seed: the same seed and
    sizes give the same customers, accounts and postings."""

    def __init__(self, db: Database, branches: list[BranchInfo], seed: int, transfers_per_customer: float) -> None:
        self.branches = branches
        self.rng = random.Random(seed)
        self.transfers_per_customer = transfers_per_customer
        self.used_ids: set[str] = set()
        self.used_mobiles: set[str] = set()
        self.serials = {branch.code: 0 for branch in branches}
        self.customers = 0
        self.transfers_due = 0.0
        self.accounts: list[tuple[int, str, BranchInfo]] = []  # (id, number, branch) of customer accounts
        self.balances: list[int] = []

        def next_ids(session) -> dict[str, int]:
            ids = {model.__tablename__: session.scalar(select(func.coalesce(func.max(model.id), 0)))
                   for model in TABLES}
            return ids

        self.last_id = db.run(next_ids, readonly=True)
        self.required_checkers = lru_cache(maxsize=None)(
            lambda amount: db.run(lambda s: policy.required_checkers(s, "transfer", CURRENCY, amount), readonly=True))

    def _id(self, table: str) -> int:
        self.last_id[table] += 1
        return self.last_id[table]

    def chunk(self, count: int) -> Chunk:
        chunk = Chunk(count)
        openings: dict[str, list[tuple[int, str, int]]] = {branch.code: [] for branch in self.branches}
        for _ in range(count):
            branch = self.branches[self.customers % len(self.branches)]
            self.customers += 1
            account_id, number = self._customer(chunk, branch)
            balance = self.rng.choice((self.rng.randint(100, 5_000), self.rng.randint(5_000, 80_000),
                                       self.rng.randint(80_000, 180_000))) * 100
            openings[branch.code].append((account_id, number, balance))
        for branch in self.branches:
            batch: list[tuple[int, str, int]] = []
            for leg in openings[branch.code]:
                if len(batch) == OPENING_LEGS or sum(balance for *_, balance in batch) + leg[2] > OPENING_BATCH_LIMIT:
                    self._opening(chunk, branch, batch)
                    batch = []
                batch.append(leg)
            if batch:
                self._opening(chunk, branch, batch)
        self.transfers_due += count * self.transfers_per_customer
        while self.transfers_due >= 1:
            self.transfers_due -= 1
            self._transfer(chunk)
        return chunk

    def _customer(self, chunk: Chunk, branch: BranchInfo) -> tuple[int, str]:
        rng = self.rng
        name = synthetic_people.person_name(rng)
        number, gender = synthetic_people.resident_id(rng, self.used_ids)
        phone = synthetic_people.mobile(rng, self.used_mobiles)
        name_key, pinyin_full, pinyin_initials = _name_keys(name)
        customer_id = self._id("customer")
        chunk.rows["customer"].append(dict(
            id=customer_id, kind="individual", name=name, name_key=name_key, pinyin_full=pinyin_full,
            pinyin_initials=pinyin_initials, id_type="resident_id", id_number=number,
            birth_date=identifiers.birth_date_of(number), gender=gender, segment=synthetic_people.segment(rng),
            relationship_owner_id=branch.manager_id, created_at=LOADED_AT, updated_at=LOADED_AT,
        ))
        chunk.rows["customer_phone"].append(dict(
            id=self._id("customer_phone"), customer_id=customer_id, kind="mobile", number=phone,
            last_four=phone[-4:], is_registered=True,
        ))
        chunk.rows["customer_address"].append(dict(
            id=self._id("customer_address"), customer_id=customer_id, kind="home",
            text=synthetic_people.home_address(rng),
        ))
        self.serials[branch.code] += 1
        account_number = accounts.deposit_number(branch.deposit_prefix, self.serials[branch.code])
        account_id = self._id("account")
        chunk.rows["account"].append(dict(
            id=account_id, number=account_number, name=name, gl_code=accounts.DEPOSIT_GL, category="liability",
            normal_side="credit", currency=CURRENCY, no_negative=True, status="open", branch_id=branch.id,
            customer_id=customer_id, balance=0, held=0, opened_at=LOADED_AT,
        ))
        self.accounts.append((account_id, account_number, branch))
        self.balances.append(0)
        return account_id, account_number

    def _entry(self, chunk: Chunk, branch: BranchInfo, narrative: str,
               legs: list[tuple[int, str, int, int]]) -> None:
        """An approved instruction, its postings and the header that seals them; legs are
        (account id, number, debit, credit)."""
        amount = sum(debit for _id, _number, debit, _credit in legs)
        required = self.required_checkers(amount)
        instruction_id = self._id("instruction")
        payload = instructions._canonical_payload(
            kind="transfer", branch_id=branch.id, business_date=BUSINESS_DATE, maker_id=branch.teller_id,
            currency=CURRENCY, amount=amount, narrative=narrative,
            legs=tuple(Leg(number, debit=debit, credit=credit) for _id, number, debit, credit in legs),
            reverses_entry_id=None,
        )
        chunk.rows["instruction"].append(dict(
            id=instruction_id, kind="transfer", status="APPROVED", branch_id=branch.id, business_date=BUSINESS_DATE,
            maker_id=branch.teller_id, checker_id=branch.supervisor_id,
            second_checker_id=branch.manager_id if required == 2 else None, required_checkers=required,
            currency=CURRENCY, amount=amount, narrative=narrative, payload=payload,
            payload_hash=instructions._hash(payload), idempotency_key=f"bench-{instruction_id}", terminal="bench",
            created_at=LOADED_AT, expires_at=LOADED_AT + timedelta(days=1), decided_at=LOADED_AT, reason=None,
        ))
        entry_id = self._id("journal_entry")
        chunk.rows["posting"] += [
            dict(id=self._id("posting"), entry_id=entry_id, account_id=account_id, currency=CURRENCY, debit=debit,
                 credit=credit)
            for account_id, _number, debit, credit in legs
        ]
        chunk.rows["journal_entry"].append(dict(
            id=entry_id, instruction_id=instruction_id, branch_id=branch.id, business_date=BUSINESS_DATE,
            posted_at=LOADED_AT, narrative=narrative, reverses_entry_id=None,
        ))

    def _opening(self, chunk: Chunk, branch: BranchInfo, legs: list[tuple[int, str, int]]) -> None:
        total = sum(balance for _id, _number, balance in legs)
        for account_id, _number, balance in legs:
            self.balances[account_id - self.accounts[0][0]] += balance
        self._entry(chunk, branch, f"Opening balances migrated 存量迁移 {branch.code}",
                    [(branch.clearing_id, branch.clearing_number, total, 0)]
                    + [(account_id, number, 0, balance) for account_id, number, balance in legs])

    def _transfer(self, chunk: Chunk) -> None:
        """A transfer between two customers' accounts, never more than the payer holds."""
        first = self.accounts[0][0]
        amount = self.rng.randint(1, TRANSFER_MAX_YUAN) * 100
        while True:
            payer, payee = self.rng.sample(range(len(self.accounts)), 2)
            if self.balances[payer] >= amount:
                break
        self.balances[payer] -= amount
        self.balances[payee] += amount
        (payer_id, payer_number, branch), (payee_id, payee_number, _) = self.accounts[payer], self.accounts[payee]
        assert payer_id - first == payer
        self._entry(chunk, branch, "转账 Transfer",
                    [(payer_id, payer_number, amount, 0), (payee_id, payee_number, 0, amount)])


# --- Loading: Teller's unit of work, and the raw floor ----------------------------------------------------

def load_with_teller(db: Database, chunk: Chunk) -> None:
    """One unit of work: Core executemany of every table's rows, and the chunk's audit row."""
    operator = system_actor("bench")

    def work(session) -> None:
        for model in TABLES:
            rows = chunk.rows[model.__tablename__]
            if rows:
                session.execute(insert(model.__table__), rows)
        audit.record(session, operator, "bench.bulk_loaded", object_type="ledger", customers=chunk.customers,
                     rows=chunk.row_count)

    db.run(work)


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class RawFloor:
    """The same rows through the DB-API driver's executemany, one transaction per chunk, on a ledger of
    their own made like the measured one (same schema, triggers and connection settings)."""

    def __init__(self, url: URL) -> None:
        self.sqlite = url.get_backend_name() == "sqlite"
        if self.sqlite:
            self.connection = sqlite3.connect(url.database, isolation_level=None)
            for pragma in ("busy_timeout = 60000", "journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
                self.connection.execute(f"PRAGMA {pragma}")
        else:
            import psycopg

            self.connection = psycopg.connect(raw_url(url))
        marker = "?" if self.sqlite else "%s"
        self.statements = {}
        for model in TABLES:
            columns = [column.name for column in model.__table__.columns]
            self.statements[model.__tablename__] = (columns, (
                f"INSERT INTO {model.__tablename__} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"))

    def prepare(self, chunk: Chunk) -> dict[str, list[tuple]]:
        """The chunk's rows as the driver takes them (not timed: the floor gets them ready-made)."""
        convert = _sqlite_value if self.sqlite else (lambda value: value)
        return {table: [tuple(convert(row[column]) for column in self.statements[table][0]) for row in rows]
                for table, rows in chunk.rows.items()}

    def load(self, rows: dict[str, list[tuple]]) -> None:
        if self.sqlite:
            self.connection.execute("BEGIN IMMEDIATE")
            for model in TABLES:
                if rows[model.__tablename__]:
                    self.connection.executemany(self.statements[model.__tablename__][1], rows[model.__tablename__])
            self.connection.execute("COMMIT")
            return
        with self.connection.cursor() as cursor:
            for model in TABLES:
                if rows[model.__tablename__]:
                    cursor.executemany(self.statements[model.__tablename__][1], rows[model.__tablename__])
        self.connection.commit()

    def close(self) -> None:
        self.connection.close()


def advance_sequences(db: Database) -> None:
    """PostgreSQL: move each id sequence past the ids the load gave explicitly, so that the services'
    own inserts continue after them."""
    if db.is_sqlite:
        return

    def work(session) -> None:
        for table in SEQUENCED:
            session.execute(text(f"SELECT setval('{table}_id_seq', (SELECT coalesce(max(id), 1) FROM {table}))"))

    db.run(work)


def keep_statistics(db: Database, floor: "RawFloor | None") -> None:
    """PostgreSQL: VACUUM ANALYZE while the tables grow (after chunks 1, 2, 4, 8 ...), as autovacuum would between
    batches of a real migration. The ledger's trigger functions keep their query plans per connection; made
    while the tables looked empty they would scan, and each entry would cost more than the one before.
    ANALYZE invalidates those plans. Done alike for the Teller load and the floor, and not timed."""
    if db.is_sqlite:
        return
    analyse(db)
    if floor is not None:
        floor.connection.commit()
        floor.connection.autocommit = True
        floor.connection.execute("VACUUM ANALYZE")
        floor.connection.autocommit = False


def analyse(db: Database) -> None:
    """Fresh planner statistics after the load (the indexes are chosen by them). On PostgreSQL also VACUUM:
    rows bulk-inserted into a GIN index (the names' trigrams) wait in its pending list, which every search
    reads through until a vacuum merges it (75 ms instead of 0.3 ms for a rare substring after a million
    inserts); autovacuum would get there in its own time."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE" if db.is_sqlite else "VACUUM ANALYZE")


def verify(db: Database) -> str | None:
    report = db.run(ledger.verify, readonly=True)
    chain = db.run(lambda session: audit.verify_chain(session, session.info["audit_key"]), readonly=True)
    return report.problem or chain.problem


# --- Report ---------------------------------------------------------------------------------------------

@dataclass
class Timing:
    rows: int = 0
    seconds: float = 0.0

    def add(self, rows: int, seconds: float) -> None:
        self.rows += rows
        self.seconds += seconds

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def floor_url(url: URL) -> URL:
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        return url.set(database=str(path.with_name(path.stem + "-raw-floor" + path.suffix)))
    return url.set(database=f"{url.database}_raw_floor")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000, help="customers to generate (default 10000)")
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of the ledger to create (replaced if it exists)")
    parser.add_argument("--key-file", type=Path, help="the ledger's key file (default: next to a SQLite file)")
    parser.add_argument("--branches", type=int, default=0, help="branches (default: one per 50000 customers, 2 to 40)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--transfers-per-customer", type=float, default=0.5)
    parser.add_argument("--chunk", type=int, default=10_000, help="customers per unit of work (default 10000)")
    parser.add_argument("--floor-customers", type=int, default=50_000,
                        help="customers also loaded raw for the floor comparison (default 50000)")
    parser.add_argument("--verify", action="store_true", help="verify the ledger and the audit chain afterwards")
    args = parser.parse_args(argv)
    if args.customers < 2 or args.chunk < 1 or args.transfers_per_customer < 0:
        parser.error("use --customers >= 2, --chunk >= 1 and --transfers-per-customer >= 0")
    url = ledger_url(args.database)
    branch_count = args.branches or max(2, min(40, args.customers // 50_000))
    os.environ[keys.KEY_FILE_ENV] = str(key_file_for(url, args.key_file))
    floor_customers = min(args.floor_customers, args.customers)

    started = time.perf_counter()
    recreate(url)
    db, branches = create_ledger(url, branch_count)
    floor = None
    if floor_customers:
        recreate(floor_url(url))
        floor_db, floor_branches = create_ledger(floor_url(url), branch_count)
        floor_db.dispose()
        if floor_branches != branches:
            raise SystemExit("the floor ledger was not made like the measured one")
        floor = RawFloor(floor_url(url))
    network = Network(db, branches, args.seed, args.transfers_per_customer)
    print(f"Generating {args.customers} customers in {branch_count} branches on {db.engine.dialect.name} "
          f"(seed {args.seed}, {args.transfers_per_customer} transfers per customer, chunks of {args.chunk})")
    teller_all, teller_sample, raw_sample = Timing(), Timing(), Timing()
    generating = 0.0
    done = chunks = 0
    while done < args.customers:
        generation_started = time.perf_counter()
        chunk = network.chunk(min(args.chunk, args.customers - done))
        generating += time.perf_counter() - generation_started
        seconds = timed(lambda: load_with_teller(db, chunk))
        teller_all.add(chunk.row_count, seconds)
        if floor is not None and done < floor_customers:
            teller_sample.add(chunk.row_count, seconds)
            rows = floor.prepare(chunk)
            raw_sample.add(chunk.row_count, timed(lambda: floor.load(rows)))
        done += chunk.customers
        chunks += 1
        if chunks & (chunks - 1) == 0:  # a power of two
            keep_statistics(db, floor)
        if done % (args.chunk * 10) == 0 or done == args.customers:
            print(f"  {done} customers, {teller_all.rows} rows, {teller_all.rate:,.0f} rows/s", flush=True)
    advance_sequences(db)
    analyse(db)
    total = time.perf_counter() - started
    if floor is not None:
        floor.close()
        drop(floor_url(url))

    print(f"\nLoaded {teller_all.rows} rows ({done} customers) in {teller_all.seconds:.1f} s of loading, "
          f"{generating:.1f} s generating rows, {total:.1f} s in all")
    print(f"{'load':<28} {'rows':>10} {'seconds':>9} {'rows/s':>10}")
    print(f"{'teller, whole ledger':<28} {teller_all.rows:>10} {teller_all.seconds:>9.2f} {teller_all.rate:>10.0f}")
    if floor is not None:
        label = f"teller, first {floor_customers}"
        print(f"{label:<28} {teller_sample.rows:>10} {teller_sample.seconds:>9.2f} {teller_sample.rate:>10.0f}")
        label = f"raw executemany, first {floor_customers}"
        print(f"{label:<28} {raw_sample.rows:>10} {raw_sample.seconds:>9.2f} {raw_sample.rate:>10.0f}")
        print(f"ratio teller / raw floor: {teller_sample.rate / raw_sample.rate:.3f} (target >= 0.50)")
    status = 0
    if args.verify:
        problem = verify(db)
        print("ledger verified: balances, entries, approvals and audit chain" if problem is None
              else f"LEDGER PROBLEM: {problem}")
        status = 1 if problem else 0
    db.dispose()
    return status


if __name__ == "__main__":
    sys.exit(main())
