"""The demo ledger: a branch with staff of every role, about 2,000 customers with realistic names and
valid identifiers, deposit accounts with balances, all posted through instructions and second keys, and a
few loan applications in every state of origination.

Demo staff's authenticator secrets are readable (`current_codes`) only on a ledger created as a demo;
anywhere else that is refused.
"""

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from models import LedgerMeta, StaffUser
from teller import (
    accounts, bootstrap, clock, config, customers, drawers, instructions, keys, loan_servicing, loans, staff,
    synthetic_people, totp,
)
from teller.actor import Actor, system_actor
from teller.customers import AddressDraft, CustomerDraft
from teller.db import Database
from teller.errors import ConfigError
from teller.i18n import _
from teller.instructions import InstructionRequest
from teller.ledger import Leg
from teller.loan_products import LoanFacts, LoanTerms, TrancheTerms
from teller.loan_servicing import DisbursementDraft
from teller.loans import ApplicationDraft, CreditCheckEntry

DEMO_PASSWORD = "Demo#Pass2026"
BRANCH_CODE = "0101"
STAFF = (
    ("teller1", "陈晓梅", ("teller",)),
    ("teller2", "Liu Yang", ("teller",)),
    ("officer1", "赵建国", ("loan_officer",)),
    ("super1", "孙丽", ("supervisor",)),
    ("manager1", "周志强", ("branch_manager",)),
    ("auditor1", "吴敏", ("auditor",)),
    ("admin1", "郑凯", ("admin",)),
)
# Opening balances are posted in batches small enough for the branch manager's key alone.
BATCH_LIMIT = 990_000_00


@dataclass(frozen=True)
class DemoLedger:
    database: Database
    ledger_line: str


def demo_directory() -> Path:
    return config.data_dir() / "demo"


# A drawer's opening cash, pieces by denomination (fen): CNY 50,000 in the bundles a vault hands out.
DRAWER_OPENING_COUNT = {10000: 400, 5000: 100, 2000: 200, 1000: 80, 500: 20, 100: 100, 50: 0, 10: 0}


def _approve(database: Database, checkers: tuple[Actor, Actor], made) -> None:
    supervisor, manager = checkers
    if made.required_checkers == 2:
        instructions.approve(database, made.id, supervisor)
        instructions.approve(database, made.id, manager)
    else:
        instructions.approve(database, made.id, manager)


def _demo_location(directory: Path) -> config.LedgerLocation:
    """The demo ledger's file, with its key file named explicitly (a demo never touches the OS keyring)."""
    os.environ[keys.KEY_FILE_ENV] = str(directory / "ledger.key")
    return config.LedgerLocation(make_url(f"sqlite:///{directory / 'ledger.sqlite3'}"), "teller demo")


