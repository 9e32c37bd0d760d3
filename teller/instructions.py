"""Instructions: every fund movement is made, held, second-keyed and only then posted.

`submit` records the instruction with a hash of the exact payload and puts holds on the funds that will
leave no-negative accounts. `approve` is given by a checker who is not the maker and whose role has the
authority (two checkers of rising level above the top single limit); it re-checks the payload hash,
consumes the holds and posts the entry in the same transaction. Rejection, cancellation and expiry
release the holds. An idempotency key posts at most once: the same key with the same payload returns
the first instruction, with a different payload it is refused.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Row, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Account, Branch, Hold, Instruction, JournalEntry, StaffRole
from teller import accounts, audit, authentication, clock, ledger, policy
from teller.actor import Actor
from teller.db import Database
from teller.errors import ApprovalError, InputError, LedgerError, status_name
from teller.i18n import N_, _, format_day
from teller.ledger import Leg
from teller.money import format_minor

KINDS = (
    "cash_deposit",
    "cash_withdrawal",
    "transfer",
    "vault_to_drawer",
    "drawer_to_vault",
    "drawer_to_drawer",
    "loan_disbursement",
    "loan_repayment",
    "fund_centre_repayment",
    "fee_waiver",
    "reversal",
    "void",
    "write_off",
    "over_short",
)
KIND_NAMES = {
    "cash_deposit": N_("Cash deposit"), "cash_withdrawal": N_("Cash withdrawal"), "transfer": N_("Transfer"),
    "vault_to_drawer": N_("Vault to drawer"), "drawer_to_vault": N_("Drawer to vault"),
    "drawer_to_drawer": N_("Drawer to drawer"), "loan_disbursement": N_("Loan disbursement"),
    "loan_repayment": N_("Loan repayment"), "fund_centre_repayment": N_("Fund-centre loan offset"),
    "fee_waiver": N_("Fee waiver"), "reversal": N_("Reversal"),
    "void": N_("Void"), "write_off": N_("Write-off"), "over_short": N_("Over/short adjustment"),
}
MAKER_ROLES = ("teller", "loan_officer", "supervisor", "branch_manager")
CHECKER_ROLES = ("supervisor", "branch_manager")
# Kinds the receiving side confirms: the first key must come from the teller whose drawer the cash goes to
# (the debited drawer leg), who types their own password and code. Policy gives the teller role authority
# for these kinds only; an amount above the teller's limit needs a second, more senior key as well.
RECEIVER_CONFIRMS = ("drawer_to_drawer",)
DEFAULT_LIFETIME = timedelta(hours=8)
MAX_NARRATIVE = 200


@dataclass(frozen=True)
class InstructionRequest:
    """What a maker asks to post. Amounts in the legs are minor units of `currency`."""

    kind: str
    legs: tuple[Leg, ...]
    narrative: str
    idempotency_key: str
    currency: str = "CNY"
    reverses_entry_id: int | None = None
    lifetime: timedelta = DEFAULT_LIFETIME


@dataclass(frozen=True)
class InstructionView:
    id: int
    kind: str
    status: str
    currency: str
    amount: int
    narrative: str
    legs: tuple[Leg, ...]
    maker_id: int
    checker_id: int | None
    second_checker_id: int | None
    required_checkers: int
    branch_id: int
    business_date: date
    created_at: datetime
    expires_at: datetime
    reason: str | None
    entry_id: int | None
    reverses_entry_id: int | None


def _amount(legs: tuple[Leg, ...]) -> int:
    return sum(leg.debit for leg in legs)


def _canonical_payload(
    *, kind: str, branch_id: int, business_date: date, maker_id: int, currency: str, amount: int,
    narrative: str, legs: tuple[Leg, ...], reverses_entry_id: int | None,
) -> str:
    return json.dumps(
        {
            "kind": kind,
            "branch": branch_id,
            "business_date": business_date.isoformat(),
            "maker": maker_id,
            "currency": currency,
            "amount": amount,
            "narrative": narrative,
            "legs": [leg.as_list() for leg in legs],
            "reverses_entry": reverses_entry_id,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _hash(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()


def _stored_legs(instruction: Instruction) -> tuple[Leg, ...]:
    data = json.loads(instruction.payload)
    return tuple(Leg(*leg) for leg in data["legs"])


def _current_payload(instruction: Instruction) -> str:
    """The payload rebuilt from the instruction's columns now: any change since submission shows in its hash."""
    data = json.loads(instruction.payload)
    return _canonical_payload(
        kind=instruction.kind,
        branch_id=instruction.branch_id,
        business_date=instruction.business_date,
        maker_id=instruction.maker_id,
        currency=instruction.currency,
        amount=instruction.amount,
        narrative=instruction.narrative,
        legs=tuple(Leg(*leg) for leg in data["legs"]),
        reverses_entry_id=data.get("reverses_entry"),
    )


