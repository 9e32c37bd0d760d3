"""The instruction: the unit of every fund movement, posted only after a second key."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntKey, Minor

INSTRUCTION_STATUSES = ("PENDING", "APPROVED", "REJECTED", "CANCELLED", "EXPIRED")


class Instruction(Base):
    __tablename__ = "instruction"
    __table_args__ = (
        CheckConstraint("status IN " + repr(INSTRUCTION_STATUSES), name="known_status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("required_checkers IN (1, 2)", name="one_or_two_checkers"),
        CheckConstraint("checker_id IS NULL OR checker_id <> maker_id", name="checker_not_maker"),
        CheckConstraint(
            "second_checker_id IS NULL OR (second_checker_id <> maker_id AND second_checker_id <> checker_id)",
            name="second_checker_distinct",
        ),
        CheckConstraint(
            "status <> 'APPROVED' OR (checker_id IS NOT NULL"
            " AND (required_checkers = 1 OR second_checker_id IS NOT NULL))",
            name="approved_has_checkers",
        ),
        Index("ix_instruction_status_branch", "status", "branch_id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(10), default="PENDING")
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    business_date: Mapped[date]
    maker_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    checker_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    second_checker_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    required_checkers: Mapped[int] = mapped_column(default=1)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(Minor)
    narrative: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    terminal: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


class PendingInstructionAccount(Base):
    """Which accounts each pending instruction touches, so "has pending instructions" is an index lookup.

    Written only by database triggers (migration 0002): a row per distinct account of the payload's legs
    when the instruction is inserted as PENDING, removed when it leaves PENDING. Rows of an instruction
    past its expiry stay until it is expired, so readers also compare `instruction.expires_at`.
    """

    __tablename__ = "pending_instruction_account"

    instruction_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("instruction.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("account.id"), primary_key=True, index=True)
