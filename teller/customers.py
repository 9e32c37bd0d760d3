"""Customers: lookup, the customer file, creating and editing customers, notes, and accounts for them.

Search sends one statement of index-backed, LIMITed lookups, so it stays fast at a million customers:
prefix ranges `col >= p AND col < p || U+10FFFF` over bytewise-ordered search keys (name, pinyin, given
name, ID number, phone number, account number), equality on a phone's last four digits, and for
substrings of three or more characters the FTS5 trigram table (SQLite) or the pg_trgm index (PostgreSQL).
Exact matches rank first, then prefix matches, then given names (小芳 for 王小芳: two characters, too few
for a trigram), then substrings.

A customer's ID document, birth date, gender and registered mobile protect later transactions: editing
them creates a PENDING customer change that applies only when a different user with checker authority
approves it. Everything else in an edit applies at once. Every change is audited with before and after.
"""

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    Integer, String, and_, bindparam, case, column, delete, func, literal_column, select, text, union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    Account, Customer, CustomerAddress, CustomerChange, CustomerNote, CustomerPhone, Instruction, JournalEntry,
    LoanApplication, PendingInstructionAccount, Posting, StaffUser,
)
from models.customer import (
    ADDRESS_KINDS, ADDRESS_LENGTH, CUSTOMER_KINDS, GENDERS, NAME_FTS_TABLE, NAME_LENGTH, PINYIN_FULL_LENGTH,
    SEGMENTS,
)
from teller import accounts, audit, authentication, chinese_names, clock, identifiers
from teller.accounts import AccountView
from teller.actor import Actor
from teller.days import parse_day
from teller.db import Database
from teller.errors import ApprovalError, InputError, status_name
from teller.i18n import N_, _, format_day
from teller.instructions import CHECKER_ROLES, MAKER_ROLES
from teller.loan_servicing import customer_loans_in, overdue_customers
from teller.loans import CustomerLoan

ID_TYPES_BY_KIND = {"individual": ("resident_id", "passport"), "company": ("uscc",)}
OTHER_PHONE_KINDS = ("mobile", "home", "work")
PROTECTED_FIELDS = ("id_type", "id_number", "birth_date", "gender", "registered_mobile")
GENDER_NAMES = {"male": N_("male"), "female": N_("female")}
MAX_SEARCH_LIMIT = 100
MIN_SUBSTRING = 3  # trigram indexes need three characters
MIN_GIVEN_NAME = 2  # a given name is searched from two Chinese characters (one would match a vast crowd)
NOTES_IN_FILE = 20
MAX_NOTE = 2000
_TOP = "\U0010ffff"  # the highest code point: every string starting with p sorts below p + _TOP

# Surnames whose reading differs from the character's everyday reading (单 is Shan, not Dan, as a surname).
# Compound surnames (欧阳, 尉迟, 万俟, 澹台, 长孙 ...) are already read right by pypinyin's phrase table.
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao", "乐": "yue", "覃": "qin",
    "查": "zha", "缪": "miao", "翟": "zhai", "盖": "ge", "种": "chong", "召": "shao", "员": "yun", "秘": "bi",
    "折": "she", "繁": "po", "句": "gou", "隗": "wei",
}
COMPOUND_SURNAMES_WITH_READING = ("单于",)


# --- Data handed to callers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneDraft:
    kind: str  # mobile, home or work
    number: str


@dataclass(frozen=True)
class AddressDraft:
    kind: str  # home, work, mailing or registered
    text: str


@dataclass(frozen=True)
class CustomerDraft:
    """What a create or edit form holds. For a resident ID, birth date and gender may be left None: they
    are read from the number (and must match it if given). Companies have neither."""

    kind: str
    name: str
    id_type: str
    id_number: str
    registered_mobile: str
    segment: str = "mass"
    birth_date: date | None = None
    gender: str | None = None
    other_phones: tuple[PhoneDraft, ...] = ()
    addresses: tuple[AddressDraft, ...] = ()
    relationship_owner_id: int | None = None


@dataclass(frozen=True)
class CustomerHit:
    """One search result. `matched_on` names the key that found it: name, given_name, name_substring,
    pinyin, pinyin_initials, id_number, mobile, mobile_last_four, account or loan."""

    id: int
    kind: str
    name: str
    masked_id: str
    masked_mobile: str
    segment: str
    has_overdue: bool
    has_pending: bool
    matched_on: str


@dataclass(frozen=True)
class PhoneView:
    id: int
    kind: str
    number: str
    masked: str
    is_registered: bool


@dataclass(frozen=True)
class AddressView:
    id: int
    kind: str
    text: str


@dataclass(frozen=True)
class NoteView:
    id: int
    staff_id: int
    staff_name: str
    created_at: datetime
    text: str


@dataclass(frozen=True)
class PendingInstructionView:
    id: int
    kind: str
    currency: str
    amount: int
    narrative: str
    maker_name: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class CustomerChangeView:
    """A maker-checker change of protected fields; `before` and `after` hold only the fields that change
    (dates as ISO text)."""

    id: int
    customer_id: int
    customer_name: str
    status: str
    before: dict
    after: dict
    maker_id: int
    maker_name: str
    checker_id: int | None
    created_at: datetime
    decided_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class CustomerFile:
    """Everything the bank knows about one customer, for the customer file screen. `loans` lists their loans
    and applications, newest first; `notes` holds the newest `NOTES_IN_FILE` (page on with `list_notes`)."""

    id: int
    kind: str
    name: str
    id_type: str
    id_number: str
    masked_id: str
    birth_date: date | None
    gender: str | None
    segment: str
    relationship_owner_id: int | None
    relationship_owner_name: str | None
    phones: tuple[PhoneView, ...]
    addresses: tuple[AddressView, ...]
    accounts: tuple[AccountView, ...]
    pending_instructions: tuple[PendingInstructionView, ...]
    pending_change: CustomerChangeView | None
    notes: tuple[NoteView, ...]
    created_at: datetime
    updated_at: datetime
    loans: tuple[CustomerLoan, ...] = ()

    @property
    def registered_mobile(self) -> PhoneView | None:
        return next((phone for phone in self.phones if phone.is_registered), None)


