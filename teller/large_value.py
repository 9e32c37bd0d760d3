"""Large-value cash (大额交易): one customer's cash deposits and withdrawals in a business day that reach the
threshold (RMB 50,000 by default, single or cumulative) are flagged at the counter and listed in the day's
large-value transaction report, exportable as CSV. A loan disbursed in cash counts as cash paid out, a loan
repaid in cash as cash paid in: what decides is a leg on a teller's drawer.

A movement counts while it is pending or posted; a posted movement voided the same day no longer counts.
Only movements in the threshold's currency (CNY) count.
"""

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

import fixtures
from models import Account, Branch, Customer, Instruction, JournalEntry, StaffUser
from teller import clock
from teller.db import Database
from teller.errors import LedgerError
from teller.i18n import _
from teller.identifiers import mask_id
from teller.money import format_minor

CASH_KINDS = ("cash_deposit", "cash_withdrawal", "loan_disbursement", "loan_repayment")
DRAWER_GL = "1002"


@dataclass(frozen=True)
class CounterSettings:
    """Counter controls from fixtures/counter_settings.json."""

    large_value_threshold: int
    large_value_currency: str
    duplicate_window: timedelta


def load_settings() -> CounterSettings:
    data = fixtures.load("counter_settings.json")
    return CounterSettings(
        large_value_threshold=int(data["large_value_threshold"]),
        large_value_currency=data["large_value_currency"],
        duplicate_window=timedelta(minutes=int(data["duplicate_window_minutes"])),
    )


@dataclass(frozen=True)
class LargeValueFlag:
    """The customer's cash of the day, this movement included, reaches the large-value threshold."""

    day_total: int
    threshold: int
    currency: str


@dataclass(frozen=True)
class LargeValueLine:
    instruction_id: int
    kind: str
    account_number: str
    currency: str
    amount: int
    decided_at: datetime
    maker: str
    checker: str
    cash_in: bool  # cash paid in at the counter (a deposit, a loan repaid); else paid out


@dataclass(frozen=True)
class LargeValueCustomer:
    """A customer whose cash movements of the day reach the threshold, with every movement that counts."""

    customer_id: int
    name: str
    id_type: str
    id_number: str
    masked_id: str
    deposits: int
    withdrawals: int
    lines: tuple[LargeValueLine, ...]

    @property
    def total(self) -> int:
        return self.deposits + self.withdrawals


def _voided_instructions(session: Session, business_date: date) -> set[int]:
    """Instructions of the day whose posted entry has been voided (a void is posted, kind "void")."""
    original, correction = aliased(JournalEntry), aliased(JournalEntry)
    rows = session.execute(
        select(original.instruction_id)
        .join(correction, correction.reverses_entry_id == original.id)
        .join(Instruction, Instruction.id == correction.instruction_id)
        .where(original.business_date == business_date, Instruction.kind == "void")
    )
    return set(rows.scalars())


def _customer_account(legs: list, numbers: dict[str, int | None]) -> str | None:
    """The customer's account among the legs of a cash movement (the other leg is a drawer)."""
    return next((leg[0] for leg in legs if numbers.get(leg[0]) is not None), None)


def _drawer_leg(legs: list, drawers: set[str]) -> list | None:
    """The leg on a teller's drawer: a movement without one is not cash (a loan paid into an account)."""
    return next((leg for leg in legs if leg[0] in drawers), None)


def _cash_instructions(session: Session, business_date: date, statuses: tuple[str, ...], currency: str,
                       branch_id: int | None = None) -> list[tuple[Instruction, str, int, bool]]:
    """(instruction, customer account number, customer id, cash in?) of every cash movement of the day that
    counts."""
    query = select(Instruction).where(
        Instruction.business_date == business_date, Instruction.kind.in_(CASH_KINDS),
        Instruction.status.in_(statuses), Instruction.currency == currency,
    ).order_by(Instruction.id)
    if branch_id is not None:
        query = query.where(Instruction.branch_id == branch_id)
    found = [instruction for instruction in session.scalars(query)
             if instruction.status == "APPROVED" or clock.as_utc(instruction.expires_at) > clock.now()]
    voided = _voided_instructions(session, business_date)
    found = [instruction for instruction in found if instruction.id not in voided]
    legs = {instruction.id: json.loads(instruction.payload)["legs"] for instruction in found}
    numbers = {leg[0] for all_legs in legs.values() for leg in all_legs}
    rows = session.execute(select(Account.number, Account.customer_id, Account.gl_code)
                           .where(Account.number.in_(numbers))).all()
    owners = {number: customer_id for number, customer_id, _gl in rows}
    drawers = {number for number, _customer, gl_code in rows if gl_code == DRAWER_GL}
    result = []
    for instruction in found:
        number = _customer_account(legs[instruction.id], owners)
        drawer_leg = _drawer_leg(legs[instruction.id], drawers)
        if number is not None and drawer_leg is not None:
            result.append((instruction, number, owners[number], bool(drawer_leg[1])))
    return result


