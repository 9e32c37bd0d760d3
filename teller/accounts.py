"""Branches and their accounts: the chart of accounts from fixtures, cash drawers and deposit accounts."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum import luhn

import fixtures
from models import Account, Branch, Customer
from teller import audit, clock
from teller.actor import Actor
from teller.db import Database
from teller.errors import InputError, LedgerError
from teller.i18n import _

DEPOSIT_GL = "2011"
DRAWER_GL = "1002"
VAULT_GL = "1001"


@dataclass(frozen=True)
class AccountView:
    id: int
    number: str
    name: str
    gl_code: str
    currency: str
    status: str
    no_negative: bool
    balance: int
    held: int

    @property
    def available(self) -> int:
        return self.balance - self.held


def _chart() -> dict[str, dict]:
    return {row["gl_code"]: row for row in fixtures.load("chart_of_accounts.json")["accounts"]}


def _view(account: Account) -> AccountView:
    return AccountView(
        account.id, account.number, account.name, account.gl_code, account.currency, account.status,
        account.no_negative, account.balance, account.held,
    )


def _new_account(
    session: Session, *, number: str, name: str, gl_code: str, branch_id: int, currency: str,
    customer_id: int | None = None,
) -> Account:
    template = _chart()[gl_code]
    account = Account(
        number=number, name=name, gl_code=gl_code, category=template["category"],
        normal_side=template["normal_side"], currency=currency, no_negative=template["no_negative"],
        status="open", branch_id=branch_id, customer_id=customer_id, balance=0, held=0, opened_at=clock.now(),
    )
    session.add(account)
    session.flush()
    return account


def branch_account_number(branch_code: str, gl_code: str) -> str:
    return f"{branch_code}-{gl_code}"


def drawer_number(branch_code: str, username: str) -> str:
    return f"{branch_code}-{DRAWER_GL}-{username}"


def create_branch(
    db: Database, actor: Actor, code: str, name: str, business_date: date, *, head_office: bool = False,
    currency: str = "CNY",
) -> int:
    """A branch with one account for every branch-scope GL code of the chart."""
    code = code.strip().upper()
    if not code.isalnum() or not 2 <= len(code) <= 16:
        raise InputError("branch code", _("use 2 to 16 letters or digits"))

    def work(session: Session) -> int:
        if session.execute(select(Branch.id).where(Branch.code == code)).scalar() is not None:
            raise InputError("branch code", _("branch {code} already exists").format(code=code))
        branch = Branch(code=code, name=name, is_head_office=head_office, business_date=business_date, day_open=True)
        session.add(branch)
        session.flush()
        for gl_code, template in _chart().items():
            if template["scope"] == "branch":
                _new_account(
                    session, number=branch_account_number(code, gl_code), name=f"{code} {template['name']}",
                    gl_code=gl_code, branch_id=branch.id, currency=currency,
                )
        audit.record(session, actor, "branch.created", object_type="branch", object_id=branch.id, code=code,
                     name=name, business_date=business_date, head_office=head_office)
        return branch.id

    return db.run(work)


def open_drawer_account(session: Session, actor: Actor, branch: Branch, username: str, currency: str = "CNY") -> Account:
    number = drawer_number(branch.code, username)
    account = _new_account(
        session, number=number, name=f"Drawer {username}", gl_code=DRAWER_GL, branch_id=branch.id, currency=currency
    )
    audit.record(session, actor, "account.opened", object_type="account", object_id=number, gl_code=DRAWER_GL)
    return account


DEPOSIT_SERIAL_DIGITS = 10


def deposit_prefix(branch_code: str) -> str:
    """What every deposit account number of a branch starts with: 6222 and the branch's digits."""
    return "6222" + "".join(character for character in branch_code if character.isdigit()).rjust(4, "0")[-4:]


def deposit_number(prefix: str, serial: int) -> str:
    """The branch prefix, the serial and a Luhn check digit, like a bank card number."""
    body = f"{prefix}{serial:0{DEPOSIT_SERIAL_DIGITS}d}"
    return body + luhn.calc_check_digit(body)


