"""Staff users and their roles; the actor a signed-in user acts as."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, StaffRole, StaffUser
from models.organisation import ROLES
from teller import accounts, audit, clock, passwords
from teller.actor import Actor
from teller.errors import InputError

USERNAME_PATTERN = "3 to 32 lower-case letters, digits, dots, hyphens or underscores, starting with a letter"


@dataclass(frozen=True)
class StaffView:
    id: int
    username: str
    display_name: str
    branch_code: str
    roles: tuple[str, ...]
    active: bool
    totp_active: bool
    locked_until: object


def normalise_username(text: str) -> str:
    username = text.strip().lower()
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
    if not 3 <= len(username) <= 32 or not username[:1].isalpha() or not set(username) <= allowed:
        raise InputError("username", f"use {USERNAME_PATTERN}")
    return username


def check_roles(roles: tuple[str, ...]) -> tuple[str, ...]:
    if not roles:
        raise InputError("roles", "give at least one role")
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise InputError("roles", f"unknown role {unknown[0]!r}: use one of {', '.join(ROLES)}")
    return tuple(sorted(set(roles)))


def create_staff(
    session: Session, actor: Actor, *, username: str, display_name: str, branch_code: str,
    roles: tuple[str, ...], password: str,
) -> StaffUser:
    """Create a staff user (inside an approved admin change or the first set-up); tellers get a drawer."""
    username = normalise_username(username)
    roles = check_roles(roles)
    if not display_name.strip():
        raise InputError("display name", "give the person's name")
    passwords.check_rules(password, username=username)
    branch = session.execute(select(Branch).where(Branch.code == branch_code.strip().upper())).scalar_one_or_none()
    if branch is None:
        raise InputError("branch", f"branch {branch_code} does not exist")
    if session.execute(select(StaffUser.id).where(StaffUser.username == username)).scalar() is not None:
        raise InputError("username", f"{username} is already taken")
    now = clock.now()
    user = StaffUser(
        username=username, display_name=display_name.strip(), branch_id=branch.id,
        password_hash=passwords.hash_password(password), password_changed_at=now, totp_active=False,
        failed_attempts=0, active=True, created_at=now, roles=[StaffRole(role=role) for role in roles],
    )
    session.add(user)
    session.flush()
    if "teller" in roles:
        accounts.open_drawer_account(session, actor, branch, username)
    audit.record(session, actor, "staff.created", object_type="staff", object_id=user.id, username=username,
                 branch=branch.code, roles=list(roles))
    return user


def actor_for(user: StaffUser, terminal: str) -> Actor:
    return Actor(
        staff_id=user.id, username=user.username, roles=tuple(role.role for role in user.roles),
        branch_id=user.branch_id, terminal=terminal,
    )
