"""loan servicing: disbursement, schedule versions, repayments, payees and waivers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 13:35:33.648341

The money side of a signed loan. Every row that moves money is written with its instruction and counts
only once that instruction is approved: the trigger on `instruction` turns the loan ACTIVE when its
disbursement posts and SETTLED when the payment that repays it posts, refusing a second disbursement or a
repayment of a loan that is not active, whichever process gives the second key. Disbursement, payment
and waiver rows are never changed or deleted; a payee's registration is changed only by its one second key.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('loan_payee',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('bank_name', sa.String(length=120), nullable=False),
    sa.Column('account_number', sa.String(length=40), nullable=False),
    sa.Column('registered_by', sa.Integer(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('payee', 'escrow')", name=op.f('ck_loan_payee_known_kind')),
    sa.CheckConstraint('(approved_by IS NULL) = (approved_at IS NULL)', name=op.f('ck_loan_payee_approval_complete')),
    sa.CheckConstraint('approved_by IS NULL OR approved_by <> registered_by', name=op.f('ck_loan_payee_second_key_not_registrar')),
    sa.ForeignKeyConstraint(['application_id'], ['loan_application.id'], name=op.f('fk_loan_payee_application_id_loan_application')),
    sa.ForeignKeyConstraint(['approved_by'], ['staff_user.id'], name=op.f('fk_loan_payee_approved_by_staff_user')),
    sa.ForeignKeyConstraint(['registered_by'], ['staff_user.id'], name=op.f('fk_loan_payee_registered_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_payee'))
    )
    with op.batch_alter_table('loan_payee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_payee_application_id'), ['application_id'], unique=False)

    op.create_table('loan_account',
    sa.Column('tranche_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_loan_account_account_id_account')),
    sa.ForeignKeyConstraint(['application_id'], ['loan_application.id'], name=op.f('fk_loan_account_application_id_loan_application')),
    sa.ForeignKeyConstraint(['tranche_id'], ['loan_tranche.id'], name=op.f('fk_loan_account_tranche_id_loan_tranche')),
    sa.PrimaryKeyConstraint('tranche_id', name=op.f('pk_loan_account')),
    sa.UniqueConstraint('account_id', name=op.f('uq_loan_account_account_id'))
    )
    with op.batch_alter_table('loan_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_account_application_id'), ['application_id'], unique=False)

    op.create_table('loan_disbursement',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instruction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('destination', sa.String(length=8), nullable=False),
    sa.Column('account_number', sa.String(length=40), nullable=False),
    sa.Column('payee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('disbursed_on', sa.Date(), nullable=False),
    sa.CheckConstraint("destination IN ('account', 'payee', 'cash')", name=op.f('ck_loan_disbursement_known_destination')),
    sa.ForeignKeyConstraint(['application_id'], ['loan_application.id'], name=op.f('fk_loan_disbursement_application_id_loan_application')),
    sa.ForeignKeyConstraint(['instruction_id'], ['instruction.id'], name=op.f('fk_loan_disbursement_instruction_id_instruction')),
    sa.ForeignKeyConstraint(['payee_id'], ['loan_payee.id'], name=op.f('fk_loan_disbursement_payee_id_loan_payee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_disbursement')),
    sa.UniqueConstraint('instruction_id', name=op.f('uq_loan_disbursement_instruction_id'))
    )
    with op.batch_alter_table('loan_disbursement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_disbursement_application_id'), ['application_id'], unique=False)

    op.create_table('loan_payment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tranche_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instruction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('penalty', sa.BigInteger(), nullable=False),
    sa.Column('fees', sa.BigInteger(), nullable=False),
    sa.Column('interest', sa.BigInteger(), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('accrued_interest', sa.BigInteger(), nullable=False),
    sa.Column('prepaid', sa.BigInteger(), nullable=False),
    sa.Column('settles', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('repayment', 'prepayment', 'payoff', 'fund_centre')", name=op.f('ck_loan_payment_known_kind')),
    sa.CheckConstraint('penalty >= 0 AND fees >= 0 AND interest >= 0 AND principal >= 0 AND accrued_interest >= 0 AND prepaid >= 0', name=op.f('ck_loan_payment_parts_non_negative')),
    sa.ForeignKeyConstraint(['application_id'], ['loan_application.id'], name=op.f('fk_loan_payment_application_id_loan_application')),
    sa.ForeignKeyConstraint(['instruction_id'], ['instruction.id'], name=op.f('fk_loan_payment_instruction_id_instruction')),
    sa.ForeignKeyConstraint(['tranche_id'], ['loan_tranche.id'], name=op.f('fk_loan_payment_tranche_id_loan_tranche')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_payment'))
    )
    with op.batch_alter_table('loan_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_payment_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loan_payment_instruction_id'), ['instruction_id'], unique=False)
        batch_op.create_index('ix_loan_payment_tranche', ['tranche_id', 'id'], unique=False)

    op.create_table('loan_schedule',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tranche_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('instruction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("reason IN ('disbursement', 'shorter_term', 'lower_installment')", name=op.f('ck_loan_schedule_known_reason')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_loan_schedule_version_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['loan_application.id'], name=op.f('fk_loan_schedule_application_id_loan_application')),
    sa.ForeignKeyConstraint(['instruction_id'], ['instruction.id'], name=op.f('fk_loan_schedule_instruction_id_instruction')),
    sa.ForeignKeyConstraint(['tranche_id'], ['loan_tranche.id'], name=op.f('fk_loan_schedule_tranche_id_loan_tranche')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_schedule')),
    sa.UniqueConstraint('tranche_id', 'version', name=op.f('uq_loan_schedule_tranche_id'))
    )
    with op.batch_alter_table('loan_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_schedule_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loan_schedule_instruction_id'), ['instruction_id'], unique=False)

    op.create_table('loan_waiver',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tranche_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('waived_on', sa.Date(), nullable=False),
    sa.Column('penalty', sa.BigInteger(), nullable=False),
    sa.Column('fees', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('approved_by <> requested_by', name=op.f('ck_loan_waiver_second_key_not_requester')),
    sa.CheckConstraint('penalty >= 0 AND fees >= 0 AND penalty + fees > 0', name=op.f('ck_loan_waiver_waives_something')),
    sa.ForeignKeyConstraint(['application_id'], ['loan_application.id'], name=op.f('fk_loan_waiver_application_id_loan_application')),
    sa.ForeignKeyConstraint(['approved_by'], ['staff_user.id'], name=op.f('fk_loan_waiver_approved_by_staff_user')),
    sa.ForeignKeyConstraint(['requested_by'], ['staff_user.id'], name=op.f('fk_loan_waiver_requested_by_staff_user')),
    sa.ForeignKeyConstraint(['tranche_id'], ['loan_tranche.id'], name=op.f('fk_loan_waiver_tranche_id_loan_tranche')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_waiver'))
    )
    with op.batch_alter_table('loan_waiver', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_waiver_application_id'), ['application_id'], unique=False)

    op.create_table('loan_installment',
    sa.Column('schedule_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('interest', sa.BigInteger(), nullable=False),
    sa.Column('balance_after', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('principal >= 0 AND interest >= 0 AND balance_after >= 0', name=op.f('ck_loan_installment_amounts_non_negative')),
    sa.ForeignKeyConstraint(['schedule_id'], ['loan_schedule.id'], name=op.f('fk_loan_installment_schedule_id_loan_schedule')),
    sa.PrimaryKeyConstraint('schedule_id', 'number', name=op.f('pk_loan_installment'))
    )
    _complete_product_definitions()
    statements = POSTGRES_UPGRADE if op.get_bind().dialect.name == "postgresql" else SQLITE_UPGRADE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRES_FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION {name}() CASCADE")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table('loan_installment')
    with op.batch_alter_table('loan_waiver', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_waiver_application_id'))

    op.drop_table('loan_waiver')
    with op.batch_alter_table('loan_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_schedule_instruction_id'))
        batch_op.drop_index(batch_op.f('ix_loan_schedule_application_id'))

    op.drop_table('loan_schedule')
    with op.batch_alter_table('loan_payment', schema=None) as batch_op:
        batch_op.drop_index('ix_loan_payment_tranche')
        batch_op.drop_index(batch_op.f('ix_loan_payment_instruction_id'))
        batch_op.drop_index(batch_op.f('ix_loan_payment_application_id'))

    op.drop_table('loan_payment')
    with op.batch_alter_table('loan_disbursement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_disbursement_application_id'))

    op.drop_table('loan_disbursement')
    with op.batch_alter_table('loan_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_account_application_id'))

    op.drop_table('loan_account')
    with op.batch_alter_table('loan_payee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_payee_application_id'))

    op.drop_table('loan_payee')


# Products stored before this revision lack what servicing reads: each tranche's loans-receivable GL code, the
# late fee and the overpayment rule. The shipped products get the values of their fixtures; any other product
# gets the consumer-loan GL code (the fund GL for a fund part), no late fee, and overpayments refused.
PRODUCT_GL = {"housing_fund": "1301", "commercial_mortgage": "1302", "consumer": "1303", "small_credit": "1304",
              "farmer_micro": "1305", "pledge": "1306", "auto": "1307"}
TRANCHE_GL = {"fund": "1301", "commercial": "1302"}
LATE_FEE = {"commercial_mortgage": 5000, "consumer": 5000, "small_credit": 5000, "farmer_micro": 1000,
            "pledge": 5000, "auto": 5000}
PREPAY_OVERPAYMENTS = ("housing_fund", "combined", "farmer_micro")


def _complete_product_definitions() -> None:
    connection = op.get_bind()
    for product_id, code, text in connection.execute(sa.text("SELECT id, code, definition FROM loan_product")).all():
        definition = json.loads(text)
        for tranche in definition["tranches"]:
            tranche.setdefault("gl_code", TRANCHE_GL.get(tranche["kind"], PRODUCT_GL.get(code, "1303")))
        definition.setdefault("late_fee", LATE_FEE.get(code, 0))
        definition.setdefault("overpayment", "prepay" if code in PREPAY_OVERPAYMENTS else "refuse")
        connection.execute(sa.text("UPDATE loan_product SET definition = :definition WHERE id = :id"),
                           {"definition": json.dumps(definition, ensure_ascii=False), "id": product_id})


# --- Dialect-specific enforcement ---------------------------------------------------------------------

APPEND_ONLY = (("loan_account", "loan accounts"), ("loan_disbursement", "disbursements"),
               ("loan_schedule", "schedule versions"), ("loan_installment", "installments"),
               ("loan_payment", "loan payments"), ("loan_waiver", "waivers"))
NOT_SIGNED = "teller: only a signed loan is disbursed, and only once"
NOT_ACTIVE = "teller: only an active loan takes repayments and waivers"
PAYEE_FIXED = "teller: a payee is never deleted, and changes only once, by its second key"

SQLITE_UPGRADE = [
    f"""CREATE TRIGGER instruction_moves_loan AFTER UPDATE OF status ON instruction
        WHEN NEW.status = 'APPROVED' AND OLD.status <> 'APPROVED' BEGIN
        SELECT RAISE(ABORT, '{NOT_SIGNED}') WHERE EXISTS (
            SELECT 1 FROM loan_disbursement d JOIN loan_application a ON a.id = d.application_id
             WHERE d.instruction_id = NEW.id AND a.state <> 'CONTRACT_SIGNED');
        SELECT RAISE(ABORT, '{NOT_ACTIVE}') WHERE EXISTS (
            SELECT 1 FROM loan_payment p JOIN loan_application a ON a.id = p.application_id
             WHERE p.instruction_id = NEW.id AND a.state <> 'ACTIVE');
        UPDATE loan_application SET state = 'ACTIVE', state_since = NEW.decided_at, updated_at = NEW.decided_at
         WHERE id IN (SELECT application_id FROM loan_disbursement WHERE instruction_id = NEW.id);
        UPDATE loan_application SET state = 'SETTLED', state_since = NEW.decided_at, updated_at = NEW.decided_at
         WHERE id IN (SELECT application_id FROM loan_payment WHERE instruction_id = NEW.id AND settles);
    END""",
    f"""CREATE TRIGGER loan_disbursement_needs_signing BEFORE INSERT ON loan_disbursement
        WHEN (SELECT state FROM loan_application WHERE id = NEW.application_id) <> 'CONTRACT_SIGNED' BEGIN
        SELECT RAISE(ABORT, '{NOT_SIGNED}');
    END""",
] + [
    f"""CREATE TRIGGER {table}_needs_active_loan BEFORE INSERT ON {table}
        WHEN (SELECT state FROM loan_application WHERE id = NEW.application_id) <> 'ACTIVE' BEGIN
        SELECT RAISE(ABORT, '{NOT_ACTIVE}');
    END"""
    for table in ("loan_payment", "loan_waiver")
] + [
    f"""CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} BEGIN
        SELECT RAISE(ABORT, 'teller: {what} are never changed or deleted');
    END"""
    for table, what in APPEND_ONLY
    for operation in ("UPDATE", "DELETE")
] + [
    f"""CREATE TRIGGER loan_payee_no_delete BEFORE DELETE ON loan_payee BEGIN
        SELECT RAISE(ABORT, '{PAYEE_FIXED}');
    END""",
    f"""CREATE TRIGGER loan_payee_approved_once BEFORE UPDATE ON loan_payee
        WHEN OLD.approved_by IS NOT NULL OR NEW.application_id IS NOT OLD.application_id OR NEW.kind IS NOT OLD.kind
          OR NEW.name IS NOT OLD.name OR NEW.bank_name IS NOT OLD.bank_name
          OR NEW.account_number IS NOT OLD.account_number OR NEW.registered_by IS NOT OLD.registered_by
          OR NEW.registered_at IS NOT OLD.registered_at BEGIN
        SELECT RAISE(ABORT, '{PAYEE_FIXED}');
    END""",
]
SQLITE_TRIGGER_NAMES = (
    "instruction_moves_loan", "loan_disbursement_needs_signing", "loan_payment_needs_active_loan",
    "loan_waiver_needs_active_loan", "loan_payee_no_delete", "loan_payee_approved_once",
    *(f"{table}_no_{operation}" for table, _what in APPEND_ONLY for operation in ("update", "delete")),
)

POSTGRES_UPGRADE = [
    f"""CREATE FUNCTION teller_instruction_moves_loan() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status = 'APPROVED' AND OLD.status <> 'APPROVED' THEN
            IF EXISTS (SELECT 1 FROM loan_disbursement d JOIN loan_application a ON a.id = d.application_id
                        WHERE d.instruction_id = NEW.id AND a.state <> 'CONTRACT_SIGNED') THEN
                RAISE EXCEPTION '{NOT_SIGNED}';
            END IF;
            IF EXISTS (SELECT 1 FROM loan_payment p JOIN loan_application a ON a.id = p.application_id
                        WHERE p.instruction_id = NEW.id AND a.state <> 'ACTIVE') THEN
                RAISE EXCEPTION '{NOT_ACTIVE}';
            END IF;
            UPDATE loan_application SET state = 'ACTIVE', state_since = NEW.decided_at, updated_at = NEW.decided_at
             WHERE id IN (SELECT application_id FROM loan_disbursement WHERE instruction_id = NEW.id);
            UPDATE loan_application SET state = 'SETTLED', state_since = NEW.decided_at, updated_at = NEW.decided_at
             WHERE id IN (SELECT application_id FROM loan_payment WHERE instruction_id = NEW.id AND settles);
        END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION teller_loan_disbursement_needs_signing() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (SELECT state FROM loan_application WHERE id = NEW.application_id) <> 'CONTRACT_SIGNED' THEN
            RAISE EXCEPTION '{NOT_SIGNED}';
        END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION teller_loan_needs_active() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (SELECT state FROM loan_application WHERE id = NEW.application_id) <> 'ACTIVE' THEN
            RAISE EXCEPTION '{NOT_ACTIVE}';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION teller_loan_servicing_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'teller: % rows are never changed or deleted', TG_TABLE_NAME;
    END $$""",
    f"""CREATE FUNCTION teller_loan_payee_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR OLD.approved_by IS NOT NULL
           OR (NEW.application_id, NEW.kind, NEW.name, NEW.bank_name, NEW.account_number, NEW.registered_by,
               NEW.registered_at)
              IS DISTINCT FROM (OLD.application_id, OLD.kind, OLD.name, OLD.bank_name, OLD.account_number,
                                OLD.registered_by, OLD.registered_at) THEN
            RAISE EXCEPTION '{PAYEE_FIXED}';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER instruction_moves_loan AFTER UPDATE OF status ON instruction"
    " FOR EACH ROW EXECUTE FUNCTION teller_instruction_moves_loan()",
    "CREATE TRIGGER loan_disbursement_needs_signing BEFORE INSERT ON loan_disbursement"
    " FOR EACH ROW EXECUTE FUNCTION teller_loan_disbursement_needs_signing()",
    *(f"CREATE TRIGGER {table}_needs_active_loan BEFORE INSERT ON {table}"
      " FOR EACH ROW EXECUTE FUNCTION teller_loan_needs_active()" for table in ("loan_payment", "loan_waiver")),
    *(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
      " FOR EACH ROW EXECUTE FUNCTION teller_loan_servicing_append_only()" for table, _what in APPEND_ONLY),
    "CREATE TRIGGER loan_payee_guard BEFORE UPDATE OR DELETE ON loan_payee"
    " FOR EACH ROW EXECUTE FUNCTION teller_loan_payee_guard()",
]
POSTGRES_FUNCTION_NAMES = (
    "teller_instruction_moves_loan", "teller_loan_disbursement_needs_signing", "teller_loan_needs_active",
    "teller_loan_servicing_append_only", "teller_loan_payee_guard",
)
