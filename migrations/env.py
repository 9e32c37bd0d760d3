"""Alembic environment: runs on the connection Teller hands over, or on the URL in the config."""

from alembic import context
from sqlalchemy import create_engine

from models import Base
from models.customer import OUTSIDE_METADATA

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connection)


# Tables that live on one dialect only and are made by the migrations alone (see 0001: the SQLite gate).
MIGRATION_ONLY_TABLES = ("ledger_gate",)


def include_name(name, type_, _parent_names) -> bool:
    """Leave out of comparisons the search objects that live on one dialect only (see models.customer):
    the FTS5 table with its shadow tables on SQLite, the pg_trgm index on PostgreSQL."""
    if type_ in ("table", "index") and name:
        return not name.startswith(OUTSIDE_METADATA + MIGRATION_ONLY_TABLES)
    return True


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Teller migrations run online only: use `teller db upgrade`.")
run_migrations_online()
