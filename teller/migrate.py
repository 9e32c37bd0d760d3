"""Running the packaged Alembic migrations against a Teller database.

Opening a ledger only compares its schema revision with the newest one this code was written for
(`migrations.HEAD`), without loading Alembic and every migration script: that check is on the path to the
workstation's first screen. Alembic itself is imported when a migration runs; a test holds `HEAD` to the
scripts' own head."""

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

import migrations

SCRIPT_LOCATION = str(Path(migrations.__file__).parent)
VERSION_TABLE = "alembic_version"


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def _with_connection(engine: Engine, action) -> None:
    config = alembic_config(engine)
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        action(config)
        connection.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    _with_connection(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    _with_connection(engine, lambda config: command.downgrade(config, revision))


def head_revision() -> str:
    """The newest schema revision of the packaged migrations."""
    return migrations.HEAD


def current_revision(engine: Engine) -> str | None:
    """The ledger's schema revision, or None for a database no migration has touched."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
