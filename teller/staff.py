"""Staff users and their roles; the actor a signed-in user acts as."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, StaffRole, StaffUser
from models.organisation import ROLES
from teller import accounts, audit, clock, passwords, totp
from teller.actor import Actor
from teller.errors import InputError
from teller.i18n import _


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
        raise InputError("username", _(
            "use 3 to 32 lower-case letters, digits, dots, hyphens or underscores, starting with a letter"))
    return username


def check_roles(roles: tuple[str, ...]) -> tuple[str, ...]:
    if not roles:
        raise InputError("roles", _("give at least one role"))
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise InputError("roles", _("unknown role {role!r}: use one of {roles}").format(
            role=unknown[0], roles=", ".join(ROLES)))
    return tuple(sorted(set(roles)))


def create_staff(
    session: Session, actor: Actor, *, username: str, display_name: str, branch_code: str,
    roles: tuple[str, ...], password: str,
) -> StaffUser:
    """Create a staff user from a clear password (first set-up and demo ledgers)."""
    passwords.check_rules(password, username=normalise_username(username))
    return create_staff_with_hash(
        session, actor, username=username, display_name=display_name, branch_code=branch_code, roles=roles,
        password_hash=passwords.hash_password(password),
    )


def create_staff_with_hash(
    session: Session, actor: Actor, *, username: str, display_name: str, branch_code: str,
    roles: tuple[str, ...], password_hash: str,
) -> StaffUser:
    """Create a staff user (inside an approved admin change or the first set-up); tellers get a drawer."""
    username = normalise_username(username)
    roles = check_roles(roles)
    if not display_name.strip():
        raise InputError("display name", _("give the person's name"))
    branch = session.execute(select(Branch).where(Branch.code == branch_code.strip().upper())).scalar_one_or_none()
    if branch is None:
        raise InputError("branch", _("branch {code} does not exist").format(code=branch_code))
    if session.execute(select(StaffUser.id).where(StaffUser.username == username)).scalar() is not None:
        raise InputError("username", _("{username} is already taken").format(username=username))
    now = clock.now()
    user = StaffUser(
        username=username, display_name=display_name.strip(), branch_id=branch.id, password_hash=password_hash,
        password_changed_at=now, totp_active=False, failed_attempts=0, active=True, created_at=now,
        roles=[StaffRole(role=role) for role in roles],
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


def _user(session: Session, username: str, *, lock: bool = False) -> StaffUser:
    query = select(StaffUser).where(StaffUser.username == normalise_username(username))
    user = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if user is None:
        raise InputError("username", _("no staff user {username!r}").format(username=username.strip()))
    return user


def begin_totp_enrolment(db, actor: Actor, username: str) -> tuple[str, str]:
    """Give the user a new TOTP secret (inactive until a first code confirms it): (secret, otpauth URI)."""
    secret = totp.new_secret()

    def work(session: Session) -> str:
        user = _user(session, username, lock=True)
        user.totp_secret_encrypted = totp.encrypt_secret(db.secret_key, user.username, secret)
        user.totp_active = False
        user.totp_last_step = None
        audit.record(session, actor, "staff.totp_enrolment_started", object_type="staff", object_id=user.id)
        return user.username

    name = db.run(work)
    return secret, totp.provisioning_uri(secret, name)


def confirm_totp_enrolment(db, actor: Actor, username: str, code: str) -> None:
    """Activate the pending secret once the user's authenticator shows a matching code."""
    code = totp.normalise_code(code)

    def work(session: Session) -> bool:
        user = _user(session, username, lock=True)
        if user.totp_secret_encrypted is None or user.totp_active:
            raise InputError("code", _("{username} has no enrolment waiting: start one first").format(
                username=user.username))
        secret = totp.decrypt_secret(db.secret_key, user.username, user.totp_secret_encrypted)
        check = totp.check_code(secret, code, clock.now(), None)
        if not check.ok:
            audit.record(session, actor, "staff.totp_enrolment_failed", object_type="staff", object_id=user.id)
            return False
        user.totp_active = True
        user.totp_last_step = check.step
        audit.record(session, actor, "staff.totp_enrolled", object_type="staff", object_id=user.id)
        return True

    if not db.run(work):
        raise InputError("code", _(
            "that code does not match the new secret: check the authenticator's clock and try again"))


def lock(db, actor: Actor, username: str, reason: str) -> None:
    """Lock a user at once (a protective step any admin may take; unlocking needs a second admin)."""
    if "admin" not in actor.roles:
        raise InputError("actor", _("only an admin may lock a user"))

    def work(session: Session) -> None:
        user = _user(session, username, lock=True)
        user.active = False
        audit.record(session, actor, "staff.locked", object_type="staff", object_id=user.id, reason=reason)

    db.run(work)


def list_staff(db) -> list[StaffView]:
    def work(session: Session) -> list[StaffView]:
        rows = session.execute(
            select(StaffUser, Branch.code).join(Branch, Branch.id == StaffUser.branch_id).order_by(StaffUser.username)
        ).all()
        return [
            StaffView(user.id, user.username, user.display_name, code, tuple(role.role for role in user.roles),
                      user.active, user.totp_active, user.locked_until)
            for user, code in rows
        ]

    return db.run(work, readonly=True)


@dataclass(frozen=True)
class SessionInfo:
    """What the workstation shows of a signed-in user at all times."""

    actor: Actor
    display_name: str
    branch_code: str
    branch_name: str
    business_date: date


def session_info(db, actor: Actor) -> SessionInfo:
    def work(session: Session) -> SessionInfo:
        user, branch = session.execute(
            select(StaffUser, Branch).join(Branch, Branch.id == StaffUser.branch_id).where(StaffUser.id == actor.staff_id)
        ).one()
        return SessionInfo(actor, user.display_name, branch.code, branch.name, branch.business_date)

    return db.run(work, readonly=True)
