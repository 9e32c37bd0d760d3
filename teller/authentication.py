"""Signing in and second keys: username, password and a fresh TOTP code, with lockout.

Every attempt is audited. Five failures in a row (password or code) lock the user for fifteen minutes
(`TELLER_LOCKOUT_ATTEMPTS`, `TELLER_LOCKOUT_MINUTES`). A failed attempt is committed before the error
is raised, so a locked-out user stays locked out.
"""

import os
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import StaffUser
from teller import audit, clock, passwords, staff, totp
from teller.actor import Actor, system_actor
from teller.db import Database
from teller.errors import AuthenticationError, InputError
from teller.i18n import N_, _

GENERIC_REFUSAL = N_("wrong user name, password or code")


def lockout_attempts() -> int:
    return int(os.environ.get("TELLER_LOCKOUT_ATTEMPTS", "5"))


def lockout_period() -> timedelta:
    return timedelta(minutes=int(os.environ.get("TELLER_LOCKOUT_MINUTES", "15")))


@dataclass(frozen=True)
class _Outcome:
    actor: Actor | None
    refusal: str | None


def _clean_credentials(username: str, password: str, code: str) -> tuple[str, str, str]:
    try:
        name = staff.normalise_username(username)
    except InputError as error:
        raise InputError("username", error.message) from error
    if not password:
        raise InputError("password", _("type your password"))
    if len(password) > passwords.MAX_LENGTH:
        raise InputError("password", _("a password has at most {most} characters").format(most=passwords.MAX_LENGTH))
    return name, password, totp.normalise_code(code)


def _fail(session: Session, user: StaffUser, actor: Actor, purpose: str, why: str,
          shown: str = GENERIC_REFUSAL) -> _Outcome:
    """Count a failed attempt, locking the user after too many; `shown` is the refusal (marked, untranslated)."""
    user.failed_attempts += 1
    audit.record(session, actor, f"{purpose}.failed", object_type="staff", object_id=user.id, reason=why,
                 failed_attempts=user.failed_attempts)
    if user.failed_attempts >= lockout_attempts():
        user.locked_until = clock.now() + lockout_period()
        user.failed_attempts = 0
        audit.record(session, actor, "staff.locked_out", object_type="staff", object_id=user.id,
                     until=user.locked_until.isoformat())
        return _Outcome(None, _("too many failed attempts: {username} is locked until {time}").format(
            username=user.username, time=clock.in_branch_time(user.locked_until).strftime("%H:%M")))
    return _Outcome(None, _(shown))


def authenticate(db: Database, username: str, password: str, code: str, terminal: str,
                 *, purpose: str = "login") -> Actor:
    """Check all three credentials and return the actor, or raise with a message fit to show."""
    name, password, code = _clean_credentials(username, password, code)

    def work(session: Session) -> _Outcome:
        anonymous = system_actor(terminal)
        user = session.execute(
            select(StaffUser).where(StaffUser.username == name).with_for_update()
        ).scalar_one_or_none()
        if user is None or not user.active:
            audit.record(session, anonymous, f"{purpose}.failed", object_type="staff", object_id=name,
                         reason="unknown or inactive user")
            return _Outcome(None, _(GENERIC_REFUSAL))
        actor = staff.actor_for(user, terminal)
        now = clock.now()
        if user.locked_until is not None and clock.as_utc(user.locked_until) > now:
            audit.record(session, actor, f"{purpose}.refused_locked", object_type="staff", object_id=user.id)
            return _Outcome(None, _("{username} is locked until {time}").format(
                username=user.username, time=clock.in_branch_time(user.locked_until).strftime("%H:%M")))
        if not passwords.verify_password(user.password_hash, password):
            return _fail(session, user, actor, purpose, "wrong password")
        if not user.totp_active or user.totp_secret_encrypted is None:
            audit.record(session, actor, f"{purpose}.failed", object_type="staff", object_id=user.id,
                         reason="no TOTP enrolled")
            return _Outcome(None, _("{username} has no authenticator enrolled: ask an admin to enrol one").format(
                username=user.username))
        secret = totp.decrypt_secret(db.secret_key, user.username, user.totp_secret_encrypted)
        check = totp.check_code(secret, code, now, user.totp_last_step)
        if check.replayed:
            return _fail(session, user, actor, purpose, "code already used",
                         N_("that code was already used: wait for the next code"))
        if not check.ok:
            return _fail(session, user, actor, purpose, "wrong code")
        user.totp_last_step = check.step
        user.failed_attempts = 0
        user.locked_until = None
        audit.record(session, actor, f"{purpose}.succeeded", object_type="staff", object_id=user.id)
        return _Outcome(actor, None)

    outcome = db.run(work)
    if outcome.actor is None:
        raise AuthenticationError(outcome.refusal)
    return outcome.actor
