"""Errors a user or operator sees: each carries one clear line and, for input, the field it is about."""

from teller.i18n import N_, _

# Every field an InputError names. The key is what code relies on (screens map it to a widget); the
# label is how messages name the field, translated when shown.
FIELD_LABELS = {
    "account": N_("account"),
    "account name": N_("account name"),
    "actor": N_("actor"),
    "address": N_("address"),
    "amount": N_("amount"),
    "annual rate": N_("annual rate"),
    "application": N_("application"),
    "bank name": N_("bank name"),
    "birth date": N_("birth date"),
    "branch": N_("branch"),
    "branch code": N_("branch code"),
    "business date": N_("business date"),
    "change": N_("change"),
    "code": N_("code"),
    "contributing spouses": N_("contributing spouses"),
    "count": N_("cash count"),
    "credit result": N_("credit result"),
    "currency": N_("currency"),
    "customer": N_("customer"),
    "day count": N_("day count"),
    "destination": N_("destination"),
    "display name": N_("display name"),
    "document": N_("document"),
    "document number": N_("document number"),
    "document type": N_("document type"),
    "fees": N_("fees"),
    "first due date": N_("first due date"),
    "fixed payment": N_("fixed payment"),
    "fund contribution months": N_("fund contribution months"),
    "gender": N_("gender"),
    "guarantee group": N_("guarantee group"),
    "home count": N_("home count"),
    "id number": N_("id number"),
    "id type": N_("id type"),
    "idempotency key": N_("idempotency key"),
    "installment multiple": N_("installment multiple"),
    "kind": N_("kind"),
    "limit": N_("limit"),
    "limits": N_("limits"),
    "method": N_("method"),
    "mobile": N_("mobile"),
    "monthly income": N_("monthly income"),
    "name": N_("name"),
    "narrative": N_("narrative"),
    "note": N_("note"),
    "password": N_("password"),
    "payee": N_("payee"),
    "payee account": N_("payee account"),
    "payee kind": N_("payee kind"),
    "payee name": N_("payee name"),
    "penalty": N_("penalty"),
    "phone": N_("phone"),
    "place": N_("place"),
    "pledge value": N_("pledge value"),
    "prepayment choice": N_("prepayment choice"),
    "previous fund loan": N_("previous fund loan"),
    "principal": N_("principal"),
    "product": N_("product"),
    "property price": N_("property price"),
    "purpose": N_("purpose"),
    "rate": N_("rate"),
    "reason": N_("reason"),
    "registered mobile": N_("registered mobile"),
    "relationship owner": N_("relationship owner"),
    "repayment method": N_("repayment method"),
    "report date": N_("report date"),
    "report reference": N_("report reference"),
    "roles": N_("roles"),
    "segment": N_("segment"),
    "signed at": N_("signed at"),
    "source": N_("source"),
    "start date": N_("start date"),
    "status": N_("status"),
    "term": N_("term"),
    "to account": N_("to account"),
    "tranche": N_("tranche"),
    "tranches": N_("tranches"),
    "username": N_("username"),
    "vehicle price": N_("vehicle price"),
    "view": N_("view"),
}

# How messages name a status that refuses an action: an account's (lower case), or an instruction's or a
# change's once decided (upper case).
STATUS_NAMES = {
    "frozen": N_("frozen"),
    "closed": N_("closed"),
    "APPROVED": N_("APPROVED"),
    "REJECTED": N_("REJECTED"),
    "CANCELLED": N_("CANCELLED"),
    "EXPIRED": N_("EXPIRED"),
    "APPLIED": N_("APPLIED"),
}


def field_label(field: str) -> str:
    """The field's label in the current language (a key missing from the table is shown as it is)."""
    return _(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def status_name(status: str) -> str:
    return _(STATUS_NAMES[status]) if status in STATUS_NAMES else status


def labelled_message(field: str, message: str) -> str:
    """`message` after the label of the field it is about, in the current language."""
    return _("{label}: {value}").format(label=field_label(field), value=message)


class TellerError(Exception):
    """Base of every error Teller reports as a message rather than a traceback."""


class InputError(TellerError):
    """Bad input: names the field (an English key) and says how to fix it (`message`, translated)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return labelled_message(self.field, self.message)


class ConfigError(TellerError):
    """The ledger or its keys cannot be reached or are set up wrongly."""


class LedgerError(TellerError):
    """A movement of money the ledger refuses (balance, holds, status, idempotency)."""


class LedgerGuardError(LedgerError):
    """A programming mistake caught by the session guard before it reached the database."""


class ApprovalError(TellerError):
    """A second key that cannot be given: wrong checker, no authority, stale payload, expired."""


class AuthenticationError(TellerError):
    """A login or second-key credential was refused."""