@dataclass(frozen=True)
class TransactionLine:
    """One posting on a customer's account. `amount` is its effect on the balance (credit to a deposit
    account: positive)."""

    entry_id: int
    instruction_id: int
    posting_id: int
    account_number: str
    business_date: date
    posted_at: datetime
    narrative: str
    currency: str
    debit: int
    credit: int
    amount: int


@dataclass(frozen=True)
class TransactionPage:
    """Newest first. Pass `next_before` as `before` for the next (older) page; None when there is none."""

    lines: tuple[TransactionLine, ...]
    next_before: int | None


@dataclass(frozen=True)
class UpdateOutcome:
    """`changed` names the fields applied at once; `pending_change` is the change waiting for a second key."""

    customer_id: int
    changed: tuple[str, ...]
    pending_change: CustomerChangeView | None


# --- Search keys --------------------------------------------------------------------------------------


def name_key(name: str) -> str:
    """The form names are searched in: NFKC (full-width to ASCII), case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def pinyin_keys(name: str, *, person: bool = True) -> tuple[str, str]:
    """(full pinyin, initials) without tones or spaces: 王芳 -> ('wangfang', 'wf'); Latin words count as
    syllables (Zhang Wei -> 'zhangwei', 'zw'). Each character takes its most common reading
    (pypinyin, no heteronyms), except that a person's surname is read as a surname (单 -> shan)."""
    # Imported here: pypinyin loads its phrase dictionary (a third of a second) on import, which only
    # creating and renaming customers needs, not the workstation's start or its search.
    from pypinyin import Style, lazy_pinyin

    key = name_key(name)
    syllables = lazy_pinyin(key, style=Style.NORMAL)
    if person and key[:1] in SURNAME_READINGS and not key.startswith(COMPOUND_SURNAMES_WITH_READING):
        syllables[0] = SURNAME_READINGS[key[0]]
    words = [word for syllable in syllables for word in re.findall(r"[a-z0-9]+", syllable.lower())]
    return "".join(words)[:PINYIN_FULL_LENGTH], "".join(word[0] for word in words)[:NAME_LENGTH]


def given_name_key(name: str, *, person: bool = True) -> str | None:
    """A person's Chinese name without its surname, in name-key form: 王小芳 -> 小芳, 欧阳小芳 -> 小芳
    (`teller.chinese_names`). None for a company, a Latin name or a one-character name."""
    return chinese_names.given_name(name_key(name)[:NAME_LENGTH]) if person else None


# --- Validation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Clean:
    kind: str
    name: str
    id_type: str
    id_number: str
    birth_date: date | None
    gender: str | None
    segment: str
    registered_mobile: str
    other_phones: tuple[tuple[str, str], ...]
    addresses: tuple[tuple[str, str], ...]
    relationship_owner_id: int | None

    def protected(self) -> dict:
        return {
            "id_type": self.id_type, "id_number": self.id_number,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "gender": self.gender, "registered_mobile": self.registered_mobile,
        }


def _clean_name(name: str) -> str:
    cleaned = " ".join(unicodedata.normalize("NFKC", name).split())
    if not cleaned:
        raise InputError("name", _("give the customer's name as on their ID document"))
    if len(cleaned) > NAME_LENGTH:
        raise InputError("name", _("keep the name to {most} characters").format(most=NAME_LENGTH))
    if not any(unicodedata.category(character).startswith("L") for character in cleaned):
        raise InputError("name", _("a name needs letters or Chinese characters"))
    if any(unicodedata.category(character) == "Cc" for character in cleaned):
        raise InputError("name", _("remove control characters from the name"))
    return cleaned


def parse_birth_date(text: str) -> date | None:
    """A birth date typed as YYYY-MM-DD (`teller.days`); None when nothing was typed."""
    if not (text or "").strip():
        return None
    return parse_day(text, field="birth date", example="1985-03-07")


def _clean_identity(draft: CustomerDraft, today: date) -> tuple[str, date | None, str | None]:
    """(id number, birth date, gender), checked against the ID type and each other."""
    if draft.kind == "company":
        number = identifiers.social_credit_code(draft.id_number)
        if draft.birth_date is not None:
            raise InputError("birth date", _("a company has no birth date: leave it empty"))
        if draft.gender is not None:
            raise InputError("gender", _("a company has no gender: leave it empty"))
        return number, None, None
    if draft.id_type == "resident_id":
        number = identifiers.resident_id(draft.id_number, today=today)
        born, gender = identifiers.birth_date_of(number), identifiers.gender_of(number)
        if draft.birth_date is not None and draft.birth_date != born:
            raise InputError("birth date", _("the ID number gives {born}: correct the number or the date").format(
                born=format_day(born)))
        if draft.gender is not None and draft.gender != gender:
            raise InputError("gender", _("the ID number gives {gender}: correct the number or the gender").format(
                gender=_(GENDER_NAMES[gender])))
        return number, born, gender
    number = identifiers.passport_number(draft.id_number)
    if draft.birth_date is None:
        raise InputError("birth date", _("give the birth date as in the passport"))
    if draft.birth_date > today or draft.birth_date.year < identifiers.EARLIEST_BIRTH_YEAR:
        raise InputError("birth date", _("{born} cannot be a birth date").format(born=format_day(draft.birth_date)))
    if draft.gender not in GENDERS:
        raise InputError("gender", _("choose male or female as in the passport"))
    return number, draft.birth_date, draft.gender


