"""loans: products, applications, tranches, checklists, approvals and their history

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:40:00.000000

Database enforcement of loan origination (triggers on SQLite, plpgsql functions on PostgreSQL):
- the originator of an application never records a decision on it (`loan_approval`);
- terms (amount, term, dates, product, customer, purpose, facts) and tranches change only while the
  application is DRAFT or RETURNED, so approved and signed terms are frozen; number and originator never change;
- an application becomes APPROVED only with as many approvals of its current round as it requires;
- a signing is recorded only for an APPROVED application;
- applications are never deleted; approvals, credit checks, history and signings are never changed or deleted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigIntKey = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def search_key(length: int) -> sa.String:
    """As `models.base.search_key` at this revision: bytewise-ordered text on both dialects."""
    return sa.String(length).with_variant(sa.String(length, collation='C'), 'postgresql')


def upgrade() -> None:
    op.create_table('loan_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_loan_product_version_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_product')),
    sa.UniqueConstraint('code', name=op.f('uq_loan_product_code'))
    )
    op.create_table('loan_sequence',
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.CheckConstraint('last_value >= 1', name=op.f('ck_loan_sequence_last_value_positive')),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_loan_sequence_branch_id_branch')),
    sa.PrimaryKeyConstraint('branch_id', 'year', name=op.f('pk_loan_sequence'))
    )
    op.create_table('loan_application',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('number', search_key(32), nullable=False),
    sa.Column('customer_id', BigIntKey, nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('first_due_date', sa.Date(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('required_approvals', sa.Integer(), nullable=False),
    sa.Column('review_round', sa.Integer(), nullable=False),
    sa.Column('originator_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('DRAFT', 'SUBMITTED', 'UNDER_REVIEW', 'APPROVED', 'REJECTED', 'RETURNED', 'CONTRACT_SIGNED', 'DISBURSED', 'ACTIVE', 'SETTLED', 'WRITTEN_OFF')", name=op.f('ck_loan_application_known_state')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_loan_application_amount_positive')),
    sa.CheckConstraint('required_approvals IN (1, 2)', name=op.f('ck_loan_application_one_or_two_approvals')),
    sa.CheckConstraint('review_round >= 0', name=op.f('ck_loan_application_review_round_non_negative')),
    sa.CheckConstraint('term_months > 0', name=op.f('ck_loan_application_term_positive')),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_loan_application_branch_id_branch')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_loan_application_customer_id_customer')),
    sa.ForeignKeyConstraint(['originator_id'], ['staff_user.id'], name=op.f('fk_loan_application_originator_id_staff_user')),
    sa.ForeignKeyConstraint(['product_id'], ['loan_product.id'], name=op.f('fk_loan_application_product_id_loan_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_application')),
    sa.UniqueConstraint('number', name=op.f('uq_loan_application_number'))
    )
    with op.batch_alter_table('loan_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_application_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loan_application_originator_id'), ['originator_id'], unique=False)
        batch_op.create_index('ix_loan_application_state_branch', ['state', 'branch_id'], unique=False)

    op.create_table('checklist_item',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('application_id', BigIntKey, nullable=False),
    sa.Column('item_group', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('label_key', sa.String(length=120), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('either_or', sa.String(length=32), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('received_by', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_by', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('waived_by', sa.Integer(), nullable=True),
    sa.Column('waiver_checker_id', sa.Integer(), nullable=True),
    sa.Column('waiver_reason', sa.Text(), nullable=True),
    sa.Column('waived_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("item_group IN ('personal', 'property', 'loan')", name=op.f('ck_checklist_item_known_group')),
    sa.CheckConstraint("state <> 'VERIFIED' OR verified_by IS NOT NULL", name=op.f('ck_checklist_item_verified_by_whom')),
    sa.CheckConstraint("state <> 'WAIVED' OR (waived_by IS NOT NULL AND waiver_checker_id IS NOT NULL AND waiver_reason IS NOT NULL AND waiver_checker_id <> waived_by)", name=op.f('ck_checklist_item_waiver_has_second_key')),
    sa.CheckConstraint("state IN ('MISSING', 'RECEIVED', 'VERIFIED', 'WAIVED')", name=op.f('ck_checklist_item_known_state')),
    sa.CheckConstraint("state NOT IN ('RECEIVED', 'VERIFIED') OR received_by IS NOT NULL", name=op.f('ck_checklist_item_received_by_whom')),
    sa.ForeignKeyConstraint(['application_id'], ['loan_application.id'], name=op.f('fk_checklist_item_application_id_loan_application')),
    sa.ForeignKeyConstraint(['received_by'], ['staff_user.id'], name=op.f('fk_checklist_item_received_by_staff_user')),
    sa.ForeignKeyConstraint(['verified_by'], ['staff_user.id'], name=op.f('fk_checklist_item_verified_by_staff_user')),
    sa.ForeignKeyConstraint(['waived_by'], ['staff_user.id'], name=op.f('fk_checklist_item_waived_by_staff_user')),
    sa.ForeignKeyConstraint(['waiver_checker_id'], ['staff_user.id'], name=op.f('fk_checklist_item_waiver_checker_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_item')),
    sa.UniqueConstraint('application_id', 'code', name=op.f('uq_checklist_item_application_id'))
    )
    op.create_table('credit_check',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('application_id', BigIntKey, nullable=False),
    sa.Column('review_round', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('report_date', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('checked_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("result IN ('clear', 'minor_issues', 'adverse')", name=op.f('ck_credit_check_known_result')),
    sa.ForeignKeyConstraint(['application_id'], ['loan_application.id'], name=op.f('fk_credit_check_application_id_loan_application')),
    sa.ForeignKeyConstraint(['checked_by'], ['staff_user.id'], name=op.f('fk_credit_check_checked_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_check'))
    )
    with op.batch_alter_table('credit_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_check_application_id'), ['application_id'], unique=False)

    op.create_table('loan_approval',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('application_id', BigIntKey, nullable=False),
    sa.Column('review_round', sa.Integer(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision = 'APPROVED' OR reason IS NOT NULL", name=op.f('ck_loan_approval_refusal_has_reason')),
    sa.CheckConstraint("decision IN ('APPROVED', 'REJECTED', 'RETURNED')", name=op.f('ck_loan_approval_known_decision')),
    sa.CheckConstraint('level >= 1', name=op.f('ck_loan_approval_level_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['loan_application.id'], name=op.f('fk_loan_approval_application_id_loan_application')),
    sa.ForeignKeyConstraint(['approver_id'], ['staff_user.id'], name=op.f('fk_loan_approval_approver_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_approval')),
    sa.UniqueConstraint('application_id', 'review_round', 'approver_id', name=op.f('uq_loan_approval_application_id'))
    )
    op.create_table('loan_event',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('application_id', BigIntKey, nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['loan_application.id'], name=op.f('fk_loan_event_application_id_loan_application')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], name=op.f('fk_loan_event_staff_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_event'))
    )
    with op.batch_alter_table('loan_event', schema=None) as batch_op:
        batch_op.create_index('ix_loan_event_application', ['application_id', 'id'], unique=False)

    op.create_table('loan_signing',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('application_id', BigIntKey, nullable=False),
    sa.Column('contract_number', search_key(32), nullable=False),
    sa.Column('signed_by', sa.Integer(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['loan_application.id'], name=op.f('fk_loan_signing_application_id_loan_application')),
    sa.ForeignKeyConstraint(['signed_by'], ['staff_user.id'], name=op.f('fk_loan_signing_signed_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_signing')),
    sa.UniqueConstraint('application_id', name=op.f('uq_loan_signing_application_id')),
    sa.UniqueConstraint('contract_number', name=op.f('uq_loan_signing_contract_number'))
    )
    op.create_table('loan_tranche',
    sa.Column('id', BigIntKey, nullable=False),
    sa.Column('application_id', BigIntKey, nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('rate_ppm', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('standard', 'fund', 'commercial')", name=op.f('ck_loan_tranche_known_kind')),
    sa.CheckConstraint("method IN ('equal_installment', 'equal_principal', 'interest_only', 'bullet')", name=op.f('ck_loan_tranche_known_method')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_loan_tranche_amount_positive')),
    sa.CheckConstraint('rate_ppm >= 0', name=op.f('ck_loan_tranche_rate_non_negative')),
    sa.CheckConstraint('term_months > 0', name=op.f('ck_loan_tranche_term_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['loan_application.id'], name=op.f('fk_loan_tranche_application_id_loan_application')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_tranche')),
    sa.UniqueConstraint('application_id', 'kind', name=op.f('uq_loan_tranche_application_id'))
    )
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
    op.drop_table('loan_tranche')
    op.drop_table('loan_signing')
    with op.batch_alter_table('loan_event', schema=None) as batch_op:
        batch_op.drop_index('ix_loan_event_application')

    op.drop_table('loan_event')
    op.drop_table('loan_approval')
    with op.batch_alter_table('credit_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_check_application_id'))

    op.drop_table('credit_check')
    op.drop_table('checklist_item')
    with op.batch_alter_table('loan_application', schema=None) as batch_op:
        batch_op.drop_index('ix_loan_application_state_branch')
        batch_op.drop_index(batch_op.f('ix_loan_application_originator_id'))
        batch_op.drop_index(batch_op.f('ix_loan_application_customer_id'))

    op.drop_table('loan_application')
    op.drop_table('loan_sequence')
    op.drop_table('loan_product')


# --- Dialect-specific enforcement ---------------------------------------------------------------------

TERM_COLUMNS = ("amount", "term_months", "first_due_date", "product_id", "customer_id", "currency", "purpose", "facts")
EDITABLE = "('DRAFT', 'RETURNED')"


def _changed(columns: Sequence[str], distinct: str) -> str:
    return " OR ".join(f"NEW.{column} {distinct} OLD.{column}" for column in columns)


SQLITE_UPGRADE = [
    """CREATE TRIGGER loan_approval_not_by_originator BEFORE INSERT ON loan_approval
        WHEN NEW.approver_id = (SELECT originator_id FROM loan_application WHERE id = NEW.application_id) BEGIN
        SELECT RAISE(ABORT, 'teller: the originator of a loan application never decides on it');
    END""",
    f"""CREATE TRIGGER loan_application_terms_frozen BEFORE UPDATE ON loan_application
        WHEN OLD.state NOT IN {EDITABLE} AND ({_changed(TERM_COLUMNS, 'IS NOT')}) BEGIN
        SELECT RAISE(ABORT, 'teller: the loan terms are frozen once the application is submitted; signed terms never change');
    END""",
    f"""CREATE TRIGGER loan_application_identity_fixed BEFORE UPDATE ON loan_application
        WHEN {_changed(('number', 'originator_id', 'branch_id'), 'IS NOT')} BEGIN
        SELECT RAISE(ABORT, 'teller: an application keeps its number, originator and branch');
    END""",
    """CREATE TRIGGER loan_application_approved_needs_approvals BEFORE UPDATE OF state ON loan_application
        WHEN NEW.state = 'APPROVED' AND OLD.state <> 'APPROVED'
         AND (SELECT COUNT(*) FROM loan_approval WHERE application_id = NEW.id
              AND review_round = NEW.review_round AND decision = 'APPROVED') < NEW.required_approvals BEGIN
        SELECT RAISE(ABORT, 'teller: the application lacks the approvals its amount requires');
    END""",
    """CREATE TRIGGER loan_application_no_delete BEFORE DELETE ON loan_application BEGIN
        SELECT RAISE(ABORT, 'teller: loan applications are never deleted');
    END""",
] + [
    f"""CREATE TRIGGER loan_tranche_frozen_{operation.lower()} BEFORE {operation} ON loan_tranche
        WHEN (SELECT state FROM loan_application WHERE id = {row}.application_id) NOT IN {EDITABLE} BEGIN
        SELECT RAISE(ABORT, 'teller: the loan terms are frozen once the application is submitted; signed terms never change');
    END"""
    for operation, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
] + [
    """CREATE TRIGGER loan_signing_needs_approval BEFORE INSERT ON loan_signing
        WHEN (SELECT state FROM loan_application WHERE id = NEW.application_id) <> 'APPROVED' BEGIN
        SELECT RAISE(ABORT, 'teller: only an approved application is signed');
    END""",
] + [
    f"""CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} BEGIN
        SELECT RAISE(ABORT, 'teller: {what} are never changed or deleted');
    END"""
    for table, what in (("loan_approval", "loan approvals"), ("loan_event", "loan history rows"),
                        ("credit_check", "credit checks"), ("loan_signing", "signings"))
    for operation in ("UPDATE", "DELETE")
]

POSTGRES_UPGRADE = [
    """CREATE FUNCTION teller_loan_approval_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.approver_id = (SELECT originator_id FROM loan_application WHERE id = NEW.application_id) THEN
            RAISE EXCEPTION 'teller: the originator of a loan application never decides on it';
        END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION teller_loan_application_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.state NOT IN {EDITABLE} AND ({_changed(TERM_COLUMNS, 'IS DISTINCT FROM')}) THEN
            RAISE EXCEPTION 'teller: the loan terms are frozen once the application is submitted; signed terms never change';
        END IF;
        IF {_changed(('number', 'originator_id', 'branch_id'), 'IS DISTINCT FROM')} THEN
            RAISE EXCEPTION 'teller: an application keeps its number, originator and branch';
        END IF;
        IF NEW.state = 'APPROVED' AND OLD.state <> 'APPROVED'
           AND (SELECT count(*) FROM loan_approval WHERE application_id = NEW.id
                AND review_round = NEW.review_round AND decision = 'APPROVED') < NEW.required_approvals THEN
            RAISE EXCEPTION 'teller: the application lacks the approvals its amount requires';
        END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION teller_loan_tranche_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        application_state text;
    BEGIN
        SELECT state INTO application_state FROM loan_application
         WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.application_id ELSE OLD.application_id END;
        IF application_state NOT IN {EDITABLE} THEN
            RAISE EXCEPTION 'teller: the loan terms are frozen once the application is submitted; signed terms never change';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END $$""",
    """CREATE FUNCTION teller_loan_signing_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (SELECT state FROM loan_application WHERE id = NEW.application_id) <> 'APPROVED' THEN
            RAISE EXCEPTION 'teller: only an approved application is signed';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER loan_approval_before_insert BEFORE INSERT ON loan_approval"
    " FOR EACH ROW EXECUTE FUNCTION teller_loan_approval_before_insert()",
    "CREATE TRIGGER loan_application_before_update BEFORE UPDATE ON loan_application"
    " FOR EACH ROW EXECUTE FUNCTION teller_loan_application_before_update()",
    "CREATE TRIGGER loan_application_no_delete BEFORE DELETE ON loan_application"
    " FOR EACH ROW EXECUTE FUNCTION teller_refuse('loan applications are never deleted')",
    "CREATE TRIGGER loan_tranche_frozen BEFORE INSERT OR UPDATE OR DELETE ON loan_tranche"
    " FOR EACH ROW EXECUTE FUNCTION teller_loan_tranche_frozen()",
    "CREATE TRIGGER loan_signing_before_insert BEFORE INSERT ON loan_signing"
    " FOR EACH ROW EXECUTE FUNCTION teller_loan_signing_before_insert()",
] + [
    f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table}"
    f" FOR EACH ROW EXECUTE FUNCTION teller_refuse('{what} are never changed or deleted')"
    for table, what in (("loan_approval", "loan approvals"), ("loan_event", "loan history rows"),
                        ("credit_check", "credit checks"), ("loan_signing", "signings"))
] + [
    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
    f" FOR EACH STATEMENT EXECUTE FUNCTION teller_refuse('{table} is never truncated')"
    for table in ("loan_application", "loan_approval", "loan_event", "credit_check", "loan_signing")
]

POSTGRES_FUNCTION_NAMES = [
    "teller_loan_approval_before_insert", "teller_loan_application_before_update", "teller_loan_tranche_frozen",
    "teller_loan_signing_before_insert",
]
