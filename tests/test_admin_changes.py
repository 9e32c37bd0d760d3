"""Four-eyes administration: staff, roles and policy change only when a second admin approves."""

import pytest
from sqlalchemy import select, text

from models import AdminChange, StaffUser
from teller import admin_changes, staff
from teller.actor import system_actor
from teller.errors import ApprovalError, InputError
from tests.helpers import PASSWORD


@pytest.fixture
def admin2(db, bank):
    user = db.run(lambda session: staff.create_staff(
        session, system_actor("tests"), username="admin2", display_name="Admin Two", branch_code=bank.branch_code,
        roles=("admin",), password=PASSWORD))
    return staff.actor_for(user, "t2")


def _user_exists(db, username):
    return db.run(lambda s: s.execute(select(StaffUser.id).where(StaffUser.username == username)).scalar() is not None)


def test_new_staff_waits_for_a_second_admin(db, bank, admin2):
    change = admin_changes.propose_staff(db, bank.admin, username="teller9", display_name="张伟",
                                         branch_code=bank.branch_code, roles=("teller",), password="Drawer#9012x")
    assert "password_hash" not in change.summary
    assert not _user_exists(db, "teller9")
    with pytest.raises(ApprovalError, match="different admin"):
        admin_changes.decide(db, change.id, bank.admin, approve=True)
    with pytest.raises(ApprovalError, match="not an admin"):
        admin_changes.decide(db, change.id, bank.supervisor, approve=True)
    applied = admin_changes.decide(db, change.id, admin2, approve=True)
    assert applied.status == "APPLIED" and _user_exists(db, "teller9")
    with pytest.raises(ApprovalError, match="already APPLIED"):
        admin_changes.decide(db, change.id, admin2, approve=True)


def test_rejected_change_is_not_applied(db, bank, admin2):
    change = admin_changes.propose_roles(db, bank.admin, "teller1", ("teller", "supervisor"))
    admin_changes.decide(db, change.id, admin2, approve=False, reason="not trained yet")
    assert [v.roles for v in staff.list_staff(db) if v.username == "teller1"] == [("teller",)]


def test_role_change_and_policy_change_apply_after_approval(db, bank, admin2):
    admin_changes.decide(db, admin_changes.propose_roles(db, bank.admin, "teller1", ("teller", "auditor")).id,
                         admin2, approve=True)
    assert [v.roles for v in staff.list_staff(db) if v.username == "teller1"] == [("auditor", "teller")]
    change = admin_changes.propose_limit(db, admin2, kind="*", role="supervisor", level=1, currency="CNY",
                                         single_limit=5_000_00, joint_limit=5_000_00)
    admin_changes.decide(db, change.id, bank.admin, approve=True)
    from teller import policy

    table = db.run(lambda s: policy.authorities(s, "transfer", "CNY"), readonly=True)
    assert table["supervisor"].single_limit == 5_000_00


def test_unlock_needs_a_second_admin(db, bank, admin2):
    staff.lock(db, bank.admin, "teller1", "left the counter unattended")
    assert [v.active for v in staff.list_staff(db) if v.username == "teller1"] == [False]
    change = admin_changes.propose_unlock(db, bank.admin, "teller1")
    assert [v.active for v in staff.list_staff(db) if v.username == "teller1"] == [False]
    admin_changes.decide(db, change.id, admin2, approve=True)
    assert [v.active for v in staff.list_staff(db) if v.username == "teller1"] == [True]


def test_proposals_are_validated_when_made(db, bank):
    with pytest.raises(InputError, match="already taken"):
        admin_changes.propose_staff(db, bank.admin, username="teller1", display_name="Dup",
                                    branch_code=bank.branch_code, roles=("teller",), password="Drawer#9012x")
    with pytest.raises(InputError, match="three of"):
        admin_changes.propose_staff(db, bank.admin, username="teller8", display_name="Weak",
                                    branch_code=bank.branch_code, roles=("teller",), password="aaaaaaaaaaaa")
    with pytest.raises(InputError, match="unknown role"):
        admin_changes.propose_roles(db, bank.admin, "teller1", ("root",))
    with pytest.raises(ApprovalError, match="not an admin"):
        admin_changes.propose_unlock(db, bank.supervisor, "teller1")


def test_database_refuses_a_change_decided_by_its_proposer(db, bank):
    change = admin_changes.propose_unlock(db, bank.admin, "teller1")
    with pytest.raises(Exception, match="four_eyes|CHECK constraint"):
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE admin_change SET status = 'APPLIED', decided_by = proposed_by WHERE id = :id"),
                               {"id": change.id})
    status = db.run(lambda s: s.get(AdminChange, change.id).status)
    assert status == "PENDING"
