"""What every benchmark shares: the machine line, percentiles, and opening a benchmark ledger."""

import os
import platform
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
