"""Money as integer minor units plus an ISO currency, and the strict parser for typed amounts.

Amounts are never floats. Typed input may use full-width digits and punctuation (normalised), and
thousands separators in the usual places; anything else is refused with a message saying what is
wrong, so a teller never posts an amount other than the one they meant.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

from teller.errors import InputError
from teller.i18n import _

DEFAULT_CURRENCY = "CNY"
MAX_MINOR = 2**63 - 1  # the 64-bit column every money amount is stored in

_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９．，－＋　",
    "0123456789.,-+ ",
)
_IDEOGRAPHIC_FULL_STOP = str.maketrans({"。": ".", "、": ","})
_EXPONENT = re.compile(r"[-+]?[\d,]*\.?\d*[eE][-+]?\d+")
_AMOUNT = re.compile(r"(?P<sign>[-+]?)(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<fraction>\d*))?")


@dataclass(frozen=True, order=True)
class Money:
    """An amount in minor units (fen for CNY) of one currency."""

    minor: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int of minor units")

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-minor_digits(self.currency))

    def __str__(self) -> str:
        return f"{self.currency} {format_minor(self.minor, self.currency)}"


def minor_digits(currency: str) -> int:
    """How many decimal places the currency has (CNY 2, JPY 0)."""
    return get_currency_precision(currency)


def format_minor(minor: int, currency: str = DEFAULT_CURRENCY) -> str:
    """`1234550` CNY -> `12,345.50`: grouping with commas, the currency's decimals, no float."""
    digits = minor_digits(currency)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**digits)
    text = f"{whole:,}"
    return f"{sign}{text}.{fraction:0{digits}d}" if digits else f"{sign}{text}"


def round_to_minor(amount: Decimal, currency: str = DEFAULT_CURRENCY) -> int:
    """Round a Decimal amount in major units once, HALF_UP, to an integer of minor units."""
    digits = minor_digits(currency)
    return int((amount.scaleb(digits)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def normalise_typed(text: str) -> str:
    """Full-width digits and punctuation to ASCII, surrounding white space removed."""
    return unicodedata.normalize("NFC", text).translate(_FULL_WIDTH).translate(_IDEOGRAPHIC_FULL_STOP).strip()


def parse_amount(
    text: str,
    currency: str = DEFAULT_CURRENCY,
    *,
    field: str = "amount",
    allow_negative: bool = False,
    allow_zero: bool = False,
) -> Money:
    """Parse what a person typed into an exact amount, or raise `InputError` naming the problem."""
    if text is None or not text.strip():
        raise InputError(field, _("enter an amount, e.g. 1,234.50"))
    cleaned = normalise_typed(text)
    if cleaned.upper().lstrip("+-") in {"NAN", "INF", "INFINITY", "SNAN"}:
        raise InputError(field, _("{text!r} is not an amount: type digits, e.g. 1,234.50").format(text=text.strip()))
    for character in cleaned:
        if character.isdigit() and not "0" <= character <= "9":
            raise InputError(field, _("use the digits 0-9 (found {character!r})").format(character=character))
    if _EXPONENT.fullmatch(cleaned):
        raise InputError(field, _("exponents are not allowed: type the amount in full, e.g. 1500000"))
    match = _AMOUNT.fullmatch(cleaned)
    if not match:
        if _AMOUNT.fullmatch("".join(cleaned.split())):
            raise InputError(field, _("remove the spaces inside the amount"))
        if "," in cleaned:
            raise InputError(field, _("thousands separators go every three digits, e.g. 1,234,567.89"))
        raise InputError(field, _("{text!r} is not an amount: type digits and at most one decimal point").format(
            text=text.strip()))
    digits = minor_digits(currency)
    fraction = match["fraction"] or ""
    if len(fraction) > digits:
        rule = (_("{currency} amounts have at most {digits} decimal places (got {count})") if digits
                else _("{currency} amounts have no decimal places (got {count})"))
        raise InputError(field, rule.format(currency=currency, digits=digits, count=len(fraction)))
    whole = match["whole"].replace(",", "")
    minor = int(whole) * 10**digits + (int(fraction.ljust(digits, "0")) if digits else 0)
    if match["sign"] == "-":
        if not allow_negative:
            raise InputError(field, _("the amount must be positive: leave out the minus sign"))
        minor = -minor
    elif match["sign"] == "+" and not allow_negative:
        raise InputError(field, _("type the amount without a sign"))
    if abs(minor) > MAX_MINOR:
        raise InputError(field, _("the amount is too large: the most is {most}").format(
            most=format_minor(MAX_MINOR, currency)))
    if minor == 0 and not allow_zero:
        raise InputError(field, _("the amount must be more than zero"))
    return Money(minor, currency)


def amount_in_words_rmb(minor: int) -> str:
    """A CNY amount in capital Chinese numerals (大写金额) as receipts print it: 10000.00 -> 壹万元整."""
    if not isinstance(minor, int) or minor < 0:
        raise ValueError("amount_in_words_rmb takes a non-negative integer of fen")
    import cn2an  # its conversion tables take a noticeable part of a second to load; only receipts need them

    return cn2an.an2cn(f"{Decimal(minor).scaleb(-2):.2f}", "rmb")
