"""ledger, instructions, staff and audit

Revision ID: 0001
Revises:
Create Date: 2026-11-24 03:05:08.568308
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('approval_limit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('single_limit', sa.BigInteger(), nullable=False),
    sa.Column('joint_limit', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('level >= 1', name=op.f('ck_approval_limit_level_positive')),
    sa.CheckConstraint('single_limit >= 0 AND joint_limit >= single_limit', name=op.f('ck_approval_limit_limits_ordered')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_limit'))
    )
    op.create_table('audit_event',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=True),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=64), nullable=True),
    sa.Column('terminal', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('row_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event'))
    )
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('row_hash', sa.String(length=64), nullable=False),
    sa.Column('head_mac', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('branch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('is_head_office', sa.Boolean(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('day_open', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_branch')),
    sa.UniqueConstraint('code', name=op.f('uq_branch_code'))
    )
    op.create_table('ledger_meta',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ledger_uuid', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('key_fingerprint', sa.String(length=16), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_ledger_meta_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_meta'))
    )
    op.create_table('account',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('gl_code', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=10), nullable=False),
    sa.Column('normal_side', sa.String(length=6), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('no_negative', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('held', sa.BigInteger(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('asset', 'liability', 'equity', 'income', 'expense')", name=op.f('ck_account_known_category')),
    sa.CheckConstraint("normal_side IN ('debit', 'credit')", name=op.f('ck_account_known_side')),
    sa.CheckConstraint("status IN ('open', 'frozen', 'closed')", name=op.f('ck_account_known_status')),
    sa.CheckConstraint('NOT no_negative OR balance - held >= 0', name=op.f('ck_account_never_below_zero')),
    sa.CheckConstraint('held >= 0', name=op.f('ck_account_held_non_negative')),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_account_branch_id_branch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('number', name=op.f('uq_account_number'))
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_gl_code'), ['gl_code'], unique=False)

    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('totp_secret_encrypted', sa.Text(), nullable=True),
    sa.Column('totp_active', sa.Boolean(), nullable=False),
    sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('failed_attempts >= 0', name=op.f('ck_staff_user_failed_attempts_non_negative')),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_staff_user_branch_id_branch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_user_username'))
    )
    op.create_table('admin_change',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.CheckConstraint("(status = 'PENDING') = (decided_by IS NULL)", name=op.f('ck_admin_change_decided_iff_final')),
    sa.CheckConstraint("status IN ('PENDING', 'APPLIED', 'REJECTED')", name=op.f('ck_admin_change_known_status')),
    sa.CheckConstraint('decided_by IS NULL OR decided_by <> proposed_by', name=op.f('ck_admin_change_four_eyes')),
    sa.ForeignKeyConstraint(['decided_by'], ['staff_user.id'], name=op.f('fk_admin_change_decided_by_staff_user')),
    sa.ForeignKeyConstraint(['proposed_by'], ['staff_user.id'], name=op.f('fk_admin_change_proposed_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_change'))
    )
    op.create_table('instruction',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('maker_id', sa.Integer(), nullable=False),
    sa.Column('checker_id', sa.Integer(), nullable=True),
    sa.Column('second_checker_id', sa.Integer(), nullable=True),
    sa.Column('required_checkers', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('terminal', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status <> 'APPROVED' OR (checker_id IS NOT NULL AND (required_checkers = 1 OR second_checker_id IS NOT NULL))", name=op.f('ck_instruction_approved_has_checkers')),
    sa.CheckConstraint("status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED', 'EXPIRED')", name=op.f('ck_instruction_known_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_instruction_amount_positive')),
    sa.CheckConstraint('checker_id IS NULL OR checker_id <> maker_id', name=op.f('ck_instruction_checker_not_maker')),
    sa.CheckConstraint('required_checkers IN (1, 2)', name=op.f('ck_instruction_one_or_two_checkers')),
    sa.CheckConstraint('second_checker_id IS NULL OR (second_checker_id <> maker_id AND second_checker_id <> checker_id)', name=op.f('ck_instruction_second_checker_distinct')),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_instruction_branch_id_branch')),
    sa.ForeignKeyConstraint(['checker_id'], ['staff_user.id'], name=op.f('fk_instruction_checker_id_staff_user')),
    sa.ForeignKeyConstraint(['maker_id'], ['staff_user.id'], name=op.f('fk_instruction_maker_id_staff_user')),
    sa.ForeignKeyConstraint(['second_checker_id'], ['staff_user.id'], name=op.f('fk_instruction_second_checker_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instruction')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_instruction_idempotency_key'))
    )
    with op.batch_alter_table('instruction', schema=None) as batch_op:
        batch_op.create_index('ix_instruction_status_branch', ['status', 'branch_id'], unique=False)

    op.create_table('staff_role',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.CheckConstraint("role IN ('teller', 'loan_officer', 'supervisor', 'branch_manager', 'auditor', 'admin')", name=op.f('ck_staff_role_known_role')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], name=op.f('fk_staff_role_staff_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'role', name=op.f('pk_staff_role'))
    )
    op.create_table('hold',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instruction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('ACTIVE', 'RELEASED', 'CONSUMED')", name=op.f('ck_hold_known_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_hold_amount_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_hold_account_id_account')),
    sa.ForeignKeyConstraint(['instruction_id'], ['instruction.id'], name=op.f('fk_hold_instruction_id_instruction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hold'))
    )
    with op.batch_alter_table('hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hold_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hold_instruction_id'), ['instruction_id'], unique=False)

    op.create_table('journal_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('instruction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('reverses_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_journal_entry_branch_id_branch')),
    sa.ForeignKeyConstraint(['instruction_id'], ['instruction.id'], name=op.f('fk_journal_entry_instruction_id_instruction')),
    sa.ForeignKeyConstraint(['reverses_entry_id'], ['journal_entry.id'], name=op.f('fk_journal_entry_reverses_entry_id_journal_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entry')),
    sa.UniqueConstraint('instruction_id', name=op.f('uq_journal_entry_instruction_id')),
    sa.UniqueConstraint('reverses_entry_id', name=op.f('uq_journal_entry_reverses_entry_id'))
    )
    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_entry_business_date'), ['business_date'], unique=False)

    op.create_table('posting',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('debit', sa.BigInteger(), nullable=False),
    sa.Column('credit', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('(debit > 0 AND credit = 0) OR (debit = 0 AND credit > 0)', name=op.f('ck_posting_one_side_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_posting_account_id_account')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entry.id'], name=op.f('fk_posting_entry_id_journal_entry'), initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posting'))
    )
    with op.batch_alter_table('posting', schema=None) as batch_op:
        batch_op.create_index('ix_posting_account_entry', ['account_id', 'entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_posting_entry_id'), ['entry_id'], unique=False)


    create_enforcement()

def downgrade() -> None:
    drop_enforcement()
    with op.batch_alter_table('posting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posting_entry_id'))
        batch_op.drop_index('ix_posting_account_entry')

    op.drop_table('posting')
    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_entry_business_date'))

    op.drop_table('journal_entry')
    with op.batch_alter_table('hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hold_instruction_id'))
        batch_op.drop_index(batch_op.f('ix_hold_account_id'))

    op.drop_table('hold')
    op.drop_table('staff_role')
    with op.batch_alter_table('instruction', schema=None) as batch_op:
        batch_op.drop_index('ix_instruction_status_branch')

    op.drop_table('instruction')
    op.drop_table('admin_change')
    op.drop_table('staff_user')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_gl_code'))

    op.drop_table('account')
    op.drop_table('ledger_meta')
    op.drop_table('branch')
    op.drop_table('audit_head')
    op.drop_table('audit_event')
    op.drop_table('approval_limit')


# --- Enforcement in the database itself -------------------------------------------------------------
# A journal entry is sealed by inserting its header after its postings (posting.entry_id is a deferred
# foreign key). Sealing checks the legs, the balance per currency, the approved instruction and the
# no-negative accounts, then moves the balances. Posted rows, instructions once final, holds once
# released and audit rows cannot be changed or deleted. Messages start with "teller: " so the
# application can show them as they are.

SQLITE_TRIGGERS = [
    # SQLite has no trigger depth: the ledger's own triggers open this gate around the balance and hold
    # updates they make, and the account trigger refuses any other change to balance or held.
    "CREATE TABLE ledger_gate (id INTEGER PRIMARY KEY CHECK (id = 1), open INTEGER NOT NULL CHECK (open IN (0, 1)))",
    "INSERT INTO ledger_gate (id, open) VALUES (1, 0)",
    """CREATE TRIGGER account_starts_at_zero BEFORE INSERT ON account WHEN NEW.balance <> 0 OR NEW.held <> 0 BEGIN
        SELECT RAISE(ABORT, 'teller: a new account starts at zero: balances move only with postings');
    END""",
    """CREATE TRIGGER account_derived_columns BEFORE UPDATE ON account
        WHEN (NEW.balance IS NOT OLD.balance OR NEW.held IS NOT OLD.held)
         AND (SELECT open FROM ledger_gate WHERE id = 1) = 0 BEGIN
        SELECT RAISE(ABORT, 'teller: balances and holds move only with postings and holds');
    END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head BEGIN
        SELECT RAISE(ABORT, 'teller: the audit chain head is never deleted');
    END""",
    """CREATE TRIGGER posting_before_insert BEFORE INSERT ON posting BEGIN
        SELECT RAISE(ABORT, 'teller: the journal entry is already posted; it takes no more postings')
         WHERE EXISTS (SELECT 1 FROM journal_entry WHERE id = NEW.entry_id);
        SELECT RAISE(ABORT, 'teller: a posting must be in its account''s currency')
         WHERE NEW.currency IS NOT (SELECT currency FROM account WHERE id = NEW.account_id);
    END""",
    """CREATE TRIGGER posting_no_update BEFORE UPDATE ON posting BEGIN
        SELECT RAISE(ABORT, 'teller: postings are never changed; correct by reversal');
    END""",
    """CREATE TRIGGER posting_no_delete BEFORE DELETE ON posting BEGIN
        SELECT RAISE(ABORT, 'teller: postings are never deleted; correct by reversal');
    END""",
    """CREATE TRIGGER journal_entry_before_insert BEFORE INSERT ON journal_entry BEGIN
        SELECT RAISE(ABORT, 'teller: a journal entry needs two or more postings')
         WHERE (SELECT COUNT(*) FROM posting WHERE entry_id = NEW.id) < 2;
        SELECT RAISE(ABORT, 'teller: the journal entry does not balance')
         WHERE EXISTS (SELECT 1 FROM posting WHERE entry_id = NEW.id
                       GROUP BY currency HAVING SUM(debit) <> SUM(credit));
        SELECT RAISE(ABORT, 'teller: a journal entry must reference an approved instruction whose checker is not its maker')
         WHERE NOT EXISTS (SELECT 1 FROM instruction i WHERE i.id = NEW.instruction_id AND i.status = 'APPROVED'
                           AND i.checker_id IS NOT NULL AND i.checker_id <> i.maker_id);
        SELECT RAISE(ABORT, 'teller: the posting would take an account below zero')
         WHERE EXISTS (SELECT 1 FROM account a
                       JOIN (SELECT account_id, SUM(debit) AS d, SUM(credit) AS c FROM posting
                             WHERE entry_id = NEW.id GROUP BY account_id) s ON s.account_id = a.id
                       WHERE a.no_negative AND a.balance - a.held
                             + CASE WHEN a.normal_side = 'debit' THEN s.d - s.c ELSE s.c - s.d END < 0);
    END""",
    """CREATE TRIGGER journal_entry_after_insert AFTER INSERT ON journal_entry BEGIN
        UPDATE ledger_gate SET open = 1 WHERE id = 1;
        UPDATE account SET balance = balance + (
            SELECT SUM(CASE WHEN account.normal_side = 'debit' THEN p.debit - p.credit ELSE p.credit - p.debit END)
              FROM posting p WHERE p.entry_id = NEW.id AND p.account_id = account.id)
         WHERE id IN (SELECT account_id FROM posting WHERE entry_id = NEW.id);
        UPDATE ledger_gate SET open = 0 WHERE id = 1;
    END""",
    """CREATE TRIGGER journal_entry_no_update BEFORE UPDATE ON journal_entry BEGIN
        SELECT RAISE(ABORT, 'teller: journal entries are never changed; correct by reversal');
    END""",
    """CREATE TRIGGER journal_entry_no_delete BEFORE DELETE ON journal_entry BEGIN
        SELECT RAISE(ABORT, 'teller: journal entries are never deleted; correct by reversal');
    END""",
    """CREATE TRIGGER instruction_final BEFORE UPDATE ON instruction WHEN OLD.status <> 'PENDING' BEGIN
        SELECT RAISE(ABORT, 'teller: the instruction is no longer pending and cannot change');
    END""",
    """CREATE TRIGGER instruction_no_delete BEFORE DELETE ON instruction BEGIN
        SELECT RAISE(ABORT, 'teller: instructions are never deleted');
    END""",
    """CREATE TRIGGER hold_before_insert BEFORE INSERT ON hold BEGIN
        SELECT RAISE(ABORT, 'teller: a new hold must be ACTIVE') WHERE NEW.status <> 'ACTIVE';
        SELECT RAISE(ABORT, 'teller: insufficient available balance for the hold')
         WHERE EXISTS (SELECT 1 FROM account WHERE id = NEW.account_id AND no_negative
                       AND balance - held - NEW.amount < 0);
    END""",
    """CREATE TRIGGER hold_after_insert AFTER INSERT ON hold BEGIN
        UPDATE ledger_gate SET open = 1 WHERE id = 1;
        UPDATE account SET held = held + NEW.amount WHERE id = NEW.account_id;
        UPDATE ledger_gate SET open = 0 WHERE id = 1;
    END""",
    """CREATE TRIGGER hold_before_update BEFORE UPDATE ON hold BEGIN
        SELECT RAISE(ABORT, 'teller: a hold changes only once, from ACTIVE to RELEASED or CONSUMED')
         WHERE OLD.status <> 'ACTIVE' OR NEW.status NOT IN ('RELEASED', 'CONSUMED') OR NEW.amount <> OLD.amount
            OR NEW.account_id <> OLD.account_id OR NEW.instruction_id <> OLD.instruction_id;
    END""",
    """CREATE TRIGGER hold_after_update AFTER UPDATE ON hold BEGIN
        UPDATE ledger_gate SET open = 1 WHERE id = 1;
        UPDATE account SET held = held - OLD.amount WHERE id = OLD.account_id;
        UPDATE ledger_gate SET open = 0 WHERE id = 1;
    END""",
    """CREATE TRIGGER hold_no_delete BEFORE DELETE ON hold BEGIN
        SELECT RAISE(ABORT, 'teller: holds are never deleted; release them');
    END""",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN
        SELECT RAISE(ABORT, 'teller: the audit log is append-only');
    END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event BEGIN
        SELECT RAISE(ABORT, 'teller: the audit log is append-only');
    END""",
]

