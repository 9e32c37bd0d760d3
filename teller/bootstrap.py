"""Opening a ledger: migrating it, giving a new one its identity, key and fixtures, and unlocking it."""

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

import fixtures
from models import ApprovalLimit, LedgerMeta
from teller import audit, clock, keys, loan_products, loans, migrate
from teller.actor import Actor
from teller.config import LedgerLocation
from teller.db import Database
from teller.errors import ConfigError
from teller.i18n import _


@dataclass(frozen=True)
class LedgerIdentity:
    ledger_uuid: str
    is_demo: bool
    key_fingerprint: str


def plain_engine(url: URL):
    if url.get_backend_name() == "sqlite":
        return create_engine(url)
    return create_engine(url, connect_args={"connect_timeout": 5})


def _unreachable(location: LedgerLocation, error: OperationalError) -> ConfigError:
    detail = str(error.orig).strip().splitlines()[0]
    return ConfigError(_("cannot open the ledger ({ledger}): {detail}").format(
        ledger=location.describe(), detail=detail))


def read_identity(url: URL) -> LedgerIdentity | None:
    engine = plain_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("ledger_meta"):
                return None
            row = connection.execute(select(LedgerMeta)).first()
    finally:
        engine.dispose()
    return None if row is None else LedgerIdentity(row.ledger_uuid, row.is_demo, row.key_fingerprint)


def upgrade(location: LedgerLocation, actor: Actor, *, demo: bool = False) -> tuple[Database, bool]:
    """Migrate to the newest schema; a new ledger gets its identity, key and policy. Returns (db, created)."""
    if location.is_sqlite:
        Path(location.url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = plain_engine(location.url)
    try:
        migrate.upgrade(engine)
    except OperationalError as error:
        raise _unreachable(location, error) from error
    finally:
        engine.dispose()
    identity = read_identity(location.url)
    if identity is not None:
        database = open_database(location)
        database.run(lambda session: _load_loan_fixtures(session, actor))
        return database, False
    ledger_uuid = str(uuid.uuid4())
    key = keys.create_key(ledger_uuid)
    database = Database(location.url, secret_key=key)

    def initialise(session) -> None:
        session.add(
            LedgerMeta(
                id=1,
                ledger_uuid=ledger_uuid,
                created_at=clock.now(),
                is_demo=demo,
                key_fingerprint=keys.fingerprint(key),
            )
        )
        for limit in fixtures.load("approval_policy.json")["limits"]:
            session.add(ApprovalLimit(**limit))
        audit.record(session, actor, "ledger.created", object_type="ledger", object_id=ledger_uuid, demo=demo)
        loans.load_products(session, actor, loan_products.fixture_definitions())

    database.run(initialise)
    return database, True


def _load_loan_fixtures(session: Session, actor: Actor) -> None:
    """A ledger created before loans came gets the loan-approval limits once, and any shipped loan product
    it lacks (by code); later changes to either go through four-eyes admin changes."""
    if session.execute(select(ApprovalLimit.id).where(ApprovalLimit.kind.like("loan%")).limit(1)).first() is None:
        for limit in fixtures.load("approval_policy.json")["limits"]:
            if limit["kind"].startswith("loan"):
                session.add(ApprovalLimit(**limit))
                audit.record(session, actor, "policy.loaded", object_type="approval_limit", **limit)
    loans.load_products(session, actor, loan_products.fixture_definitions())


def open_database(location: LedgerLocation) -> Database:
    """Open a migrated ledger with its key; refuse an old schema or the wrong key with a clear line."""
    engine = plain_engine(location.url)
    try:
        current, head = migrate.current_revision(engine), migrate.head_revision()
    except OperationalError as error:
        raise _unreachable(location, error) from error
    finally:
        engine.dispose()
    if not current:
        raise ConfigError(_("the ledger schema is at nothing, not {head}: run `teller db upgrade`").format(head=head))
    if current != head:
        raise ConfigError(_("the ledger schema is at {current}, not {head}: run `teller db upgrade`").format(
            current=current, head=head))
    identity = read_identity(location.url)
    if identity is None:
        raise ConfigError(_("the ledger has no identity row: run `teller db upgrade`"))
    key = keys.load_key(identity.ledger_uuid)
    if keys.fingerprint(key) != identity.key_fingerprint:
        raise ConfigError(
            _("the key found does not belong to ledger {ledger} (fingerprint {found}, ledger expects {expected})")
            .format(ledger=identity.ledger_uuid, found=keys.fingerprint(key), expected=identity.key_fingerprint)
        )
    database = Database(location.url, secret_key=key)
    return database
