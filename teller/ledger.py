"""Posting to the double-entry ledger, and verifying it.

`post_entry` is the only writer of journal entries and postings. It runs inside the approval unit of
work: it checks the legs again (the session guard's and the database's checks back it up), locks the
accounts it touches in id order (so that concurrent postings on PostgreSQL never deadlock), writes the
postings and then seals them with the entry header, which moves the balances.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Row, bindparam, case, func, insert, select, text
from sqlalchemy.orm import Session

from models import Account, Hold, Instruction, JournalEntry, Posting
from teller import audit, clock
from teller.actor import Actor
from teller.errors import LedgerError, status_name
from teller.i18n import _
from teller.money import format_minor


@dataclass(frozen=True)
class Leg:
    """One side of an entry: an account number and a debit or a credit in minor units."""

    account_number: str
    debit: int = 0
    credit: int = 0

    def as_list(self) -> list:
        return [self.account_number, self.debit, self.credit]


@dataclass(frozen=True)
class BalanceProblem:
    account_number: str
    stored: int
    from_postings: int


@dataclass(frozen=True)
class VerifyReport:
    accounts: int
    entries: int
    postings: int
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class TrialBalanceRow:
    gl_code: str
    currency: str
    debit: int
    credit: int


def check_legs(legs: tuple[Leg, ...], currency_of: dict[str, str]) -> None:
    """Refuse legs that could not make a valid entry, with the reason."""
    if len(legs) < 2:
        raise LedgerError(_("an entry needs two or more legs"))
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        if leg.account_number not in currency_of:
            raise LedgerError(_("account {number} does not exist").format(number=leg.account_number))
        if (leg.debit > 0) == (leg.credit > 0) or leg.debit < 0 or leg.credit < 0:
            raise LedgerError(_("leg on {number} must be a positive debit or a positive credit").format(
                number=leg.account_number))
        totals[currency_of[leg.account_number]] += leg.debit - leg.credit
    for currency, difference in totals.items():
        if difference:
            raise LedgerError(_("the entry does not balance in {currency} (off by {difference})").format(
                currency=currency, difference=format_minor(difference, currency)))


# The posting path's statements are built once: building them per call costs more than running them.
_LOCK_ACCOUNTS = (
    select(Account.id, Account.number, Account.currency, Account.status, Account.normal_side, Account.no_negative,
           Account.balance, Account.held)
    .where(Account.number.in_(bindparam("numbers", expanding=True)))
    .order_by(Account.id)
    .with_for_update()
)
_NEXT_ENTRY_ID = {
    "postgresql": text("SELECT nextval('journal_entry_id_seq')"),
    # SQLite: the write lock taken by BEGIN IMMEDIATE makes max + 1 safe.
    "sqlite": select(func.coalesce(func.max(JournalEntry.id), 0) + 1),
}
_INSERT_POSTINGS = insert(Posting)
_INSERT_ENTRY = insert(JournalEntry)


def lock_accounts(session: Session, numbers: set[str]) -> dict[str, Row]:
    """Read and lock the accounts in id order (a fixed order keeps concurrent postings deadlock-free).
    Rows, not ORM objects: the balances they show are current, and nothing may change them here."""
    rows = session.connection().execute(_LOCK_ACCOUNTS, {"numbers": sorted(numbers)})
    return {row.number: row for row in rows}


def _next_entry_id(session: Session) -> int:
    connection = session.connection()
    return connection.execute(_NEXT_ENTRY_ID[connection.dialect.name]).scalar_one()


def post_entry(
    session: Session,
    actor: Actor,
    instruction: Instruction,
    legs: tuple[Leg, ...],
    accounts: dict[str, Row],
    *,
    reverses_entry_id: int | None = None,
) -> int:
    """Write the approved instruction's entry and return its id. `accounts` are the legs' accounts as
    `lock_accounts` returned them in this unit of work (the approval locks them once, to consume its holds)."""
    if instruction.status != "APPROVED":
        raise LedgerError(f"instruction {instruction.id} is {instruction.status}, not APPROVED")
    check_legs(legs, {number: account.currency for number, account in accounts.items()})
    for leg in legs:
        account = accounts[leg.account_number]
        if account.status != "open":
            raise LedgerError(_("account {number} is {status}: nothing can be posted to it").format(
                number=account.number, status=status_name(account.status)))
    entry_id = _next_entry_id(session)
    connection = session.connection()
    connection.execute(
        _INSERT_POSTINGS,
        [
            {
                "entry_id": entry_id,
                "account_id": accounts[leg.account_number].id,
                "currency": accounts[leg.account_number].currency,
                "debit": leg.debit,
                "credit": leg.credit,
            }
            for leg in legs
        ],
    )
    connection.execute(
        _INSERT_ENTRY,
        {
            "id": entry_id,
            "instruction_id": instruction.id,
            "branch_id": instruction.branch_id,
            "business_date": instruction.business_date,
            "posted_at": clock.now(),
            "narrative": instruction.narrative,
            "reverses_entry_id": reverses_entry_id,
        },
    )
    audit.record(
        session,
        actor,
        "entry.posted",
        object_type="journal_entry",
        object_id=entry_id,
        business_date=instruction.business_date,
        branch_id=instruction.branch_id,
        instruction=instruction.id,
        legs=[leg.as_list() for leg in legs],
        reverses_entry=reverses_entry_id,
    )
    return entry_id


def entry_legs(session: Session, entry_id: int) -> tuple[Leg, ...]:
    rows = session.execute(
        select(Account.number, Posting.debit, Posting.credit)
        .join(Account, Account.id == Posting.account_id)
        .where(Posting.entry_id == entry_id)
        .order_by(Posting.id)
    ).all()
    return tuple(Leg(number, debit, credit) for number, debit, credit in rows)


def mirror(legs: tuple[Leg, ...]) -> tuple[Leg, ...]:
    """The legs of a reversal: every debit becomes a credit and the other way round."""
    return tuple(Leg(leg.account_number, debit=leg.credit, credit=leg.debit) for leg in legs)


def _signed_delta():
    """A posting's effect on its account's balance, in the account's normal-side terms."""
    return case(
        (Account.normal_side == "debit", Posting.debit - Posting.credit),
        else_=Posting.credit - Posting.debit,
    )