def _current_view(session: Session, instruction: Instruction) -> InstructionView:
    """The instruction as callers see it, with the id of the entry it posted: only an approved one has posted."""
    if instruction.status != "APPROVED":
        return _view(instruction, None)
    entry_id = session.execute(select(JournalEntry.id).where(JournalEntry.instruction_id == instruction.id)).scalar()
    return _view(instruction, entry_id)


def _view(instruction: Instruction, entry_id: int | None) -> InstructionView:
    return InstructionView(
        id=instruction.id,
        kind=instruction.kind,
        status=instruction.status,
        currency=instruction.currency,
        amount=instruction.amount,
        narrative=instruction.narrative,
        legs=_stored_legs(instruction),
        maker_id=instruction.maker_id,
        checker_id=instruction.checker_id,
        second_checker_id=instruction.second_checker_id,
        required_checkers=instruction.required_checkers,
        branch_id=instruction.branch_id,
        business_date=instruction.business_date,
        created_at=clock.as_utc(instruction.created_at),
        expires_at=clock.as_utc(instruction.expires_at),
        reason=instruction.reason,
        entry_id=entry_id,
        reverses_entry_id=json.loads(instruction.payload).get("reverses_entry"),
    )


def _validate_request(actor: Actor, request: InstructionRequest) -> None:
    if request.kind not in KINDS:
        raise InputError("kind", _("unknown instruction kind {kind!r}").format(kind=request.kind))
    if not set(actor.roles) & set(MAKER_ROLES) or actor.staff_id is None:
        raise ApprovalError(_("{username} has no role that may make a movement of money").format(
            username=actor.username))
    if actor.branch_id is None:
        raise ApprovalError(_("{username} belongs to no branch").format(username=actor.username))
    narrative = request.narrative.strip()
    if not narrative:
        raise InputError("narrative", _("say what the movement is for"))
    if len(narrative) > MAX_NARRATIVE:
        raise InputError("narrative", _("keep it to {most} characters").format(most=MAX_NARRATIVE))
    key = request.idempotency_key.strip()
    if not 8 <= len(key) <= 64 or not key.isprintable():
        raise InputError("idempotency key", _("use 8 to 64 printable characters"))
    for leg in request.legs:
        if not isinstance(leg.debit, int) or not isinstance(leg.credit, int):
            raise InputError("amount", _("amounts are whole minor units"))


def _holds_needed(legs: tuple[Leg, ...], accounts: dict[str, Account]) -> dict[str, int]:
    """Per no-negative account, the amount the legs take out of it (funds that will leave it)."""
    needed: dict[str, int] = {}
    for leg in legs:
        account = accounts[leg.account_number]
        outflow = leg.credit if account.normal_side == "debit" else leg.debit
        if account.no_negative and outflow:
            needed[leg.account_number] = needed.get(leg.account_number, 0) + outflow
    return needed


def _existing(session: Session, key: str) -> Instruction | None:
    return session.execute(select(Instruction).where(Instruction.idempotency_key == key)).scalar_one_or_none()


def find_by_key(session: Session, key: str) -> InstructionView | None:
    """The instruction recorded under an idempotency key, if any: a service rebuilding a retried request."""
    previous = _existing(session, key)
    return None if previous is None else _current_view(session, previous)


