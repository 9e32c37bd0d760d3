"""Four-eyes administration: changes to staff, roles, the policy table and loan products are proposed by
one admin and applied only when a different admin approves. The database refuses a decision by the proposer."""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import AdminChange, ApprovalLimit, Branch, LoanProduct, StaffRole, StaffUser
from teller import audit, clock, loan_products, passwords, staff
from teller.actor import Actor
from teller.db import Database
from teller.errors import ApprovalError, InputError, status_name
from teller.i18n import _

KINDS = ("staff.add", "staff.roles", "staff.unlock", "policy.limit", "loan.product")


@dataclass(frozen=True)
class AdminChangeView:
    id: int
    kind: str
    summary: dict
    status: str
    proposed_by: int
    proposed_at: datetime
    decided_by: int | None
    reason: str | None


def _view(change: AdminChange) -> AdminChangeView:
    summary = {key: value for key, value in json.loads(change.payload).items() if key != "password_hash"}
    return AdminChangeView(change.id, change.kind, summary, change.status, change.proposed_by,
                           clock.as_utc(change.proposed_at), change.decided_by, change.reason)


def _require_admin(actor: Actor) -> None:
    if "admin" not in actor.roles or actor.staff_id is None:
        raise ApprovalError(_("{username} is not an admin: only admins change staff, roles and policy").format(
            username=actor.username))


def propose_staff(db: Database, admin: Actor, *, username: str, display_name: str, branch_code: str,
                  roles: tuple[str, ...], password: str) -> AdminChangeView:
    """Propose a new staff user; the password is checked and hashed now, never stored in clear."""
    username = staff.normalise_username(username)
    passwords.check_rules(password, username=username)
    payload = {"username": username, "display_name": display_name.strip(), "branch": branch_code.strip().upper(),
               "roles": list(staff.check_roles(roles)), "password_hash": passwords.hash_password(password)}
    if not payload["display_name"]:
        raise InputError("display name", _("give the person's name"))
    return _propose(db, admin, "staff.add", payload)


def propose_roles(db: Database, admin: Actor, username: str, roles: tuple[str, ...]) -> AdminChangeView:
    return _propose(db, admin, "staff.roles",
                    {"username": staff.normalise_username(username), "roles": list(staff.check_roles(roles))})


def propose_unlock(db: Database, admin: Actor, username: str) -> AdminChangeView:
    return _propose(db, admin, "staff.unlock", {"username": staff.normalise_username(username)})


def propose_limit(db: Database, admin: Actor, *, kind: str, role: str, level: int, currency: str,
                  single_limit: int, joint_limit: int) -> AdminChangeView:
    if single_limit < 0 or joint_limit < single_limit or level < 1:
        raise InputError("limits", _("levels start at 1, and 0 <= single limit <= joint limit"))
    staff.check_roles((role,))
    return _propose(db, admin, "policy.limit", {"kind": kind, "role": role, "level": level, "currency": currency,
                                                "single_limit": single_limit, "joint_limit": joint_limit})


def propose_product(db: Database, admin: Actor, definition: dict, *, active: bool = True) -> AdminChangeView:
    """Propose a new loan product or a changed definition of one (see fixtures/loan_products.json), or
    withdraw one (`active=False`: existing applications keep it). Checked in full before it is proposed."""
    product = loan_products.parse_product(definition)
    return _propose(db, admin, "loan.product", {"code": product.code, "definition": definition, "active": active})


def _propose(db: Database, admin: Actor, kind: str, payload: dict) -> AdminChangeView:
    _require_admin(admin)

    def work(session: Session) -> AdminChangeView:
        _validate(session, kind, payload)
        change = AdminChange(kind=kind, payload=json.dumps(payload, sort_keys=True, ensure_ascii=False),
                             status="PENDING", proposed_by=admin.staff_id, proposed_at=clock.now())
        session.add(change)
        session.flush()
        view = _view(change)
        audit.record(session, admin, "admin_change.proposed", object_type="admin_change", object_id=change.id,
                     kind=kind, after=view.summary)
        return view

    return db.run(work)


def _validate(session: Session, kind: str, payload: dict) -> None:
    if kind == "staff.add":
        if session.execute(select(StaffUser.id).where(StaffUser.username == payload["username"])).scalar():
            raise InputError("username", _("{username} is already taken").format(username=payload["username"]))
        if not session.execute(select(Branch.id).where(Branch.code == payload["branch"])).scalar():
            raise InputError("branch", _("branch {code} does not exist").format(code=payload["branch"]))
    elif kind == "loan.product":
        loan_products.parse_product(payload["definition"])
    elif kind in ("staff.roles", "staff.unlock"):
        if not session.execute(select(StaffUser.id).where(StaffUser.username == payload["username"])).scalar():
            raise InputError("username", _("no staff user {username!r}").format(username=payload["username"]))


