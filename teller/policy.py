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
    """Each role's authority for an instruction kind: its own row for the kind, else its row for every kind."""
    return route_authorities(session, (kind, ANY_KIND), currency)


def route_authorities(session: Session, kinds: tuple[str, ...], currency: str) -> dict[str, Authority]:
    """Each role's authority along a route of policy kinds: the row of the first kind that has one for the
    role (a loan product's route is e.g. `("loan.farmer_micro", "loan")`)."""
    rows = session.scalars(
        select(ApprovalLimit).where(ApprovalLimit.currency == currency, ApprovalLimit.kind.in_(kinds))
    ).all()
    chosen: dict[str, ApprovalLimit] = {}
    for row in rows:
        if row.role not in chosen or kinds.index(row.kind) < kinds.index(chosen[row.role].kind):
            chosen[row.role] = row
    return {role: Authority(role, row.level, row.single_limit, row.joint_limit) for role, row in chosen.items()}


def required_checkers(session: Session, kind: str, currency: str, amount: int) -> int:
    """1 if some role may approve the amount alone, 2 if two checkers of rising level may; else refused."""
    return required_from(authorities(session, kind, currency), currency, amount)


def required_from(table: dict[str, Authority], currency: str, amount: int) -> int:
    """How many keys `amount` needs under an authority table: 1 alone, 2 of rising level; else refused."""
    if any(authority.single_limit >= amount for authority in table.values()):
        return 1
    if any(authority.joint_limit >= amount for authority in table.values()):
        return 2
    top = max((authority.joint_limit for authority in table.values()), default=0)
    raise ApprovalError(
        _("{currency} {amount} is above the branch's top approval limit ({top}): it must go to head office").format(
            currency=currency, amount=format_minor(amount, currency), top=format_minor(top, currency))
    )


def authority_of(session: Session, kind: str, currency: str, roles: tuple[str, ...]) -> Authority | None:
    """The most senior authority any of the checker's roles carries for this kind, if any."""
    return strongest(authorities(session, kind, currency), roles)


def strongest(table: dict[str, Authority], roles: tuple[str, ...]) -> Authority | None:
    """The most senior authority in `table` that any of `roles` carries, if any."""
    held = [table[role] for role in roles if role in table]
    return max(held, key=lambda authority: (authority.level, authority.single_limit), default=None)
