"""counter cash: business days, drawer sessions, cash counts by denomination, receipts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:40:00.000000

Enforced in the database (triggers on SQLite, plpgsql functions on PostgreSQL):
- an instruction is recorded only on its branch's open business day;
- the business date moves only forward, when the day closes; the day does not close while a drawer of
  the branch is open or an instruction of the branch is pending;
- a count adds up to its total (check constraint) and an opening count to its instruction's amount;
  counts are never changed or deleted;
- a drawer session closes only with an empty drawer, becomes void only when its opening instruction
  failed, and never changes once closed or void;
- the first key of cash handed from drawer to drawer comes from the teller who owns the receiving drawer;
- receipt numbers run 1, 2, 3... per branch with no gap, for approved instructions only; a receipt
  changes only by counting one more reprint.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigIntKey = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
DENOMINATIONS = (10000, 5000, 2000, 1000, 500, 100, 50, 10)


def upgrade() -> None:
    op.create_table('receipt',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.BigInteger(), nullable=False),
    sa.Column('instruction_id', BigIntKey, nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=False),
    sa.Column('reprints', sa.Integer(), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_receipt_number_positive')),
    sa.CheckConstraint('reprints >= 0', name=op.f('ck_receipt_reprints_non_negative')),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_receipt_branch_id_branch')),
    sa.ForeignKeyConstraint(['instruction_id'], ['instruction.id'], name=op.f('fk_receipt_instruction_id_instruction')),
    sa.ForeignKeyConstraint(['issued_by'], ['staff_user.id'], name=op.f('fk_receipt_issued_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt')),
    sa.UniqueConstraint('branch_id', 'number', name=op.f('uq_receipt_branch_id')),
    sa.UniqueConstraint('instruction_id', name=op.f('uq_receipt_instruction_id'))
    )
    op.create_table('drawer_session',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('account_id', BigIntKey, nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=6), nullable=False),
    sa.Column('opening_instruction_id', BigIntKey, nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('over_short_instruction_id', BigIntKey, nullable=True),
    sa.Column('return_instruction_id', BigIntKey, nullable=True),
    sa.CheckConstraint("(status = 'CLOSED') = (closed_at IS NOT NULL)", name=op.f('ck_drawer_session_closed_iff_closed_at')),
    sa.CheckConstraint("status IN ('OPEN', 'CLOSED', 'VOID')", name=op.f('ck_drawer_session_known_status')),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_drawer_session_account_id_account')),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_drawer_session_branch_id_branch')),
    sa.ForeignKeyConstraint(['closed_by'], ['staff_user.id'], name=op.f('fk_drawer_session_closed_by_staff_user')),
    sa.ForeignKeyConstraint(['opening_instruction_id'], ['instruction.id'], name=op.f('fk_drawer_session_opening_instruction_id_instruction')),
    sa.ForeignKeyConstraint(['over_short_instruction_id'], ['instruction.id'], name=op.f('fk_drawer_session_over_short_instruction_id_instruction')),
    sa.ForeignKeyConstraint(['return_instruction_id'], ['instruction.id'], name=op.f('fk_drawer_session_return_instruction_id_instruction')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], name=op.f('fk_drawer_session_staff_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drawer_session')),
    sa.UniqueConstraint('opening_instruction_id', name=op.f('uq_drawer_session_opening_instruction_id'))
    )
    op.create_index('ix_drawer_session_branch_date', 'drawer_session', ['branch_id', 'business_date'], unique=False)
    op.create_index('ix_drawer_session_one_open', 'drawer_session', ['staff_id'], unique=True, sqlite_where=sa.text("status = 'OPEN'"), postgresql_where=sa.text("status = 'OPEN'"))
    op.create_table('cash_count',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('session_id', BigIntKey, nullable=False),
    sa.Column('purpose', sa.String(length=8), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('instruction_id', BigIntKey, nullable=True),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('expected', sa.BigInteger(), nullable=True),
    *[sa.Column(f'pieces_{value}', sa.Integer(), nullable=False) for value in DENOMINATIONS],
    sa.CheckConstraint("(purpose = 'closing') = (expected IS NOT NULL)", name=op.f('ck_cash_count_closing_has_expected')),
    sa.CheckConstraint("(purpose = 'opening') = (instruction_id IS NOT NULL)", name=op.f('ck_cash_count_opening_has_instruction')),
    sa.CheckConstraint("purpose IN ('opening', 'closing')", name=op.f('ck_cash_count_known_purpose')),
    sa.CheckConstraint(' AND '.join(f'pieces_{value} >= 0' for value in DENOMINATIONS), name=op.f('ck_cash_count_pieces_non_negative')),
    sa.CheckConstraint('total = ' + ' + '.join(f'{value} * pieces_{value}' for value in DENOMINATIONS), name=op.f('ck_cash_count_adds_up')),
    sa.ForeignKeyConstraint(['instruction_id'], ['instruction.id'], name=op.f('fk_cash_count_instruction_id_instruction')),
    sa.ForeignKeyConstraint(['session_id'], ['drawer_session.id'], name=op.f('fk_cash_count_session_id_drawer_session')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], name=op.f('fk_cash_count_staff_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_count'))
    )
    op.create_index('ix_cash_count_session', 'cash_count', ['session_id', 'id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UPGRADE:
            op.execute(statement)
    else:
        for statement in SQLITE_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRES_FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION {name}() CASCADE")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index('ix_cash_count_session', table_name='cash_count')
    op.drop_table('cash_count')
    op.drop_index('ix_drawer_session_one_open', table_name='drawer_session', sqlite_where=sa.text("status = 'OPEN'"), postgresql_where=sa.text("status = 'OPEN'"))
    op.drop_index('ix_drawer_session_branch_date', table_name='drawer_session')
    op.drop_table('drawer_session')
    op.drop_table('receipt')


# --- Dialect-specific objects --------------------------------------------------------------------------

SQLITE_UPGRADE = [
    """CREATE TRIGGER instruction_receiver_confirms BEFORE UPDATE OF checker_id ON instruction
        WHEN NEW.kind = 'drawer_to_drawer' AND OLD.checker_id IS NULL AND NEW.checker_id IS NOT NULL BEGIN
        SELECT RAISE(ABORT, 'teller: the teller who receives the cash confirms a drawer-to-drawer transfer')
         WHERE NOT EXISTS (SELECT 1 FROM json_each(NEW.payload, '$.legs') AS leg
                           WHERE json_extract(leg.value, '$[1]') > 0
                             AND json_extract(leg.value, '$[0]') = (
                                 SELECT b.code || '-1002-' || s.username FROM branch b, staff_user s
                                  WHERE b.id = NEW.branch_id AND s.id = NEW.checker_id));
    END""",
    """CREATE TRIGGER instruction_on_open_day BEFORE INSERT ON instruction BEGIN
        SELECT RAISE(ABORT, 'teller: the branch''s business day is closed (or is another date): nothing posts')
         WHERE NOT EXISTS (SELECT 1 FROM branch WHERE id = NEW.branch_id AND day_open
                           AND business_date = NEW.business_date);
    END""",
    """CREATE TRIGGER branch_business_day BEFORE UPDATE OF day_open, business_date ON branch BEGIN
        SELECT RAISE(ABORT, 'teller: the business date moves only forward, when the day closes')
         WHERE NEW.business_date <> OLD.business_date
           AND NOT (OLD.day_open AND NOT NEW.day_open AND NEW.business_date > OLD.business_date);
        SELECT RAISE(ABORT, 'teller: a drawer of the branch is still open: balance and close it before the day closes')
         WHERE OLD.day_open AND NOT NEW.day_open
           AND EXISTS (SELECT 1 FROM drawer_session WHERE branch_id = NEW.id AND status = 'OPEN');
        SELECT RAISE(ABORT, 'teller: instructions of the branch are pending: decide them before the day closes')
         WHERE OLD.day_open AND NOT NEW.day_open
           AND EXISTS (SELECT 1 FROM instruction WHERE status = 'PENDING' AND branch_id = NEW.id);
    END""",
    """CREATE TRIGGER drawer_session_before_insert BEFORE INSERT ON drawer_session BEGIN
        SELECT RAISE(ABORT, 'teller: a drawer session opens on a cash drawer account with a vault-to-drawer instruction')
         WHERE NEW.status <> 'OPEN'
            OR NOT EXISTS (SELECT 1 FROM account WHERE id = NEW.account_id AND gl_code = '1002'
                           AND branch_id = NEW.branch_id)
            OR NOT EXISTS (SELECT 1 FROM instruction WHERE id = NEW.opening_instruction_id
                           AND kind = 'vault_to_drawer' AND branch_id = NEW.branch_id);
    END""",
    """CREATE TRIGGER drawer_session_before_update BEFORE UPDATE ON drawer_session BEGIN
        SELECT RAISE(ABORT, 'teller: a closed or void drawer session never changes')
         WHERE OLD.status <> 'OPEN';
        SELECT RAISE(ABORT, 'teller: a drawer session keeps its teller, drawer, day and opening')
         WHERE NEW.branch_id <> OLD.branch_id OR NEW.staff_id <> OLD.staff_id OR NEW.account_id <> OLD.account_id
            OR NEW.business_date <> OLD.business_date OR NEW.opening_instruction_id <> OLD.opening_instruction_id
            OR NEW.opened_at <> OLD.opened_at;
        SELECT RAISE(ABORT, 'teller: the drawer still holds cash: return it to the vault before it closes')
         WHERE NEW.status = 'CLOSED'
           AND EXISTS (SELECT 1 FROM account WHERE id = NEW.account_id AND (balance <> 0 OR held <> 0));
        SELECT RAISE(ABORT, 'teller: a drawer session is void only when its opening instruction failed')
         WHERE NEW.status = 'VOID'
           AND EXISTS (SELECT 1 FROM instruction WHERE id = NEW.opening_instruction_id
                       AND status IN ('PENDING', 'APPROVED'));
    END""",
    """CREATE TRIGGER drawer_session_no_delete BEFORE DELETE ON drawer_session BEGIN
        SELECT RAISE(ABORT, 'teller: drawer sessions are never deleted');
    END""",
    """CREATE TRIGGER cash_count_before_insert BEFORE INSERT ON cash_count BEGIN
        SELECT RAISE(ABORT, 'teller: the count does not add up to its instruction''s amount')
         WHERE NEW.instruction_id IS NOT NULL
           AND NEW.total <> (SELECT amount FROM instruction WHERE id = NEW.instruction_id);
    END""",
    """CREATE TRIGGER cash_count_no_update BEFORE UPDATE ON cash_count BEGIN
        SELECT RAISE(ABORT, 'teller: cash counts are never changed');
    END""",
    """CREATE TRIGGER cash_count_no_delete BEFORE DELETE ON cash_count BEGIN
        SELECT RAISE(ABORT, 'teller: cash counts are never deleted');
    END""",
    """CREATE TRIGGER receipt_before_insert BEFORE INSERT ON receipt BEGIN
        SELECT RAISE(ABORT, 'teller: receipt numbers run without gaps: the next number of the branch is due')
         WHERE NEW.number <> (SELECT COALESCE(MAX(number), 0) + 1 FROM receipt WHERE branch_id = NEW.branch_id);
        SELECT RAISE(ABORT, 'teller: a receipt is issued only for an approved instruction')
         WHERE NOT EXISTS (SELECT 1 FROM instruction WHERE id = NEW.instruction_id AND status = 'APPROVED');
    END""",
    """CREATE TRIGGER receipt_before_update BEFORE UPDATE ON receipt BEGIN
        SELECT RAISE(ABORT, 'teller: a receipt changes only by counting one more reprint')
         WHERE NEW.reprints <> OLD.reprints + 1 OR NEW.number <> OLD.number OR NEW.branch_id <> OLD.branch_id
            OR NEW.instruction_id <> OLD.instruction_id OR NEW.issued_at <> OLD.issued_at
            OR NEW.issued_by <> OLD.issued_by;
    END""",
    """CREATE TRIGGER receipt_no_delete BEFORE DELETE ON receipt BEGIN
        SELECT RAISE(ABORT, 'teller: receipts are never deleted');
    END""",
]

SQLITE_TRIGGER_NAMES = [
    "instruction_receiver_confirms", "instruction_on_open_day", "branch_business_day", "drawer_session_before_insert",
    "drawer_session_before_update", "drawer_session_no_delete", "cash_count_before_insert",
    "cash_count_no_update", "cash_count_no_delete", "receipt_before_insert", "receipt_before_update",
    "receipt_no_delete",
]

POSTGRES_UPGRADE = [
    """CREATE FUNCTION teller_instruction_receiver_confirms() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(NEW.payload::jsonb -> 'legs') AS leg
                       WHERE (leg ->> 1)::bigint > 0
                         AND leg ->> 0 = (SELECT b.code || '-1002-' || s.username FROM branch b, staff_user s
                                           WHERE b.id = NEW.branch_id AND s.id = NEW.checker_id)) THEN
            RAISE EXCEPTION 'teller: the teller who receives the cash confirms a drawer-to-drawer transfer';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER instruction_receiver_confirms BEFORE UPDATE OF checker_id ON instruction FOR EACH ROW"
    " WHEN (NEW.kind = 'drawer_to_drawer' AND OLD.checker_id IS NULL AND NEW.checker_id IS NOT NULL)"
    " EXECUTE FUNCTION teller_instruction_receiver_confirms()",
    """CREATE FUNCTION teller_instruction_on_open_day() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM branch WHERE id = NEW.branch_id AND day_open
                       AND business_date = NEW.business_date) THEN
            RAISE EXCEPTION 'teller: the branch''s business day is closed (or is another date): nothing posts';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER instruction_on_open_day BEFORE INSERT ON instruction"
    " FOR EACH ROW EXECUTE FUNCTION teller_instruction_on_open_day()",
    """CREATE FUNCTION teller_branch_business_day() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.business_date <> OLD.business_date
           AND NOT (OLD.day_open AND NOT NEW.day_open AND NEW.business_date > OLD.business_date) THEN
            RAISE EXCEPTION 'teller: the business date moves only forward, when the day closes';
        END IF;
        IF OLD.day_open AND NOT NEW.day_open THEN
            IF EXISTS (SELECT 1 FROM drawer_session WHERE branch_id = NEW.id AND status = 'OPEN') THEN
                RAISE EXCEPTION 'teller: a drawer of the branch is still open: balance and close it before the day closes';
            END IF;
            IF EXISTS (SELECT 1 FROM instruction WHERE status = 'PENDING' AND branch_id = NEW.id) THEN
                RAISE EXCEPTION 'teller: instructions of the branch are pending: decide them before the day closes';
            END IF;
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER branch_business_day BEFORE UPDATE OF day_open, business_date ON branch"
    " FOR EACH ROW EXECUTE FUNCTION teller_branch_business_day()",
    """CREATE FUNCTION teller_drawer_session_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status <> 'OPEN'
           OR NOT EXISTS (SELECT 1 FROM account WHERE id = NEW.account_id AND gl_code = '1002'
                          AND branch_id = NEW.branch_id)
           OR NOT EXISTS (SELECT 1 FROM instruction WHERE id = NEW.opening_instruction_id
                          AND kind = 'vault_to_drawer' AND branch_id = NEW.branch_id) THEN
            RAISE EXCEPTION 'teller: a drawer session opens on a cash drawer account with a vault-to-drawer instruction';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER drawer_session_before_insert BEFORE INSERT ON drawer_session"
    " FOR EACH ROW EXECUTE FUNCTION teller_drawer_session_before_insert()",
    """CREATE FUNCTION teller_drawer_session_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status <> 'OPEN' THEN
            RAISE EXCEPTION 'teller: a closed or void drawer session never changes';
        END IF;
        IF NEW.branch_id <> OLD.branch_id OR NEW.staff_id <> OLD.staff_id OR NEW.account_id <> OLD.account_id
           OR NEW.business_date <> OLD.business_date OR NEW.opening_instruction_id <> OLD.opening_instruction_id
           OR NEW.opened_at <> OLD.opened_at THEN
            RAISE EXCEPTION 'teller: a drawer session keeps its teller, drawer, day and opening';
        END IF;
        IF NEW.status = 'CLOSED'
           AND EXISTS (SELECT 1 FROM account WHERE id = NEW.account_id AND (balance <> 0 OR held <> 0)) THEN
            RAISE EXCEPTION 'teller: the drawer still holds cash: return it to the vault before it closes';
        END IF;
        IF NEW.status = 'VOID'
           AND EXISTS (SELECT 1 FROM instruction WHERE id = NEW.opening_instruction_id
                       AND status IN ('PENDING', 'APPROVED')) THEN
            RAISE EXCEPTION 'teller: a drawer session is void only when its opening instruction failed';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER drawer_session_before_update BEFORE UPDATE ON drawer_session"
    " FOR EACH ROW EXECUTE FUNCTION teller_drawer_session_before_update()",
    """CREATE FUNCTION teller_cash_count_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.instruction_id IS NOT NULL
           AND NEW.total <> (SELECT amount FROM instruction WHERE id = NEW.instruction_id) THEN
            RAISE EXCEPTION 'teller: the count does not add up to its instruction''s amount';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER cash_count_before_insert BEFORE INSERT ON cash_count"
    " FOR EACH ROW EXECUTE FUNCTION teller_cash_count_before_insert()",
    """CREATE FUNCTION teller_receipt_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.number <> (SELECT COALESCE(MAX(number), 0) + 1 FROM receipt WHERE branch_id = NEW.branch_id) THEN
            RAISE EXCEPTION 'teller: receipt numbers run without gaps: the next number of the branch is due';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM instruction WHERE id = NEW.instruction_id AND status = 'APPROVED') THEN
            RAISE EXCEPTION 'teller: a receipt is issued only for an approved instruction';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER receipt_before_insert BEFORE INSERT ON receipt"
    " FOR EACH ROW EXECUTE FUNCTION teller_receipt_before_insert()",
    """CREATE FUNCTION teller_receipt_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.reprints <> OLD.reprints + 1 OR NEW.number <> OLD.number OR NEW.branch_id <> OLD.branch_id
           OR NEW.instruction_id <> OLD.instruction_id OR NEW.issued_at <> OLD.issued_at
           OR NEW.issued_by <> OLD.issued_by THEN
            RAISE EXCEPTION 'teller: a receipt changes only by counting one more reprint';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER receipt_before_update BEFORE UPDATE ON receipt"
    " FOR EACH ROW EXECUTE FUNCTION teller_receipt_before_update()",
    "CREATE TRIGGER drawer_session_no_delete BEFORE DELETE ON drawer_session"
    " FOR EACH ROW EXECUTE FUNCTION teller_refuse('drawer sessions are never deleted')",
    "CREATE TRIGGER cash_count_immutable BEFORE UPDATE OR DELETE ON cash_count"
    " FOR EACH ROW EXECUTE FUNCTION teller_refuse('cash counts are never changed or deleted')",
    "CREATE TRIGGER receipt_no_delete BEFORE DELETE ON receipt"
    " FOR EACH ROW EXECUTE FUNCTION teller_refuse('receipts are never deleted')",
] + [
    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
    f" FOR EACH STATEMENT EXECUTE FUNCTION teller_refuse('{table} is never truncated')"
    for table in ("drawer_session", "cash_count", "receipt")
]

POSTGRES_FUNCTION_NAMES = [
    "teller_instruction_receiver_confirms", "teller_instruction_on_open_day", "teller_branch_business_day", "teller_drawer_session_before_insert",
    "teller_drawer_session_before_update", "teller_cash_count_before_insert", "teller_receipt_before_insert",
    "teller_receipt_before_update",
]
