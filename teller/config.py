"""Where the ledger is: `TELLER_DATABASE_URL`, else the config file, else an embedded SQLite file.

The config file is `teller.toml` in the platform's user config directory, e.g.::

    database_url = "postgresql+psycopg://teller@db.branch.local/teller"
    keyring_password = true   # take the PostgreSQL password from the OS keyring

A PostgreSQL password kept in the OS keyring is looked up under service ``teller`` and the URL's
``user@host/database`` as the user name.
"""

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from sqlalchemy.engine import URL, make_url

from teller.errors import ConfigError
from teller.i18n import N_, _

APP_NAME = "teller"
KEYRING_SERVICE = "teller"
DEFAULT_SOURCE = N_("default location")


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_sqlite_path() -> Path:
    return data_dir() / "ledger.sqlite3"


@dataclass(frozen=True)
class LedgerLocation:
    """The resolved database URL and where the setting came from."""

    url: URL
    source: str

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def describe(self) -> str:
        """One line that says which ledger is in use, without any password."""
        source = _(DEFAULT_SOURCE) if self.source == DEFAULT_SOURCE else self.source
        if self.is_sqlite:
            return _("Ledger: embedded SQLite file {path} (from {source})").format(
                path=self.url.database, source=source)
        shown = self.url._replace(password=None).render_as_string(hide_password=True)  # URL is a NamedTuple
        return _("Ledger: PostgreSQL {url} (from {source})").format(url=shown, source=source)


def _read_config_file() -> dict:
    path = config_dir() / "teller.toml"
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) | {"_path": str(path)}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(_("config file {path} is not valid TOML: {error}").format(path=path, error=error)) from error


def _normalise(raw: str) -> URL:
    try:
        url = make_url(raw)
    except Exception as error:  # SQLAlchemy raises ArgumentError with a long text
        raise ConfigError(_("TELLER_DATABASE_URL is not a database URL: {url!r}").format(url=raw)) from error
    backend = url.get_backend_name()
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ConfigError(_("an SQLite ledger must be a file: give a path, e.g. sqlite:///ledger.sqlite3"))
        return url
    raise ConfigError(_("unsupported database {backend!r}: use sqlite:///PATH or postgresql://...").format(
        backend=backend))


def _keyring_password(url: URL) -> URL:
    import keyring

    account = f"{url.username}@{url.host}/{url.database}"
    password = keyring.get_password(KEYRING_SERVICE, account)
    if password is None:
        raise ConfigError(_("no password in the OS keyring for service {service!r}, user {account!r}").format(
            service=KEYRING_SERVICE, account=account))
    return url.set(password=password)


def resolve_ledger() -> LedgerLocation:
    """Resolve the ledger in the documented order."""
    if raw := os.environ.get("TELLER_DATABASE_URL"):
        location = LedgerLocation(_normalise(raw), "TELLER_DATABASE_URL")
        use_keyring = os.environ.get("TELLER_DB_PASSWORD_FROM_KEYRING") == "1"
    elif (settings := _read_config_file()).get("database_url"):
        location = LedgerLocation(_normalise(settings["database_url"]), settings["_path"])
        use_keyring = bool(settings.get("keyring_password"))
    else:
        path = default_sqlite_path()
        location = LedgerLocation(make_url(f"sqlite:///{path}"), DEFAULT_SOURCE)
        use_keyring = False
    if use_keyring and not location.is_sqlite and location.url.password is None:
        location = LedgerLocation(_keyring_password(location.url), location.source)
    return location
