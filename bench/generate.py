"""A deterministic branch-network ledger at any scale, for the benchmarks: branches with their staff,
customers with realistic Chinese and Latin names, valid resident IDs and mobiles, home addresses, one
deposit account each, opening balances, customer-to-customer transfers, and active consumer and small-credit
loans with their history (origination, disbursement, schedule, on-time repayments, some overdue).

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

Loans (``--loans-per-100-customers``, default 5) go in the same chunk as their borrower, through the loan
tables' own triggers: the application is inserted as DRAFT of round 0 (its tranche may only be written
then), submitted (round 1) and taken into review, given its credit check and approvals, moved to APPROVED,
signed (CONTRACT_SIGNED, under the product's current version), given its disbursement row, moved to ACTIVE,
and only then given its payment rows, each move an UPDATE of its state as the triggers allow. A loan book is
migrated like the deposits' opening balances: the loans were disbursed up to three months before the
ledger's business date (so that installments have fallen due, been repaid on time or not), and their own rows
keep those dates (application, approval, signing, disbursement, schedule, payments, history), while the
disbursement and repayment instructions, entries and postings are posted on the ledger's business date, the
only date the database lets a branch post on (migration 0003). `loan_sequence` ends at the last number given,
so the next application the service numbers follows on.

The load rate is compared with the floor: the same rows (and the same state UPDATEs), sent by raw DB-API
``executemany`` (sqlite3 or psycopg) on a ledger of their own made the same way (same schema and triggers,
same settings), over the first ``--floor-customers`` customers. The target is at least half the floor's rows
per second.

Run from the repository root, e.g.::

    python -m bench.generate --customers 1000000 --database sqlite:////work/benchdata/teller-1m.sqlite3
    python -m bench.generate --customers 1000000 --database postgresql+psycopg://postgres@127.0.0.1/teller_1m

The key file is kept next to the SQLite file, or in ``--key-file``. ``--verify`` checks the ledger
(`ledger.verify`, the audit chain, and a sample of loans through `loan_servicing.servicing`) afterwards:
minutes at a million customers, seconds at small scales.
"""

