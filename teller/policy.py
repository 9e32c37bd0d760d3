"""Second-key authority from the policy table: who may approve which kind and amount, alone or jointly."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ApprovalLimit
from teller.errors import ApprovalError
from teller.i18n import _
from teller.money import format_minor

ANY_KIND = "*"


@dataclass(frozen=True)
class Authority:
    role: str
    level: int
    single_limit: int
    joint_limit: int


def authorities(session: Session, kind: str, currency: str) -> dict[str, Authority]:
    """Each role's authority for this kind: its own row for the kind, else its row for every kind."""
    rows = session.scalars(
        select(ApprovalLimit).where(ApprovalLimit.currency == currency, ApprovalLimit.kind.in_((kind, ANY_KIND)))
    ).all()
    chosen: dict[str, ApprovalLimit] = {}
    for row in rows:
        if row.role not in chosen or row.kind == kind:
            chosen[row.role] = row
    return {role: Authority(role, row.level, row.single_limit, row.joint_limit) for role, row in chosen.items()}


def required_checkers(session: Session, kind: str, currency: str, amount: int) -> int:
    """1 if some role may approve the amount alone, 2 if two checkers of rising level may; else refused."""
    table = authorities(session, kind, currency).values()
    if any(authority.single_limit >= amount for authority in table):
        return 1
    if any(authority.joint_limit >= amount for authority in table):
        return 2
    top = max((authority.joint_limit for authority in table), default=0)
    raise ApprovalError(
        _("{currency} {amount} is above the branch's top approval limit ({top}): it must go to head office").format(
            currency=currency, amount=format_minor(amount, currency), top=format_minor(top, currency))
    )


def authority_of(session: Session, kind: str, currency: str, roles: tuple[str, ...]) -> Authority | None:
    """The most senior authority any of the checker's roles carries for this kind, if any."""
    table = authorities(session, kind, currency)
    held = [table[role] for role in roles if role in table]
    return max(held, key=lambda authority: (authority.level, authority.single_limit), default=None)
