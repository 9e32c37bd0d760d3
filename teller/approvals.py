"""The supervisor's side of the second key: the branch's queue of pending instructions (oldest first) and the
full payload of one, with what a checker should notice before approving (possible duplicate, large-value
cash, the identity check)."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Account, Customer, IdentityCheck, Instruction, JournalEntry, StaffUser
from teller import clock, instructions, large_value
from teller.counter import COUNTER_KINDS, DuplicateWarning, find_duplicate
from teller.db import Database
from teller.identifiers import mask_account, mask_id
from teller.instructions import InstructionView
from teller.large_value import CounterSettings, LargeValueFlag, load_settings


@dataclass(frozen=True)
class QueueItem:
    id: int
    kind: str
    currency: str
    amount: int
    maker: str
    customer: str | None
    created_at: datetime
    age: timedelta
    keys_given: int
    required_checkers: int
    narrative: str


@dataclass(frozen=True)
class LegLine:
    """One leg as a checker sees it: a customer's account number masked, the holder's name, the amount."""

    account: str
    holder: str
    debit: int
    credit: int


@dataclass(frozen=True)
class IdentityCheckView:
    document_type: str
    masked_number: str
    confirmed_by: str
    confirmed_at: datetime


@dataclass(frozen=True)
class InstructionDetail:
    instruction: InstructionView
    maker: str
    checker: str | None
    customer: str | None
    masked_customer_id: str | None
    legs: tuple[LegLine, ...]
    age: timedelta
    identity: IdentityCheckView | None
    duplicate: DuplicateWarning | None
    large_value: LargeValueFlag | None
    reverses_instruction_id: int | None


def _owners(session: Session, numbers: set[str]) -> dict[str, tuple[Account, Customer | None]]:
    rows = session.execute(
        select(Account, Customer).outerjoin(Customer, Customer.id == Account.customer_id)
        .where(Account.number.in_(numbers))
    ).all()
    return {account.number: (account, customer) for account, customer in rows}


def _customer_of(legs: list, owners: dict[str, tuple[Account, Customer | None]]) -> Customer | None:
    return next((owners[leg[0]][1] for leg in legs if leg[0] in owners and owners[leg[0]][1] is not None), None)


def pending_queue(db: Database, branch_id: int) -> list[QueueItem]:
    """The branch's instructions waiting for a second key (expired ones left out), oldest first."""

    def work(session: Session) -> list[QueueItem]:
        now = clock.now()
        rows = session.execute(
            select(Instruction, StaffUser.display_name).join(StaffUser, StaffUser.id == Instruction.maker_id)
            .where(Instruction.status == "PENDING", Instruction.branch_id == branch_id, Instruction.expires_at > now)
            .order_by(Instruction.created_at, Instruction.id)
        ).all()
        legs = {instruction.id: json.loads(instruction.payload)["legs"] for instruction, _maker in rows}
        owners = _owners(session, {leg[0] for all_legs in legs.values() for leg in all_legs})
        items = []
        for instruction, maker in rows:
            customer = _customer_of(legs[instruction.id], owners)
            created = clock.as_utc(instruction.created_at)
            items.append(QueueItem(
                instruction.id, instruction.kind, instruction.currency, instruction.amount, maker,
                customer.name if customer else None, created, now - created,
                int(instruction.checker_id is not None), instruction.required_checkers, instruction.narrative,
            ))
        return items

    return db.run(work, readonly=True)


def _name(session: Session, staff_id: int | None) -> str | None:
    return session.get(StaffUser, staff_id).display_name if staff_id else None


def instruction_detail(db: Database, instruction_id: int, settings: CounterSettings | None = None) -> InstructionDetail:
    """Everything a checker sees of one instruction before deciding."""
    settings = settings or load_settings()
    view = instructions.get(db, instruction_id)

    def work(session: Session) -> InstructionDetail:
        instruction = session.get(Instruction, instruction_id)
        legs = json.loads(instruction.payload)["legs"]
        owners = _owners(session, {leg[0] for leg in legs})
        customer = _customer_of(legs, owners)
        lines = []
        for number, debit, credit in legs:
            account, holder = owners[number]
            shown = mask_account(number) if account.customer_id else number
            lines.append(LegLine(shown, holder.name if holder else account.name, debit, credit))
        check = session.execute(select(IdentityCheck).where(IdentityCheck.instruction_id == instruction_id)).scalar()
        identity = IdentityCheckView(check.document_type, mask_id(check.document_number),
                                     _name(session, check.confirmed_by), clock.as_utc(check.confirmed_at)) if check else None
        duplicate = flag = None
        if instruction.kind in COUNTER_KINDS and customer is not None:
            customer_number = next(leg[0] for leg in legs if owners[leg[0]][1] is not None)
            duplicate = find_duplicate(session, instruction.branch_id, customer_number, instruction.amount, settings,
                                       before=clock.as_utc(instruction.created_at), exclude_instruction=instruction.id)
        cash = any(owners[leg[0]][0].gl_code == large_value.DRAWER_GL for leg in legs if leg[0] in owners)
        if instruction.kind in large_value.CASH_KINDS and cash and customer is not None:
            flag = large_value.flag_for(session, customer.id, instruction.business_date, instruction.currency,
                                        instruction.amount, settings, exclude_instruction=instruction.id)
        reverses = None
        if view.reverses_entry_id is not None:
            reverses = session.get(JournalEntry, view.reverses_entry_id).instruction_id
        return InstructionDetail(
            instruction=view, maker=_name(session, instruction.maker_id), checker=_name(session, instruction.checker_id),
            customer=customer.name if customer else None,
            masked_customer_id=mask_id(customer.id_number) if customer else None, legs=tuple(lines),
            age=clock.now() - view.created_at, identity=identity, duplicate=duplicate, large_value=flag,
            reverses_instruction_id=reverses,
        )

    return db.run(work, readonly=True)
