"""counter movements: identity checks recorded with instructions; instruction change notices

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 10:40:00.000000

`identity_check` is append-only (triggers on SQLite, functions on PostgreSQL): the record that a teller
saw the customer's document for an instruction is never changed or removed.

On PostgreSQL every insert or update of an instruction sends a notice on the channel
`teller_instruction` (payload: id, branch, status), so supervisors' approval queues on other terminals
follow new and decided instructions without polling (teller/notifications.py). SQLite has no such
channel: the listener there watches `PRAGMA data_version`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigIntKey = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

SQLITE_UPGRADE = [
    """CREATE TRIGGER identity_check_no_update BEFORE UPDATE ON identity_check BEGIN
        SELECT RAISE(ABORT, 'teller: an identity check is never changed');
    END""",
    """CREATE TRIGGER identity_check_no_delete BEFORE DELETE ON identity_check BEGIN
        SELECT RAISE(ABORT, 'teller: an identity check is never deleted');
    END""",
]

SQLITE_DOWNGRADE = [
    "DROP TRIGGER identity_check_no_delete",
    "DROP TRIGGER identity_check_no_update",
]

POSTGRES_UPGRADE = [
    "CREATE TRIGGER identity_check_immutable BEFORE UPDATE OR DELETE ON identity_check"
    " FOR EACH ROW EXECUTE FUNCTION teller_refuse('an identity check is never changed or deleted')",
    "CREATE TRIGGER identity_check_no_truncate BEFORE TRUNCATE ON identity_check"
    " FOR EACH STATEMENT EXECUTE FUNCTION teller_refuse('identity_check is never truncated')",
    """CREATE FUNCTION teller_instruction_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('teller_instruction',
                          json_build_object('id', NEW.id, 'branch', NEW.branch_id, 'status', NEW.status)::text);
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER instruction_notify AFTER INSERT OR UPDATE ON instruction"
    " FOR EACH ROW EXECUTE FUNCTION teller_instruction_notify()",
]

POSTGRES_DOWNGRADE = [
    "DROP FUNCTION teller_instruction_notify() CASCADE",
    "DROP TRIGGER identity_check_no_truncate ON identity_check",
    "DROP TRIGGER identity_check_immutable ON identity_check",
]


def upgrade() -> None:
    op.create_table('identity_check',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('instruction_id', BigIntKey, nullable=False),
    sa.Column('customer_id', BigIntKey, nullable=False),
    sa.Column('document_type', sa.String(length=12), nullable=False),
    sa.Column('document_number', sa.String(length=32), nullable=False),
    sa.Column('confirmed_by', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("document_type IN ('resident_id', 'uscc', 'passport')", name=op.f('ck_identity_check_known_document_type')),
    sa.ForeignKeyConstraint(['confirmed_by'], ['staff_user.id'], name=op.f('fk_identity_check_confirmed_by_staff_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_identity_check_customer_id_customer')),
    sa.ForeignKeyConstraint(['instruction_id'], ['instruction.id'], name=op.f('fk_identity_check_instruction_id_instruction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_check')),
    sa.UniqueConstraint('instruction_id', name=op.f('uq_identity_check_instruction_id'))
    )
    with op.batch_alter_table('identity_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_check_customer_id'), ['customer_id'], unique=False)
    statements = POSTGRES_UPGRADE if op.get_bind().dialect.name == 'postgresql' else SQLITE_UPGRADE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = POSTGRES_DOWNGRADE if op.get_bind().dialect.name == 'postgresql' else SQLITE_DOWNGRADE
    for statement in statements:
        op.execute(statement)
    with op.batch_alter_table('identity_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_check_customer_id'))
    op.drop_table('identity_check')
