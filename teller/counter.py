"""The counter: cash deposits, cash withdrawals and transfers for a customer, and same-day voids or later
reversals of what was posted.

Each movement is prepared from what the teller typed (`MovementDraft`): the service checks it all again
(account, amount, funds, identity document, narrative) and raises `InputError` naming the field. `preview`
shows the account's ledger and available balance now and after, a warning when the same account had the
same amount within a few minutes, the large-value flag, and a warning when a deposit takes the teller's
drawer over its limit (a drawer already over it takes no cash in until the excess is back in the vault).
`submit` records the instruction (held and waiting for the second key) with the teller's identity check in
the same transaction; the form's idempotency key makes a second Enter return the first instruction instead
of a second one. A correction's cash goes through the correcting teller's own open drawer
(`_cash_through_own_drawer`).
"""

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Account, Branch, Customer, IdentityCheck, Instruction, JournalEntry
from models.customer import ID_TYPES
from teller import accounts, clock, drawers, instructions, large_value
from teller.actor import Actor
from teller.db import Database
from teller.drawers import LimitWarning
from teller.errors import InputError, LedgerError, status_name
from teller.i18n import _, format_day
from teller.identifiers import compact, mask_account
from teller.instructions import MAX_NARRATIVE, InstructionRequest, InstructionView
from teller.large_value import CounterSettings, LargeValueFlag, load_settings
from teller.ledger import Leg, entry_legs, mirror
from teller.money import Money, format_minor, parse_amount

DEPOSIT, WITHDRAWAL, TRANSFER = "cash_deposit", "cash_withdrawal", "transfer"
COUNTER_KINDS = (DEPOSIT, WITHDRAWAL, TRANSFER)
# The teller confirms the customer's identity document, as shown at the counter, for every movement: cash
# paid in as well as money paid out. It must match the customer's file and is recorded with the instruction.
NEEDS_IDENTITY = COUNTER_KINDS
PAYS_OUT = (WITHDRAWAL, TRANSFER)  # money leaves the customer's account: its available balance must cover it
VOID, REVERSAL = "void", "reversal"


@dataclass(frozen=True)
class MovementDraft:
    """What the teller typed. `account_number` is the customer's account the money goes into (deposit) or
    comes out of (withdrawal, transfer); `to_account_number` the account a transfer pays."""

    kind: str
    customer_id: int
    account_number: str
    amount: str
    to_account_number: str = ""
    narrative: str = ""
    document_type: str = ""
    document_number: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True)
class AccountPosition:
    number: str
    masked_number: str
    holder: str
    currency: str
    balance: int
    available: int
    balance_after: int
    available_after: int


@dataclass(frozen=True)
class DuplicateWarning:
    """Another movement of the same amount on the same account a short while ago."""

    instruction_id: int
    created_at: datetime


@dataclass(frozen=True)
class Preview:
    kind: str
    amount: Money
    account: AccountPosition
    to_account: AccountPosition | None
    needs_identity: bool
    duplicate: DuplicateWarning | None
    large_value: LargeValueFlag | None
    drawer_limit: LimitWarning | None = None


@dataclass(frozen=True)
class _Prepared:
    preview: Preview
    legs: tuple[Leg, ...]
    branch: Branch
    customer: Customer


def new_idempotency_key() -> str:
    """A key for one filling of the counter form: every submission of that form carries it."""
    return f"counter-{uuid.uuid4().hex}"


def _account(session: Session, number: str) -> Account | None:
    return session.execute(select(Account).where(Account.number == number)).scalar_one_or_none()


def _refuse_status(account: Account, field: str) -> None:
    if account.status != "open":
        raise InputError(field, _("account {number} is {status}: it takes no movements").format(
            number=account.number, status=status_name(account.status)))


def _position(account: Account, holder: str, change: int) -> AccountPosition:
    """The account now and after the movement (`change` in the account's own terms: + credit a deposit)."""
    available = account.balance - account.held
    return AccountPosition(account.number, mask_account(account.number), holder, account.currency,
                           account.balance, available, account.balance + change, available + change)


def _legs_of(instruction: Instruction) -> list:
    return json.loads(instruction.payload)["legs"]


def find_duplicate(session: Session, branch_id: int, account_number: str, amount: int, settings: CounterSettings,
                   *, before: datetime | None = None, exclude_instruction: int | None = None) -> DuplicateWarning | None:
    """The latest pending or posted movement of `amount` on the account within the duplicate window."""
    until = before or clock.now()
    recent = session.scalars(
        select(Instruction).where(
            Instruction.branch_id == branch_id, Instruction.amount == amount,
            Instruction.status.in_(("PENDING", "APPROVED")), Instruction.kind.in_(COUNTER_KINDS),
            Instruction.created_at >= until - settings.duplicate_window, Instruction.created_at <= until,
        ).order_by(Instruction.id.desc())
    )
    for instruction in recent:
        if instruction.id != exclude_instruction and any(leg[0] == account_number for leg in _legs_of(instruction)):
            return DuplicateWarning(instruction.id, clock.as_utc(instruction.created_at))
    return None


