"""Signing in and second keys: password, TOTP with replay protection, lockout, and clear input errors."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from models import AuditEvent, StaffUser
from teller import authentication, clock, instructions, totp
from teller.errors import AuthenticationError, InputError
from teller.ledger import Leg
from tests.helpers import PASSWORD, deposit, enrol, submit


@pytest.fixture
def secret(db, bank, monkeypatch):
    """super1 enrolled five minutes ago, so the codes around now are all unused."""
    enrolled_at = clock.now() - timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: enrolled_at)
    enrolled = enrol(db, "super1")
    monkeypatch.undo()
    return enrolled


def _code(secret, moment=None):
    return totp.code_at(secret, moment or clock.now())


def _later(monkeypatch, delta: timedelta):
    shifted = clock.now() + delta
    monkeypatch.setattr(clock, "now", lambda: shifted)
    return shifted


def test_good_credentials_sign_in_and_are_audited(db, bank, secret):
    actor = authentication.authenticate(db, "super1", PASSWORD, _code(secret), "t1")
    assert actor.username == "super1" and actor.roles == ("supervisor",)
    actions = db.run(lambda s: s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1)).all())
    assert actions == ["login.succeeded"]


def test_bad_password_and_bad_code_are_refused_alike(db, bank, secret):
    with pytest.raises(AuthenticationError, match="wrong user name, password or code"):
        authentication.authenticate(db, "super1", "Wrong#Pass2026", _code(secret), "t1")
    wrong = f"{(int(_code(secret)) + 1) % 1_000_000:06d}"
    with pytest.raises(AuthenticationError, match="wrong user name, password or code"):
        authentication.authenticate(db, "super1", PASSWORD, wrong, "t1")
    with pytest.raises(AuthenticationError, match="wrong user name, password or code"):
        authentication.authenticate(db, "nobody", PASSWORD, _code(secret), "t1")


def test_a_code_is_accepted_once(db, bank, secret):
    code = _code(secret)
    authentication.authenticate(db, "super1", PASSWORD, code, "t1")
    with pytest.raises(AuthenticationError, match="already used"):
        authentication.authenticate(db, "super1", PASSWORD, code, "t1")


def test_codes_one_step_either_side_are_accepted_and_older_ones_not(db, bank, secret):
    now = clock.now()
    with pytest.raises(AuthenticationError, match="wrong user name"):
        authentication.authenticate(db, "super1", PASSWORD, _code(secret, now - timedelta(seconds=90)), "t1")
    authentication.authenticate(db, "super1", PASSWORD, _code(secret, now - timedelta(seconds=30)), "t1")
    authentication.authenticate(db, "super1", PASSWORD, _code(secret, now + timedelta(seconds=30)), "t1")
    with pytest.raises(AuthenticationError, match="already used"):  # older than the last accepted step
        authentication.authenticate(db, "super1", PASSWORD, _code(secret, now), "t1")


def test_lockout_after_five_failures_and_release_after_the_period(db, bank, secret, monkeypatch):
    for _ in range(4):
        with pytest.raises(AuthenticationError, match="wrong user name"):
            authentication.authenticate(db, "super1", "Wrong#Pass2026", "000000", "t1")
    with pytest.raises(AuthenticationError, match="locked until"):
        authentication.authenticate(db, "super1", "Wrong#Pass2026", "000000", "t1")
    with pytest.raises(AuthenticationError, match="locked until"):  # even the right credentials
        authentication.authenticate(db, "super1", PASSWORD, _code(secret), "t1")
    _later(monkeypatch, timedelta(minutes=14))
    with pytest.raises(AuthenticationError, match="locked until"):
        authentication.authenticate(db, "super1", PASSWORD, _code(secret, clock.now()), "t1")
    _later(monkeypatch, timedelta(minutes=2))
    actor = authentication.authenticate(db, "super1", PASSWORD, _code(secret, clock.now()), "t1")
    assert actor.username == "super1"
    actions = db.run(lambda s: s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all())
    assert actions.count("staff.locked_out") == 1


def test_failed_codes_count_toward_lockout(db, bank, secret):
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            authentication.authenticate(db, "super1", PASSWORD, "000000" if _code(secret) != "000000" else "111111", "t1")
    locked = db.run(lambda s: s.execute(select(StaffUser.locked_until).where(StaffUser.username == "super1")).scalar())
    assert locked is not None


def test_totp_secret_is_encrypted_at_rest(db, bank, secret):
    stored = db.run(lambda s: s.execute(
        select(StaffUser.totp_secret_encrypted).where(StaffUser.username == "super1")).scalar())
    assert secret not in stored and secret.lower() not in stored.lower()
    assert totp.decrypt_secret(db.secret_key, "super1", stored) == secret


def test_user_without_authenticator_cannot_sign_in(db, bank):
    with pytest.raises(AuthenticationError, match="no authenticator enrolled"):
        authentication.authenticate(db, "super2", PASSWORD, "123456", "t1")


def test_enrolment_needs_a_matching_first_code(db, bank):
    from teller import staff
    from teller.actor import system_actor

    secret, uri = staff.begin_totp_enrolment(db, system_actor("t"), "super2")
    assert uri.startswith("otpauth://totp/") and "super2" in uri
    with pytest.raises(InputError, match="does not match"):
        staff.confirm_totp_enrolment(db, system_actor("t"), "super2", "999999" if _code(secret) != "999999" else "111111")
    staff.confirm_totp_enrolment(db, system_actor("t"), "super2", _code(secret))


@pytest.mark.parametrize(
    ("username", "password", "code", "field", "says"),
    [
        ("", PASSWORD, "123456", "username", "3 to 32"),
        ("ab", PASSWORD, "123456", "username", "3 to 32"),
        ("x" * 40, PASSWORD, "123456", "username", "3 to 32"),
        ("super1; DROP TABLE staff_user", PASSWORD, "123456", "username", "3 to 32"),
        ("super1", "", "123456", "password", "type your password"),
        ("super1", "p" * 500, "123456", "password", "at most"),
        ("super1", PASSWORD, "", "code", "6-digit code"),
        ("super1", PASSWORD, "12345", "code", "has 6 digits"),
        ("super1", PASSWORD, "1234567", "code", "has 6 digits"),
        ("super1", PASSWORD, "12a456", "code", "digits 0-9"),
        ("super1", PASSWORD, "١٢٣٤٥٦", "code", "digits 0-9"),
        ("super1", PASSWORD, "code: 123456\n", "code", "digits 0-9"),
    ],
)
def test_bad_input_gets_a_clear_message(db, bank, username, password, code, field, says):
    with pytest.raises(InputError) as refused:
        authentication.authenticate(db, username, password, code, "t1")
    assert refused.value.field == field and says in refused.value.message


def test_full_width_digits_and_spaces_in_a_code_are_accepted(db, bank, secret):
    code = _code(secret)
    full_width = " ".join(chr(ord(digit) + 0xFEE0) for digit in code)
    assert authentication.authenticate(db, " SUPER1 ", PASSWORD, full_width, "t1").username == "super1"


def test_second_key_with_credentials_posts(db, bank, secret):
    deposit(db, bank, bank.alice, 100_00)
    made = submit(db, bank, [Leg(bank.alice, debit=30_00), Leg(bank.bob, credit=30_00)])
    approved = instructions.approve_with_second_key(db, made.id, "super1", PASSWORD, _code(secret), "t1")
    assert approved.status == "APPROVED" and approved.entry_id


def test_second_key_with_a_wrong_code_does_not_post(db, bank, secret):
    deposit(db, bank, bank.alice, 100_00)
    made = submit(db, bank, [Leg(bank.alice, debit=30_00), Leg(bank.bob, credit=30_00)])
    with pytest.raises(AuthenticationError):
        instructions.approve_with_second_key(db, made.id, "super1", PASSWORD, "000000" if _code(secret) != "000000" else "111111", "t1")
    assert instructions.get(db, made.id).status == "PENDING"


def test_database_refuses_an_approved_instruction_checked_by_its_maker(db, bank):
    deposit(db, bank, bank.alice, 100_00)
    made = submit(db, bank, [Leg(bank.alice, debit=30_00), Leg(bank.bob, credit=30_00)])
    with pytest.raises(Exception, match="checker_not_maker|approved_has_checkers|CHECK constraint"):
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE instruction SET status = 'APPROVED', checker_id = maker_id WHERE id = :id"),
                               {"id": made.id})
