"""Which ledger Teller opens: the environment, then the config file, then the embedded default."""

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from teller import config
from teller.errors import ConfigError


@pytest.fixture
def user_dirs(tmp_path, monkeypatch):
    """Fresh user config and data directories, and no ledger named in the environment."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TELLER_DATABASE_URL", raising=False)
    monkeypatch.delenv("TELLER_DB_PASSWORD_FROM_KEYRING", raising=False)
    return tmp_path


def write_config(user_dirs, text: str) -> None:
    path = user_dirs / "config" / "teller" / "teller.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")


def test_nothing_set_means_an_embedded_file_in_the_user_data_directory(user_dirs):
    location = config.resolve_ledger()
    assert location.is_sqlite
    assert location.url.database == str(user_dirs / "data" / "teller" / "ledger.sqlite3")
    assert location.describe() == (
        f"Ledger: embedded SQLite file {user_dirs / 'data' / 'teller' / 'ledger.sqlite3'} (from default location)"
    )


def test_the_environment_wins_over_the_config_file(user_dirs, monkeypatch):
    write_config(user_dirs, 'database_url = "sqlite:////srv/from-file.sqlite3"\n')
    assert config.resolve_ledger().url.database == "/srv/from-file.sqlite3"
    monkeypatch.setenv("TELLER_DATABASE_URL", "postgresql://teller:secret@db.branch/teller")
    location = config.resolve_ledger()
    assert location.url.drivername == "postgresql+psycopg" and location.source == "TELLER_DATABASE_URL"
    assert "secret" not in location.describe()
    assert location.describe() == "Ledger: PostgreSQL postgresql+psycopg://teller@db.branch/teller (from TELLER_DATABASE_URL)"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://root@localhost/bank", "unsupported database"),
        ("sqlite://", "must be a file"),
        ("sqlite:///:memory:", "must be a file"),
    ],
)
def test_unusable_urls_are_refused_with_the_fix(user_dirs, monkeypatch, url, says):
    monkeypatch.setenv("TELLER_DATABASE_URL", url)
    with pytest.raises(ConfigError, match=says):
        config.resolve_ledger()


def test_a_broken_config_file_is_named(user_dirs):
    write_config(user_dirs, "database_url = \n")
    with pytest.raises(ConfigError, match="teller.toml is not valid TOML"):
        config.resolve_ledger()


def test_postgresql_password_from_the_os_keyring(user_dirs, monkeypatch):
    backend = PlaintextKeyring()
    monkeypatch.setattr(PlaintextKeyring, "file_path", str(user_dirs / "keyring.cfg"))
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        write_config(user_dirs, 'database_url = "postgresql://teller@db.branch/teller"\nkeyring_password = true\n')
        with pytest.raises(ConfigError, match="no password in the OS keyring"):
            config.resolve_ledger()
        backend.set_password("teller", "teller@db.branch/teller", "s3cret")
        location = config.resolve_ledger()
        assert location.url.password == "s3cret"
        assert "s3cret" not in location.describe()
    finally:
        keyring.set_keyring(previous)