def _prepare(session: Session, actor: Actor, draft: MovementDraft, settings: CounterSettings,
             *, check_funds: bool = True) -> _Prepared:
    if draft.kind not in COUNTER_KINDS:
        raise InputError("kind", _("choose a cash deposit, a cash withdrawal or a transfer"))
    if actor.branch_id is None:
        raise LedgerError(_("{username} belongs to no branch").format(username=actor.username))
    branch = session.get(Branch, actor.branch_id)
    if not branch.day_open:
        raise LedgerError(_("branch {code} has closed business day {day}: nothing posts").format(
            code=branch.code, day=format_day(branch.business_date)))
    customer = session.get(Customer, draft.customer_id)
    if customer is None:
        raise InputError("customer", _("customer {id} does not exist").format(id=draft.customer_id))
    account = _account(session, compact(draft.account_number))
    if account is None or account.customer_id != customer.id:
        raise InputError("account", _("choose one of {name}'s accounts").format(name=customer.name))
    _refuse_status(account, "account")
    amount = parse_amount(draft.amount, account.currency)
    to_account = drawer = None
    if draft.kind == TRANSFER:
        to_account = _check_payee(session, account, draft.to_account_number)
        counter_number = to_account.number
    else:
        drawer = _drawer_for(session, actor, branch, account)
        counter_number = drawer.number
    minor = amount.minor
    if draft.kind == DEPOSIT:
        legs = (Leg(counter_number, debit=minor), Leg(account.number, credit=minor))
        change = minor
    else:
        legs = (Leg(account.number, debit=minor), Leg(counter_number, credit=minor))
        change = -minor
    limit_warning = None
    if check_funds:
        _check_funds(session, draft.kind, account, counter_number, amount)
        if draft.kind == DEPOSIT:
            limit_warning = drawers.check_cash_in(drawer, minor)
    preview = Preview(
        kind=draft.kind, amount=amount, account=_position(account, customer.name, change),
        to_account=_position(to_account, accounts.holder_name(session, to_account), minor) if to_account else None,
        needs_identity=draft.kind in NEEDS_IDENTITY,
        duplicate=find_duplicate(session, branch.id, account.number, minor, settings),
        large_value=_large_value(session, draft.kind, customer.id, branch.business_date, amount, settings),
        drawer_limit=limit_warning,
    )
    return _Prepared(preview, legs, branch, customer)


def _check_payee(session: Session, account: Account, typed: str) -> Account:
    number = compact(typed)
    if not number:
        raise InputError("to account", _("type the number of the account to pay"))
    payee = _account(session, number)
    if payee is None or payee.gl_code != accounts.DEPOSIT_GL:
        raise InputError("to account", _("no customer account has the number {number}").format(number=number))
    if payee.id == account.id:
        raise InputError("to account", _("choose an account other than the one paying"))
    _refuse_status(payee, "to account")
    if payee.currency != account.currency:
        raise InputError("to account", _("account {number} is in {payee}, the paying account in {currency}: "
                                         "a transfer stays in one currency").format(
            number=number, payee=payee.currency, currency=account.currency))
    return payee


def _drawer_for(session: Session, actor: Actor, branch: Branch, account: Account) -> Account:
    """The teller's cash drawer, which must be open for the day (its opening cash second-keyed): cash at
    the counter always passes through a drawer that the end of day will count."""
    drawers.open_session(session, actor)
    drawer = _account(session, accounts.drawer_number(branch.code, actor.username))
    if drawer is None:
        raise LedgerError(_("{username} has no cash drawer at branch {code}").format(
            username=actor.username, code=branch.code))
    if drawer.currency != account.currency:
        raise InputError("account", _("account {number} is in {currency}; the cash drawer holds {drawer}").format(
            number=account.number, currency=account.currency, drawer=drawer.currency))
    return drawer


def _check_funds(session: Session, kind: str, account: Account, counter_number: str, amount: Money) -> None:
    if kind in PAYS_OUT and account.balance - account.held < amount.minor:
        raise InputError("amount", _("more than the available balance of {available}").format(
            available=format_minor(account.balance - account.held, account.currency)))
    if kind == WITHDRAWAL:
        drawer = _account(session, counter_number)
        if drawer.balance - drawer.held < amount.minor:
            raise InputError("amount", _("your cash drawer holds only {cash}").format(
                cash=format_minor(drawer.balance - drawer.held, drawer.currency)))


