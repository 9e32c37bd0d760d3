"""Who is acting: the signed-in staff member (or the system) as recorded in instructions and audit rows."""

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
