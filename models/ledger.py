"""Accounts, journal entries, postings and holds: the double-entry core.

A journal entry is sealed by inserting its header after its postings (the posting's foreign key to the
entry is deferred): the database checks at that moment that there are two or more postings balancing
per currency and that the instruction behind it is approved, then moves the account balances.
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntKey, Minor, search_key

ACCOUNT_CATEGORIES = ("asset", "liability", "equity", "income", "expense")
ACCOUNT_STATUSES = ("open", "frozen", "closed")
HOLD_STATUSES = ("ACTIVE", "RELEASED", "CONSUMED")


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint("category IN " + repr(ACCOUNT_CATEGORIES), name="known_category"),
        CheckConstraint("normal_side IN ('debit', 'credit')", name="known_side"),
        CheckConstraint("status IN " + repr(ACCOUNT_STATUSES), name="known_status"),
        CheckConstraint("held >= 0", name="held_non_negative"),
        CheckConstraint("NOT no_negative OR balance - held >= 0", name="never_below_zero"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    number: Mapped[str] = mapped_column(search_key(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    gl_code: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str] = mapped_column(String(10))
    normal_side: Mapped[str] = mapped_column(String(6))
    currency: Mapped[str] = mapped_column(String(3))
    no_negative: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(8), default="open")
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))
    customer_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("customer.id"), index=True)
    balance: Mapped[int] = mapped_column(Minor, default=0)
    held: Mapped[int] = mapped_column(Minor, default=0)
    opened_at: Mapped[datetime]


class JournalEntry(Base):
    __tablename__ = "journal_entry"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=False)
    instruction_id: Mapped[int] = mapped_column(ForeignKey("instruction.id"), unique=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    business_date: Mapped[date] = mapped_column(index=True)
    posted_at: Mapped[datetime]
    narrative: Mapped[str] = mapped_column(Text)
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"), unique=True)


class Posting(Base):
    __tablename__ = "posting"
    __table_args__ = (
        CheckConstraint(
            "(debit > 0 AND credit = 0) OR (debit = 0 AND credit > 0)", name="one_side_positive"
        ),
        Index("ix_posting_account_entry", "account_id", "entry_id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("journal_entry.id", deferrable=True, initially="DEFERRED"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    currency: Mapped[str] = mapped_column(String(3))
    debit: Mapped[int] = mapped_column(Minor, default=0)
    credit: Mapped[int] = mapped_column(Minor, default=0)


class Hold(Base):
    """Funds reserved for a pending instruction: available balance = ledger balance - active holds."""

    __tablename__ = "hold"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN " + repr(HOLD_STATUSES), name="known_status"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(ForeignKey("instruction.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    amount: Mapped[int] = mapped_column(Minor)
    status: Mapped[str] = mapped_column(String(8), default="ACTIVE")
    created_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