def _clean_phones(draft: CustomerDraft, registered: str) -> tuple[tuple[str, str], ...]:
    seen = {registered}
    phones = []
    for phone in draft.other_phones:
        if phone.kind not in OTHER_PHONE_KINDS:
            raise InputError("phone", _("a phone is one of {kinds}, not {kind!r}").format(
                kinds=", ".join(OTHER_PHONE_KINDS), kind=phone.kind))
        try:
            number = identifiers.mobile(phone.number, field="phone") if phone.kind == "mobile" else (
                identifiers.landline(phone.number, field="phone"))
        except InputError as error:
            raise InputError("phone", _("{number}: {problem}").format(
                number=phone.number.strip(), problem=error.message)) from None
        if number in seen:
            raise InputError("phone", _("{number} is given twice (the registered mobile is listed on its own)").format(
                number=number))
        seen.add(number)
        phones.append((phone.kind, number))
    return tuple(phones)


def _clean_addresses(draft: CustomerDraft) -> tuple[tuple[str, str], ...]:
    addresses = []
    for address in draft.addresses:
        if address.kind not in ADDRESS_KINDS:
            raise InputError("address", _("an address is one of {kinds}, not {kind!r}").format(
                kinds=", ".join(ADDRESS_KINDS), kind=address.kind))
        cleaned = " ".join(unicodedata.normalize("NFKC", address.text).split())
        if not cleaned:
            raise InputError("address", _("the {kind} address is empty: fill it in or remove it").format(
                kind=address.kind))
        if len(cleaned) > ADDRESS_LENGTH:
            raise InputError("address", _("keep an address to {most} characters").format(most=ADDRESS_LENGTH))
        addresses.append((address.kind, cleaned))
    return tuple(addresses)


def _clean(draft: CustomerDraft) -> _Clean:
    """Check every field of a draft (widgets only check format); InputError names the first bad field."""
    if draft.kind not in CUSTOMER_KINDS:
        raise InputError("kind", _("a customer is an individual or a company"))
    name = _clean_name(draft.name)
    if draft.id_type not in ID_TYPES_BY_KIND[draft.kind]:
        refusal = (_("a company is identified by its unified social credit code") if draft.kind == "company"
                   else _("an individual is identified by a resident ID or a passport"))
        raise InputError("id type", refusal)
    number, born, gender = _clean_identity(draft, clock.branch_today())
    if draft.segment not in SEGMENTS:
        raise InputError("segment", _("choose one of {segments}").format(segments=", ".join(SEGMENTS)))
    registered = identifiers.mobile(draft.registered_mobile, field="registered mobile")
    return _Clean(
        kind=draft.kind, name=name, id_type=draft.id_type, id_number=number, birth_date=born, gender=gender,
        segment=draft.segment, registered_mobile=registered, other_phones=_clean_phones(draft, registered),
        addresses=_clean_addresses(draft), relationship_owner_id=draft.relationship_owner_id,
    )


def _require_role(actor: Actor, roles: tuple[str, ...], refusal: str) -> None:
    """Refuse an actor without one of `roles`; `refusal` is a marked message naming the {username}."""
    if actor.staff_id is None or not set(actor.roles) & set(roles):
        raise ApprovalError(_(refusal).format(username=actor.username))


def _check_owner(session: Session, owner_id: int | None) -> None:
    if owner_id is None:
        return
    if not session.execute(select(StaffUser.id).where(StaffUser.id == owner_id, StaffUser.active)).scalar():
        raise InputError("relationship owner", _("there is no active staff member {id}").format(id=owner_id))


def _refuse_duplicate_id(session: Session, id_number: str, customer_id: int | None = None) -> None:
    holder = session.execute(
        select(Customer.id, Customer.name).where(Customer.id_number == id_number)
    ).first()
    if holder is not None and holder.id != customer_id:
        raise InputError("id number", _("{number} already belongs to customer {id} {name}: open that customer instead")
                         .format(number=identifiers.mask_id(id_number), id=holder.id, name=holder.name))


def _load(session: Session, customer_id: int, *, lock: bool = False) -> Customer:
    query = select(Customer).where(Customer.id == customer_id)
    customer = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if customer is None:
        raise InputError("customer", _("customer {id} does not exist").format(id=customer_id))
    return customer


# --- Creating and editing -----------------------------------------------------------------------------


def _set_name(customer: Customer, name: str) -> None:
    customer.name = name
    customer.name_key = name_key(name)[:NAME_LENGTH]  # case folding can lengthen a name (ß -> ss)
    person = customer.kind == "individual"
    customer.pinyin_full, customer.pinyin_initials = pinyin_keys(name, person=person)
    customer.given_name_key = given_name_key(name, person=person)


def _phone(customer_id: int, kind: str, number: str, *, registered: bool = False) -> CustomerPhone:
    return CustomerPhone(customer_id=customer_id, kind=kind, number=number, last_four=number[-4:],
                         is_registered=registered)


def create_customer(db: Database, actor: Actor, draft: CustomerDraft) -> int:
    """Validate and record a new customer (no accounts); returns its id. A known ID number is refused
    with the existing customer's id and name."""
    _require_role(actor, MAKER_ROLES, N_("{username} has no role that may create customers"))
    clean = _clean(draft)

    def work(session: Session) -> int:
        _refuse_duplicate_id(session, clean.id_number)
        _check_owner(session, clean.relationship_owner_id)
        now = clock.now()
        customer = Customer(
            kind=clean.kind, id_type=clean.id_type, id_number=clean.id_number, birth_date=clean.birth_date,
            gender=clean.gender, segment=clean.segment, relationship_owner_id=clean.relationship_owner_id,
            created_at=now, updated_at=now,
        )
        _set_name(customer, clean.name)
        session.add(customer)
        session.flush()
        session.add(_phone(customer.id, "mobile", clean.registered_mobile, registered=True))
        session.add_all(_phone(customer.id, kind, number) for kind, number in clean.other_phones)
        session.add_all(CustomerAddress(customer_id=customer.id, kind=kind, text=address)
                        for kind, address in clean.addresses)
        session.flush()
        audit.record(session, actor, "customer.created", object_type="customer", object_id=customer.id,
                     kind=clean.kind, name=clean.name, segment=clean.segment, owner=clean.relationship_owner_id,
                     other_phones=[list(phone) for phone in clean.other_phones],
                     addresses=[list(address) for address in clean.addresses], **clean.protected())
        return customer.id

    try:
        return db.run(work)
    except IntegrityError:
        # Another terminal recorded the same ID number in the meantime: say whose it is.
        db.run(lambda session: _refuse_duplicate_id(session, clean.id_number), readonly=True)
        raise


