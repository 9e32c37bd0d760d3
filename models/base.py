"""Declarative base, constraint naming convention and the column types every model shares."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit keys on PostgreSQL; on SQLite an INTEGER PRIMARY KEY is already 64-bit and aliases the rowid.
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")

# Money columns: integer minor units, always 64-bit.
Minor = BigInteger

UtcDateTime = DateTime(timezone=True)


def search_key(length: int) -> String:
    """Text ordered by its bytes on both dialects (SQLite BINARY, PostgreSQL collation "C"), so that a
    plain B-tree index answers the prefix range `col >= p AND col < p || U+10FFFF` whatever the
    database's default collation."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime}