import argparse
import json
import os
import random
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Table, and_, bindparam, event, func, insert, select, text, update
from sqlalchemy.engine import URL

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/generate.py` finds teller

from bench.measure import key_file_for, ledger_url, raw_url  # noqa: E402
from models import (  # noqa: E402
    Account,
    Branch,
    ChecklistItem,
    CreditCheck,
    Customer,
    CustomerAddress,
    CustomerPhone,
    Instruction,
    JournalEntry,
    LoanAccount,
    LoanApplication,
    LoanApproval,
    LoanDisbursement,
    LoanEvent,
    LoanInstallment,
    LoanPayment,
    LoanProduct,
    LoanSchedule,
    LoanSequence,
    LoanSigning,
    LoanTranche,
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
    loan_servicing,
    loans,
    policy,
    schedule,
    staff,
    synthetic_people,
)
from teller.actor import system_actor  # noqa: E402
from teller.config import LedgerLocation  # noqa: E402
from teller.db import Database  # noqa: E402
from teller.ledger import Leg  # noqa: E402
from teller.loan_products import (  # noqa: E402
    BASIS_POINT,
    LoanFacts,
    LoanTerms,
    Product,
    TrancheTerms,
    check_terms,
    ppm_to_rate,
    rate_to_ppm,
    reference_rate,
)

BUSINESS_DATE = date(2026, 11, 24)
LOADED_AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CURRENCY = "CNY"
PASSWORD = "Bench#Pass2026"
STAFF_ROLES = (("teller", ("teller",)), ("super", ("supervisor",)), ("manager", ("branch_manager",)),
               ("officer", ("loan_officer",)))
CHECKER_ROLES = (("supervisor", "supervisor_id"), ("branch_manager", "manager_id"))
# Opening balances go in entries of many legs (plus the clearing leg), each within a branch's top
# approval limit for two keys.
OPENING_LEGS = 500
OPENING_BATCH_LIMIT = 4_000_000_00
TRANSFER_MAX_YUAN = 50


@dataclass(frozen=True)
class LoanPlan:
    """How the generator draws one product's loans: its share, terms (months), amount range (thousands of
    yuan) and purposes; every loan also meets the product's own rules (`loan_products.check_terms`)."""

    weight: int
    terms: tuple[int, ...]
    thousands: tuple[int, int]
    purposes: tuple[str, ...]


LOAN_PLANS = {
    "consumer": LoanPlan(3, (12, 24, 36, 48, 60), (20, 200), (
        "装修 home renovation", "教育 tuition", "购置家电 home appliances", "旅游 travel", "医疗 medical costs")),
    "small_credit": LoanPlan(2, (6, 12, 24, 36), (5, 100), (
        "经营周转 working capital", "进货 stock purchase", "购置设备 equipment")),
}
LOAN_METHODS = ("equal_installment", "equal_installment", "equal_installment", "equal_principal")
RATE_SPREADS_BP = (0, 0, 25, 50, 100)  # over the product's reference rate
# Each loan's history, in turn: (on-time repayments, installments past due and unpaid). One loan in ten has
# an installment past due, so the lookup's overdue marker finds some at every scale.
LOAN_SHAPES = ((0, 0), (1, 0), (2, 0), (0, 0), (1, 0), (0, 1), (2, 0), (0, 0), (1, 0), (2, 0))
OVERDUE_SHAPES = ((0, 1), (1, 1))
# Due days avoid the business date's own day (an installment due today is neither paid nor overdue) and the
# 29th to 31st (no clamping to short months).
DUE_DAYS = tuple(day for day in range(1, 29) if day != BUSINESS_DATE.day)


# --- The load plan: one executemany per step and chunk, in this order ---------------------------------------

@dataclass(frozen=True)
class Step:
    """One statement of a chunk's load, run once with all the chunk's rows for it (executemany): an INSERT
    into `table`, or with `key` an UPDATE setting `sets` on the row whose key columns match."""

    name: str
    table: Table
    key: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """The values a row gives, in the order of `sql`'s parameters."""
        return (*self.sets, *self.key) if self.key else tuple(column.name for column in self.table.columns)

    def statement(self):
        """The SQLAlchemy Core statement (an UPDATE binds `set_<column>` and `key_<column>`)."""
        if not self.key:
            return insert(self.table)
        return (update(self.table)
                .where(and_(*(self.table.c[column] == bindparam(f"key_{column}") for column in self.key)))
                .values({column: bindparam(f"set_{column}") for column in self.sets}))

    def parameters(self, rows: list[dict]) -> list[dict]:
        if not self.key:
            return rows
        return [{**{f"set_{column}": row[column] for column in self.sets},
                 **{f"key_{column}": row[column] for column in self.key}} for row in rows]

    def sql(self, marker: str) -> str:
        """The same statement for the DB-API driver, positional parameters in `columns` order."""
        if not self.key:
            return (f"INSERT INTO {self.table.name} ({', '.join(self.columns)}) "
                    f"VALUES ({', '.join([marker] * len(self.columns))})")
        return (f"UPDATE {self.table.name} SET {', '.join(f'{column} = {marker}' for column in self.sets)} "
                f"WHERE {' AND '.join(f'{column} = {marker}' for column in self.key)}")


def _insert(model) -> Step:
    return Step(model.__tablename__, model.__table__)


def _moved_to(state: str, *also: str) -> Step:
    return Step(f"loan_application_{state.lower()}", LoanApplication.__table__, key=("id",), sets=("state", *also))


# Postings before their entry header, which seals them. A loan's rows follow its state through the
# triggers of migrations 0005, 0007 and 0008: tranche while DRAFT, the submission opening round 1, credit
# check and approvals under review, signing once APPROVED, disbursement once CONTRACT_SIGNED, payments once
# ACTIVE.
PLAN = (
    *(_insert(model) for model in (Customer, CustomerPhone, CustomerAddress, Account, Instruction, Posting,
                                   JournalEntry)),
    _insert(LoanSequence),
    Step("loan_sequence_advanced", LoanSequence.__table__, key=("branch_id", "year"), sets=("last_value",)),
    *(_insert(model) for model in (LoanApplication, LoanTranche, ChecklistItem)),
    _moved_to("SUBMITTED", "review_round"),
    _moved_to("UNDER_REVIEW"),
    *(_insert(model) for model in (CreditCheck, LoanApproval)),
    _moved_to("APPROVED"),
    _insert(LoanSigning),
    _moved_to("CONTRACT_SIGNED"),
    *(_insert(model) for model in (LoanAccount, LoanDisbursement, LoanSchedule, LoanInstallment)),
    _moved_to("ACTIVE"),
    *(_insert(model) for model in (LoanPayment, LoanEvent)),
)
# Tables whose rows the generator numbers itself (PostgreSQL's sequences are moved past them afterwards).
SEQUENCED = tuple(step.name for step in PLAN if not step.key and "id" in step.table.c)
LOAN_STEPS = tuple(step.name for step in PLAN if step.name.startswith(("loan_", "checklist_", "credit_")))


# --- The ledger to load ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class BranchInfo:
    id: int
    code: str
    deposit_prefix: str
    clearing_number: str
    clearing_id: int
    interest_number: str
    interest_id: int
    teller_id: int
    supervisor_id: int
    manager_id: int
    officer_id: int


def branch_name(code: str) -> str:
    return f"第{code}支行 Branch {code}"


def recreate(url: URL, template: str | None = None) -> None:
    """Start from nothing: delete the SQLite file (and its WAL) or drop and create the PostgreSQL database
    (as a copy of the database `template` when one is named)."""
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        return
    admin = bootstrap.plain_engine(url.set(database="postgres")).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        copy = f' TEMPLATE "{template}"' if template else ""
        connection.execute(text(f'CREATE DATABASE "{url.database}"{copy}'))
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


def cache_pragma(cache_mib: int) -> str:
    """SQLite's page cache for a bulk load: at a million customers the indexes outgrow the default 2 MB, and
    every insert into them would read its pages back from the operating system."""
    return f"cache_size = -{cache_mib * 1024}"


def use_page_cache(db: Database, cache_mib: int) -> None:
    """Every later connection of the measured ledger gets the same page cache as the floor's."""
    if db.engine.dialect.name != "sqlite":
        return
    db.engine.dispose()
    event.listen(db.engine, "connect", lambda dbapi_connection, _record: dbapi_connection.execute(
        f"PRAGMA {cache_pragma(cache_mib)}"))


def create_ledger(url: URL, branch_count: int) -> tuple[Database, list[BranchInfo]]:
    """A new ledger through Teller's own bootstrap, with its branches and, per branch, a teller, a
    supervisor, a branch manager and a loan officer (created by the staff service)."""
    operator = system_actor("bench")
    os.environ.setdefault("TELLER_FAST_PASSWORD_HASH", "1")  # nothing here measures password hashing
    db, created = bootstrap.upgrade(LedgerLocation(url, "bench"), operator)
    if not created:
        raise SystemExit(f"{url.render_as_string()} is not a new ledger")
    codes = [f"{number:04d}" for number in range(1, branch_count + 1)]
    for code in codes:
        accounts.create_branch(db, operator, code, branch_name(code), BUSINESS_DATE)

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
        interest = accounts.branch_account_number(code, loan_servicing.INTEREST_GL)
        people = {username: session.scalar(select(StaffUser.id).where(StaffUser.username == f"{username}{code}"))
                  for username, _roles in STAFF_ROLES}
        infos.append(BranchInfo(
            id=branch_id, code=code, deposit_prefix=accounts.deposit_prefix(code), clearing_number=clearing,
            clearing_id=session.scalar(select(Account.id).where(Account.number == clearing)),
            interest_number=interest, interest_id=session.scalar(select(Account.id).where(Account.number == interest)),
            teller_id=people["teller"], supervisor_id=people["super"], manager_id=people["manager"],
            officer_id=people["officer"],
        ))
    return infos


# --- Rows ---------------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _name_keys(name: str) -> tuple[str, str, str, str | None]:
    """(name key, full pinyin, pinyin initials, given name key) of a made-up person, as the service sets them."""
    return (customers.name_key(name)[:120], *customers.pinyin_keys(name), customers.given_name_key(name))


@dataclass
class Chunk:
    customers: int
    rows: dict[str, list[dict]] = field(default_factory=lambda: {step.name: [] for step in PLAN})

    @property
    def row_count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


@dataclass(frozen=True)
class ProductInfo:
    id: int
    version: int
    product: Product
    authorities: dict[str, policy.Authority]  # loan approval authority along the product's route


@dataclass(frozen=True)
class Borrower:
    index: int  # into Network.accounts
    customer_id: int
    name: str
    branch: BranchInfo


def _months_on(day: date, months: int, day_of_month: int) -> date:
    """`day_of_month` (at most 28) of the month `months` after `day`'s (before, when negative)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, day_of_month)


def _at(day: date, minutes: int) -> datetime:
    """A moment of a business day: `minutes` after 09:00 UTC, as the load's own time (LOADED_AT)."""
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)


class Network:
    """Generates the rows of a branch-network ledger chunk by chunk, from one seed: the same seed and
    sizes give the same customers, accounts, postings and loans."""

    def __init__(self, db: Database, branches: list[BranchInfo], seed: int, transfers_per_customer: float,
                 loans_per_100_customers: float = 0.0) -> None:
        self.branches = branches
        self.rng = random.Random(seed)
        self.loan_rng = random.Random(f"{seed} loans")  # loans draw apart, so the customers stay as they were
        self.transfers_per_customer = transfers_per_customer
        self.loans_per_100_customers = loans_per_100_customers
        self.used_ids: set[str] = set()
        self.used_mobiles: set[str] = set()
        self.serials = {branch.code: 0 for branch in branches}
        self.customers = 0
        self.transfers_due = 0.0
        self.loans_due = 0.0
        self.accounts: list[tuple[int, str, BranchInfo]] = []  # (id, number, branch) of customer deposit accounts
        self.balances: list[int] = []
        self.loan_serials: dict[tuple[int, int], int] = {}  # (branch id, year) -> last application number
        self.loan_counts: Counter[str] = Counter()

        def read(session) -> tuple[dict[str, int], dict[str, ProductInfo], dict[str, dict[str, policy.Authority]]]:
            ids = {step.name: session.scalar(select(func.coalesce(func.max(step.table.c.id), 0)))
                   for step in PLAN if step.name in SEQUENCED}
            products = {}
            for code in LOAN_PLANS:
                row = session.scalars(select(LoanProduct).where(LoanProduct.code == code)).one()
                product = loans._product(row)
                products[code] = ProductInfo(row.id, row.version, product, policy.route_authorities(
                    session, product.approval_route.policy_kinds, product.currency))
            kinds = ("transfer", "loan_disbursement", "loan_repayment")
            return ids, products, {kind: policy.authorities(session, kind, CURRENCY) for kind in kinds}

        self.last_id, self.products, self.authorities = db.run(read, readonly=True)

    def _id(self, table: str) -> int:
        self.last_id[table] += 1
        return self.last_id[table]

    def chunk(self, count: int) -> Chunk:
        chunk = Chunk(count)
        openings: dict[str, list[tuple[int, int, str, int]]] = {branch.code: [] for branch in self.branches}
        borrowers: list[Borrower] = []
        for _ in range(count):
            branch = self.branches[self.customers % len(self.branches)]
            self.customers += 1
            borrower = self._customer(chunk, branch)
            balance = self.rng.choice((self.rng.randint(100, 5_000), self.rng.randint(5_000, 80_000),
                                       self.rng.randint(80_000, 180_000))) * 100
            index = borrower.index
            openings[branch.code].append((index, self.accounts[index][0], self.accounts[index][1], balance))
            borrowers.append(borrower)
        for branch in self.branches:
            batch: list[tuple[int, int, str, int]] = []
            for leg in openings[branch.code]:
                if len(batch) == OPENING_LEGS or sum(balance for *_, balance in batch) + leg[3] > OPENING_BATCH_LIMIT:
                    self._opening(chunk, branch, batch)
                    batch = []
                batch.append(leg)
            if batch:
                self._opening(chunk, branch, batch)
        self.transfers_due += count * self.transfers_per_customer
        while self.transfers_due >= 1:
            self.transfers_due -= 1
            self._transfer(chunk)
        self.loans_due += count * self.loans_per_100_customers / 100
        wanted = min(int(self.loans_due), count)
        self.loans_due -= wanted
        numbered = dict(self.loan_serials)
        for borrower in sorted(self.loan_rng.sample(borrowers, wanted), key=lambda borrower: borrower.index):
            self._loan(chunk, borrower)
        self._loan_sequences(chunk, numbered)
        return chunk

    def _customer(self, chunk: Chunk, branch: BranchInfo) -> Borrower:
        rng = self.rng
        name = synthetic_people.person_name(rng)
        number, gender = synthetic_people.resident_id(rng, self.used_ids)
        phone = synthetic_people.mobile(rng, self.used_mobiles)
        name_key, pinyin_full, pinyin_initials, given_name_key = _name_keys(name)
        customer_id = self._id("customer")
        chunk.rows["customer"].append(dict(
            id=customer_id, kind="individual", name=name, name_key=name_key, pinyin_full=pinyin_full,
            pinyin_initials=pinyin_initials, given_name_key=given_name_key, id_type="resident_id", id_number=number,
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
        return Borrower(len(self.accounts) - 1, customer_id, name, branch)

    def _checkers(self, kind: str, amount: int, branch: BranchInfo) -> tuple[int, int, int | None]:
        """(required keys, checker, second checker) as the approval policy has them for this kind and amount:
        the most junior role whose single limit covers it alone, else the supervisor then the manager."""
        table = self.authorities[kind]
        required = policy.required_from(table, CURRENCY, amount)
        if required == 2:
            return 2, branch.supervisor_id, branch.manager_id
        role = next(role for role, _staff in CHECKER_ROLES if table[role].single_limit >= amount)
        return 1, getattr(branch, dict(CHECKER_ROLES)[role]), None

    def _entry(self, chunk: Chunk, branch: BranchInfo, narrative: str, legs: list[tuple[int, str, int, int]], *,
               kind: str = "transfer", maker_id: int | None = None) -> int:
        """An approved instruction, its postings and the header that seals them; legs are
        (account id, number, debit, credit). Returns the instruction's id."""
        amount = sum(debit for _id, _number, debit, _credit in legs)
        maker_id = maker_id or branch.teller_id
        required, checker_id, second_checker_id = self._checkers(kind, amount, branch)
        instruction_id = self._id("instruction")
        payload = instructions._canonical_payload(
            kind=kind, branch_id=branch.id, business_date=BUSINESS_DATE, maker_id=maker_id,
            currency=CURRENCY, amount=amount, narrative=narrative,
            legs=tuple(Leg(number, debit=debit, credit=credit) for _id, number, debit, credit in legs),
            reverses_entry_id=None,
        )
        chunk.rows["instruction"].append(dict(
            id=instruction_id, kind=kind, status="APPROVED", branch_id=branch.id, business_date=BUSINESS_DATE,
            maker_id=maker_id, checker_id=checker_id, second_checker_id=second_checker_id, required_checkers=required,
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
        return instruction_id

    def _opening(self, chunk: Chunk, branch: BranchInfo, legs: list[tuple[int, int, str, int]]) -> None:
        total = sum(balance for *_, balance in legs)
        for index, _id, _number, balance in legs:
            self.balances[index] += balance
        self._entry(chunk, branch, f"Opening balances migrated 存量迁移 {branch.code}",
                    [(branch.clearing_id, branch.clearing_number, total, 0)]
                    + [(account_id, number, 0, balance) for _index, account_id, number, balance in legs])

    def _transfer(self, chunk: Chunk) -> None:
        """A transfer between two customers' accounts, never more than the payer holds."""
        amount = self.rng.randint(1, TRANSFER_MAX_YUAN) * 100
        while True:
            payer, payee = self.rng.sample(range(len(self.accounts)), 2)
            if self.balances[payer] >= amount:
                break
        self.balances[payer] -= amount
        self.balances[payee] += amount
        (payer_id, payer_number, branch), (payee_id, payee_number, _) = self.accounts[payer], self.accounts[payee]
        self._entry(chunk, branch, "转账 Transfer",
                    [(payer_id, payer_number, amount, 0), (payee_id, payee_number, 0, amount)])

    # --- Loans ---

    def _loan(self, chunk: Chunk, borrower: Borrower) -> None:
        """An ACTIVE loan of one standard tranche with its whole history (migrated: see the module docstring):
        application, checklist, credit check, approval and signing; its loan account and the disbursement to
        the borrower's deposit account; schedule version 1; on-time repayments of the installments fallen
        due, or (one loan in ten) an installment past due and unpaid."""
        rng, branch, rows = self.loan_rng, borrower.branch, chunk.rows
        paid, overdue = LOAN_SHAPES[sum(self.loan_counts.values()) % len(LOAN_SHAPES)]
        if overdue:
            paid, overdue = rng.choice(OVERDUE_SHAPES)
        code = rng.choices(list(LOAN_PLANS), weights=[plan.weight for plan in LOAN_PLANS.values()])[0]
        plan, info = LOAN_PLANS[code], self.products[code]
        product, rule = info.product, info.product.tranche("standard")
        term = rng.choice(plan.terms)
        amount = rng.randint(*plan.thousands) * 1000_00
        method = rng.choice(LOAN_METHODS)
        rate_ppm = rate_to_ppm(reference_rate(rule, term, LoanFacts()) + rng.choice(RATE_SPREADS_BP) * BASIS_POINT)

        # Dates: the installments due before the business date are the paid and the overdue ones.
        day = rng.choice(DUE_DAYS)
        latest = _months_on(BUSINESS_DATE, 0 if day < BUSINESS_DATE.day else -1, day)  # last such day before it
        first_due = _months_on(latest, 1 - paid - overdue, day)
        disbursed_on = _months_on(first_due, -1, day) - timedelta(days=rng.randint(0, 9))
        created = _at(disbursed_on - timedelta(days=rng.randint(8, 20)), rng.randint(0, 420))
        submitted = created + timedelta(days=1, minutes=rng.randint(0, 60))
        reviewed = submitted + timedelta(days=1, minutes=rng.randint(0, 60))
        decided = reviewed + timedelta(hours=2)
        signed = decided + timedelta(days=1)
        disbursed_at = _at(disbursed_on, rng.randint(0, 420))
        activated = disbursed_at + timedelta(minutes=5)  # the disbursement's second key: the loan turns ACTIVE
        built = schedule.build_schedule(amount, ppm_to_rate(rate_ppm), term, method, first_due,
                                        installment_multiple=product.installment_multiple,
                                        day_count=product.day_count, start_date=disbursed_on)
        fallen_due = [row for row in built.installments if row.due_date < BUSINESS_DATE]
        assert len(fallen_due) == paid + overdue
        assert loan_servicing.first_due_after(first_due, disbursed_on) == first_due

        # The application, as the officer entered it and the product's rules accept it.
        first_payment = built.installments[0].payment
        income = max(rng.randint(6, 40) * 1000_00, -(-first_payment * 2 // 100_00) * 100_00)
        facts = LoanFacts(monthly_income=income)
        terms = LoanTerms(code, (TrancheTerms("standard", amount, ppm_to_rate(rate_ppm), method, term),), first_due,
                          rng.choice(plan.purposes), CURRENCY)
        broken = check_terms(product, terms, facts, today=created.date())
        if broken:
            raise AssertionError(f"generated {code} loan breaks its product's rules: {broken[0].message}")
        required = policy.required_from(info.authorities, CURRENCY, amount)
        deciders = sorted((authority for authority in info.authorities.values()
                           if authority.role in product.approval_route.reviewer_roles
                           and (authority.single_limit if required == 1 else authority.joint_limit) >= amount),
                          key=lambda authority: authority.level)[:required]
        staff_of = {role: getattr(branch, attribute) for role, attribute in CHECKER_ROLES}
        year = created.year
        serial = self.loan_serials[(branch.id, year)] = self.loan_serials.get((branch.id, year), 0) + 1
        number = f"DK{branch.code}{year}{serial:06d}"
        contract = loans.contract_number(number)
        application_id, tranche_id = self._id("loan_application"), self._id("loan_tranche")
        rows["loan_application"].append(dict(
            id=application_id, number=number, customer_id=borrower.customer_id, product_id=info.id, state="DRAFT",
            currency=CURRENCY, amount=amount, term_months=term, first_due_date=first_due, purpose=terms.purpose,
            facts=json.dumps(facts.as_dict(), sort_keys=True), required_approvals=required, review_round=0,
            originator_id=branch.officer_id, branch_id=branch.id, created_at=created, updated_at=activated,
            state_since=activated, submitted_at=submitted, decided_at=decided,
        ))
        rows["loan_tranche"].append(dict(id=tranche_id, application_id=application_id, kind="standard", amount=amount,
                                         rate_ppm=rate_ppm, method=method, term_months=term))
        groups: set[str] = set()
        for position, item in enumerate(product.checklist):
            chosen = item.required and item.either_or not in groups
            if chosen and item.either_or:
                groups.add(item.either_or)
            rows["checklist_item"].append(dict(
                id=self._id("checklist_item"), application_id=application_id, item_group=item.group, code=item.code,
                label_key=item.label_key, required=item.required, either_or=item.either_or, sort_order=position,
                state="VERIFIED" if chosen else "MISSING", received_by=branch.officer_id if chosen else None,
                received_at=submitted if chosen else None, verified_by=branch.supervisor_id if chosen else None,
                verified_at=reviewed if chosen else None, waived_by=None, waiver_checker_id=None, waiver_reason=None,
                waived_at=None,
            ))
        reference = f"ZX{reviewed:%Y%m%d}{application_id % 10_000:04d}"
        rows["loan_application_submitted"].append(dict(id=application_id, state="SUBMITTED", review_round=1))
        rows["loan_application_under_review"].append(dict(id=application_id, state="UNDER_REVIEW"))
        rows["credit_check"].append(dict(
            id=self._id("credit_check"), application_id=application_id, review_round=1, result="clear",
            report_date=reviewed.date(), reference=reference, checked_by=branch.supervisor_id, recorded_at=reviewed,
            note="无逾期记录 no overdue"))
        for step, authority in enumerate(deciders):
            rows["loan_approval"].append(dict(
                id=self._id("loan_approval"), application_id=application_id, review_round=1,
                approver_id=staff_of[authority.role], role=authority.role, level=authority.level, decision="APPROVED",
                reason="同意 approved", decided_at=decided - timedelta(hours=len(deciders) - 1 - step)))
        rows["loan_application_approved"].append(dict(id=application_id, state="APPROVED"))
        place = branch_name(branch.code)
        rows["loan_signing"].append(dict(
            id=self._id("loan_signing"), application_id=application_id, contract_number=contract,
            signed_by=branch.officer_id, signed_at=signed, place=place, recorded_at=signed,
            product_version=info.version))
        rows["loan_application_contract_signed"].append(dict(id=application_id, state="CONTRACT_SIGNED"))

        # The money: the loan account, the disbursement and its schedule.
        account_id, account_number = self._id("account"), loan_servicing.loan_account_number(number, 1)
        template = accounts._chart()[rule.gl_code]
        rows["account"].append(dict(
            id=account_id, number=account_number, name=f"{number} {borrower.name}", gl_code=rule.gl_code,
            category=template["category"], normal_side=template["normal_side"], currency=CURRENCY,
            no_negative=template["no_negative"], status="open", branch_id=branch.id,
            customer_id=borrower.customer_id, balance=0, held=0, opened_at=LOADED_AT))
        rows["loan_account"].append(dict(tranche_id=tranche_id, application_id=application_id, account_id=account_id))
        deposit_id, deposit_number, _branch = self.accounts[borrower.index]
        disbursement = self._entry(
            chunk, branch, f"Disbursement of loan {number} on {disbursed_on.isoformat()} 存量迁移 migrated",
            [(account_id, account_number, amount, 0), (deposit_id, deposit_number, 0, amount)],
            kind="loan_disbursement", maker_id=branch.officer_id)
        self.balances[borrower.index] += amount
        rows["loan_disbursement"].append(dict(
            id=self._id("loan_disbursement"), application_id=application_id, instruction_id=disbursement,
            destination="account", account_number=deposit_number, payee_id=None, disbursed_on=disbursed_on))
        schedule_id = self._id("loan_schedule")
        rows["loan_schedule"].append(dict(
            id=schedule_id, application_id=application_id, tranche_id=tranche_id, version=1, reason="disbursement",
            instruction_id=disbursement, start_date=disbursed_on, created_at=disbursed_at))
        rows["loan_installment"] += [dict(schedule_id=schedule_id, number=row.number, due_date=row.due_date,
                                          principal=row.principal, interest=row.interest,
                                          balance_after=row.balance_after) for row in built.installments]
        rows["loan_application_active"].append(dict(id=application_id, state="ACTIVE"))

        # The history: every step in the loan's events, and the installments paid on their due dates.
        def event(staff_id: int, at: datetime, action: str, before: str | None = None, after: str | None = None,
                  reason: str | None = None, **detail) -> None:
            rows["loan_event"].append(dict(
                id=self._id("loan_event"), application_id=application_id, staff_id=staff_id, occurred_at=at,
                action=action, from_state=before, to_state=after, reason=reason,
                detail=json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str)))

        event(branch.officer_id, created, "created", customer=borrower.customer_id, product=code, amount=amount,
              term_months=term, first_due_date=first_due.isoformat(),
              tranches=[["standard", amount, str(ppm_to_rate(rate_ppm)), method, term]], facts=facts.as_dict())
        event(branch.officer_id, submitted, "submitted", "DRAFT", "SUBMITTED", review_round=1,
              required_approvals=required, product_version=info.version)
        event(branch.supervisor_id, reviewed, "review_started", "SUBMITTED", "UNDER_REVIEW", "收入核实 income confirmed")
        event(branch.supervisor_id, reviewed, "credit_checked", result="clear", report_date=reviewed.date().isoformat(),
              reference=reference)
        for step, authority in enumerate(deciders):
            last = step == len(deciders) - 1
            event(staff_of[authority.role], decided - timedelta(hours=len(deciders) - 1 - step),
                  "approved" if last else "first_approval", "UNDER_REVIEW" if last else None,
                  "APPROVED" if last else None, "同意 approved", level=authority.level, role=authority.role)
        event(branch.officer_id, signed, "signed", "APPROVED", "CONTRACT_SIGNED", contract_number=contract,
              signed_at=signed.isoformat(), place=place, product_version=info.version)
        event(branch.officer_id, disbursed_at, "disbursement_requested", instruction=disbursement,
              destination="account", account=deposit_number)
        for row in built.installments[:paid]:
            at = _at(row.due_date, rng.randint(0, 420))
            legs = [(deposit_id, deposit_number, row.payment, 0), (account_id, account_number, 0, row.principal)]
            if row.interest:
                legs.append((branch.interest_id, branch.interest_number, 0, row.interest))
            repayment = self._entry(chunk, branch, f"Repayment of loan {number} on {row.due_date.isoformat()} 存量迁移 "
                                    "migrated", legs, kind="loan_repayment")
            self.balances[borrower.index] -= row.payment
            assert self.balances[borrower.index] >= 0
            rows["loan_payment"].append(dict(
                id=self._id("loan_payment"), application_id=application_id, tranche_id=tranche_id,
                instruction_id=repayment, kind="repayment", paid_on=row.due_date, penalty=0, fees=0,
                interest=row.interest, principal=row.principal, accrued_interest=0, prepaid=0, settles=False))
            event(branch.teller_id, at, "repayment_requested", instruction=repayment, total=row.payment,
                  source=deposit_number)
        self.loan_counts["overdue" if overdue else f"{paid} repaid"] += 1

    def _loan_sequences(self, chunk: Chunk, before: dict[tuple[int, int], int]) -> None:
        """Each branch's numbering where this chunk's loans left it: inserted the first time, then moved on,
        so that the next application the service makes gets the next number."""
        for (branch_id, year), last_value in self.loan_serials.items():
            if before.get((branch_id, year)) == last_value:
                continue
            row = dict(branch_id=branch_id, year=year, last_value=last_value)
            chunk.rows["loan_sequence_advanced" if (branch_id, year) in before else "loan_sequence"].append(row)


# --- Loading: Teller's unit of work, and the raw floor ----------------------------------------------------

STATEMENTS = {step.name: step.statement() for step in PLAN}


def load_with_teller(db: Database, chunk: Chunk) -> None:
    """One unit of work: Core executemany of every step's rows, in the plan's order, and the chunk's audit row."""
    operator = system_actor("bench")

    def work(session) -> None:
        for step in PLAN:
            rows = chunk.rows[step.name]
            if rows:
                session.execute(STATEMENTS[step.name], step.parameters(rows))
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
    """The same rows (and state updates) through the DB-API driver's executemany, one transaction per chunk,
    on a ledger of their own made like the measured one (same schema, triggers and connection settings)."""

    def __init__(self, url: URL, cache_mib: int) -> None:
        self.sqlite = url.get_backend_name() == "sqlite"
        if self.sqlite:
            self.connection = sqlite3.connect(url.database, isolation_level=None)
            for pragma in ("busy_timeout = 60000", "journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON",
                           cache_pragma(cache_mib)):
                self.connection.execute(f"PRAGMA {pragma}")
        else:
            import psycopg

            self.connection = psycopg.connect(raw_url(url))
        marker = "?" if self.sqlite else "%s"
        self.statements = {step.name: step.sql(marker) for step in PLAN}

    def prepare(self, chunk: Chunk) -> dict[str, list[tuple]]:
        """The chunk's rows as the driver takes them (not timed: the floor gets them ready-made)."""
        convert = _sqlite_value if self.sqlite else (lambda value: value)
        return {step.name: [tuple(convert(row[column]) for column in step.columns) for row in chunk.rows[step.name]]
                for step in PLAN}

    def load(self, rows: dict[str, list[tuple]]) -> None:
        if self.sqlite:
            self.connection.execute("BEGIN IMMEDIATE")
            for step in PLAN:
                if rows[step.name]:
                    self.connection.executemany(self.statements[step.name], rows[step.name])
            self.connection.execute("COMMIT")
            return
        with self.connection.cursor() as cursor:
            for step in PLAN:
                if rows[step.name]:
                    cursor.executemany(self.statements[step.name], rows[step.name])
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
    """On PostgreSQL, VACUUM ANALYZE after the load: fresh planner statistics (autovacuum would get there in
    its own time), and rows bulk-inserted into a GIN index (the names' trigrams) wait in its pending list,
    which every search reads through until a vacuum merges it (75 ms instead of 0.3 ms for a rare substring
    after a million inserts). A SQLite ledger is left as Teller leaves one, without planner statistics
    (`sqlite_stat1`): its searches must choose their indexes without them."""
    if db.is_sqlite:
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def verify(db: Database) -> str | None:
    report = db.run(ledger.verify, readonly=True)
    chain = db.run(lambda session: audit.verify_chain(session, session.info["audit_key"]), readonly=True)
    return report.problem or chain.problem


def check_loans(db: Database, most: int = 200) -> tuple[int, int, str | None]:
    """Up to `most` active loans, spread over the ledger, read back by `loan_servicing.servicing` as the loan
    file reads them: each one's outstanding principal must be its loan account's balance. Returns how many
    were read, how many are past due, and the first problem."""
    active = db.run(lambda session: list(session.scalars(
        select(LoanApplication.id).where(LoanApplication.state == "ACTIVE").order_by(LoanApplication.id))),
        readonly=True)
    picked = active[::-(-len(active) // most)] if active else []
    overdue = 0
    for application_id in picked:
        figures = loan_servicing.servicing(db, application_id)
        balance = db.run(lambda session: session.scalar(
            select(func.sum(Account.balance)).join(LoanAccount, LoanAccount.account_id == Account.id)
            .where(LoanAccount.application_id == application_id)), readonly=True)
        if figures.outstanding_principal != balance:
            return len(picked), overdue, (f"loan {application_id}: outstanding principal "
                                          f"{figures.outstanding_principal} but its account holds {balance}")
        overdue += figures.days_past_due > 0
    return len(picked), overdue, None


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
    parser.add_argument("--loans-per-100-customers", type=float, default=5.0,
                        help="active loans per 100 customers (default 5; 0 for none)")
    parser.add_argument("--chunk", type=int, default=10_000, help="customers per unit of work (default 10000)")
    parser.add_argument("--floor-customers", type=int, default=50_000,
                        help="customers also loaded raw for the floor comparison (default 50000)")
    parser.add_argument("--cache-mib", type=int, default=1024,
                        help="SQLite page cache of the load's connections, both sides (default 1024)")
    parser.add_argument("--verify", action="store_true", help="verify the ledger and the audit chain afterwards")
    args = parser.parse_args(argv)
    if args.customers < 2 or args.chunk < 1 or args.transfers_per_customer < 0:
        parser.error("use --customers >= 2, --chunk >= 1 and --transfers-per-customer >= 0")
    if not 0 <= args.loans_per_100_customers <= 100:
        parser.error("use --loans-per-100-customers from 0 to 100")
    url = ledger_url(args.database)
    branch_count = args.branches or max(2, min(40, args.customers // 50_000))
    os.environ[keys.KEY_FILE_ENV] = str(key_file_for(url, args.key_file))
    floor_customers = min(args.floor_customers, args.customers)

    started = time.perf_counter()
    recreate(url)
    db, branches = create_ledger(url, branch_count)
    use_page_cache(db, args.cache_mib)
    floor = None
    if floor_customers:
        recreate(floor_url(url))
        floor_db, floor_branches = create_ledger(floor_url(url), branch_count)
        floor_db.dispose()
        if floor_branches != branches:
            raise SystemExit("the floor ledger was not made like the measured one")
        floor = RawFloor(floor_url(url), args.cache_mib)
    network = Network(db, branches, args.seed, args.transfers_per_customer, args.loans_per_100_customers)
    print(f"Generating {args.customers} customers in {branch_count} branches on {db.engine.dialect.name} "
          f"(seed {args.seed}, {args.transfers_per_customer} transfers and {args.loans_per_100_customers} loans "
          f"per customer and per 100 customers, chunks of {args.chunk})")
    teller_all, teller_sample, raw_sample = Timing(), Timing(), Timing()
    generating = 0.0
    done = chunks = loan_rows = 0
    while done < args.customers:
        generation_started = time.perf_counter()
        chunk = network.chunk(min(args.chunk, args.customers - done))
        generating += time.perf_counter() - generation_started
        seconds = timed(lambda: load_with_teller(db, chunk))
        teller_all.add(chunk.row_count, seconds)
        loan_rows += sum(len(chunk.rows[name]) for name in LOAN_STEPS)
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
    counts = network.loan_counts
    print(f"loans: {sum(counts.values())} active ({counts['0 repaid']} with nothing due yet, {counts['1 repaid']} "
          f"with one on-time repayment, {counts['2 repaid']} with two, {counts['overdue']} with an installment "
          f"past due); {loan_rows} rows in the loan tables (the floor loads them too)")
    status = 0
    if args.verify:
        problem = verify(db)
        print("ledger verified: balances, entries, approvals and audit chain" if problem is None
              else f"LEDGER PROBLEM: {problem}")
        read, overdue, loan_problem = check_loans(db)
        if read or loan_problem:
            print(f"loans verified: {read} read back by loan_servicing.servicing, outstanding principal = loan "
                  f"account balance ({overdue} past due)" if loan_problem is None else f"LOAN PROBLEM: {loan_problem}")
        status = 1 if problem or loan_problem else 0
    db.dispose()
    return status


if __name__ == "__main__":
    sys.exit(main())