def _protected_now(session: Session, customer: Customer) -> dict:
    registered = session.execute(
        select(CustomerPhone.number).where(CustomerPhone.customer_id == customer.id, CustomerPhone.is_registered)
    ).scalar_one()
    return {
        "id_type": customer.id_type, "id_number": customer.id_number,
        "birth_date": customer.birth_date.isoformat() if customer.birth_date else None,
        "gender": customer.gender, "registered_mobile": registered,
    }


def _other_phones(session: Session, customer_id: int) -> list[CustomerPhone]:
    return list(session.scalars(
        select(CustomerPhone).where(CustomerPhone.customer_id == customer_id, CustomerPhone.is_registered.is_(False))
        .order_by(CustomerPhone.id)
    ))


def _addresses(session: Session, customer_id: int) -> list[CustomerAddress]:
    return list(session.scalars(
        select(CustomerAddress).where(CustomerAddress.customer_id == customer_id).order_by(CustomerAddress.id)
    ))


def _change_view(session: Session, change: CustomerChange) -> CustomerChangeView:
    customer_name = session.execute(select(Customer.name).where(Customer.id == change.customer_id)).scalar_one()
    maker_name = session.execute(select(StaffUser.display_name).where(StaffUser.id == change.maker_id)).scalar_one()
    return CustomerChangeView(
        id=change.id, customer_id=change.customer_id, customer_name=customer_name, status=change.status,
        before=json.loads(change.before), after=json.loads(change.after), maker_id=change.maker_id,
        maker_name=maker_name, checker_id=change.checker_id, created_at=clock.as_utc(change.created_at),
        decided_at=clock.as_utc(change.decided_at) if change.decided_at else None, reason=change.reason,
    )


def _pending_change(session: Session, customer_id: int, *, lock: bool = False) -> CustomerChange | None:
    query = select(CustomerChange).where(CustomerChange.customer_id == customer_id, CustomerChange.status == "PENDING")
    return session.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def _apply_ordinary(session: Session, customer: Customer, clean: _Clean, registered_now: str) -> dict:
    """Apply name, segment, owner, other phones and addresses; returns {field: [before, after]} changed."""
    changes: dict = {}
    if clean.name != customer.name:
        changes["name"] = [customer.name, clean.name]
        _set_name(customer, clean.name)
    if clean.segment != customer.segment:
        changes["segment"] = [customer.segment, clean.segment]
        customer.segment = clean.segment
    if clean.relationship_owner_id != customer.relationship_owner_id:
        _check_owner(session, clean.relationship_owner_id)
        changes["relationship_owner_id"] = [customer.relationship_owner_id, clean.relationship_owner_id]
        customer.relationship_owner_id = clean.relationship_owner_id
    phones = _other_phones(session, customer.id)
    current_phones = [[phone.kind, phone.number] for phone in phones]
    wanted_phones = [list(phone) for phone in clean.other_phones]
    if current_phones != wanted_phones:
        if any(number == registered_now for _kind, number in clean.other_phones):
            raise InputError("phone", _("{number} is the registered mobile: list it only once").format(
                number=registered_now))
        for phone in phones:
            session.delete(phone)
        session.flush()
        session.add_all(_phone(customer.id, kind, number) for kind, number in clean.other_phones)
        changes["other_phones"] = [current_phones, wanted_phones]
    addresses = _addresses(session, customer.id)
    current_addresses = [[address.kind, address.text] for address in addresses]
    wanted_addresses = [list(address) for address in clean.addresses]
    if current_addresses != wanted_addresses:
        for address in addresses:
            session.delete(address)
        session.add_all(CustomerAddress(customer_id=customer.id, kind=kind, text=address)
                        for kind, address in clean.addresses)
        changes["addresses"] = [current_addresses, wanted_addresses]
    return changes


def update_customer(db: Database, actor: Actor, customer_id: int, draft: CustomerDraft) -> UpdateOutcome:
    """Save an edited customer. Ordinary fields apply at once; a different ID document, birth date, gender
    or registered mobile becomes a PENDING customer change that needs a second key."""
    _require_role(actor, MAKER_ROLES, N_("{username} has no role that may edit customers"))
    clean = _clean(draft)

    def work(session: Session) -> UpdateOutcome:
        customer = _load(session, customer_id, lock=True)
        if clean.kind != customer.kind:
            raise InputError("kind", _("a customer stays {kind}: record the other kind as a new customer").format(
                kind=customer.kind))
        before = _protected_now(session, customer)
        wanted = clean.protected()
        protected_before = {field: before[field] for field in PROTECTED_FIELDS if before[field] != wanted[field]}
        protected_after = {field: wanted[field] for field in protected_before}
        if protected_after:
            if (waiting := _pending_change(session, customer.id)) is not None:
                raise InputError("customer", _(
                    "change {id} of this customer's identity is waiting for a second key: "
                    "have it approved or rejected first").format(id=waiting.id))
            if "id_number" in protected_after:
                _refuse_duplicate_id(session, clean.id_number, customer.id)
        changes = _apply_ordinary(session, customer, clean, before["registered_mobile"])
        if changes:
            customer.updated_at = clock.now()
            audit.record(session, actor, "customer.updated", object_type="customer", object_id=customer.id,
                         changes=changes)
        change_view = None
        if protected_after:
            change = CustomerChange(
                customer_id=customer.id, status="PENDING", maker_id=actor.staff_id, created_at=clock.now(),
                before=json.dumps(protected_before, sort_keys=True, ensure_ascii=False),
                after=json.dumps(protected_after, sort_keys=True, ensure_ascii=False),
            )
            session.add(change)
            session.flush()
            audit.record(session, actor, "customer.change_requested", object_type="customer_change",
                         object_id=change.id, customer=customer.id, before=protected_before, after=protected_after)
            change_view = _change_view(session, change)
        return UpdateOutcome(customer.id, tuple(changes), change_view)

    return db.run(work)


