"""The ledger database: engine set-up for SQLite and PostgreSQL, and the unit of work.

SQLite runs in WAL mode with ``synchronous=FULL`` and foreign keys on; every write transaction starts
with ``BEGIN IMMEDIATE`` so that writers queue on the busy timeout instead of failing half-way.
PostgreSQL runs READ COMMITTED; the ledger locks the accounts a posting touches in id order. There each
statement reads its own snapshot whether or not it is in a transaction, so a read-only unit of work sends
its statements without BEGIN and COMMIT (two round trips fewer for every search and screen).
Either way a unit of work that meets a lock timeout, a deadlock or a serialization failure is run
again whole, in a fresh session, and so is one that finds its connection gone (a restarted server)
before it commits. A connection is not checked before each use; the unit of work that meets a dead one
runs again on a fresh one. A unit of work whose connection drops while it commits is not run again: it may
have been committed, and the teller is told the ledger cannot be reached; so are they, at once, when no
connection can be made at all (a connection timeout would only multiply).

A read-only unit of work cannot write: any statement on its connection but a SELECT (or WITH … SELECT) is
refused before it is sent.

A lookup (`run(..., lookup=True)`, a read) runs on PostgreSQL on connections of its own that plan each
statement once, for any values of its parameters (``plan_cache_mode=force_generic_plan``), and keep that
plan once the driver has prepared the statement (after five uses). Planning the customer search took longer
than running it; its plan (index ranges under a fixed LIMIT) is the same whatever was typed. Other reads keep
plans made for their values: a status or a date can change which plan is best.
"""

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from teller import audit, guard, keys
from teller.errors import ConfigError, LedgerError, LedgerGuardError
from teller.i18n import _

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 60_000
RETRY_ATTEMPTS = 8
# PostgreSQL SQLSTATEs worth a whole retry: serialization failure, deadlock, lock not available.
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}
TRIGGER_MESSAGE_PREFIX = "teller: "
# A lookup connection's setting on PostgreSQL: one plan per prepared statement, whatever its parameters.
GENERIC_PLANS = "-c plan_cache_mode=force_generic_plan"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        readonly = connection.get_execution_options().get("teller_readonly", False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _refuse_writes(_connection, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    """On a read-only unit of work's connection: anything but a read is a programming mistake."""
    if statement.split(None, 1)[0].upper() not in ("SELECT", "WITH", "BEGIN"):
        raise LedgerGuardError(f"a read-only unit of work cannot write: {statement[:80]}")


def trigger_message(error: DBAPIError) -> str | None:
    """The message a Teller trigger or function raised, if this error came from one."""
    text = str(error.orig)
    start = text.find(TRIGGER_MESSAGE_PREFIX)
    if start < 0:
        return None
    return text[start + len(TRIGGER_MESSAGE_PREFIX):].splitlines()[0].strip()


def _is_retryable(error: DBAPIError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return isinstance(error, OperationalError) and "database is locked" in str(error.orig)


class Database:
    """One ledger: its engine and secret key, sessions for writing and reading, and `run` for a unit of work."""

    def __init__(self, url: URL | str, *, secret_key: bytes, echo: bool = False) -> None:
        self.url = make_url(url)
        self.secret_key = secret_key
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = self.lookup_engine = create_engine(self.url, echo=echo)
            _configure_sqlite(self.engine)
            read_engine = lookup_engine = self.engine.execution_options(teller_readonly=True)
        else:
            connect_args = {"connect_timeout": 5}
            self.engine = create_engine(self.url, echo=echo, connect_args=connect_args)
            self.lookup_engine = create_engine(
                self.url, echo=echo, connect_args={**connect_args, "options": GENERIC_PLANS})
            read_engine, lookup_engine = (engine.execution_options(teller_readonly=True, isolation_level="AUTOCOMMIT")
                                          for engine in (self.engine, self.lookup_engine))
        for reads in {read_engine, lookup_engine}:  # on reads alone
            event.listen(reads, "before_cursor_execute", _refuse_writes)
        info = {"audit_key": keys.derive(secret_key, "audit")}
        self._write_sessions = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._read_sessions = sessionmaker(read_engine, expire_on_commit=False, info=info)
        self._lookup_sessions = sessionmaker(lookup_engine, expire_on_commit=False, info=info)
        for factory in (self._write_sessions, self._read_sessions, self._lookup_sessions):
            guard.install(factory)
            audit.install(factory)

    def run(self, work: Callable[[Session], T], *, readonly: bool = False, lookup: bool = False) -> T:
        """Run `work` in one transaction, committing on success; retried whole on lock conflicts. `readonly`
        work only reads; `lookup` work only reads, with statements planned once (see the module's notes)."""
        factory = self._lookup_sessions if lookup else self._read_sessions if readonly else self._write_sessions
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            session = factory()
            connected = committing = False
            try:
                with session.begin():
                    session.connection()  # from the pool, or a new one: nothing is sent yet
                    connected = True
                    result = work(session)
                    committing = True
                return result
            except DBAPIError as error:
                # No connection at all; a lock timeout on SQLite's BEGIN IMMEDIATE also comes before `connected`.
                unreached = not connected and isinstance(error, OperationalError) and not _is_retryable(error)
                lost_before_commit = error.connection_invalidated and not committing
                if (_is_retryable(error) or lost_before_commit) and attempt < RETRY_ATTEMPTS:
                    time.sleep(min(0.01 * 2**attempt, 0.5))
                    continue
                if message := trigger_message(error):
                    raise LedgerError(message) from error
                if unreached or error.connection_invalidated or isinstance(error.orig, ConnectionError):
                    raise ConfigError(_("cannot reach the ledger database: {error}").format(
                        error=error.orig)) from error
                raise
            finally:
                session.close()
        raise AssertionError("unreachable: the last attempt either returns or raises")

    def dispose(self) -> None:
        for engine in {self.engine, self.lookup_engine}:
            engine.dispose()
