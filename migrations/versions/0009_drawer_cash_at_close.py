"""drawer cash at close: the business day never closes while a drawer account holds cash

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 16:50:00.000000

Cash on a drawer account (GL 1002) with no OPEN drawer session is cash nobody counted at a close and nobody
would count the next day (a correction once put cash into a closed drawer this way). The branch's day_open
stays true while such cash, or a hold on it, exists (a trigger on SQLite, a plpgsql function on PostgreSQL);
an open drawer keeps the day open under migration 0003. The fix is the teller's: open that drawer, count it
and close it, which returns the cash to the vault.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRAY_CASH = ("teller: a drawer of the branch holds cash outside an open drawer session: its teller opens, counts "
              "and closes it before the day closes")
DRAWER_CASH = ("EXISTS (SELECT 1 FROM account a WHERE a.branch_id = NEW.id AND a.gl_code = '1002'"
               " AND (a.balance <> 0 OR a.held <> 0)"
               " AND NOT EXISTS (SELECT 1 FROM drawer_session s WHERE s.account_id = a.id AND s.status = 'OPEN'))")

SQLITE_UPGRADE = [
    f"""CREATE TRIGGER branch_closes_without_drawer_cash BEFORE UPDATE OF day_open ON branch
        WHEN OLD.day_open AND NOT NEW.day_open BEGIN
        SELECT RAISE(ABORT, '{STRAY_CASH}') WHERE {DRAWER_CASH};
    END""",
]
SQLITE_DOWNGRADE = ["DROP TRIGGER branch_closes_without_drawer_cash"]

POSTGRES_UPGRADE = [
    f"""CREATE FUNCTION teller_branch_closes_without_drawer_cash() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF {DRAWER_CASH} THEN
            RAISE EXCEPTION '{STRAY_CASH}';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER branch_closes_without_drawer_cash BEFORE UPDATE OF day_open ON branch FOR EACH ROW"
    " WHEN (OLD.day_open AND NOT NEW.day_open) EXECUTE FUNCTION teller_branch_closes_without_drawer_cash()",
]
POSTGRES_DOWNGRADE = ["DROP FUNCTION teller_branch_closes_without_drawer_cash() CASCADE"]


def upgrade() -> None:
    statements = POSTGRES_UPGRADE if op.get_bind().dialect.name == 'postgresql' else SQLITE_UPGRADE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = POSTGRES_DOWNGRADE if op.get_bind().dialect.name == 'postgresql' else SQLITE_DOWNGRADE
    for statement in statements:
        op.execute(statement)
