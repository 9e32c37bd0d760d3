"""Password hashing (argon2id) and the password rules a bank would accept."""

import os
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from teller.errors import InputError
from teller.i18n import _

MIN_LENGTH = 10
MAX_LENGTH = 128
# Tests and benchmarks may lower argon2's cost (still argon2id); production keeps the library defaults.
FAST_HASH_ENV = "TELLER_FAST_PASSWORD_HASH"


def _hasher() -> PasswordHasher:
    if os.environ.get(FAST_HASH_ENV) == "1":
        return PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    return PasswordHasher()


def check_rules(password: str, *, username: str) -> None:
    """Refuse a password that a bank's policy would refuse, saying which rule it breaks."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InputError("password", _("use {least} to {most} characters").format(least=MIN_LENGTH, most=MAX_LENGTH))
    if password != password.strip() or any(character in password for character in "\t\r\n"):
        raise InputError("password", _("leading or trailing spaces, tabs and line breaks are not allowed"))
    classes = sum(
        bool(re.search(pattern, password)) for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]")
    )
    if classes < 3:
        raise InputError("password", _("mix at least three of: lower case, upper case, digits, symbols"))
    if username and username.lower() in password.lower():
        raise InputError("password", _("the password must not contain the user name"))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