def edit_draft(db: Database, customer_id: int) -> CustomerDraft:
    """The customer as a draft, to fill an edit form (protected fields as they stand, not as pending).
    With a resident ID, birth date and gender are left None: they follow the number."""

    def work(session: Session) -> CustomerDraft:
        customer = _load(session, customer_id)
        protected = _protected_now(session, customer)
        from_number = customer.id_type == "resident_id"
        return CustomerDraft(
            kind=customer.kind, name=customer.name, id_type=customer.id_type, id_number=customer.id_number,
            registered_mobile=protected["registered_mobile"], segment=customer.segment,
            birth_date=None if from_number else customer.birth_date, gender=None if from_number else customer.gender,
            other_phones=tuple(PhoneDraft(phone.kind, phone.number) for phone in _other_phones(session, customer_id)),
            addresses=tuple(AddressDraft(address.kind, address.text) for address in _addresses(session, customer_id)),
            relationship_owner_id=customer.relationship_owner_id,
        )

    return db.run(work, readonly=True)


# --- The second key on identity changes ---------------------------------------------------------------


def _decidable(session: Session, change_id: int, checker: Actor) -> CustomerChange:
    _require_role(checker, CHECKER_ROLES, N_("{username} has no role that may give the second key on customer changes"))
    change = session.execute(
        select(CustomerChange).where(CustomerChange.id == change_id).with_for_update()
    ).scalar_one_or_none()
    if change is None:
        raise InputError("change", _("customer change {id} does not exist").format(id=change_id))
    if change.status != "PENDING":
        raise ApprovalError(_("customer change {id} is already {status}").format(
            id=change_id, status=status_name(change.status)))
    if change.maker_id == checker.staff_id:
        raise ApprovalError(_("the maker cannot give the second key on their own change"))
    return change


def approve_customer_change(db: Database, change_id: int, checker: Actor) -> CustomerChangeView:
    """Apply a pending change as its second key (the checker is already authenticated). Refused if the
    customer's protected fields moved since the change was made, or the new ID number is taken."""

    def work(session: Session) -> CustomerChangeView:
        change = _decidable(session, change_id, checker)
        customer = _load(session, change.customer_id, lock=True)
        before, after = json.loads(change.before), json.loads(change.after)
        now_values = _protected_now(session, customer)
        if any(now_values[field] != value for field, value in before.items()):
            raise ApprovalError(_(
                "customer {id} changed after change {change} was made: reject it and have the maker enter it again"
            ).format(id=customer.id, change=change_id))
        if "id_number" in after:
            _refuse_duplicate_id(session, after["id_number"], customer.id)
        for field in ("id_type", "id_number", "gender"):
            if field in after:
                setattr(customer, field, after[field])
        if "birth_date" in after:
            customer.birth_date = date.fromisoformat(after["birth_date"]) if after["birth_date"] else None
        if "registered_mobile" in after:
            number = after["registered_mobile"]
            session.execute(delete(CustomerPhone).where(
                CustomerPhone.customer_id == customer.id, CustomerPhone.number == number,
                CustomerPhone.is_registered.is_(False)))
            registered = session.execute(select(CustomerPhone).where(
                CustomerPhone.customer_id == customer.id, CustomerPhone.is_registered)).scalar_one()
            registered.number, registered.last_four = number, number[-4:]
        customer.updated_at = change.decided_at = clock.now()
        change.status, change.checker_id = "APPLIED", checker.staff_id
        session.flush()
        audit.record(session, checker, "customer.change_applied", object_type="customer_change",
                     object_id=change.id, customer=customer.id, maker=change.maker_id, before=before, after=after)
        return _change_view(session, change)

    return db.run(work)


def approve_customer_change_with_second_key(
    db: Database, change_id: int, username: str, password: str, code: str, terminal: str
) -> CustomerChangeView:
    """The checker types their own user name, password and a fresh TOTP code; then the change applies."""
    checker = authentication.authenticate(db, username, password, code, terminal, purpose="second_key")
    return approve_customer_change(db, change_id, checker)


def reject_customer_change(db: Database, change_id: int, checker: Actor, reason: str) -> CustomerChangeView:
    """A checker refuses a pending change; the customer stays as it was."""
    reason = reason.strip()
    if not reason:
        raise InputError("reason", _("say why the change is rejected"))

    def work(session: Session) -> CustomerChangeView:
        change = _decidable(session, change_id, checker)
        change.status, change.checker_id, change.decided_at, change.reason = (
            "REJECTED", checker.staff_id, clock.now(), reason)
        session.flush()
        audit.record(session, checker, "customer.change_rejected", object_type="customer_change",
                     object_id=change.id, customer=change.customer_id, reason=reason)
        return _change_view(session, change)

    return db.run(work)


def pending_customer_changes(db: Database, *, limit: int = 100) -> list[CustomerChangeView]:
    """Changes waiting for a second key, oldest first (the checkers' queue)."""
    return db.run(lambda session: [_change_view(session, change) for change in session.scalars(
        select(CustomerChange).where(CustomerChange.status == "PENDING").order_by(CustomerChange.id).limit(limit)
    )], readonly=True)


# --- Notes and accounts -------------------------------------------------------------------------------