POSTGRES_FUNCTIONS = [
    """CREATE FUNCTION teller_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'teller: %', TG_ARGV[0];
    END $$""",
    """CREATE FUNCTION teller_posting_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM journal_entry WHERE id = NEW.entry_id) THEN
            RAISE EXCEPTION 'teller: journal entry % is already posted; it takes no more postings', NEW.entry_id;
        END IF;
        IF NEW.currency IS DISTINCT FROM (SELECT currency FROM account WHERE id = NEW.account_id) THEN
            RAISE EXCEPTION 'teller: a posting must be in its account''s currency (got %)', NEW.currency;
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION teller_journal_entry_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        legs integer;
        unbalanced text;
        overdrawn text;
    BEGIN
        SELECT count(*) INTO legs FROM posting WHERE entry_id = NEW.id;
        IF legs < 2 THEN
            RAISE EXCEPTION 'teller: a journal entry needs two or more postings (entry % has %)', NEW.id, legs;
        END IF;
        SELECT currency INTO unbalanced FROM posting WHERE entry_id = NEW.id
         GROUP BY currency HAVING sum(debit) <> sum(credit) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'teller: the journal entry does not balance in %', unbalanced;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM instruction i WHERE i.id = NEW.instruction_id AND i.status = 'APPROVED'
                       AND i.checker_id IS NOT NULL AND i.checker_id <> i.maker_id) THEN
            RAISE EXCEPTION 'teller: a journal entry must reference an approved instruction whose checker is not its maker';
        END IF;
        SELECT a.number INTO overdrawn FROM account a
          JOIN (SELECT account_id, sum(debit) AS d, sum(credit) AS c FROM posting
                WHERE entry_id = NEW.id GROUP BY account_id) s ON s.account_id = a.id
         WHERE a.no_negative
           AND a.balance - a.held + CASE WHEN a.normal_side = 'debit' THEN s.d - s.c ELSE s.c - s.d END < 0
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'teller: the posting would take account % below zero', overdrawn;
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION teller_journal_entry_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE account a
           SET balance = a.balance + CASE WHEN a.normal_side = 'debit' THEN s.d - s.c ELSE s.c - s.d END
          FROM (SELECT account_id, sum(debit) AS d, sum(credit) AS c FROM posting
                WHERE entry_id = NEW.id GROUP BY account_id) s
         WHERE a.id = s.account_id;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION teller_account_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.balance <> 0 OR NEW.held <> 0 THEN
            RAISE EXCEPTION 'teller: a new account starts at zero: balances move only with postings';
        END IF;
        RETURN NEW;
    END $$""",
    # Balances and holds change only from inside the ledger's own triggers (trigger depth 2 or more).
    """CREATE FUNCTION teller_account_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (NEW.balance IS DISTINCT FROM OLD.balance OR NEW.held IS DISTINCT FROM OLD.held)
           AND pg_trigger_depth() < 2 THEN
            RAISE EXCEPTION 'teller: balances and holds move only with postings and holds';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION teller_instruction_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status <> 'PENDING' THEN
            RAISE EXCEPTION 'teller: instruction % is % and cannot change', OLD.id, OLD.status;
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION teller_hold_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status <> 'ACTIVE' THEN
            RAISE EXCEPTION 'teller: a new hold must be ACTIVE';
        END IF;
        IF EXISTS (SELECT 1 FROM account WHERE id = NEW.account_id AND no_negative
                   AND balance - held - NEW.amount < 0) THEN
            RAISE EXCEPTION 'teller: insufficient available balance for the hold';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION teller_hold_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE account SET held = held + NEW.amount WHERE id = NEW.account_id;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION teller_hold_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status <> 'ACTIVE' OR NEW.status NOT IN ('RELEASED', 'CONSUMED') OR NEW.amount <> OLD.amount
           OR NEW.account_id <> OLD.account_id OR NEW.instruction_id <> OLD.instruction_id THEN
            RAISE EXCEPTION 'teller: a hold changes only once, from ACTIVE to RELEASED or CONSUMED';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION teller_hold_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE account SET held = held - OLD.amount WHERE id = OLD.account_id;
        RETURN NULL;
    END $$""",
]