def build(customer_count: int = 2000, *, seed: int = 2026, progress: Callable[[str], None] = print) -> DemoLedger:
    """Create a fresh demo ledger in the user data directory (replacing an older demo)."""
    directory = demo_directory()
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob("ledger.sqlite3*"):
        leftover.unlink()
    (directory / "ledger.key").unlink(missing_ok=True)
    location = _demo_location(directory)
    operator = system_actor("demo")
    database, _created = bootstrap.upgrade(location, operator, demo=True)
    rng = random.Random(seed)
    accounts.create_branch(database, operator, BRANCH_CODE, "示范支行 Demo branch", clock.branch_today())

    def make_staff(session) -> dict[str, Actor]:
        made = {}
        for username, name, roles in STAFF:
            user = staff.create_staff(session, operator, username=username, display_name=name,
                                      branch_code=BRANCH_CODE, roles=roles, password=DEMO_PASSWORD)
            made[username] = staff.actor_for(user, "demo")
        return made

    progress(_("Creating staff of every role…"))
    people = database.run(make_staff)
    for username, _name, _roles in STAFF:
        secret, _uri = staff.begin_totp_enrolment(database, operator, username)
        # Confirm with the previous step's code (inside the window) so the code shown now is still unused.
        earlier = clock.now() - timedelta(seconds=totp.STEP_SECONDS)
        staff.confirm_totp_enrolment(database, operator, username, totp.code_at(secret, earlier))
    maker, checkers = people["teller1"], (people["super1"], people["manager1"])
    capital = accounts.branch_account_number(BRANCH_CODE, "4001")
    clearing = accounts.branch_account_number(BRANCH_CODE, "3001")
    vault = accounts.branch_account_number(BRANCH_CODE, "1001")
    _approve(database, checkers, instructions.submit(database, maker, InstructionRequest(
        kind="transfer", legs=(Leg(vault, debit=3_000_000_00), Leg(capital, credit=3_000_000_00)),
        narrative="Opening vault cash 金库开库", idempotency_key="demo-opening-vault")))
    for teller in ("teller1", "teller2"):  # the tellers' drawers open for the day, so the counter works at once
        _approve(database, checkers, drawers.open_drawer(
            database, people[teller], DRAWER_OPENING_COUNT, f"demo-open-drawer-{teller}"))
    progress(_("Creating {count} customers with deposit accounts…").format(count=customer_count))
    used_ids: set[str] = set()
    used_mobiles: set[str] = set()
    customer_ids: list[int] = []
    batch: list[Leg] = []
    batch_total = 0
    batches = 0
    for index in range(customer_count):
        number, _gender = synthetic_people.resident_id(rng, used_ids)
        address = synthetic_people.home_address(rng)
        customer_id = customers.create_customer(database, maker, CustomerDraft(
            kind="individual", name=synthetic_people.person_name(rng), id_type="resident_id", id_number=number,
            registered_mobile=synthetic_people.mobile(rng, used_mobiles), segment=synthetic_people.segment(rng),
            addresses=(AddressDraft("home", address),), relationship_owner_id=people["officer1"].staff_id))
        customer_ids.append(customer_id)
        account = customers.open_account_for(database, maker, customer_id)
        balance = rng.choice((rng.randint(100, 5_000), rng.randint(5_000, 80_000), rng.randint(80_000, 180_000)))
        if batch_total + balance * 100 > BATCH_LIMIT:
            batches += 1
            _post_batch(database, maker, checkers, clearing, batch, batches)
            batch, batch_total = [], 0
        batch.append(Leg(account.number, credit=balance * 100))
        batch_total += balance * 100
        if (index + 1) % 500 == 0:
            progress("  " + _("{count} customers").format(count=index + 1))
    if batch:
        _post_batch(database, maker, checkers, clearing, batch, batches + 1)
    progress(_("Creating loan applications…"))
    _demo_loans(database, people, customer_ids)
    return DemoLedger(database, location.describe() + " [DEMO]")


def _tranche(kind: str, amount_yuan: int, rate: str, method: str, months: int) -> TrancheTerms:
    return TrancheTerms(kind, amount_yuan * 100, Decimal(rate), method, months)


