"""customers, their search indexes, maker-checker identity changes, and pending instruction accounts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 09:00:00.000000

Search keys are bytewise-ordered (`models.base.search_key`): on PostgreSQL this also moves
`account.number` to collation "C" so that account-number prefixes are index ranges there too.
Substring search of names needs objects of one dialect, kept outside the models' metadata
(`models.customer.OUTSIDE_METADATA`): an external-content FTS5 trigram table kept in step with
`customer.name_key` by triggers on SQLite, a pg_trgm GIN index on PostgreSQL.

`pending_instruction_account` is maintained by triggers on `instruction`: the accounts of every leg
when a PENDING instruction is inserted, deleted when the instruction leaves PENDING. It lets a customer
search mark "has pending instructions" with index lookups, for deposits (which take no hold) as well as
for withdrawals.

SQLite notes: adding and dropping `account.customer_id` uses ALTER TABLE ADD/DROP COLUMN (SQLite 3.35+)
rather than a batch copy of `account`, whose re-creation would trip over the ledger triggers of 0001 that
name it. A later batch re-creation of `customer` must re-create the FTS triggers below.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigIntKey = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def search_key(length: int) -> sa.String:
    """As `models.base.search_key` at this revision: bytewise-ordered text on both dialects."""
    return sa.String(length).with_variant(sa.String(length, collation='C'), 'postgresql')


def upgrade() -> None:
    op.create_table('customer',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_key', search_key(120), nullable=False),
    sa.Column('pinyin_full', search_key(240), nullable=False),
    sa.Column('pinyin_initials', search_key(120), nullable=False),
    sa.Column('id_type', sa.String(length=12), nullable=False),
    sa.Column('id_number', search_key(32), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('gender', sa.String(length=6), nullable=True),
    sa.Column('segment', sa.String(length=8), nullable=False),
    sa.Column('relationship_owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'company') = (id_type = 'uscc')", name=op.f('ck_customer_company_iff_uscc')),
    sa.CheckConstraint("(kind = 'individual' AND birth_date IS NOT NULL AND gender IS NOT NULL) OR (kind = 'company' AND birth_date IS NULL AND gender IS NULL)", name=op.f('ck_customer_birth_and_gender_for_individuals')),
    sa.CheckConstraint("gender IS NULL OR gender IN ('male', 'female')", name=op.f('ck_customer_known_gender')),
    sa.CheckConstraint("id_type IN ('resident_id', 'uscc', 'passport')", name=op.f('ck_customer_known_id_type')),
    sa.CheckConstraint("kind IN ('individual', 'company')", name=op.f('ck_customer_known_kind')),
    sa.CheckConstraint("segment IN ('mass', 'quality', 'vip')", name=op.f('ck_customer_known_segment')),
    sa.ForeignKeyConstraint(['relationship_owner_id'], ['staff_user.id'], name=op.f('fk_customer_relationship_owner_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer')),
    sa.UniqueConstraint('id_number', name=op.f('uq_customer_id_number'))
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_pinyin_full'), ['pinyin_full'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_pinyin_initials'), ['pinyin_initials'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_relationship_owner_id'), ['relationship_owner_id'], unique=False)

    op.create_table('customer_address',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('customer_id', BigIntKey, nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.CheckConstraint("kind IN ('home', 'work', 'mailing', 'registered')", name=op.f('ck_customer_address_known_kind')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_address_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_address'))
    )
    with op.batch_alter_table('customer_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_address_customer_id'), ['customer_id'], unique=False)

    op.create_table('customer_change',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('customer_id', BigIntKey, nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.Column('maker_id', sa.Integer(), nullable=False),
    sa.Column('checker_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.CheckConstraint("(status = 'PENDING') = (checker_id IS NULL)", name=op.f('ck_customer_change_decided_iff_final')),
    sa.CheckConstraint("status IN ('PENDING', 'APPLIED', 'REJECTED')", name=op.f('ck_customer_change_known_status')),
    sa.CheckConstraint('checker_id IS NULL OR checker_id <> maker_id', name=op.f('ck_customer_change_checker_not_maker')),
    sa.ForeignKeyConstraint(['checker_id'], ['staff_user.id'], name=op.f('fk_customer_change_checker_id_staff_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_change_customer_id_customer')),
    sa.ForeignKeyConstraint(['maker_id'], ['staff_user.id'], name=op.f('fk_customer_change_maker_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_change'))
    )
    with op.batch_alter_table('customer_change', schema=None) as batch_op:
        batch_op.create_index('ix_customer_change_one_pending', ['customer_id'], unique=True, sqlite_where=sa.text("status = 'PENDING'"), postgresql_where=sa.text("status = 'PENDING'"))
        batch_op.create_index('ix_customer_change_status', ['status'], unique=False)

    op.create_table('customer_note',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('customer_id', BigIntKey, nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_note_customer_id_customer')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], name=op.f('fk_customer_note_staff_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_note'))
    )
    with op.batch_alter_table('customer_note', schema=None) as batch_op:
        batch_op.create_index('ix_customer_note_customer_newest', ['customer_id', 'id'], unique=False)

    op.create_table('customer_phone',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('customer_id', BigIntKey, nullable=False),
    sa.Column('kind', sa.String(length=6), nullable=False),
    sa.Column('number', search_key(20), nullable=False),
    sa.Column('last_four', search_key(4), nullable=False),
    sa.Column('is_registered', sa.Boolean(), nullable=False),
    sa.CheckConstraint("NOT is_registered OR kind = 'mobile'", name=op.f('ck_customer_phone_registered_is_mobile')),
    sa.CheckConstraint("kind IN ('mobile', 'home', 'work')", name=op.f('ck_customer_phone_known_kind')),
    sa.CheckConstraint('last_four = substr(number, length(number) - 3, 4)', name=op.f('ck_customer_phone_last_four_matches')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_phone_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_phone')),
    sa.UniqueConstraint('customer_id', 'number', name=op.f('uq_customer_phone_customer_id'))
    )
    with op.batch_alter_table('customer_phone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_phone_last_four'), ['last_four'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_phone_number'), ['number'], unique=False)
        batch_op.create_index('ix_customer_phone_one_registered', ['customer_id'], unique=True, sqlite_where=sa.text('is_registered'), postgresql_where=sa.text('is_registered'))

    op.create_table('pending_instruction_account',
    sa.Column('instruction_id', BigIntKey, nullable=False),
    sa.Column('account_id', BigIntKey, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_pending_instruction_account_account_id_account')),
    sa.ForeignKeyConstraint(['instruction_id'], ['instruction.id'], name=op.f('fk_pending_instruction_account_instruction_id_instruction')),
    sa.PrimaryKeyConstraint('instruction_id', 'account_id', name=op.f('pk_pending_instruction_account'))
    )
    with op.batch_alter_table('pending_instruction_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_instruction_account_account_id'), ['account_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.add_column('account', sa.Column('customer_id', sa.BigInteger(), nullable=True))
        op.create_foreign_key(op.f('fk_account_customer_id_customer'), 'account', 'customer', ['customer_id'], ['id'])
        op.execute('ALTER TABLE account ALTER COLUMN number TYPE VARCHAR(32) COLLATE "C"')
        for statement in POSTGRES_UPGRADE:
            op.execute(statement)
    else:
        op.execute("ALTER TABLE account ADD COLUMN customer_id INTEGER"
                   " CONSTRAINT fk_account_customer_id_customer REFERENCES customer (id)")
        for statement in SQLITE_UPGRADE:
            op.execute(statement)
    op.create_index(op.f('ix_account_customer_id'), 'account', ['customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_account_customer_id'), table_name='account')
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWNGRADE:
            op.execute(statement)
        op.execute('ALTER TABLE account ALTER COLUMN number TYPE VARCHAR(32) COLLATE "default"')
        op.drop_constraint(op.f('fk_account_customer_id_customer'), 'account', type_='foreignkey')
        op.drop_column('account', 'customer_id')
    else:
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
        op.execute("ALTER TABLE account DROP COLUMN customer_id")

    with op.batch_alter_table('pending_instruction_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_instruction_account_account_id'))

    op.drop_table('pending_instruction_account')
    with op.batch_alter_table('customer_phone', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_phone_one_registered', sqlite_where=sa.text('is_registered'), postgresql_where=sa.text('is_registered'))
        batch_op.drop_index(batch_op.f('ix_customer_phone_number'))
        batch_op.drop_index(batch_op.f('ix_customer_phone_last_four'))

    op.drop_table('customer_phone')
    with op.batch_alter_table('customer_note', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_note_customer_newest')

    op.drop_table('customer_note')
    with op.batch_alter_table('customer_change', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_change_status')
        batch_op.drop_index('ix_customer_change_one_pending', sqlite_where=sa.text("status = 'PENDING'"), postgresql_where=sa.text("status = 'PENDING'"))

    op.drop_table('customer_change')
    with op.batch_alter_table('customer_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_address_customer_id'))

    op.drop_table('customer_address')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_relationship_owner_id'))
        batch_op.drop_index(batch_op.f('ix_customer_pinyin_initials'))
        batch_op.drop_index(batch_op.f('ix_customer_pinyin_full'))
        batch_op.drop_index(batch_op.f('ix_customer_name_key'))

    op.drop_table('customer')


# --- Dialect-specific objects --------------------------------------------------------------------------

SQLITE_UPGRADE = [
    # Substring search of names: trigrams of customer.name_key (external content: no second copy of names).
    "CREATE VIRTUAL TABLE customer_name_fts USING fts5("
    "name_key, content='customer', content_rowid='id', tokenize='trigram')",
    """CREATE TRIGGER customer_name_fts_insert AFTER INSERT ON customer BEGIN
        INSERT INTO customer_name_fts (rowid, name_key) VALUES (NEW.id, NEW.name_key);
    END""",
    """CREATE TRIGGER customer_name_fts_update AFTER UPDATE OF name_key ON customer BEGIN
        INSERT INTO customer_name_fts (customer_name_fts, rowid, name_key) VALUES ('delete', OLD.id, OLD.name_key);
        INSERT INTO customer_name_fts (rowid, name_key) VALUES (NEW.id, NEW.name_key);
    END""",
    """CREATE TRIGGER customer_name_fts_delete AFTER DELETE ON customer BEGIN
        INSERT INTO customer_name_fts (customer_name_fts, rowid, name_key) VALUES ('delete', OLD.id, OLD.name_key);
    END""",
    """CREATE TRIGGER instruction_pending_accounts_insert AFTER INSERT ON instruction
        WHEN NEW.status = 'PENDING' BEGIN
        INSERT INTO pending_instruction_account (instruction_id, account_id)
        SELECT DISTINCT NEW.id, a.id FROM json_each(NEW.payload, '$.legs') AS leg
          JOIN account a ON a.number = json_extract(leg.value, '$[0]');
    END""",
    """CREATE TRIGGER instruction_pending_accounts_decided AFTER UPDATE OF status ON instruction
        WHEN OLD.status = 'PENDING' AND NEW.status <> 'PENDING' BEGIN
        DELETE FROM pending_instruction_account WHERE instruction_id = NEW.id;
    END""",
    """INSERT INTO pending_instruction_account (instruction_id, account_id)
        SELECT DISTINCT i.id, a.id FROM instruction i, json_each(i.payload, '$.legs') AS leg
          JOIN account a ON a.number = json_extract(leg.value, '$[0]')
         WHERE i.status = 'PENDING'""",
]

SQLITE_DOWNGRADE = [
    "DROP TRIGGER instruction_pending_accounts_decided",
    "DROP TRIGGER instruction_pending_accounts_insert",
    "DROP TRIGGER customer_name_fts_delete",
    "DROP TRIGGER customer_name_fts_update",
    "DROP TRIGGER customer_name_fts_insert",
    "DROP TABLE customer_name_fts",
]

POSTGRES_UPGRADE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_customer_name_key_trgm ON customer USING gin (name_key gin_trgm_ops)",
    """CREATE FUNCTION teller_pending_instruction_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.status = 'PENDING' THEN
                INSERT INTO pending_instruction_account (instruction_id, account_id)
                SELECT DISTINCT NEW.id, a.id FROM jsonb_array_elements(NEW.payload::jsonb -> 'legs') AS leg
                  JOIN account a ON a.number = leg ->> 0;
            END IF;
        ELSIF OLD.status = 'PENDING' AND NEW.status <> 'PENDING' THEN
            DELETE FROM pending_instruction_account WHERE instruction_id = NEW.id;
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER instruction_pending_accounts AFTER INSERT OR UPDATE OF status ON instruction"
    " FOR EACH ROW EXECUTE FUNCTION teller_pending_instruction_accounts()",
    """INSERT INTO pending_instruction_account (instruction_id, account_id)
        SELECT DISTINCT i.id, a.id FROM instruction i
         CROSS JOIN LATERAL jsonb_array_elements(i.payload::jsonb -> 'legs') AS leg
          JOIN account a ON a.number = leg ->> 0
         WHERE i.status = 'PENDING'""",
]

POSTGRES_DOWNGRADE = [
    "DROP FUNCTION teller_pending_instruction_accounts() CASCADE",
    "DROP INDEX ix_customer_name_key_trgm",
    # Without CASCADE: if anything else has come to use pg_trgm, the downgrade stops here and says so.
    "DROP EXTENSION IF EXISTS pg_trgm",
]