def _large_value(session: Session, kind: str, customer_id: int, business_date: date, amount: Money,
                 settings: CounterSettings) -> LargeValueFlag | None:
    if kind not in large_value.CASH_KINDS:
        return None
    return large_value.flag_for(session, customer_id, business_date, amount.currency, amount.minor, settings)


def preview(db: Database, actor: Actor, draft: MovementDraft, settings: CounterSettings | None = None) -> Preview:
    """Check the draft as far as it goes without identity and narrative, and show its effect."""
    settings = settings or load_settings()
    return db.run(lambda session: _prepare(session, actor, draft, settings).preview, readonly=True)


def _check_narrative(text: str) -> str:
    narrative = " ".join(text.split())
    if not narrative:
        raise InputError("narrative", _("say what the movement is for"))
    if len(narrative) > MAX_NARRATIVE:
        raise InputError("narrative", _("keep it to {most} characters").format(most=MAX_NARRATIVE))
    return narrative


def _check_document(draft: MovementDraft, customer: Customer) -> tuple[str, str]:
    if draft.document_type not in ID_TYPES:
        raise InputError("document type", _("choose the kind of document the customer showed"))
    number = compact(draft.document_number).upper()
    if not number:
        raise InputError("document number", _("type the number printed on the customer's document"))
    if draft.document_type != customer.id_type or number != customer.id_number.upper():
        raise InputError("document number", _("does not match the document on {name}'s file: check the document "
                                              "and the customer").format(name=customer.name))
    return draft.document_type, number


def _key_used(session: Session, key: str) -> bool:
    return session.execute(select(Instruction.id).where(Instruction.idempotency_key == key)).first() is not None


def submit(db: Database, actor: Actor, draft: MovementDraft, settings: CounterSettings | None = None) -> InstructionView:
    """Record the movement as a pending instruction with its holds and identity check. Submitting the same
    form again (same idempotency key) returns the first instruction."""
    return submit_with_preview(db, actor, draft, settings)[0]


def submit_with_preview(db: Database, actor: Actor, draft: MovementDraft,
                        settings: CounterSettings | None = None) -> tuple[InstructionView, Preview]:
    """`submit`, with the preview it prepared: the accounts and holders of the very form submitted."""
    settings = settings or load_settings()
    key = draft.idempotency_key.strip()
    narrative = _check_narrative(draft.narrative)

    def prepare(session: Session) -> tuple[_Prepared, tuple[str, str] | None]:
        # A retry of a submitted form skips the funds check: its own hold already took them.
        prepared = _prepare(session, actor, draft, settings, check_funds=not (key and _key_used(session, key)))
        document = _check_document(draft, prepared.customer) if prepared.preview.needs_identity else None
        return prepared, document

    prepared, document = db.run(prepare, readonly=True)

    def record_identity(session: Session, instruction_id: int) -> None:
        if document is not None:
            session.add(IdentityCheck(
                instruction_id=instruction_id, customer_id=prepared.customer.id, document_type=document[0],
                document_number=document[1], confirmed_by=actor.staff_id, confirmed_at=clock.now(),
            ))
            session.flush()

    request = InstructionRequest(kind=draft.kind, legs=prepared.legs, narrative=narrative, idempotency_key=key,
                                 currency=prepared.preview.amount.currency)
    return instructions.submit(db, actor, request, attach=record_identity), prepared.preview


# --- Corrections: a same-day void, or a reversal on a later day ---------------------------------------------


@dataclass(frozen=True)
class CorrectionPreview:
    """What correcting a posted entry would do: `kind` is "void" on the entry's own business day, else
    "reversal"; `legs` mirror the entry's, its cash leg moved to the correcting teller's drawer."""

    entry_id: int
    instruction_id: int
    original_kind: str
    kind: str
    currency: str
    amount: int
    business_date: date
    narrative: str
    legs: tuple[Leg, ...]
    drawer_limit: LimitWarning | None = None


def _pending_correction(session: Session, entry_id: int) -> int | None:
    pending = session.scalars(select(Instruction).where(
        Instruction.status == "PENDING", Instruction.kind.in_((VOID, REVERSAL))))
    return next((instruction.id for instruction in pending
                 if json.loads(instruction.payload).get("reverses_entry") == entry_id
                 and clock.as_utc(instruction.expires_at) > clock.now()), None)