def submit_in(
    session: Session, actor: Actor, request: InstructionRequest,
    *, attach: Callable[[Session, int], None] | None = None,
) -> InstructionView:
    """`submit` inside the caller's unit of work (a service that records more in the same transaction).
    `attach` writes what belongs with a new instruction (given its id); a retry does not call it."""
    _validate_request(actor, request)
    branch = session.get(Branch, actor.branch_id)
    if not branch.day_open:
        raise LedgerError(_("branch {code} has closed business day {day}: nothing posts").format(
            code=branch.code, day=format_day(branch.business_date)))
    narrative = request.narrative.strip()
    payload = _canonical_payload(
        kind=request.kind, branch_id=branch.id, business_date=branch.business_date,
        maker_id=actor.staff_id, currency=request.currency, amount=_amount(request.legs),
        narrative=narrative, legs=request.legs, reverses_entry_id=request.reverses_entry_id,
    )
    payload_hash = _hash(payload)
    key = request.idempotency_key.strip()
    if (previous := _existing(session, key)) is not None:
        if previous.payload_hash != payload_hash:
            raise LedgerError(_("idempotency key {key} was already used for a different instruction").format(
                key=key))
        return _current_view(session, previous)
    accounts = ledger.lock_accounts(session, {leg.account_number for leg in request.legs})
    ledger.check_legs(request.legs, {number: account.currency for number, account in accounts.items()})
    for leg in request.legs:
        account = accounts[leg.account_number]
        if account.currency != request.currency:
            raise LedgerError(_("account {number} is in {account_currency}, not {currency}").format(
                number=account.number, account_currency=account.currency, currency=request.currency))
        if account.status != "open":
            raise LedgerError(_("account {number} is {status}: it takes no movements").format(
                number=account.number, status=status_name(account.status)))
    amount = _amount(request.legs)
    required = policy.required_checkers(session, request.kind, request.currency, amount)
    now = clock.now()
    instruction = Instruction(
        kind=request.kind, status="PENDING", branch_id=branch.id, business_date=branch.business_date,
        maker_id=actor.staff_id, required_checkers=required, currency=request.currency, amount=amount,
        narrative=narrative, payload=payload, payload_hash=payload_hash, idempotency_key=key,
        terminal=actor.terminal, created_at=now, expires_at=now + request.lifetime,
    )
    session.add(instruction)
    session.flush()
    for number, outflow in _holds_needed(request.legs, accounts).items():
        account = accounts[number]
        available = account.balance - account.held
        if available < outflow:
            raise LedgerError(
                _("insufficient available balance in account {number}: available {available}, needs {needed}")
                .format(number=number, available=format_minor(available, account.currency),
                        needed=format_minor(outflow, account.currency))
            )
        session.add(Hold(instruction_id=instruction.id, account_id=account.id, amount=outflow, created_at=now))
    session.flush()
    if attach is not None:
        attach(session, instruction.id)
    audit.record(
        session, actor, "instruction.created", object_type="instruction", object_id=instruction.id,
        business_date=branch.business_date, kind=request.kind, amount=amount, currency=request.currency,
        legs=[leg.as_list() for leg in request.legs], payload_hash=payload_hash, required_checkers=required,
    )
    return _current_view(session, instruction)


def submit(
    db: Database, actor: Actor, request: InstructionRequest,
    *, attach: Callable[[Session, int], None] | None = None,
) -> InstructionView:
    """Record an instruction and hold its outgoing funds; idempotent on the request's key (see `submit_in`)."""
    try:
        return db.run(lambda session: submit_in(session, actor, request, attach=attach))
    except IntegrityError:
        # A concurrent submission with the same key won the race: answer as a retry would.
        return db.run(lambda session: submit_in(session, actor, request, attach=attach))


def _load_pending(session: Session, instruction_id: int) -> Instruction:
    instruction = session.execute(
        select(Instruction).where(Instruction.id == instruction_id).with_for_update()
    ).scalar_one_or_none()
    if instruction is None:
        raise LedgerError(_("instruction {id} does not exist").format(id=instruction_id))
    if instruction.status != "PENDING":
        raise ApprovalError(_("instruction {id} is {status}, not pending").format(
            id=instruction_id, status=status_name(instruction.status)))
    return instruction


