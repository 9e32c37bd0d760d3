"""The append-only, hash-chained audit log."""

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntKey


class AuditEvent(Base):
    """One audited event. `row_hash` = HMAC(key, prev_hash + canonical content); `seq` has no gaps."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime]
    business_date: Mapped[date | None]
    branch_id: Mapped[int | None]
    staff_id: Mapped[int | None]
    role: Mapped[str | None] = mapped_column(String(64))
    terminal: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last row, sealed with the key, so that removing rows from the end is detected too."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    row_hash: Mapped[str] = mapped_column(String(64))
    head_mac: Mapped[str] = mapped_column(String(64))
