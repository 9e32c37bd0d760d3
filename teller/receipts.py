"""Receipts of posted instructions: numbered per branch, printed as text and PDF, reprints marked.

The first print of an instruction's receipt takes the branch's next number: the highest so far plus
one, read under the branch row's lock, so numbers run 1, 2, 3... with no gap (a rolled-back issue
leaves no hole) and never repeat (unique per branch; the database refuses any other number). Every
later print is a reprint: counted on the receipt, audited, and stamped 重打 / REPRINT.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Account, Branch, Instruction, JournalEntry, Posting, Receipt, StaffUser
from teller import accounts, audit, clock, identifiers, instructions, loan_servicing
from teller.actor import Actor
from teller.db import Database
from teller.documents import Document, branch_time
from teller.errors import LedgerError
from teller.i18n import _, format_amount, format_day
from teller.money import amount_in_words_rmb


@dataclass(frozen=True)
class ReceiptView:
    instruction_id: int
    number: int
    reprints: int
    reprint: bool
    branch_code: str
    branch_name: str
    business_date: date
    posted_at: datetime
    kind: str
    account: str
    currency: str
    amount: int
    balance_after: int
    maker: str
    checkers: tuple[str, ...]
    narrative: str
    details: tuple[tuple[str, str], ...] = ()  # what the movement adds: the account paid, a loan's allocation

    @property
    def receipt_number(self) -> str:
        return f"{self.branch_code}-{self.number:08d}"

    @property
    def file_name(self) -> str:
        suffix = f"-reprint{self.reprints}" if self.reprint else ""
        return f"receipt-{self.receipt_number}{suffix}"

    def document(self) -> Document:
        """The receipt as a printable document, in the workstation's language."""
        words = amount_in_words_rmb(self.amount) if self.currency == "CNY" else ""
        fields = [
            (_("Receipt number"), self.receipt_number),
            (_("Branch"), f"{self.branch_code} {self.branch_name}"),
            (_("Business date"), format_day(self.business_date)),
            (_("Time"), branch_time(self.posted_at)),
            (_("Transaction"), instructions.kind_name(self.kind)),
            (_("Account"), self.account),
            (_("Amount"), f"{self.currency} {format_amount(self.amount, self.currency)}"),
        ]
        if words:
            fields.append((_("Amount in words"), words))
        fields += [
            (_("Balance after"), f"{self.currency} {format_amount(self.balance_after, self.currency)}"),
            *self.details,
            (_("Teller"), self.maker),
            (_("Checker"), ", ".join(self.checkers)),
            (_("Narrative"), self.narrative),
        ]
        footer = (_("Instruction {id}").format(id=self.instruction_id),)
        return Document(title=_("Transaction receipt"), fields=tuple(fields), footer=footer,
                        mark=_("REPRINT") if self.reprint else "")


def _receipt_account(session: Session, entry_id: int) -> Account:
    """The account the receipt is about: the customer's account if a leg has one, else the debited one."""
    legs = session.execute(
        select(Account, Posting.debit).join(Posting, Posting.account_id == Account.id)
        .where(Posting.entry_id == entry_id).order_by(Posting.id)
    ).all()
    customer = [account for account, _debit in legs if account.gl_code == accounts.DEPOSIT_GL]
    if customer:
        return customer[0]
    return next(account for account, debit in legs if debit)


def _shown(account: Account) -> str:
    """A customer's account number masked, the bank's own in full."""
    return identifiers.mask_account(account.number) if account.gl_code == accounts.DEPOSIT_GL else account.number


def _paid_to(session: Session, instruction: Instruction, entry_id: int,
             paid_from: Account) -> tuple[tuple[str, str], ...]:
    """A transfer's receipt names the account paid and its holder (收款账户), as the customer's own record."""
    if instruction.kind != "transfer":
        return ()
    payee = session.execute(
        select(Account).join(Posting, Posting.account_id == Account.id)
        .where(Posting.entry_id == entry_id, Posting.credit > 0, Account.id != paid_from.id).order_by(Posting.id)
    ).scalars().first()
    return ((_("Paid to"), f"{_shown(payee)}  {accounts.holder_name(session, payee)}"),) if payee else ()


def _balance_after(session: Session, account: Account, entry_id: int) -> int:
    """The account's balance just after this entry (entry ids grow with posting order)."""
    signed = (Posting.debit - Posting.credit if account.normal_side == "debit" else Posting.credit - Posting.debit)
    return int(session.execute(
        select(func.coalesce(func.sum(signed), 0))
        .where(Posting.account_id == account.id, Posting.entry_id <= entry_id)
    ).scalar_one())


def _view(session: Session, receipt: Receipt, instruction: Instruction, reprint: bool) -> ReceiptView:
    entry = session.execute(select(JournalEntry).where(JournalEntry.instruction_id == instruction.id)).scalar_one()
    branch = session.get(Branch, receipt.branch_id)
    account = _receipt_account(session, entry.id)
    checker_ids = [staff_id for staff_id in (instruction.checker_id, instruction.second_checker_id) if staff_id]
    names = {user.id: user.username for user in session.scalars(
        select(StaffUser).where(StaffUser.id.in_([instruction.maker_id, *checker_ids])))}
    return ReceiptView(
        instruction_id=instruction.id, number=receipt.number, reprints=receipt.reprints, reprint=reprint,
        branch_code=branch.code, branch_name=branch.name, business_date=instruction.business_date,
        posted_at=clock.as_utc(entry.posted_at), kind=instruction.kind, account=_shown(account),
        currency=instruction.currency,
        amount=instruction.amount, balance_after=_balance_after(session, account, entry.id),
        maker=names[instruction.maker_id], checkers=tuple(names[staff_id] for staff_id in checker_ids),
        narrative=instruction.narrative,
        details=(*_paid_to(session, instruction, entry.id, account),
                 *loan_servicing.receipt_details(session, instruction)),
    )


def print_receipt(db: Database, actor: Actor, instruction_id: int) -> ReceiptView:
    """Issue the instruction's receipt with the branch's next number, or, if it was issued before,
    count and audit a reprint (the view says which)."""

    def work(session: Session) -> ReceiptView:
        instruction = session.get(Instruction, instruction_id)
        if instruction is None:
            raise LedgerError(_("instruction {id} does not exist").format(id=instruction_id))
        if instruction.status != "APPROVED":
            raise LedgerError(_("instruction {id} is not posted: it has no receipt").format(id=instruction_id))
        session.get(Branch, instruction.branch_id, with_for_update=True)  # one number at a time per branch
        receipt = session.execute(
            select(Receipt).where(Receipt.instruction_id == instruction_id)).scalar_one_or_none()
        if receipt is None:
            number = session.execute(
                select(func.coalesce(func.max(Receipt.number), 0) + 1).where(Receipt.branch_id == instruction.branch_id)
            ).scalar_one()
            receipt = Receipt(branch_id=instruction.branch_id, number=number, instruction_id=instruction_id,
                              issued_at=clock.now(), issued_by=actor.staff_id, reprints=0)
            session.add(receipt)
            session.flush()
            audit.record(session, actor, "receipt.issued", object_type="receipt", object_id=receipt.id,
                         business_date=instruction.business_date, number=number, instruction=instruction_id)
            return _view(session, receipt, instruction, reprint=False)
        receipt.reprints += 1
        session.flush()
        audit.record(session, actor, "receipt.reprinted", object_type="receipt", object_id=receipt.id,
                     business_date=instruction.business_date, number=receipt.number, instruction=instruction_id,
                     reprint=receipt.reprints)
        return _view(session, receipt, instruction, reprint=True)

    return db.run(work)
