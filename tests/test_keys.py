"""The ledger key: key files for headless use, the OS keyring otherwise, and refusal of unsafe keyrings."""

import os
import stat

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from teller import keys
from teller.errors import ConfigError


@pytest.fixture
def plaintext_keyring(tmp_path, monkeypatch):
    """A real file-backed keyring in a temporary directory, with no key file named."""
    monkeypatch.delenv(keys.KEY_FILE_ENV, raising=False)
    backend = PlaintextKeyring()
    monkeypatch.setattr(PlaintextKeyring, "file_path", str(tmp_path / "keyring.cfg"))
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_key_file_is_created_private_and_reused(tmp_path, monkeypatch):
    path = tmp_path / "keys" / "ledger.key"
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(path))
    key = keys.create_key("ledger-a")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keys.load_key("ledger-a") == key == keys.create_key("ledger-b")


def test_bad_key_file_is_refused_with_the_fix(tmp_path, monkeypatch):
    path = tmp_path / "ledger.key"
    path.write_text("not hex")
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(path))
    with pytest.raises(ConfigError, match="64 hex characters"):
        keys.load_key("x")
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(tmp_path / "missing.key"))
    with pytest.raises(ConfigError, match="does not exist"):
        keys.load_key("x")


def test_insecure_keyring_is_refused_unless_accepted_explicitly(plaintext_keyring, monkeypatch):
    monkeypatch.delenv(keys.INSECURE_KEYRING_ENV, raising=False)
    with pytest.raises(ConfigError, match="cannot keep the ledger key safely"):
        keys.create_key("ledger-c")
    monkeypatch.setenv(keys.INSECURE_KEYRING_ENV, "1")
    key = keys.create_key("ledger-c")
    assert keys.load_key("ledger-c") == key
    assert plaintext_keyring.get_password("teller", "ledger:ledger-c") == key.hex()


def test_wrong_key_for_a_ledger_is_refused(location, tmp_path, monkeypatch):
    from teller import bootstrap

    other = tmp_path / "other.key"
    other.write_text("ab" * 32)
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(other))
    with pytest.raises(ConfigError, match="does not belong to ledger"):
        bootstrap.open_database(location)
