"""Following changes to instructions from another terminal, so an approval queue updates by itself.

On PostgreSQL a trigger on `instruction` (migration 0004) sends a notice on `teller_instruction` for every
insert and update; `follow` LISTENs on a connection of its own and calls back for each notice. SQLite has no
notices: `follow` reads `PRAGMA data_version` on a connection of its own every `interval` seconds, which
changes whenever another connection (another terminal, or this process's own sessions) commits.

`follow` blocks until `should_stop()` is true (checked at least every `interval` seconds): run it in a
thread (the approval queue runs it in a thread worker).
"""

import json
import sqlite3
import time
from collections.abc import Callable

from teller.db import Database

CHANNEL = "teller_instruction"
DEFAULT_INTERVAL = 0.2


def follow(db: Database, on_change: Callable[[dict | None], None], should_stop: Callable[[], bool],
           *, interval: float = DEFAULT_INTERVAL) -> None:
    """Call `on_change` after every committed change: with the notice ({"id", "branch", "status"}) on
    PostgreSQL, with None on SQLite (which cannot say what changed)."""
    if db.is_sqlite:
        _poll_sqlite(db, on_change, should_stop, interval)
    else:
        _listen_postgres(db, on_change, should_stop, interval)


def _poll_sqlite(db: Database, on_change, should_stop, interval: float) -> None:
    connection = sqlite3.connect(db.url.database, timeout=interval)
    try:
        seen = connection.execute("PRAGMA data_version").fetchone()[0]
        while not should_stop():
            version = connection.execute("PRAGMA data_version").fetchone()[0]
            if version != seen:
                seen = version
                on_change(None)
            if should_stop():
                return
            time.sleep(interval)
    finally:
        connection.close()


def _listen_postgres(db: Database, on_change, should_stop, interval: float) -> None:
    pooled = db.engine.raw_connection()
    connection = pooled.driver_connection
    pooled.detach()  # ours alone until closed: it never goes back to the pool in LISTEN state
    try:
        connection.autocommit = True
        connection.execute(f"LISTEN {CHANNEL}")
        while not should_stop():
            for notice in connection.notifies(timeout=interval, stop_after=1):
                on_change(json.loads(notice.payload))
    finally:
        pooled.close()
