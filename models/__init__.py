"""SQLAlchemy 2 typed models of the Teller ledger. No Textual, no services."""

from models.base import Base
from models.audit import AuditEvent, AuditHead
from models.cash import CashCount, DrawerSession, Receipt
from models.counter import IdentityCheck
from models.customer import Customer, CustomerAddress, CustomerChange, CustomerNote, CustomerPhone
from models.ledger import Account, Hold, JournalEntry, Posting
from models.instruction import Instruction, PendingInstructionAccount
from models.loan import (
    ChecklistItem, CreditCheck, LoanAccount, LoanApplication, LoanApproval, LoanDisbursement, LoanEvent,
    LoanInstallment, LoanPayee, LoanPayment, LoanProduct, LoanProductVersion, LoanSchedule, LoanSequence, LoanSigning,
    LoanTranche, LoanWaiver,
)
from models.organisation import AdminChange, ApprovalLimit, Branch, LedgerMeta, StaffRole, StaffUser

__all__ = [
    "Account",
    "AdminChange",
    "ApprovalLimit",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Branch",
    "CashCount",
    "ChecklistItem",
    "CreditCheck",
    "Customer",
    "CustomerAddress",
    "CustomerChange",
    "CustomerNote",
    "CustomerPhone",
    "DrawerSession",
    "Hold",
    "IdentityCheck",
    "Instruction",
    "JournalEntry",
    "LedgerMeta",
    "LoanAccount",
    "LoanApplication",
    "LoanApproval",
    "LoanDisbursement",
    "LoanEvent",
    "LoanInstallment",
    "LoanPayee",
    "LoanPayment",
    "LoanProduct",
    "LoanProductVersion",
    "LoanSchedule",
    "LoanSequence",
    "LoanSigning",
    "LoanTranche",
    "LoanWaiver",
    "PendingInstructionAccount",
    "Posting",
    "Receipt",
    "StaffRole",
    "StaffUser",
]