def _next_deposit_number(session: Session, branch: Branch) -> str:
    """The branch's next deposit account number. The highest number so far is read from the unique index
    (a seek, not a count); the caller holds the branch row's lock."""
    prefix = deposit_prefix(branch.code)
    highest = session.execute(
        select(func.max(Account.number)).where(Account.number >= prefix, Account.number < prefix + "~")
    ).scalar()
    serial = int(highest[len(prefix):len(prefix) + DEPOSIT_SERIAL_DIGITS]) + 1 if highest else 1
    return deposit_number(prefix, serial)


def open_deposit_account(
    db: Database, actor: Actor, branch_id: int, name: str, currency: str = "CNY", *, customer_id: int | None = None
) -> AccountView:
    """A customer demand deposit account, never below zero; linked to the customer when one is given."""
    if not name.strip():
        raise InputError("account name", _("give the account holder's name"))

    def work(session: Session) -> AccountView:
        branch = session.get(Branch, branch_id, with_for_update=True)  # one opening at a time per branch
        if branch is None:
            raise LedgerError(_("branch {id} does not exist").format(id=branch_id))
        number = _next_deposit_number(session, branch)
        account = _new_account(
            session, number=number, name=name.strip(), gl_code=DEPOSIT_GL, branch_id=branch.id, currency=currency,
            customer_id=customer_id,
        )
        audit.record(session, actor, "account.opened", object_type="account", object_id=number, gl_code=DEPOSIT_GL,
                     customer=customer_id)
        return _view(account)

    return db.run(work)


def holder_name(session: Session, account: Account) -> str:
    """Who holds the account: its customer, or for an account of the bank's own, the account's name."""
    if account.customer_id is None:
        return account.name
    return session.get(Customer, account.customer_id).name


def get_account(db: Database, number: str) -> AccountView:
    def work(session: Session) -> AccountView:
        account = session.execute(select(Account).where(Account.number == number)).scalar_one_or_none()
        if account is None:
            raise LedgerError(_("account {number} does not exist").format(number=number))
        return _view(account)

    return db.run(work, readonly=True)


def set_status(db: Database, actor: Actor, number: str, status: str, reason: str) -> AccountView:
    """Freeze, unfreeze or close an account (closing needs a zero balance and no holds)."""
    if status not in ("open", "frozen", "closed"):
        raise InputError("status", _("use open, frozen or closed"))

    def work(session: Session) -> AccountView:
        account = session.execute(
            select(Account).where(Account.number == number).with_for_update()
        ).scalar_one_or_none()
        if account is None:
            raise LedgerError(_("account {number} does not exist").format(number=number))
        if account.status == "closed":
            raise LedgerError(_("account {number} is closed for good").format(number=number))
        if status == "closed" and (account.balance or account.held):
            raise LedgerError(_("account {number} still has a balance or holds: it cannot be closed").format(
                number=number))
        before = account.status
        account.status = status
        audit.record(session, actor, "account.status", object_type="account", object_id=number,
                     before=before, after=status, reason=reason)
        return _view(account)

    return db.run(work)


def open_loan_account(session: Session, actor: Actor, branch: Branch, number: str, gl_code: str, name: str,
                      currency: str, customer_id: int) -> Account:
    """The account that carries one loan tranche's outstanding principal (loans receivable, never negative),
    held by the borrower: their pending loan movements and large cash repayments are theirs."""
    if _chart()[gl_code]["scope"] != "loan":
        raise LedgerError(_("GL code {code} does not carry loans").format(code=gl_code))
    account = _new_account(session, number=number, name=name, gl_code=gl_code, branch_id=branch.id, currency=currency,
                           customer_id=customer_id)
    audit.record(session, actor, "account.opened", object_type="account", object_id=number, gl_code=gl_code,
                 customer=customer_id)
    return account
