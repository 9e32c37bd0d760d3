"""What every benchmark shares: the machine line, percentiles, opening a benchmark ledger, and the plan
PostgreSQL keeps for a lookup's statement."""

import os
import platform
import re
import sqlite3
import statistics
from pathlib import Path

from sqlalchemy.engine import URL, make_url


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
              if line.startswith("model name")] if cpuinfo.exists() else []
    cpu = models[0] if models else platform.processor() or "unknown CPU"
    return f"{os.cpu_count()} CPUs ({cpu}); Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}"


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    """The 95th percentile (the highest value when there are too few to interpolate)."""
    return statistics.quantiles(values, n=100)[94] if len(values) >= 2 else values[0]


def ledger_url(database: str) -> URL:
    """A ledger URL with the psycopg driver for PostgreSQL."""
    url = make_url(database)
    return url.set(drivername="postgresql+psycopg") if url.get_backend_name() == "postgresql" else url


def key_file_for(url: URL, given: Path | None = None) -> Path:
    """A benchmark ledger's key file: as given, else next to the SQLite file, else in the user's data."""
    if given:
        return given
    if url.get_backend_name() == "sqlite":
        return Path(url.database).with_suffix(".key")
    return Path.home() / ".local" / "share" / "teller-bench" / f"{url.database}.key"


def raw_url(url: URL) -> str:
    """The libpq connection string for psycopg."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def generic_plan(connection, statement: str, parameters: dict) -> list[str]:
    """The plan a lookup connection keeps for `statement` (`teller.db.GENERIC_PLANS`: one plan for any
    values of its parameters), as EXPLAIN lines. `connection` is a psycopg connection; `statement` has the
    pyformat placeholders SQLAlchemy sends. Prepared, explained by EXECUTE with `parameters`, deallocated."""
    from psycopg import sql

    names: list[str] = []

    def numbered(match: re.Match) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    prepared = sql.SQL(re.sub(r"%\((\w+)\)s", numbered, statement))
    values = sql.SQL(", ").join(sql.Literal(parameters[name]) for name in names)
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(sql.SQL("PREPARE teller_generic AS {}").format(prepared))
        try:
            cursor.execute(sql.SQL("EXPLAIN EXECUTE teller_generic ({})").format(values))
            return [row[0] for row in cursor.fetchall()]
        finally:
            cursor.execute("DEALLOCATE teller_generic")
            cursor.execute("RESET plan_cache_mode")