def verify(session: Session) -> VerifyReport:
    """Recompute every balance and hold from its rows and check every entry; name the first problem."""
    counts = session.execute(
        select(
            select(func.count()).select_from(Account).scalar_subquery(),
            select(func.count()).select_from(JournalEntry).scalar_subquery(),
            select(func.count()).select_from(Posting).scalar_subquery(),
        )
    ).one()

    def report(problem: str | None) -> VerifyReport:
        return VerifyReport(accounts=counts[0], entries=counts[1], postings=counts[2], problem=problem)

    orphan = session.execute(
        select(Posting.id, Posting.entry_id)
        .outerjoin(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(JournalEntry.id.is_(None))
        .order_by(Posting.id)
        .limit(1)
    ).first()
    if orphan:
        return report(f"posting {orphan.id} belongs to no journal entry (entry {orphan.entry_id})")
    legs = (
        select(Posting.entry_id, func.count().label("legs"))
        .group_by(Posting.entry_id)
        .subquery()
    )
    short = session.execute(
        select(JournalEntry.id)
        .outerjoin(legs, legs.c.entry_id == JournalEntry.id)
        .where(func.coalesce(legs.c.legs, 0) < 2)
        .order_by(JournalEntry.id)
        .limit(1)
    ).scalar()
    if short is not None:
        return report(f"journal entry {short} has fewer than two postings")
    unbalanced = session.execute(
        select(Posting.entry_id, Posting.currency)
        .group_by(Posting.entry_id, Posting.currency)
        .having(func.sum(Posting.debit) != func.sum(Posting.credit))
        .order_by(Posting.entry_id)
        .limit(1)
    ).first()
    if unbalanced:
        return report(f"journal entry {unbalanced.entry_id} does not balance in {unbalanced.currency}")
    unapproved = session.execute(
        select(JournalEntry.id, Instruction.id, Instruction.status)
        .outerjoin(Instruction, Instruction.id == JournalEntry.instruction_id)
        .where(
            (Instruction.id.is_(None))
            | (Instruction.status != "APPROVED")
            | (Instruction.checker_id.is_(None))
            | (Instruction.checker_id == Instruction.maker_id)
        )
        .order_by(JournalEntry.id)
        .limit(1)
    ).first()
    if unapproved:
        return report(f"journal entry {unapproved[0]} is not backed by an approved four-eyes instruction")
    sums = (
        select(Posting.account_id, func.sum(_signed_delta()).label("total"))
        .join(Account, Account.id == Posting.account_id)
        .group_by(Posting.account_id)
        .subquery()
    )
    drift = session.execute(
        select(Account.number, Account.balance, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == Account.id)
        .where(Account.balance != func.coalesce(sums.c.total, 0))
        .order_by(Account.id)
        .limit(1)
    ).first()
    if drift:
        return report(
            f"account {drift[0]} balance {format_minor(drift[1])} differs from its postings {format_minor(int(drift[2]))}"
        )
    held = (
        select(Hold.account_id, func.sum(Hold.amount).label("held"))
        .where(Hold.status == "ACTIVE")
        .group_by(Hold.account_id)
        .subquery()
    )
    hold_drift = session.execute(
        select(Account.number)
        .outerjoin(held, held.c.account_id == Account.id)
        .where(Account.held != func.coalesce(held.c.held, 0))
        .order_by(Account.id)
        .limit(1)
    ).scalar()
    if hold_drift:
        return report(f"account {hold_drift} held amount differs from its active holds")
    overdrawn = session.execute(
        select(Account.number)
        .where(Account.no_negative, Account.balance - Account.held < 0)
        .order_by(Account.id)
        .limit(1)
    ).scalar()
    if overdrawn:
        return report(f"account {overdrawn} is below zero but may never be")
    return report(None)


def trial_balance(session: Session) -> list[TrialBalanceRow]:
    """Net debit or credit of every GL code per currency; the two columns total the same when sound."""
    net_debit = case((Account.normal_side == "debit", Account.balance), else_=-Account.balance)
    rows = session.execute(
        select(Account.gl_code, Account.currency, func.sum(net_debit))
        .group_by(Account.gl_code, Account.currency)
        .order_by(Account.currency, Account.gl_code)
    ).all()
    return [
        TrialBalanceRow(gl_code, currency, debit=max(int(net), 0), credit=max(-int(net), 0))
        for gl_code, currency, net in rows
    ]


def account_balance(session: Session, number: str) -> tuple[int, int]:
    """(ledger balance, available balance) of one account."""
    row = session.execute(select(Account.balance, Account.held).where(Account.number == number)).first()
    if row is None:
        raise LedgerError(_("account {number} does not exist").format(number=number))
    return row.balance, row.balance - row.held