def day_total(session: Session, customer_id: int, business_date: date, settings: CounterSettings,
              *, exclude_instruction: int | None = None) -> int:
    """The customer's cash deposits and withdrawals of the day (pending or posted, not voided)."""
    rows = _cash_instructions(session, business_date, ("PENDING", "APPROVED"), settings.large_value_currency)
    return sum(instruction.amount for instruction, _number, owner, _cash_in in rows
               if owner == customer_id and instruction.id != exclude_instruction)


def flag_for(session: Session, customer_id: int, business_date: date, currency: str, amount: int,
             settings: CounterSettings, *, exclude_instruction: int | None = None) -> LargeValueFlag | None:
    """The flag for one more cash movement of `amount` by this customer today, if the day reaches the threshold."""
    if currency != settings.large_value_currency:
        return None
    total = day_total(session, customer_id, business_date, settings, exclude_instruction=exclude_instruction) + amount
    return LargeValueFlag(total, settings.large_value_threshold, currency) if total >= settings.large_value_threshold \
        else None


def large_value_report(db: Database, branch_id: int, business_date: date,
                       settings: CounterSettings | None = None) -> list[LargeValueCustomer]:
    """The day's large-value transaction report for the branch: posted cash movements, by customer, of
    the customers whose total reaches the threshold; largest total first."""
    settings = settings or load_settings()

    def work(session: Session) -> list[LargeValueCustomer]:
        if session.get(Branch, branch_id) is None:
            raise LedgerError(_("branch {id} does not exist").format(id=branch_id))
        rows = _cash_instructions(session, business_date, ("APPROVED",), settings.large_value_currency, branch_id)
        by_customer: dict[int, list[tuple[Instruction, str, bool]]] = {}
        for instruction, number, owner, cash_in in rows:
            by_customer.setdefault(owner, []).append((instruction, number, cash_in))
        staff_ids = {row[0].maker_id for row in rows} | {row[0].checker_id for row in rows}
        usernames = dict(session.execute(select(StaffUser.id, StaffUser.username).where(StaffUser.id.in_(staff_ids))).all())
        report = []
        for customer_id, movements in by_customer.items():
            if sum(instruction.amount for instruction, _n, _in in movements) < settings.large_value_threshold:
                continue
            customer = session.get(Customer, customer_id)
            lines = tuple(
                LargeValueLine(instruction.id, instruction.kind, number, instruction.currency, instruction.amount,
                               clock.as_utc(instruction.decided_at), usernames[instruction.maker_id],
                               usernames[instruction.checker_id], cash_in)
                for instruction, number, cash_in in movements
            )
            report.append(LargeValueCustomer(
                customer_id, customer.name, customer.id_type, customer.id_number, mask_id(customer.id_number),
                deposits=sum(line.amount for line in lines if line.cash_in),
                withdrawals=sum(line.amount for line in lines if not line.cash_in), lines=lines,
            ))
        report.sort(key=lambda entry: (-entry.total, entry.customer_id))
        return report

    return db.run(work, readonly=True)


CSV_HEADER = ("business_date", "branch", "customer_id", "customer_name", "id_type", "id_number", "instruction_id",
              "kind", "account_number", "currency", "amount", "decided_at", "maker", "checker", "customer_day_total")


def write_large_value_csv(report: list[LargeValueCustomer], business_date: date, branch_code: str,
                          stream: TextIO) -> int:
    """One row per movement, with the customer's total of the day; amounts in major units as exact
    decimals (e.g. 30000.00). Returns the number of movement rows written."""
    writer = csv.writer(stream)
    writer.writerow(CSV_HEADER)
    rows = 0
    for customer in report:
        for line in customer.lines:
            writer.writerow((
                business_date.isoformat(), branch_code, customer.customer_id, customer.name, customer.id_type,
                customer.id_number, line.instruction_id, line.kind, line.account_number, line.currency,
                format_minor(line.amount, line.currency).replace(",", ""), line.decided_at.isoformat(),
                line.maker, line.checker, format_minor(customer.total, line.currency).replace(",", ""),
            ))
            rows += 1
    return rows


def export_large_value_report(db: Database, branch_id: int, business_date: date, directory: Path,
                              settings: CounterSettings | None = None) -> Path:
    """Write the day's report as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese
    names) to `directory`, named for the branch and date; returns the file's path."""
    report = large_value_report(db, branch_id, business_date, settings)
    code = db.run(lambda session: session.get(Branch, branch_id).code, readonly=True)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"large-value-{code}-{business_date.isoformat()}.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        write_large_value_csv(report, business_date, code, stream)
    return path