def _note_views(session: Session, customer_id: int, before: int | None, limit: int) -> tuple[NoteView, ...]:
    query = (
        select(CustomerNote, StaffUser.display_name).join(StaffUser, StaffUser.id == CustomerNote.staff_id)
        .where(CustomerNote.customer_id == customer_id).order_by(CustomerNote.id.desc()).limit(limit)
    )
    if before is not None:
        query = query.where(CustomerNote.id < before)
    return tuple(NoteView(note.id, note.staff_id, staff_name, clock.as_utc(note.created_at), note.text)
                 for note, staff_name in session.execute(query))


def add_note(db: Database, actor: Actor, customer_id: int, text: str) -> NoteView:
    """Add to the customer's notes and visit log."""
    _require_role(actor, MAKER_ROLES, N_("{username} has no role that may write customer notes"))
    cleaned = text.strip()
    if not cleaned:
        raise InputError("note", _("write something to note"))
    if len(cleaned) > MAX_NOTE:
        raise InputError("note", _("keep a note to {most} characters").format(most=MAX_NOTE))

    def work(session: Session) -> NoteView:
        _load(session, customer_id)
        note = CustomerNote(customer_id=customer_id, staff_id=actor.staff_id, created_at=clock.now(), text=cleaned)
        session.add(note)
        session.flush()
        audit.record(session, actor, "customer.note_added", object_type="customer", object_id=customer_id,
                     note=note.id, text=cleaned)
        staff_name = session.execute(select(StaffUser.display_name).where(StaffUser.id == actor.staff_id)).scalar_one()
        return NoteView(note.id, note.staff_id, staff_name, clock.as_utc(note.created_at), note.text)

    return db.run(work)


def list_notes(db: Database, customer_id: int, *, before: int | None = None, limit: int = 20) -> tuple[NoteView, ...]:
    """Notes newest first; pass the last note's id as `before` for older ones."""
    return db.run(lambda session: _note_views(session, customer_id, before, limit), readonly=True)


def open_account_for(db: Database, actor: Actor, customer_id: int, currency: str = "CNY") -> AccountView:
    """Open a demand deposit account in the customer's name at the actor's branch, linked to the customer."""
    _require_role(actor, MAKER_ROLES, N_("{username} has no role that may open accounts"))
    if actor.branch_id is None:
        raise ApprovalError(_("{username} belongs to no branch").format(username=actor.username))
    name = db.run(lambda session: _load(session, customer_id).name, readonly=True)
    return accounts.open_deposit_account(db, actor, actor.branch_id, name, currency, customer_id=customer_id)


# --- Reading: the customer file and transactions -------------------------------------------------------


def _pending_instructions(session: Session, customer_id: int) -> tuple[PendingInstructionView, ...]:
    touched = (
        select(PendingInstructionAccount.instruction_id)
        .join(Account, Account.id == PendingInstructionAccount.account_id)
        .where(Account.customer_id == customer_id)
    )
    rows = session.execute(
        select(Instruction, StaffUser.display_name).join(StaffUser, StaffUser.id == Instruction.maker_id)
        .where(Instruction.id.in_(touched), Instruction.expires_at > clock.now())
        .order_by(Instruction.id)
    )
    return tuple(
        PendingInstructionView(instruction.id, instruction.kind, instruction.currency, instruction.amount,
                               instruction.narrative, maker_name, clock.as_utc(instruction.created_at),
                               clock.as_utc(instruction.expires_at))
        for instruction, maker_name in rows
    )


def customer_file(db: Database, customer_id: int) -> CustomerFile:
    """The customer 360: identity, contacts, accounts with ledger and available balance, pending
    instructions and identity change, and the newest notes."""

    def work(session: Session) -> CustomerFile:
        customer = _load(session, customer_id)
        owner_name = session.execute(
            select(StaffUser.display_name).where(StaffUser.id == customer.relationship_owner_id)
        ).scalar() if customer.relationship_owner_id else None
        phones = session.scalars(
            select(CustomerPhone).where(CustomerPhone.customer_id == customer_id)
            .order_by(CustomerPhone.is_registered.desc(), CustomerPhone.id)
        )
        held_accounts = session.scalars(select(Account).where(
            Account.customer_id == customer_id, Account.gl_code == accounts.DEPOSIT_GL).order_by(Account.id))
        change = _pending_change(session, customer_id)
        return CustomerFile(
            id=customer.id, kind=customer.kind, name=customer.name, id_type=customer.id_type,
            id_number=customer.id_number, masked_id=identifiers.mask_id(customer.id_number),
            birth_date=customer.birth_date, gender=customer.gender, segment=customer.segment,
            relationship_owner_id=customer.relationship_owner_id, relationship_owner_name=owner_name,
            phones=tuple(PhoneView(phone.id, phone.kind, phone.number, identifiers.mask_phone(phone.number),
                                   phone.is_registered) for phone in phones),
            addresses=tuple(AddressView(address.id, address.kind, address.text)
                            for address in _addresses(session, customer_id)),
            accounts=tuple(AccountView(account.id, account.number, account.name, account.gl_code, account.currency,
                                       account.status, account.no_negative, account.balance, account.held)
                           for account in held_accounts),
            pending_instructions=_pending_instructions(session, customer_id),
            pending_change=_change_view(session, change) if change else None,
            notes=_note_views(session, customer_id, None, NOTES_IN_FILE),
            created_at=clock.as_utc(customer.created_at), updated_at=clock.as_utc(customer.updated_at),
            loans=customer_loans_in(session, customer_id),
        )

    return db.run(work, readonly=True)