def _apply(session: Session, admin: Actor, change: AdminChange) -> dict:
    """Carry out the change; returns the values before it, for the audit row."""
    payload = json.loads(change.payload)
    _validate(session, change.kind, payload)
    if change.kind == "staff.add":
        user = staff.create_staff_with_hash(session, admin, username=payload["username"],
                                            display_name=payload["display_name"], branch_code=payload["branch"],
                                            roles=tuple(payload["roles"]), password_hash=payload["password_hash"])
        return {"staff_id": user.id}
    if change.kind == "policy.limit":
        existing = session.execute(select(ApprovalLimit).where(
            ApprovalLimit.kind == payload["kind"], ApprovalLimit.role == payload["role"],
            ApprovalLimit.currency == payload["currency"])).scalar_one_or_none()
        before = None
        if existing is None:
            session.add(ApprovalLimit(**payload))
        else:
            before = {"level": existing.level, "single_limit": existing.single_limit,
                      "joint_limit": existing.joint_limit}
            existing.level, existing.single_limit, existing.joint_limit = (
                payload["level"], payload["single_limit"], payload["joint_limit"])
        return {"limit": before}
    if change.kind == "loan.product":
        return _apply_product(session, payload)
    user = session.execute(select(StaffUser).where(StaffUser.username == payload["username"])).scalar_one()
    if change.kind == "staff.roles":
        before = [role.role for role in user.roles]
        session.execute(delete(StaffRole).where(StaffRole.staff_id == user.id))
        session.add_all(StaffRole(staff_id=user.id, role=role) for role in payload["roles"])
        session.expire(user, ["roles"])
        return {"roles": before}
    before = {"active": user.active, "locked_until": str(user.locked_until)}
    user.active, user.locked_until, user.failed_attempts = True, None, 0
    return before


def _apply_product(session: Session, payload: dict) -> dict:
    product = loan_products.parse_product(payload["definition"])
    definition = json.dumps(payload["definition"], ensure_ascii=False)
    row = session.execute(select(LoanProduct).where(LoanProduct.code == product.code)).scalar_one_or_none()
    if row is None:
        session.add(LoanProduct(code=product.code, name_en=product.name_en, name_zh=product.name_zh,
                                currency=product.currency, definition=definition, version=1,
                                active=payload["active"], updated_at=clock.now()))
        return {"product": None}
    before = {"version": row.version, "active": row.active, "definition": json.loads(row.definition)}
    row.name_en, row.name_zh, row.currency, row.definition = product.name_en, product.name_zh, product.currency, definition
    row.active, row.version, row.updated_at = payload["active"], row.version + 1, clock.now()
    return {"product": before}


def decide(db: Database, change_id: int, admin: Actor, *, approve: bool, reason: str = "") -> AdminChangeView:
    """A second admin approves (and so applies) or rejects a proposed change."""
    _require_admin(admin)

    def work(session: Session) -> AdminChangeView:
        change = session.execute(
            select(AdminChange).where(AdminChange.id == change_id).with_for_update()
        ).scalar_one_or_none()
        if change is None:
            raise InputError("change", _("admin change {id} does not exist").format(id=change_id))
        if change.status != "PENDING":
            raise ApprovalError(_("admin change {id} is already {status}").format(
                id=change_id, status=status_name(change.status)))
        if change.proposed_by == admin.staff_id:
            raise ApprovalError(_("a different admin must decide a change: you proposed this one"))
        before = _apply(session, admin, change) if approve else None
        change.status = "APPLIED" if approve else "REJECTED"
        change.decided_by, change.decided_at = admin.staff_id, clock.now()
        change.reason = reason.strip() or None
        view = _view(change)
        audit.record(session, admin, f"admin_change.{change.status.lower()}", object_type="admin_change",
                     object_id=change.id, kind=change.kind, before=before, after=view.summary, reason=change.reason)
        return view

    return db.run(work)


def pending(db: Database) -> list[AdminChangeView]:
    return db.run(lambda session: [_view(change) for change in session.scalars(
        select(AdminChange).where(AdminChange.status == "PENDING").order_by(AdminChange.id))], readonly=True)
