"""pending accounts by index: a submitted instruction finds its legs' accounts through the number index

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 08:30:00.000000

On PostgreSQL the trigger of 0002 that records a PENDING instruction's accounts joined the legs (a
set-returning function the planner takes for 100 rows) with `account`. Up to about 11,000 accounts it chose
a hash join over a sequential scan of every account, on every submit: 0.8 ms of the insert's 1.1 ms at
5,000 customers. Larger ledgers were read by the index.
The numbers now go in as one array, `number = ANY (...)`, which the planner reads by `uq_account_number`
at any size. An account named by two legs matches once, as DISTINCT made sure before. SQLite's trigger
already probes the index for each leg and is left as it is.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """CREATE OR REPLACE FUNCTION teller_pending_instruction_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.status = 'PENDING' THEN
                INSERT INTO pending_instruction_account (instruction_id, account_id)
                {accounts};
            END IF;
        ELSIF OLD.status = 'PENDING' AND NEW.status <> 'PENDING' THEN
            DELETE FROM pending_instruction_account WHERE instruction_id = NEW.id;
        END IF;
        RETURN NULL;
    END $$"""
BY_INDEX = """SELECT NEW.id, a.id FROM account a
                 WHERE a.number = ANY (ARRAY(SELECT leg ->> 0
                                               FROM jsonb_array_elements(NEW.payload::jsonb -> 'legs') AS leg))"""
BY_JOIN = """SELECT DISTINCT NEW.id, a.id FROM jsonb_array_elements(NEW.payload::jsonb -> 'legs') AS leg
                  JOIN account a ON a.number = leg ->> 0"""


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(FUNCTION.format(accounts=BY_INDEX))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(FUNCTION.format(accounts=BY_JOIN))
