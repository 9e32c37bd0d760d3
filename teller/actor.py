"""Who is acting: the signed-in staff member (or the system) as recorded in instructions and audit rows."""

import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    staff_id: int | None
    username: str
    roles: tuple[str, ...]
    branch_id: int | None
    terminal: str

    @property
    def role_text(self) -> str:
        return ",".join(self.roles)


def system_actor(terminal: str) -> Actor:
    """The actor for set-up and maintenance commands run by an operator, not a signed-in user."""
    return Actor(staff_id=None, username="system", roles=("system",), branch_id=None, terminal=terminal)


def terminal_id() -> str:
    """This terminal's name in instructions and the audit log: `TELLER_TERMINAL`, else host and process."""
    return os.environ.get("TELLER_TERMINAL") or f"{socket.gethostname()}:{os.getpid()}"[:64]
