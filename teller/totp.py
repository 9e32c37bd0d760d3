"""TOTP second factor: secrets encrypted at rest, codes checked within one step and used at most once."""

import base64
import hmac
import os
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from teller import keys
from teller.errors import ConfigError, InputError
from teller.i18n import _

ISSUER = "Teller"
DIGITS = 6
STEP_SECONDS = 30
WINDOW_STEPS = 1


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking a code: the time-step it matched, or why it did not."""

    step: int | None
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.step is not None and not self.replayed


def normalise_code(text: str) -> str:
    """Full-width digits and spaces allowed; anything but six digits is refused with the fix."""
    cleaned = "".join(unicodedata.normalize("NFKC", text or "").split())
    if not cleaned:
        raise InputError("code", _("type the {digits}-digit code your authenticator shows").format(digits=DIGITS))
    if not cleaned.isascii() or not cleaned.isdigit():
        raise InputError("code", _("the code is {digits} digits 0-9, nothing else").format(digits=DIGITS))
    if len(cleaned) != DIGITS:
        raise InputError("code", _("the code has {digits} digits (got {count})").format(
            digits=DIGITS, count=len(cleaned)))
    return cleaned


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _cipher(secret_key: bytes) -> AESGCM:
    return AESGCM(keys.derive(secret_key, "totp-secrets"))


def encrypt_secret(secret_key: bytes, username: str, secret: str) -> str:
    nonce = os.urandom(12)
    sealed = _cipher(secret_key).encrypt(nonce, secret.encode(), username.encode())
    return base64.b64encode(nonce + sealed).decode()


def decrypt_secret(secret_key: bytes, username: str, stored: str) -> str:
    raw = base64.b64decode(stored)
    try:
        return _cipher(secret_key).decrypt(raw[:12], raw[12:], username.encode()).decode()
    except InvalidTag as error:
        raise ConfigError(_("the TOTP secret of {username} cannot be decrypted with this ledger's key").format(
            username=username)) from error


def check_code(secret: str, code: str, moment: datetime, last_step: int | None) -> CodeCheck:
    """Match `code` against the steps around `moment`; a step at or before `last_step` is a replay."""
    generator = pyotp.TOTP(secret)
    current = generator.timecode(moment)
    for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1):
        if hmac.compare_digest(generator.generate_otp(step), code):
            return CodeCheck(step=step, replayed=last_step is not None and step <= last_step)
    return CodeCheck(step=None)


def code_at(secret: str, moment: datetime) -> str:
    """The code an authenticator shows at `moment` (demo ledgers and tests)."""
    return pyotp.TOTP(secret).at(moment)
