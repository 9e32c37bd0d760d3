"""Cash at the counter: tellers' drawer sessions, cash counted by denomination, and numbered receipts.

A drawer session is one teller's drawer for one business day: opened by a vault-to-drawer instruction
(the cash counted by denomination), closed at end of day when its cash has gone back to the vault.
Counts are evidence: written once, never changed, and each adds up to its total (a check constraint).
Receipt numbers run 1, 2, 3... per branch with no gaps (migration 0003 checks each new number).
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntKey, Minor

# CNY notes and coins in fen, largest first: 100, 50, 20, 10, 5, 1, 0.5 and 0.1 yuan.
DENOMINATIONS = (10000, 5000, 2000, 1000, 500, 100, 50, 10)
SESSION_STATUSES = ("OPEN", "CLOSED", "VOID")
COUNT_PURPOSES = ("opening", "closing")


def pieces_column(denomination: int) -> str:
    """The column holding how many pieces of this denomination (in fen) were counted."""
    return f"pieces_{denomination}"


COUNT_ADDS_UP = "total = " + " + ".join(f"{value} * {pieces_column(value)}" for value in DENOMINATIONS)


class DrawerSession(Base):
    """A teller's drawer for one business day. OPEN from the opening instruction's submission (its status
    says whether the cash has arrived), CLOSED once balanced and emptied into the vault, VOID when the
    opening instruction was rejected, cancelled or expired. One OPEN session per teller at a time."""

    __tablename__ = "drawer_session"
    __table_args__ = (
        CheckConstraint("status IN " + repr(SESSION_STATUSES), name="known_status"),
        CheckConstraint("(status = 'CLOSED') = (closed_at IS NOT NULL)", name="closed_iff_closed_at"),
        Index("ix_drawer_session_one_open", "staff_id", unique=True,
              sqlite_where=text("status = 'OPEN'"), postgresql_where=text("status = 'OPEN'")),
        Index("ix_drawer_session_branch_date", "branch_id", "business_date"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    account_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("account.id"))
    business_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(6), default="OPEN")
    opening_instruction_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("instruction.id"), unique=True)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    over_short_instruction_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("instruction.id"))
    return_instruction_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("instruction.id"))


class CashCount(Base):
    """Cash counted by denomination: at opening (the vault-to-drawer instruction's amount) or at end of
    day (blind: `expected` is the drawer balance the teller was shown only after entering the count)."""

    __tablename__ = "cash_count"
    __table_args__ = (
        CheckConstraint("purpose IN " + repr(COUNT_PURPOSES), name="known_purpose"),
        CheckConstraint(COUNT_ADDS_UP, name="adds_up"),
        CheckConstraint(" AND ".join(f"{pieces_column(value)} >= 0" for value in DENOMINATIONS),
                        name="pieces_non_negative"),
        CheckConstraint("(purpose = 'opening') = (instruction_id IS NOT NULL)", name="opening_has_instruction"),
        CheckConstraint("(purpose = 'closing') = (expected IS NOT NULL)", name="closing_has_expected"),
        Index("ix_cash_count_session", "session_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    session_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("drawer_session.id"))
    purpose: Mapped[str] = mapped_column(String(8))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    counted_at: Mapped[datetime]
    instruction_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("instruction.id"))
    total: Mapped[int] = mapped_column(Minor)
    expected: Mapped[int | None] = mapped_column(Minor)
    pieces_10000: Mapped[int] = mapped_column(default=0)
    pieces_5000: Mapped[int] = mapped_column(default=0)
    pieces_2000: Mapped[int] = mapped_column(default=0)
    pieces_1000: Mapped[int] = mapped_column(default=0)
    pieces_500: Mapped[int] = mapped_column(default=0)
    pieces_100: Mapped[int] = mapped_column(default=0)
    pieces_50: Mapped[int] = mapped_column(default=0)
    pieces_10: Mapped[int] = mapped_column(default=0)


class Receipt(Base):
    """The receipt of a posted instruction: numbered per branch without gaps, issued once; every further
    print is a reprint (counted here and audited)."""

    __tablename__ = "receipt"
    __table_args__ = (
        UniqueConstraint("branch_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("reprints >= 0", name="reprints_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    number: Mapped[int] = mapped_column(Minor)
    instruction_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("instruction.id"), unique=True)
    issued_at: Mapped[datetime]
    issued_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    reprints: Mapped[int] = mapped_column(default=0)