def _cash_through_own_drawer(session: Session, actor: Actor, branch: Branch, entry_id: int,
                             legs: tuple[Leg, ...]) -> tuple[tuple[Leg, ...], LimitWarning | None]:
    """The mirrored legs with their drawer leg moved to the correcting teller's own drawer, and the limit warning.

    Cash in a correction passes through the drawer of the teller who corrects, exactly as the counter's own
    cash does: whoever hands the customer's cash back (or takes it back) does so from their own drawer, which
    must be open for the day with its opening cash second-keyed, hold enough for cash paid out, and not be over
    its limit for cash taken in. For the usual same-day void, made by the teller who took the movement, that is
    the very drawer that took it, still open; a void by another teller, or a reversal on a later day, goes
    through the corrector's open drawer. The original drawer is never assumed: once closed it has been counted
    and its cash returned to the vault, and cash posted to it afterwards would be counted by no one. Entries
    that move cash between drawers and the vault are not corrected here: their cash goes back by a new
    hand-over."""
    cash = dict(session.execute(select(Account.number, Account.gl_code).where(
        Account.number.in_({leg.account_number for leg in legs}),
        Account.gl_code.in_((accounts.DRAWER_GL, accounts.VAULT_GL)))).all())
    if accounts.DRAWER_GL not in cash.values():
        return legs, None
    if len(cash) > 1:
        raise LedgerError(_("entry {id} moves cash between drawers and the vault: hand the cash back with a new "
                            "transfer instead").format(id=entry_id))
    live = drawers.live_session(session, actor.staff_id)
    if live is None or live[1].status != "APPROVED":
        raise LedgerError(_("entry {id} moves cash, and the cash of its correction passes through your own drawer, "
                            "which is not open: open your drawer (F11) with cash from the vault, then correct it")
                          .format(id=entry_id))
    original = next(iter(cash))
    drawer = _account(session, accounts.drawer_number(branch.code, actor.username))
    moved = tuple(Leg(drawer.number, leg.debit, leg.credit) if leg.account_number == original else leg
                  for leg in legs)
    cash_out = sum(leg.credit for leg in moved if leg.account_number == drawer.number)
    cash_in = sum(leg.debit for leg in moved if leg.account_number == drawer.number)
    if drawer.balance - drawer.held < cash_out:
        raise LedgerError(_("your cash drawer holds only {cash}").format(
            cash=format_minor(drawer.balance - drawer.held, drawer.currency)))
    return moved, drawers.check_cash_in(drawer, cash_in) if cash_in else None


def _correction(session: Session, actor: Actor, entry_id: int) -> CorrectionPreview:
    entry = session.get(JournalEntry, entry_id)
    if entry is None:
        raise LedgerError(_("journal entry {id} does not exist").format(id=entry_id))
    original = session.get(Instruction, entry.instruction_id)
    if original.kind in (VOID, REVERSAL):
        raise LedgerError(_("entry {id} is itself a correction: it is not corrected again").format(id=entry_id))
    if entry.branch_id != actor.branch_id:
        raise LedgerError(_("entry {id} was posted at another branch: that branch corrects it").format(id=entry_id))
    reversed_by = session.execute(select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id)).scalar()
    if reversed_by is not None:
        raise LedgerError(_("journal entry {id} was already reversed by entry {reversal}").format(
            id=entry_id, reversal=reversed_by))
    if (waiting := _pending_correction(session, entry_id)) is not None:
        raise LedgerError(_("instruction {id} to correct this entry already waits for a second key").format(
            id=waiting))
    branch = session.get(Branch, actor.branch_id)
    legs, limit_warning = _cash_through_own_drawer(session, actor, branch, entry.id,
                                                   mirror(entry_legs(session, entry.id)))
    return CorrectionPreview(
        entry_id=entry.id, instruction_id=original.id, original_kind=original.kind,
        kind=VOID if entry.business_date == branch.business_date else REVERSAL, currency=original.currency,
        amount=original.amount, business_date=entry.business_date, narrative=entry.narrative, legs=legs,
        drawer_limit=limit_warning,
    )


def correction_preview(db: Database, actor: Actor, entry_id: int) -> CorrectionPreview:
    """Whether the entry can be corrected, and how: void (its own business day) or reversal."""
    return db.run(lambda session: _correction(session, actor, entry_id), readonly=True)


def request_correction(db: Database, actor: Actor, entry_id: int, narrative: str, idempotency_key: str) -> InstructionView:
    """A void on the entry's business day, a reversal afterwards: either is an instruction that posts the
    entry's mirror (its cash through the corrector's open drawer) only after its own second key; checked and
    recorded in one transaction. The same key again returns the first instruction."""
    narrative = _check_narrative(narrative)
    key = idempotency_key.strip()

    def work(session: Session) -> InstructionView:
        earlier = instructions.find_by_key(session, key)
        if earlier is not None:  # a retry: the first request's legs, so that its payload matches
            kind, legs, currency = earlier.kind, earlier.legs, earlier.currency
        else:
            correction = _correction(session, actor, entry_id)
            kind, legs, currency = correction.kind, correction.legs, correction.currency
        return instructions.submit_in(session, actor, InstructionRequest(
            kind=kind, legs=legs, narrative=narrative, idempotency_key=key, currency=currency,
            reverses_entry_id=entry_id))

    try:
        return db.run(work)
    except IntegrityError:  # a concurrent request with the same key won the race: answer as a retry would
        return db.run(work)