def _lines_query():
    return (
        select(Posting.id, Posting.entry_id, JournalEntry.instruction_id, Account.number, Account.normal_side,
               Posting.currency, Posting.debit, Posting.credit, JournalEntry.business_date, JournalEntry.posted_at,
               JournalEntry.narrative)
        .join(Account, Account.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
    )


def _line(row) -> TransactionLine:
    amount = row.debit - row.credit if row.normal_side == "debit" else row.credit - row.debit
    return TransactionLine(row.entry_id, row.instruction_id, row.id, row.number, row.business_date, clock.as_utc(row.posted_at),
                           row.narrative, row.currency, row.debit, row.credit, amount)


def recent_transactions(
    db: Database, customer_id: int, *, before: int | None = None, limit: int = 20
) -> TransactionPage:
    """Postings on the customer's deposit accounts (a loan's own postings are in its loan file), newest entry
    first, about `limit` lines a page; `before` is an entry id (the previous page's `next_before`). Each account
    is read by its (account, entry) index with its own LIMIT and the streams are merged, so a page never reads
    more than (accounts x limit) rows; a page never splits an entry, so it may run a line or two over `limit`."""
    if limit < 1:
        raise InputError("limit", _("ask for at least one line"))

    def work(session: Session) -> TransactionPage:
        account_ids = session.scalars(select(Account.id).where(Account.customer_id == customer_id,
                                                               Account.gl_code == accounts.DEPOSIT_GL)).all()
        rows = []
        for account_id in account_ids:
            query = _lines_query().where(Posting.account_id == account_id)
            if before is not None:
                query = query.where(Posting.entry_id < before)
            rows += session.execute(query.order_by(Posting.entry_id.desc()).limit(limit + 1)).all()
        rows.sort(key=lambda row: (row.entry_id, row.id), reverse=True)
        if len(rows) <= limit:
            return TransactionPage(tuple(_line(row) for row in rows), None)
        oldest_entry = rows[limit - 1].entry_id
        newer = [row for row in rows if row.entry_id > oldest_entry]
        oldest = session.execute(
            _lines_query().where(Posting.entry_id == oldest_entry, Posting.account_id.in_(account_ids))
            .order_by(Posting.id.desc())
        ).all()
        older_exists = session.execute(
            select(Posting.id).where(Posting.account_id.in_(account_ids), Posting.entry_id < oldest_entry).limit(1)
        ).first() is not None
        return TransactionPage(tuple(_line(row) for row in newer + oldest), oldest_entry if older_exists else None)

    return db.run(work, readonly=True)


# --- Search -------------------------------------------------------------------------------------------

# Ranks: an exact match, then a prefix match (of a name, pinyin or number), then a given name, then a substring.
EXACT, PREFIX, GIVEN_NAME, SUBSTRING = 0, 1, 2, 3

# Keys read by prefix: (key column, customer id column, conditions every such lookup adds).
_PREFIX_KEYS = {
    "name": (Customer.name_key, Customer.id, ()),
    "pinyin": (Customer.pinyin_full, Customer.id, ()),
    "pinyin_initials": (Customer.pinyin_initials, Customer.id, ()),
    "id_number": (Customer.id_number, Customer.id, ()),
    "mobile": (CustomerPhone.number, CustomerPhone.customer_id, ()),
    "account": (Account.number, Account.customer_id, (Account.customer_id.is_not(None),)),
    "loan": (LoanApplication.number, LoanApplication.customer_id, ()),
}
# The other keys' hits rank the same whatever they hold.
_FIXED_RANKS = {"given_name": GIVEN_NAME, "mobile_last_four": PREFIX, "name_substring": SUBSTRING}


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _is_latin(query: str) -> bool:
    return query.isascii() and any(character.isalpha() for character in query) and all(
        character.isalpha() or character in " '-." for character in query)


def _lookups(query: str) -> list[tuple[str, str]]:
    """(key, value) for every index-backed lookup the query's shape calls for, in order of preference."""
    key = name_key(query)
    compact = identifiers.compact(query).upper()
    if re.fullmatch(r"\+?[0-9]+X?", compact):
        number = compact.lstrip("+")
        found = [("id_number", number)]
        phone = identifiers.phone_digits(compact)
        if phone.isdigit():
            found += [("mobile_last_four", phone)] if len(phone) == 4 else []
            found += [("mobile", phone)]
        return found + ([("account", number)] if number.isdigit() else [])
    if re.fullmatch(r"[0-9A-Z]+", compact) and any(character.isdigit() for character in compact):
        return [("id_number", compact), ("account", compact), ("loan", compact)]
    found = [("name", key)]
    if _is_latin(key):
        letters = re.sub(r"[^a-z]", "", key)
        found += [("pinyin", letters), ("pinyin_initials", letters)]
    if len(key) >= MIN_GIVEN_NAME and chinese_names.is_chinese(key):
        found += [("given_name", key)]
    if len(key) >= MIN_SUBSTRING:
        found += [("name_substring", key)]
    return found


def _written(limit: int):
    """A LIMIT written into the statement's text (a bound LIMIT is a parameter: see `_search_statement`)."""
    return literal_column(str(int(limit)), Integer)


def _lookup_arm(part: int, lookup: str, dialect: str, limit: int):
    """Lookup number `part` of a search as one arm of its UNION ALL: (part, rank, value, customer_id) for at
    most `limit` rows read in the key's index order. Its parameters carry the part's number (`_arm_values`)."""
    prefix, upper, most = bindparam(f"prefix_{part}"), bindparam(f"upper_{part}"), _written(limit)
    if lookup in _PREFIX_KEYS:
        key, customer_id, extra = _PREFIX_KEYS[lookup]
        inner = (select(customer_id.label("customer_id"), key.label("value"))
                 .where(key >= prefix, key < upper, *extra).order_by(key).limit(most))
    elif lookup == "given_name":  # exact given names first, then longer ones, each in the order customers came
        inner = (select(Customer.id.label("customer_id"), Customer.given_name_key.label("value"))
                 .where(Customer.given_name_key >= prefix, Customer.given_name_key < upper)
                 .order_by(Customer.given_name_key, Customer.id).limit(most))
    elif lookup == "mobile_last_four":
        inner = (select(CustomerPhone.customer_id.label("customer_id"), CustomerPhone.number.label("value"))
                 .where(CustomerPhone.last_four == bindparam(f"last_four_{part}"))
                 .order_by(CustomerPhone.id).limit(most))
    elif dialect == "sqlite":  # a name substring, from the FTS5 trigram table (its rowid is the customer's id)
        inner = text(f"SELECT rowid AS customer_id, '' AS value FROM {NAME_FTS_TABLE}"
                     f" WHERE {NAME_FTS_TABLE} MATCH :phrase_{part} LIMIT {limit:d}").columns(
            column("customer_id", Integer), column("value", String))
    else:  # a name substring, through the pg_trgm index
        inner = (select(Customer.id.label("customer_id"), literal_column("''", String).label("value"))
                 .where(Customer.name_key.like(bindparam(f"pattern_{part}"), escape="\\")).limit(most))
    arm = inner.subquery(f"part_{part}")
    rank = (case((arm.c.value == prefix, EXACT), else_=PREFIX) if lookup in _PREFIX_KEYS
            else literal_column(str(_FIXED_RANKS[lookup])))
    return select(literal_column(str(part)).label("part"), rank.label("rank"), arm.c.value, arm.c.customer_id)


def _arm_values(part: int, lookup: str, value: str, dialect: str) -> dict:
    """The parameters of `_lookup_arm(part, lookup, dialect)` for the typed `value`."""
    if lookup == "mobile_last_four":
        return {f"last_four_{part}": value}
    if lookup != "name_substring":
        return {f"prefix_{part}": value, f"upper_{part}": value + _TOP}
    if dialect == "sqlite":
        return {f"phrase_{part}": '"' + value.replace('"', '""') + '"'}
    return {f"pattern_{part}": f"%{_escape_like(value)}%"}


# Whether a customer has a pending, unexpired instruction: from their accounts (by customer), to the pending
# instructions on each account (by account), to each instruction's expiry (by key). The link table holds
# pending instructions only, so the bank's other pending instructions are never read.
_HAS_PENDING = (
    select(PendingInstructionAccount.instruction_id)
    .join(Account, Account.id == PendingInstructionAccount.account_id)
    .join(Instruction, Instruction.id == PendingInstructionAccount.instruction_id)
    .where(Account.customer_id == Customer.id, Instruction.expires_at > bindparam("now"))
    .exists()
)


@functools.cache
def _search_statement(lookups: tuple[str, ...], dialect: str, limit: int):
    """One statement for a whole search's hits, built once per shape of query: the lookups' arms, each
    customer once at their best (rank, part, key), the best `limit` of them with their row, phone and pending
    marker. Each statement costs a round trip and the driver's work around it.

    The overdue marker stays a statement of its own: inside this one, PostgreSQL's planning time tripled.
    The LIMITs are written into the statement, not sent as parameters: PostgreSQL plans a lookup once for
    every value (`Database.run`'s lookups), and with a LIMIT it cannot see, that one plan would read a rare
    substring by a sequential scan rather than through the trigram index."""
    found = union_all(*(_lookup_arm(part, lookup, dialect, limit)
                        for part, lookup in enumerate(lookups))).subquery("found")
    best_first = (found.c.rank, found.c.part, found.c.value)
    ranked = select(found, func.row_number().over(partition_by=found.c.customer_id, order_by=best_first)
                    .label("nth")).subquery("ranked")
    order = (ranked.c.rank, ranked.c.part, ranked.c.value, ranked.c.customer_id)
    chosen = select(ranked).where(ranked.c.nth == 1).order_by(*order).limit(_written(limit)).subquery("chosen")
    return (
        select(chosen.c.part, Customer.id, Customer.kind, Customer.name, Customer.id_number, Customer.segment,
               CustomerPhone.number.label("mobile"), _HAS_PENDING.label("has_pending"))
        .select_from(chosen)
        .join(Customer, Customer.id == chosen.c.customer_id)
        .outerjoin(CustomerPhone, and_(CustomerPhone.customer_id == Customer.id, CustomerPhone.is_registered))
        .order_by(chosen.c.rank, chosen.c.part, chosen.c.value, chosen.c.customer_id)
    )


def _padded(ids: list[int], limit: int) -> list[int]:
    """`ids` padded to `limit` with 0, which no customer has: every search then sends the overdue marker the
    same statement text, which psycopg prepares after five uses and the server then plans once."""
    return ids + [0] * (limit - len(ids))


def search(db: Database, query: str, *, limit: int = 20) -> list[CustomerHit]:
    """Customers matching what was typed, best first: name (Chinese or Latin; prefix from one character,
    substring from three), a Chinese given name without the surname from two characters (小芳 finds 王小芳
    and 欧阳小芳, after names starting 小芳), pinyin in full or initials (`wangfang`, `wf`), ID number prefix,
    phone number prefix or last four digits, account number prefix, loan number prefix (DK...).

    `has_pending` marks customers with a pending, unexpired instruction on any of their accounts
    (through `pending_instruction_account`, which the database keeps for pending instructions).
    `has_overdue` marks customers with an active loan that has an installment past due."""
    limit = max(1, min(limit, MAX_SEARCH_LIMIT))
    if not name_key(query):
        return []
    lookups = _lookups(query)

    def work(session: Session) -> list[CustomerHit]:
        connection = session.connection()
        dialect = connection.dialect.name
        values = {"now": clock.now()}
        for part, (lookup, value) in enumerate(lookups):
            values.update(_arm_values(part, lookup, value, dialect))
        statement = _search_statement(tuple(lookup for lookup, _value in lookups), dialect, limit)
        rows = connection.execute(statement, values).all()
        overdue = overdue_customers(session, _padded([row.id for row in rows], limit)) if rows else set()
        return [CustomerHit(
            id=row.id, kind=row.kind, name=row.name, masked_id=identifiers.mask_id(row.id_number),
            masked_mobile=identifiers.mask_phone(row.mobile) if row.mobile else "", segment=row.segment,
            has_overdue=row.id in overdue, has_pending=bool(row.has_pending), matched_on=lookups[row.part][0],
        ) for row in rows]

    return db.run(work, lookup=True)
