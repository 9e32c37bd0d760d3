"""Customers: identity, phones, addresses, notes, and maker-checker changes of protected identity fields.

Search keys (`name_key`, the pinyin keys, `given_name_key`, `id_number`, phone `number` and `last_four`) are
`search_key` columns with plain B-tree indexes, so every prefix search is an index range. Substring search of names
uses objects kept outside this metadata because they exist on one dialect only (migration 0002): an
FTS5 trigram table on SQLite, a pg_trgm GIN index on PostgreSQL. `OUTSIDE_METADATA` names them so that
schema comparison leaves them alone.
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntKey, search_key

CUSTOMER_KINDS = ("individual", "company")
ID_TYPES = ("resident_id", "uscc", "passport")
SEGMENTS = ("mass", "quality", "vip")
GENDERS = ("male", "female")
PHONE_KINDS = ("mobile", "home", "work")
ADDRESS_KINDS = ("home", "work", "mailing", "registered")
CHANGE_STATUSES = ("PENDING", "APPLIED", "REJECTED")

NAME_LENGTH = 120
PINYIN_FULL_LENGTH = 240
PHONE_LENGTH = 20
ADDRESS_LENGTH = 200

NAME_FTS_TABLE = "customer_name_fts"  # SQLite FTS5 trigram table over customer.name_key, and its shadow tables
NAME_TRIGRAM_INDEX = "ix_customer_name_key_trgm"  # PostgreSQL pg_trgm GIN index on customer.name_key
OUTSIDE_METADATA = (NAME_FTS_TABLE, NAME_TRIGRAM_INDEX)


class Customer(Base):
    """An individual or a company. `name_key` is the name NFKC-normalised and case-folded; the pinyin keys
    are lower-case syllables without tones or spaces (王芳: `wangfang`, `wf`); `given_name_key` is an
    individual's Chinese name without its surname (欧阳小芳: `小芳`), NULL for other names (migration 0010)."""

    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("kind IN " + repr(CUSTOMER_KINDS), name="known_kind"),
        CheckConstraint("id_type IN " + repr(ID_TYPES), name="known_id_type"),
        CheckConstraint("segment IN " + repr(SEGMENTS), name="known_segment"),
        CheckConstraint("gender IS NULL OR gender IN " + repr(GENDERS), name="known_gender"),
        CheckConstraint("(kind = 'company') = (id_type = 'uscc')", name="company_iff_uscc"),
        CheckConstraint(
            "(kind = 'individual' AND birth_date IS NOT NULL AND gender IS NOT NULL)"
            " OR (kind = 'company' AND birth_date IS NULL AND gender IS NULL)",
            name="birth_and_gender_for_individuals",
        ),
        # Given-name search: the first matches in (given name, id) order straight from the index.
        Index("ix_customer_given_name_key", "given_name_key", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_key: Mapped[str] = mapped_column(search_key(NAME_LENGTH), index=True)
    pinyin_full: Mapped[str] = mapped_column(search_key(PINYIN_FULL_LENGTH), index=True)
    pinyin_initials: Mapped[str] = mapped_column(search_key(NAME_LENGTH), index=True)
    given_name_key: Mapped[str | None] = mapped_column(search_key(NAME_LENGTH))
    id_type: Mapped[str] = mapped_column(String(12))
    id_number: Mapped[str] = mapped_column(search_key(32), unique=True)
    birth_date: Mapped[date | None]
    gender: Mapped[str | None] = mapped_column(String(6))
    segment: Mapped[str] = mapped_column(String(8), default="mass")
    relationship_owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CustomerPhone(Base):
    """A phone number (digits only). Exactly one mobile per customer is the registered mobile (预留手机号),
    which protects later transactions and changes only under a second key."""

    __tablename__ = "customer_phone"
    __table_args__ = (
        CheckConstraint("kind IN " + repr(PHONE_KINDS), name="known_kind"),
        CheckConstraint("NOT is_registered OR kind = 'mobile'", name="registered_is_mobile"),
        CheckConstraint("last_four = substr(number, length(number) - 3, 4)", name="last_four_matches"),
        UniqueConstraint("customer_id", "number"),
        Index(
            "ix_customer_phone_one_registered", "customer_id", unique=True,
            sqlite_where=text("is_registered"), postgresql_where=text("is_registered"),
        ),
        # Last-four search: the first matches in id order straight from the index (no table reads, no sort),
        # however many of a million customers share the four digits (migration 0006).
        Index("ix_customer_phone_last_four_lookup", "last_four", "id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("customer.id"))
    kind: Mapped[str] = mapped_column(String(6))
    number: Mapped[str] = mapped_column(search_key(PHONE_LENGTH), index=True)
    last_four: Mapped[str] = mapped_column(search_key(4))
    is_registered: Mapped[bool] = mapped_column(default=False)


class CustomerAddress(Base):
    __tablename__ = "customer_address"
    __table_args__ = (CheckConstraint("kind IN " + repr(ADDRESS_KINDS), name="known_kind"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("customer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))


class CustomerNote(Base):
    """One entry of the notes and visit log: who wrote it, when, and what."""

    __tablename__ = "customer_note"
    __table_args__ = (Index("ix_customer_note_customer_newest", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("customer.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)


class CustomerChange(Base):
    """A change of a customer's identity document or registered mobile: made by one user, applied only
    when a different user with checker authority approves. `before`/`after` are JSON objects of the
    protected fields that change. The database refuses a checker who is the maker, and a second pending
    change for the same customer."""

    __tablename__ = "customer_change"
    __table_args__ = (
        CheckConstraint("status IN " + repr(CHANGE_STATUSES), name="known_status"),
        CheckConstraint("checker_id IS NULL OR checker_id <> maker_id", name="checker_not_maker"),
        CheckConstraint("(status = 'PENDING') = (checker_id IS NULL)", name="decided_iff_final"),
        Index(
            "ix_customer_change_one_pending", "customer_id", unique=True,
            sqlite_where=text("status = 'PENDING'"), postgresql_where=text("status = 'PENDING'"),
        ),
        Index("ix_customer_change_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("customer.id"))
    status: Mapped[str] = mapped_column(String(8), default="PENDING")
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    maker_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    checker_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
