"""search speed: indexes for customer lookup at a million customers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 10:40:00.000000

Measured with bench/lookup.py on a generated ledger of a million customers, every query kind of the
customer search already reads an index (name, pinyin, ID, phone and account prefixes as ranges of
bytewise-ordered keys; substrings through the trigram indexes). One lookup still grew with the ledger:
a phone's last four digits have only 10,000 values, so about a hundred customers share each at a
million (a thousand at ten million), and PostgreSQL read every one of them from the table and sorted
them to return the first twenty by id. The index on (last_four, id, customer_id) replaces the one on
last_four alone: the first twenty in id order come straight from the index, with the customer ids in it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_customer_phone_last_four_lookup', 'customer_phone', ['last_four', 'id', 'customer_id'],
                    unique=False)
    op.drop_index('ix_customer_phone_last_four', table_name='customer_phone')


def downgrade() -> None:
    op.create_index('ix_customer_phone_last_four', 'customer_phone', ['last_four'], unique=False)
    op.drop_index('ix_customer_phone_last_four_lookup', table_name='customer_phone')