def _demo_loans(database: Database, people: dict[str, Actor], customer_ids: list[int]) -> None:
    """One application in each state up to signing and two active loans (one of two tranches), worked by the
    demo's officer, supervisor and manager."""
    officer, supervisor, manager = people["officer1"], people["super1"], people["manager1"]
    today = clock.branch_today()
    first_due = date(today.year + today.month // 12, today.month % 12 + 1, 20)
    home = LoanFacts(property_price=1_200_000_00, home_count=1, fund_contribution_months=36, contributing_spouses=2,
                     previous_fund_loan_settled=True)
    plans = [
        ("consumer", (_tranche("standard", 80_000, "0.04", "equal_installment", 36),), "装修 home renovation",
         LoanFacts(monthly_income=12_000_00), "DRAFT"),
        ("housing_fund", (_tranche("standard", 450_000, "0.026", "equal_installment", 300),), "首套住房 first home",
         home, "SUBMITTED"),
        ("small_credit", (_tranche("standard", 50_000, "0.05", "equal_principal", 24),), "经营周转 working capital",
         LoanFacts(monthly_income=9_000_00), "UNDER_REVIEW"),
        ("farmer_micro", (_tranche("standard", 30_000, "0.045", "bullet", 12),), "春耕农资 seed and fertiliser",
         LoanFacts(guarantee_group=True), "RETURNED"),
        ("combined", (_tranche("fund", 450_000, "0.026", "equal_installment", 360),
                      _tranche("commercial", 350_000, "0.0305", "equal_installment", 360)), "首套住房 first home",
         home, "APPROVED"),
        ("auto", (_tranche("standard", 105_000, "0.045", "equal_installment", 36),), "购车 car purchase",
         LoanFacts(vehicle_price=150_000_00, monthly_income=15_000_00), "CONTRACT_SIGNED"),
        ("pledge", (_tranche("standard", 90_000, "0.035", "bullet", 12),), "资金周转 short-term needs",
         LoanFacts(pledge_value=100_000_00), "REJECTED"),
        ("consumer", (_tranche("standard", 60_000, "0.0435", "equal_installment", 12),), "教育 tuition",
         LoanFacts(monthly_income=15_000_00), "ACTIVE"),
        ("combined", (_tranche("fund", 100_000, "0.021", "equal_installment", 60),
                      _tranche("commercial", 100_000, "0.0305", "equal_principal", 60)), "首套住房 first home",
         home, "ACTIVE"),
    ]
    credit = CreditCheckEntry("clear", today, "ZX" + today.strftime("%Y%m%d") + "0001", "无逾期记录 no overdue")
    for customer_id, (code, tranches, purpose, facts, state) in zip(customer_ids, plans, strict=False):
        made = loans.create_application(database, officer, ApplicationDraft(
            customer_id, LoanTerms(code, tranches, first_due, purpose), facts))
        if state == "DRAFT":
            continue
        loans.submit(database, officer, made.id)
        if state == "SUBMITTED":
            continue
        loans.start_review(database, supervisor, made.id, notes="收入核实 income confirmed", credit_check=credit)
        if state == "RETURNED":
            loans.return_to_officer(database, supervisor, made.id, "补充联保小组协议 add the group agreement")
        elif state == "REJECTED":
            loans.reject(database, supervisor, made.id, "用途不明 purpose not shown")
        elif state in ("APPROVED", "CONTRACT_SIGNED", "ACTIVE"):
            view = loans.approve(database, supervisor, made.id, "同意 approved")
            if view.state != "APPROVED":
                loans.approve(database, manager, made.id, "同意 approved")
        if state in ("CONTRACT_SIGNED", "ACTIVE"):
            loans.sign(database, officer, made.id, signed_at=clock.now(), place="示范支行 Demo branch")
            checklist = loans.application_file(database, made.id).checklist
            groups: set[str] = set()  # an ACTIVE loan's checklist is complete: one document of each either/or group
            for item in checklist if state == "ACTIVE" else checklist[:3]:
                if item.either_or in groups or not item.required:
                    continue
                if item.either_or:
                    groups.add(item.either_or)
                loans.receive_item(database, officer, made.id, item.code)
                loans.verify_item(database, supervisor, made.id, item.code)
        if state == "ACTIVE":
            account = customers.customer_file(database, customer_id).accounts[0].number
            made = loan_servicing.request_disbursement(database, officer, DisbursementDraft(
                made.id, "account", account_number=account, idempotency_key=f"demo-disbursement-{made.id}"))
            instructions.approve(database, made.id, supervisor)


def _post_batch(database: Database, maker: Actor, checkers: tuple[Actor, Actor], clearing: str,
                legs: list[Leg], number: int) -> None:
    total = sum(leg.credit for leg in legs)
    made = instructions.submit(database, maker, InstructionRequest(
        kind="transfer", legs=(Leg(clearing, debit=total), *legs),
        narrative=f"Opening balances migrated from the old core, batch {number} 存量迁移",
        idempotency_key=f"demo-opening-balances-{number}"))
    _approve(database, checkers, made)


def current_codes(database: Database) -> dict[str, str]:
    """Each demo user's authenticator code right now; refused on a ledger that is not a demo."""

    def work(session) -> dict[str, str]:
        meta = session.get(LedgerMeta, 1)
        if meta is None or not meta.is_demo:
            raise ConfigError(_("this is not a demo ledger: authenticator codes are never shown"))
        users = session.scalars(select(StaffUser).where(StaffUser.totp_active).order_by(StaffUser.username))
        now = clock.now()
        return {user.username: totp.code_at(totp.decrypt_secret(database.secret_key, user.username,
                                                                 user.totp_secret_encrypted), now)
                for user in users}

    return database.run(work, readonly=True)


def open_existing() -> DemoLedger:
    """The demo ledger built earlier, for `teller demo totp`."""
    directory = demo_directory()
    if not (directory / "ledger.sqlite3").exists():
        raise ConfigError(_("there is no demo ledger yet: run `teller demo` first"))
    location = _demo_location(directory)
    return DemoLedger(bootstrap.open_database(location), location.describe() + " [DEMO]")
