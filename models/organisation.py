"""Branches, staff, roles, approval limits and four-eyes admin changes."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigIntKey, Minor

ROLES = ("teller", "loan_officer", "supervisor", "branch_manager", "auditor", "admin")


class LedgerMeta(Base):
    """One row describing this ledger: its identity, whether it is a demo, and which key seals its audit chain."""

    __tablename__ = "ledger_meta"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ledger_uuid: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime]
    is_demo: Mapped[bool] = mapped_column(default=False)
    key_fingerprint: Mapped[str] = mapped_column(String(16))


class Branch(Base):
    __tablename__ = "branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    is_head_office: Mapped[bool] = mapped_column(default=False)
    business_date: Mapped[date]
    day_open: Mapped[bool] = mapped_column(default=True)


class StaffUser(Base):
    __tablename__ = "staff_user"
    __table_args__ = (CheckConstraint("failed_attempts >= 0", name="failed_attempts_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime]
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    totp_active: Mapped[bool] = mapped_column(default=False)
    totp_last_step: Mapped[int | None] = mapped_column(Minor)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    roles: Mapped[list["StaffRole"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="StaffRole.role"
    )


class StaffRole(Base):
    __tablename__ = "staff_role"
    __table_args__ = (
        CheckConstraint("role IN " + repr(ROLES), name="known_role"),
    )

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class ApprovalLimit(Base):
    """How much of which instruction kind a role may approve alone (single) or as the senior of two (joint)."""

    __tablename__ = "approval_limit"
    __table_args__ = (
        CheckConstraint("single_limit >= 0 AND joint_limit >= single_limit", name="limits_ordered"),
        CheckConstraint("level >= 1", name="level_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(20))
    level: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    single_limit: Mapped[int] = mapped_column(Minor)
    joint_limit: Mapped[int] = mapped_column(Minor)


class AdminChange(Base):
    """A change to staff, roles or policy: proposed by one admin, applied only when a different admin approves."""

    __tablename__ = "admin_change"
    __table_args__ = (
        CheckConstraint("status IN ('PENDING', 'APPLIED', 'REJECTED')", name="known_status"),
        CheckConstraint("decided_by IS NULL OR decided_by <> proposed_by", name="four_eyes"),
        CheckConstraint(
            "(status = 'PENDING') = (decided_by IS NULL)", name="decided_iff_final"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="PENDING")
    proposed_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    proposed_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