POSTGRES_TRIGGERS = [
    "CREATE TRIGGER account_before_insert BEFORE INSERT ON account"
    " FOR EACH ROW EXECUTE FUNCTION teller_account_before_insert()",
    "CREATE TRIGGER account_before_update BEFORE UPDATE ON account"
    " FOR EACH ROW EXECUTE FUNCTION teller_account_before_update()",
    "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head"
    " FOR EACH ROW EXECUTE FUNCTION teller_refuse('the audit chain head is never deleted')",
    "CREATE TRIGGER posting_before_insert BEFORE INSERT ON posting"
    " FOR EACH ROW EXECUTE FUNCTION teller_posting_before_insert()",
    "CREATE TRIGGER posting_immutable BEFORE UPDATE OR DELETE ON posting"
    " FOR EACH ROW EXECUTE FUNCTION teller_refuse('postings are never changed or deleted; correct by reversal')",
    "CREATE TRIGGER journal_entry_before_insert BEFORE INSERT ON journal_entry"
    " FOR EACH ROW EXECUTE FUNCTION teller_journal_entry_before_insert()",
    "CREATE TRIGGER journal_entry_after_insert AFTER INSERT ON journal_entry"
    " FOR EACH ROW EXECUTE FUNCTION teller_journal_entry_after_insert()",
    "CREATE TRIGGER journal_entry_immutable BEFORE UPDATE OR DELETE ON journal_entry"
    " FOR EACH ROW EXECUTE FUNCTION teller_refuse('journal entries are never changed or deleted; correct by reversal')",
    "CREATE TRIGGER instruction_before_update BEFORE UPDATE ON instruction"
    " FOR EACH ROW EXECUTE FUNCTION teller_instruction_before_update()",
    "CREATE TRIGGER instruction_no_delete BEFORE DELETE ON instruction"
    " FOR EACH ROW EXECUTE FUNCTION teller_refuse('instructions are never deleted')",
    "CREATE TRIGGER hold_before_insert BEFORE INSERT ON hold FOR EACH ROW EXECUTE FUNCTION teller_hold_before_insert()",
    "CREATE TRIGGER hold_after_insert AFTER INSERT ON hold FOR EACH ROW EXECUTE FUNCTION teller_hold_after_insert()",
    "CREATE TRIGGER hold_before_update BEFORE UPDATE ON hold FOR EACH ROW EXECUTE FUNCTION teller_hold_before_update()",
    "CREATE TRIGGER hold_after_update AFTER UPDATE ON hold FOR EACH ROW EXECUTE FUNCTION teller_hold_after_update()",
    "CREATE TRIGGER hold_no_delete BEFORE DELETE ON hold"
    " FOR EACH ROW EXECUTE FUNCTION teller_refuse('holds are never deleted; release them')",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event"
    " FOR EACH ROW EXECUTE FUNCTION teller_refuse('the audit log is append-only')",
] + [
    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
    f" FOR EACH STATEMENT EXECUTE FUNCTION teller_refuse('{table} is never truncated')"
    for table in ("posting", "journal_entry", "instruction", "hold", "audit_event", "audit_head")
]

POSTGRES_FUNCTION_NAMES = [
    "teller_refuse", "teller_account_before_insert", "teller_account_before_update", "teller_posting_before_insert", "teller_journal_entry_before_insert",
    "teller_journal_entry_after_insert", "teller_instruction_before_update", "teller_hold_before_insert",
    "teller_hold_after_insert", "teller_hold_before_update", "teller_hold_after_update",
]


def create_enforcement() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE journal_entry_id_seq AS bigint")
        for statement in POSTGRES_FUNCTIONS + POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def drop_enforcement() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRES_FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION {name}() CASCADE")
        op.execute("DROP SEQUENCE journal_entry_id_seq")
    else:
        op.execute("DROP TABLE ledger_gate")