def _release_holds(session: Session, instruction: Instruction, status: str) -> dict[str, Row]:
    """Release or consume the instruction's holds, its accounts locked first in id order (as posting does);
    the locked accounts are returned for the posting that follows a consumption."""
    accounts = ledger.lock_accounts(session, {leg.account_number for leg in _stored_legs(instruction)})
    session.execute(
        update(Hold)
        .where(Hold.instruction_id == instruction.id, Hold.status == "ACTIVE")
        .values(status=status, released_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return accounts


def _finish(session: Session, actor: Actor, instruction: Instruction, status: str, reason: str | None) -> None:
    instruction.status = status
    instruction.decided_at = clock.now()
    instruction.reason = reason
    session.flush()
    _release_holds(session, instruction, "RELEASED")
    audit.record(
        session, actor, f"instruction.{status.lower()}", object_type="instruction", object_id=instruction.id,
        business_date=instruction.business_date, branch_id=instruction.branch_id, reason=reason,
    )


def _is_expired(instruction: Instruction) -> bool:
    return clock.as_utc(instruction.expires_at) <= clock.now()


def _expire_and_refuse(db: Database, actor: Actor, instruction_id: int) -> None:
    def work(session: Session) -> None:
        instruction = _load_pending(session, instruction_id)
        _finish(session, actor, instruction, "EXPIRED", "expired before approval")

    db.run(work)
    raise ApprovalError(_("instruction {id} expired before it was approved; its holds are released").format(
        id=instruction_id))


def _check_checker(session: Session, instruction: Instruction, checker: Actor) -> policy.Authority:
    if checker.staff_id is None or checker.staff_id == instruction.maker_id:
        raise ApprovalError(_("the maker cannot give the second key on their own instruction"))
    if checker.staff_id in (instruction.checker_id, instruction.second_checker_id):
        raise ApprovalError(_("this checker has already approved; a different checker must give the next key"))
    if checker.branch_id != instruction.branch_id:
        home = session.get(Branch, checker.branch_id) if checker.branch_id else None
        if home is None or not home.is_head_office:
            raise ApprovalError(_("a checker from another branch cannot approve unless they sit at head office"))
    if instruction.kind in RECEIVER_CONFIRMS and instruction.checker_id is None:
        _check_receiver(session, instruction, checker)
    authority = policy.authority_of(session, instruction.kind, instruction.currency, checker.roles)
    if authority is None:
        raise ApprovalError(_("{username} has no authority to approve {kind} movements").format(
            username=checker.username, kind=instruction.kind))
    amount_text = f"{instruction.currency} {format_minor(instruction.amount, instruction.currency)}"
    if instruction.required_checkers == 1 and authority.single_limit < instruction.amount:
        raise ApprovalError(
            _("{amount} is above {username}'s limit of {limit}: a more senior checker must approve").format(
                amount=amount_text, username=checker.username,
                limit=format_minor(authority.single_limit, instruction.currency))
        )
    if instruction.required_checkers == 2:
        if instruction.checker_id is None:
            seniors = policy.authorities(session, instruction.kind, instruction.currency).values()
            if not any(s.level > authority.level and s.joint_limit >= instruction.amount for s in seniors):
                raise ApprovalError(
                    _("{amount} needs two keys of rising level: a more junior checker approves first").format(
                        amount=amount_text)
                )
        else:
            first_roles = _roles_of(session, instruction.checker_id)
            first_level = policy.authority_of(session, instruction.kind, instruction.currency, first_roles)
            if authority.level <= first_level.level or authority.joint_limit < instruction.amount:
                raise ApprovalError(_("{amount} needs its second key from a more senior checker").format(
                    amount=amount_text))
    return authority


def receiving_account(instruction_legs: tuple[Leg, ...]) -> str:
    """The account that receives the cash of a transfer between drawers: its debited leg."""
    return next(leg.account_number for leg in instruction_legs if leg.debit)


def _is_receiver(session: Session, instruction: Instruction, actor: Actor) -> bool:
    """Whether the actor is the teller whose drawer receives the cash of this transfer between drawers."""
    branch = session.get(Branch, instruction.branch_id)
    return receiving_account(_stored_legs(instruction)) == accounts.drawer_number(branch.code, actor.username)


def _check_receiver(session: Session, instruction: Instruction, checker: Actor) -> None:
    if not _is_receiver(session, instruction, checker):
        raise ApprovalError(_("the teller who receives the cash into drawer {number} confirms this transfer").format(
            number=receiving_account(_stored_legs(instruction))))


def _roles_of(session: Session, staff_id: int) -> tuple[str, ...]:
    return tuple(session.scalars(select(StaffRole.role).where(StaffRole.staff_id == staff_id)))


def approve_in(session: Session, instruction_id: int, checker: Actor) -> InstructionView | None:
    """`approve` inside the caller's unit of work; None when the instruction has expired (the caller
    expires it in a unit of work of its own and refuses)."""
    instruction = _load_pending(session, instruction_id)
    if _is_expired(instruction):
        return None
    if _hash(_current_payload(instruction)) != instruction.payload_hash:
        raise ApprovalError(
            _("instruction {id} changed after it was submitted: approval refused; the maker must submit again")
            .format(id=instruction_id)
        )
    _check_checker(session, instruction, checker)
    now = clock.now()
    if instruction.required_checkers == 2 and instruction.checker_id is None:
        instruction.checker_id = checker.staff_id
        session.flush()
        audit.record(
            session, checker, "instruction.first_key", object_type="instruction", object_id=instruction.id,
            business_date=instruction.business_date, branch_id=instruction.branch_id,
        )
        return _current_view(session, instruction)
    if instruction.checker_id is None:
        instruction.checker_id = checker.staff_id
    else:
        instruction.second_checker_id = checker.staff_id
    instruction.status = "APPROVED"
    instruction.decided_at = now
    session.flush()
    accounts = _release_holds(session, instruction, "CONSUMED")
    audit.record(
        session, checker, "instruction.approved", object_type="instruction", object_id=instruction.id,
        business_date=instruction.business_date, branch_id=instruction.branch_id,
        payload_hash=instruction.payload_hash,
    )
    payload = json.loads(instruction.payload)
    entry_id = ledger.post_entry(
        session, checker, instruction, _stored_legs(instruction), accounts,
        reverses_entry_id=payload.get("reverses_entry"),
    )
    return _view(instruction, entry_id)


def kind_name(kind: str) -> str:
    """The instruction kind as users read it, in the current language."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def approve(db: Database, instruction_id: int, checker: Actor) -> InstructionView:
    """Give a second key (the checker is already authenticated): post when the last key is given."""
    view = db.run(lambda session: approve_in(session, instruction_id, checker))
    if view is None:
        _expire_and_refuse(db, checker, instruction_id)
    return view


def reject(db: Database, instruction_id: int, checker: Actor, reason: str) -> InstructionView:
    """A checker rejects a pending instruction with a reason, releasing its holds. The teller who would
    receive a transfer between drawers refuses it the same way, before giving their key."""
    reason = reason.strip()
    if not reason:
        raise InputError("reason", _("say why the instruction is rejected"))

    def work(session: Session) -> InstructionView:
        instruction = _load_pending(session, instruction_id)
        if checker.staff_id == instruction.maker_id:
            raise ApprovalError(_("the maker cancels their own instruction; rejecting is for a checker"))
        receiver_refuses = (instruction.kind in RECEIVER_CONFIRMS and instruction.checker_id is None
                            and _is_receiver(session, instruction, checker))
        if not set(checker.roles) & set(CHECKER_ROLES) and not receiver_refuses:
            raise ApprovalError(_("{username} has no role that may reject instructions").format(
                username=checker.username))
        _finish(session, checker, instruction, "REJECTED", reason)
        return _current_view(session, instruction)

    return db.run(work)


def cancel(db: Database, instruction_id: int, maker: Actor) -> InstructionView:
    def work(session: Session) -> InstructionView:
        instruction = _load_pending(session, instruction_id)
        if maker.staff_id != instruction.maker_id:
            raise ApprovalError(_("only the maker can cancel an instruction; a checker rejects it"))
        _finish(session, maker, instruction, "CANCELLED", "cancelled by the maker")
        return _current_view(session, instruction)

    return db.run(work)


def expire_overdue(db: Database, actor: Actor) -> int:
    """Expire every pending instruction past its expiry, releasing holds; returns how many."""

    def work(session: Session) -> int:
        overdue = session.scalars(
            select(Instruction)
            .where(Instruction.status == "PENDING", Instruction.expires_at <= clock.now())
            .order_by(Instruction.id)
            .with_for_update()
        ).all()
        for instruction in overdue:
            _finish(session, actor, instruction, "EXPIRED", "expired before approval")
        return len(overdue)

    return db.run(work)


def request_reversal(
    db: Database, actor: Actor, entry_id: int, narrative: str, idempotency_key: str, *, kind: str = "reversal"
) -> InstructionView:
    """Ask to reverse a whole posted entry with its exact mirror; posted only after its own second key. `kind`
    is "reversal", or "void" for a same-day correction. An entry that moved cash through a drawer or the vault
    is refused: its mirror would put cash back into a drawer that may be closed and counted. The counter
    corrects those through `teller.counter.request_correction`, which routes the cash through the
    corrector's own open drawer."""

    def legs_of(session: Session) -> tuple[tuple[Leg, ...], str]:
        entry = session.get(JournalEntry, entry_id)
        if entry is None:
            raise LedgerError(_("journal entry {id} does not exist").format(id=entry_id))
        reversed_by = session.execute(
            select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id)
        ).scalar()
        if reversed_by is not None:
            raise LedgerError(_("journal entry {id} was already reversed by entry {reversal}").format(
                id=entry_id, reversal=reversed_by))
        currency = session.get(Instruction, entry.instruction_id).currency
        legs = ledger.entry_legs(session, entry_id)
        moves_cash = session.execute(select(Account.id).where(
            Account.number.in_({leg.account_number for leg in legs}),
            Account.gl_code.in_((accounts.DRAWER_GL, accounts.VAULT_GL))).limit(1)).scalar()
        if moves_cash is not None:
            raise LedgerError(_("journal entry {id} moved cash: correct it at the counter, where the cash passes "
                                "through your own open drawer").format(id=entry_id))
        return ledger.mirror(legs), currency

    legs, currency = db.run(legs_of, readonly=True)
    return submit(
        db,
        actor,
        InstructionRequest(
            kind=kind, legs=legs, narrative=narrative, idempotency_key=idempotency_key,
            currency=currency, reverses_entry_id=entry_id,
        ),
    )


def get(db: Database, instruction_id: int) -> InstructionView:
    def work(session: Session) -> InstructionView:
        instruction = session.get(Instruction, instruction_id)
        if instruction is None:
            raise LedgerError(_("instruction {id} does not exist").format(id=instruction_id))
        return _current_view(session, instruction)

    return db.run(work, readonly=True)


def list_instructions(db: Database, *, status: str | None = None, limit: int = 100) -> list[InstructionView]:
    def work(session: Session) -> list[InstructionView]:
        query = (
            select(Instruction, JournalEntry.id)
            .outerjoin(JournalEntry, JournalEntry.instruction_id == Instruction.id)
            .order_by(Instruction.id.desc())
            .limit(limit)
        )
        if status:
            query = query.where(Instruction.status == status.upper())
        return [_view(instruction, entry_id) for instruction, entry_id in session.execute(query)]

    return db.run(work, readonly=True)


def approve_with_second_key(
    db: Database, instruction_id: int, username: str, password: str, code: str, terminal: str
) -> InstructionView:
    """The checker types their own user name, password and a fresh code; then the key is given."""
    checker = authentication.authenticate(db, username, password, code, terminal, purpose="second_key")
    return approve(db, instruction_id, checker)
