"""loan state guard: the application lifecycle in the database, and product terms frozen at signing

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 16:50:00.000000

Migrations 0005 and 0007 guard the rows around a loan application (approvals, signing, disbursement,
payments) but not its own state: a raw UPDATE could move it anywhere, and `required_approvals` could be
lowered before APPROVED. Here (triggers on SQLite, plpgsql functions on PostgreSQL):
- an application is inserted as a DRAFT of round 0 and moves only along the lifecycle (ARCHITECTURE.md
  section 6): DRAFT/RETURNED -> SUBMITTED -> UNDER_REVIEW -> APPROVED | REJECTED | RETURNED (REJECTED and
  RETURNED also from SUBMITTED) -> CONTRACT_SIGNED -> DISBURSED/ACTIVE -> SETTLED | WRITTEN_OFF;
- each move needs its record: a decision of the current round for REJECTED and RETURNED (APPROVED already
  needs its approvals, migration 0005), the signing for CONTRACT_SIGNED, an approved disbursement
  instruction for DISBURSED and ACTIVE, an approved settling payment for SETTLED;
- `review_round` and `required_approvals` change only with a submission, which opens the next round;
- decisions are recorded only while the application waits for them, in its current round (an approval
  only under review); a credit check only under review, in the current round, never by the originator.

Product terms frozen per loan: every version of a product's definition is kept (`loan_product_version`,
written by a trigger whenever a product is added or its version moves on; a changed definition needs a new
version), and a signing records the version in force when it was signed (`loan_signing.product_version`,
the product's current version, checked). Signings made before this revision get their product's current
version, the definition they have been read with until now.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('loan_product_version',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['loan_product.id'], name=op.f('fk_loan_product_version_product_id_loan_product')),
    sa.PrimaryKeyConstraint('product_id', 'version', name=op.f('pk_loan_product_version'))
    )
    # NOT NULL needs a default for the rows already there (SQLite); the fill below gives each its real version.
    op.add_column('loan_signing', sa.Column('product_version', sa.Integer(), nullable=False, server_default='1'))
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute("INSERT INTO loan_product_version (product_id, version, definition, recorded_at)"
               " SELECT id, version, definition, updated_at FROM loan_product")
    fill = ("UPDATE loan_signing SET product_version = (SELECT p.version FROM loan_product p"
            " JOIN loan_application a ON a.product_id = p.id WHERE a.id = loan_signing.application_id)")
    if postgres:
        op.execute("ALTER TABLE loan_signing DISABLE TRIGGER loan_signing_immutable")
        op.execute(fill)
        op.execute("ALTER TABLE loan_signing ENABLE TRIGGER loan_signing_immutable")
        op.alter_column('loan_signing', 'product_version', server_default=None)
    else:
        op.execute("DROP TRIGGER loan_signing_no_update")
        op.execute(fill)
        op.execute(SQLITE_SIGNING_NO_UPDATE)
    for statement in POSTGRES_UPGRADE if postgres else SQLITE_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRES_FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION {name}() CASCADE")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_column('loan_signing', 'product_version')
    op.drop_table('loan_product_version')


# --- Dialect-specific enforcement ---------------------------------------------------------------------

SQLITE_SIGNING_NO_UPDATE = """CREATE TRIGGER loan_signing_no_update BEFORE UPDATE ON loan_signing BEGIN
        SELECT RAISE(ABORT, 'teller: signings are never changed or deleted');
    END"""

# Each move of the lifecycle, as 'FROM>TO'.
MOVES = (
    "DRAFT>SUBMITTED", "RETURNED>SUBMITTED", "SUBMITTED>UNDER_REVIEW", "SUBMITTED>REJECTED", "SUBMITTED>RETURNED",
    "UNDER_REVIEW>APPROVED", "UNDER_REVIEW>REJECTED", "UNDER_REVIEW>RETURNED", "APPROVED>CONTRACT_SIGNED",
    "CONTRACT_SIGNED>DISBURSED", "CONTRACT_SIGNED>ACTIVE", "DISBURSED>ACTIVE", "DISBURSED>SETTLED",
    "DISBURSED>WRITTEN_OFF", "ACTIVE>SETTLED", "ACTIVE>WRITTEN_OFF",
)
MOVE_LIST = "(" + ", ".join(f"'{move}'" for move in MOVES) + ")"

BORN_DRAFT = "teller: a loan application starts as a DRAFT of round 0"
NO_SUCH_MOVE = "teller: a loan application moves only along its lifecycle"
ROUND_FIXED = ("teller: the review round and the approvals required change only with a submission,"
               " which opens the next round")
DECISION_FIRST = "teller: a rejection or return needs its decision recorded in the current round"
SIGNING_FIRST = "teller: an application is CONTRACT_SIGNED only with its signing recorded"
DISBURSEMENT_FIRST = "teller: a loan is disbursed only by an approved disbursement instruction"
SETTLING_FIRST = "teller: a loan is settled only by an approved payment that repays it"
DECISION_WAITING = ("teller: a decision is recorded only while the application waits for it, in its current round"
                    " (an approval only under review)")
CHECK_UNDER_REVIEW = "teller: a credit check is recorded only under review, in the current round"
CHECK_NOT_ORIGINATOR = "teller: the originator of a loan application never records its credit check"
SIGNED_CURRENT_VERSION = "teller: a signing freezes the current version of the product"
VERSION_MOVES_ON = "teller: a product definition changes only with a new, higher version"
VERSIONS_KEPT = "product versions are never changed or deleted"

# Conditions on a move (NEW and OLD are the application's rows), each with its refusal.
DECISION_MISSING = """NEW.state IN ('REJECTED', 'RETURNED') AND NOT EXISTS (
            SELECT 1 FROM loan_approval WHERE application_id = NEW.id AND review_round = NEW.review_round
               AND decision = NEW.state)"""
SIGNING_MISSING = """NEW.state = 'CONTRACT_SIGNED' AND NOT EXISTS (
            SELECT 1 FROM loan_signing WHERE application_id = NEW.id)"""
DISBURSEMENT_MISSING = """NEW.state IN ('DISBURSED', 'ACTIVE') AND NOT EXISTS (
            SELECT 1 FROM loan_disbursement d JOIN instruction i ON i.id = d.instruction_id
             WHERE d.application_id = NEW.id AND i.status = 'APPROVED')"""
SETTLING_MISSING = """NEW.state = 'SETTLED' AND NOT EXISTS (
            SELECT 1 FROM loan_payment p JOIN instruction i ON i.id = p.instruction_id
             WHERE p.application_id = NEW.id AND p.settles AND i.status = 'APPROVED')"""
MOVE_RECORDS = ((DECISION_MISSING, DECISION_FIRST), (SIGNING_MISSING, SIGNING_FIRST),
                (DISBURSEMENT_MISSING, DISBURSEMENT_FIRST), (SETTLING_MISSING, SETTLING_FIRST))


def _round_moved(distinct: str) -> str:
    """The round or the approvals changed other than by a submission opening the next round."""
    submission = "NEW.state = 'SUBMITTED' AND OLD.state IN ('DRAFT', 'RETURNED')"
    return (f"(({submission}) AND NEW.review_round {distinct} OLD.review_round + 1)"
            f" OR (NOT ({submission}) AND (NEW.review_round {distinct} OLD.review_round"
            f" OR NEW.required_approvals {distinct} OLD.required_approvals))")


DECISION_OUT_OF_TURN = """NOT EXISTS (
            SELECT 1 FROM loan_application a WHERE a.id = NEW.application_id AND a.review_round = NEW.review_round
               AND (a.state = 'UNDER_REVIEW' OR (a.state = 'SUBMITTED' AND NEW.decision <> 'APPROVED')))"""
CHECK_OUT_OF_TURN = """NOT EXISTS (
            SELECT 1 FROM loan_application a WHERE a.id = NEW.application_id AND a.review_round = NEW.review_round
               AND a.state = 'UNDER_REVIEW')"""
CHECK_BY_ORIGINATOR = "NEW.checked_by = (SELECT originator_id FROM loan_application WHERE id = NEW.application_id)"
SIGNING_OTHER_VERSION = """NEW.product_version IS NOT (
            SELECT p.version FROM loan_product p JOIN loan_application a ON a.product_id = p.id
             WHERE a.id = NEW.application_id)"""

def _lines(statements) -> str:
    return "\n        ".join(statements)


SQLITE_UPGRADE = [
    f"""CREATE TRIGGER loan_application_born_draft BEFORE INSERT ON loan_application
        WHEN NEW.state <> 'DRAFT' OR NEW.review_round <> 0 BEGIN
        SELECT RAISE(ABORT, '{BORN_DRAFT}');
    END""",
    f"""CREATE TRIGGER loan_application_lifecycle BEFORE UPDATE ON loan_application BEGIN
        SELECT RAISE(ABORT, '{NO_SUCH_MOVE}')
         WHERE NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN {MOVE_LIST};
        SELECT RAISE(ABORT, '{ROUND_FIXED}') WHERE {_round_moved('IS NOT')};
        {_lines(f"SELECT RAISE(ABORT, '{refusal}') WHERE NEW.state <> OLD.state AND {condition};"
                for condition, refusal in MOVE_RECORDS)}
    END""",
    f"""CREATE TRIGGER loan_approval_in_turn BEFORE INSERT ON loan_approval WHEN {DECISION_OUT_OF_TURN} BEGIN
        SELECT RAISE(ABORT, '{DECISION_WAITING}');
    END""",
    f"""CREATE TRIGGER credit_check_not_by_originator BEFORE INSERT ON credit_check WHEN {CHECK_BY_ORIGINATOR} BEGIN
        SELECT RAISE(ABORT, '{CHECK_NOT_ORIGINATOR}');
    END""",
    f"""CREATE TRIGGER credit_check_in_turn BEFORE INSERT ON credit_check WHEN {CHECK_OUT_OF_TURN} BEGIN
        SELECT RAISE(ABORT, '{CHECK_UNDER_REVIEW}');
    END""",
    f"""CREATE TRIGGER loan_signing_current_version BEFORE INSERT ON loan_signing WHEN {SIGNING_OTHER_VERSION} BEGIN
        SELECT RAISE(ABORT, '{SIGNED_CURRENT_VERSION}');
    END""",
    f"""CREATE TRIGGER loan_product_version_moves_on BEFORE UPDATE ON loan_product
        WHEN NEW.version < OLD.version OR (NEW.definition IS NOT OLD.definition AND NEW.version = OLD.version) BEGIN
        SELECT RAISE(ABORT, '{VERSION_MOVES_ON}');
    END""",
    """CREATE TRIGGER loan_product_version_on_insert AFTER INSERT ON loan_product BEGIN
        INSERT INTO loan_product_version (product_id, version, definition, recorded_at)
        VALUES (NEW.id, NEW.version, NEW.definition, NEW.updated_at);
    END""",
    """CREATE TRIGGER loan_product_version_on_update AFTER UPDATE ON loan_product
        WHEN NEW.version <> OLD.version BEGIN
        INSERT INTO loan_product_version (product_id, version, definition, recorded_at)
        VALUES (NEW.id, NEW.version, NEW.definition, NEW.updated_at);
    END""",
] + [
    f"""CREATE TRIGGER loan_product_version_no_{operation.lower()} BEFORE {operation} ON loan_product_version BEGIN
        SELECT RAISE(ABORT, 'teller: {VERSIONS_KEPT}');
    END"""
    for operation in ("UPDATE", "DELETE")
]
SQLITE_TRIGGER_NAMES = (
    "loan_application_born_draft", "loan_application_lifecycle", "loan_approval_in_turn", "credit_check_not_by_originator",
    "credit_check_in_turn", "loan_signing_current_version", "loan_product_version_moves_on",
    "loan_product_version_on_insert", "loan_product_version_on_update", "loan_product_version_no_update",
    "loan_product_version_no_delete",
)


def _raise_if(condition: str, refusal: str) -> str:
    return f"""IF {condition} THEN
            RAISE EXCEPTION '{refusal}';
        END IF;"""


POSTGRES_UPGRADE = [
    f"""CREATE FUNCTION teller_loan_application_lifecycle() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_raise_if("NEW.state <> 'DRAFT' OR NEW.review_round <> 0", BORN_DRAFT)}
            RETURN NEW;
        END IF;
        {_raise_if(f"NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN {MOVE_LIST}", NO_SUCH_MOVE)}
        {_raise_if(_round_moved('IS DISTINCT FROM'), ROUND_FIXED)}
        IF NEW.state <> OLD.state THEN
        {_lines(_raise_if(condition, refusal) for condition, refusal in MOVE_RECORDS)}
        END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION teller_loan_approval_in_turn() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_raise_if(DECISION_OUT_OF_TURN, DECISION_WAITING)}
        RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION teller_credit_check_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_raise_if(CHECK_BY_ORIGINATOR, CHECK_NOT_ORIGINATOR)}
        {_raise_if(CHECK_OUT_OF_TURN, CHECK_UNDER_REVIEW)}
        RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION teller_loan_signing_current_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_raise_if(SIGNING_OTHER_VERSION.replace("IS NOT", "IS DISTINCT FROM"), SIGNED_CURRENT_VERSION)}
        RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION teller_loan_product_versions() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_WHEN = 'BEFORE' THEN
            {_raise_if("NEW.version < OLD.version OR (NEW.definition IS DISTINCT FROM OLD.definition"
                       " AND NEW.version = OLD.version)", VERSION_MOVES_ON)}
        ELSIF TG_OP = 'INSERT' OR NEW.version <> OLD.version THEN
            INSERT INTO loan_product_version (product_id, version, definition, recorded_at)
            VALUES (NEW.id, NEW.version, NEW.definition, NEW.updated_at);
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER loan_application_lifecycle BEFORE INSERT OR UPDATE ON loan_application"
    " FOR EACH ROW EXECUTE FUNCTION teller_loan_application_lifecycle()",
    "CREATE TRIGGER loan_approval_in_turn BEFORE INSERT ON loan_approval"
    " FOR EACH ROW EXECUTE FUNCTION teller_loan_approval_in_turn()",
    "CREATE TRIGGER credit_check_before_insert BEFORE INSERT ON credit_check"
    " FOR EACH ROW EXECUTE FUNCTION teller_credit_check_before_insert()",
    "CREATE TRIGGER loan_signing_current_version BEFORE INSERT ON loan_signing"
    " FOR EACH ROW EXECUTE FUNCTION teller_loan_signing_current_version()",
    "CREATE TRIGGER loan_product_version_guard BEFORE UPDATE ON loan_product"
    " FOR EACH ROW EXECUTE FUNCTION teller_loan_product_versions()",
    "CREATE TRIGGER loan_product_versions_recorded AFTER INSERT OR UPDATE ON loan_product"
    " FOR EACH ROW EXECUTE FUNCTION teller_loan_product_versions()",
    "CREATE TRIGGER loan_product_version_immutable BEFORE UPDATE OR DELETE ON loan_product_version"
    f" FOR EACH ROW EXECUTE FUNCTION teller_refuse('{VERSIONS_KEPT}')",
    "CREATE TRIGGER loan_product_version_no_truncate BEFORE TRUNCATE ON loan_product_version"
    " FOR EACH STATEMENT EXECUTE FUNCTION teller_refuse('loan_product_version is never truncated')",
]
POSTGRES_FUNCTION_NAMES = (
    "teller_loan_application_lifecycle", "teller_loan_approval_in_turn", "teller_credit_check_before_insert",
    "teller_loan_signing_current_version", "teller_loan_product_versions",
)
