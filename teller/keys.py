"""The ledger's secret key: kept in the OS keyring, or in a key file named explicitly for headless use.

One 32-byte key per ledger. From it are derived the audit chain's HMAC key and the key that encrypts
TOTP secrets at rest. Lookup order:

1. ``TELLER_KEY_FILE``: a file holding the key as 64 hex characters (created with mode 0600 when a
   new ledger is initialised and the file does not exist). For servers and CI without a desktop keyring.
2. The OS keyring, service ``teller``, user ``ledger:<ledger uuid>``. A keyring backend that cannot keep
   secrets safely (the "fail" and plaintext backends) is refused unless ``TELLER_ALLOW_INSECURE_KEYRING=1``.
"""

import hashlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from teller.config import KEYRING_SERVICE
from teller.errors import ConfigError
from teller.i18n import _

KEY_FILE_ENV = "TELLER_KEY_FILE"
INSECURE_KEYRING_ENV = "TELLER_ALLOW_INSECURE_KEYRING"
KEY_BYTES = 32
INSECURE_BACKENDS = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt.file.PlaintextKeyring")


def fingerprint(key: bytes) -> str:
    """A short public name for a key, stored in the ledger to detect the wrong key early."""
    return hashlib.sha256(b"teller-key-fingerprint:" + key).hexdigest()[:16]


def derive(key: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(key)


def _key_file() -> Path | None:
    value = os.environ.get(KEY_FILE_ENV)
    return Path(value).expanduser() if value else None


def _read_key_file(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except FileNotFoundError as error:
        raise ConfigError(_("{variable} names {path}, which does not exist").format(
            variable=KEY_FILE_ENV, path=path)) from error
    except (ValueError, UnicodeDecodeError) as error:
        raise ConfigError(_wrong_key_file(path)) from error
    if len(key) != KEY_BYTES:
        raise ConfigError(_wrong_key_file(path))
    return key


def _wrong_key_file(path: Path) -> str:
    return _("the key file {path} must hold {count} hex characters").format(path=path, count=KEY_BYTES * 2)


def _secure_keyring():
    import keyring

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    insecure = any(name.startswith(prefix) for prefix in INSECURE_BACKENDS) or backend.priority <= 0
    if insecure and os.environ.get(INSECURE_KEYRING_ENV) != "1":
        raise ConfigError(
            _("the OS keyring here ({backend}) cannot keep the ledger key safely. On a headless server set "
              "{key_file_variable} to a key file readable only by Teller, or set {insecure_variable}=1 to accept it.")
            .format(backend=name, key_file_variable=KEY_FILE_ENV, insecure_variable=INSECURE_KEYRING_ENV)
        )
    return keyring


def load_key(ledger_uuid: str) -> bytes:
    if path := _key_file():
        return _read_key_file(path)
    stored = _secure_keyring().get_password(KEYRING_SERVICE, f"ledger:{ledger_uuid}")
    if stored is None:
        raise ConfigError(
            _("no key for ledger {ledger} in the OS keyring: set {variable} to this ledger's key file").format(
                ledger=ledger_uuid, variable=KEY_FILE_ENV)
        )
    return bytes.fromhex(stored)


def create_key(ledger_uuid: str) -> bytes:
    """A key for a new ledger: the existing key file's, a new key file, or a new keyring entry."""
    if path := _key_file():
        if path.exists():
            return _read_key_file(path)
        key = secrets.token_bytes(KEY_BYTES)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
        return key
    key = secrets.token_bytes(KEY_BYTES)
    _secure_keyring().set_password(KEYRING_SERVICE, f"ledger:{ledger_uuid}", key.hex())
    return key
