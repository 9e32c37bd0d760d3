"""Errors a user or operator sees: each carries one clear line and, for input, the field it is about."""


class TellerError(Exception):
    """Base of every error Teller reports as a message rather than a traceback."""


class InputError(TellerError):
    """Bad input: names the field and says how to fix it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ConfigError(TellerError):
    """The ledger or its keys cannot be reached or are set up wrongly."""


class LedgerError(TellerError):
    """A movement of money the ledger refuses (balance, holds, status, idempotency)."""


class LedgerGuardError(LedgerError):
    """A programming mistake caught by the session guard before it reached the database."""


class ApprovalError(TellerError):
    """A second key that cannot be given: wrong checker, no authority, stale payload, expired."""


class AuthenticationError(TellerError):
    """A login or second-key credential was refused."""
