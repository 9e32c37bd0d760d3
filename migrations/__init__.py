"""Alembic migrations of the Teller ledger (batch mode on SQLite; triggers and functions per dialect)."""
