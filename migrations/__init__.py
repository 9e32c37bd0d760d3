"""Alembic migrations of the Teller ledger (batch mode on SQLite; triggers and functions per dialect)."""

# The newest revision below (tests/test_migrations.py holds it to Alembic's own head of the scripts).
HEAD = "0011"
