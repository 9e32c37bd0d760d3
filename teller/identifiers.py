"""Identity numbers and phone numbers: normalising what was typed, checking it, masking it for display.

Resident identity numbers follow GB 11643 (python-stdnum's `cn.ric`: 17 digits, a real birth date, a
known area code, the ISO 7064 MOD 11-2 check character); unified social credit codes follow GB 32100
(`cn.uscc`); mainland mobiles match ``^1[3-9][0-9]{9}$``. Typed input may use full-width characters,
spaces, dashes and a lower-case x: they are normalised first. Every refusal is an `InputError` naming the
field and saying how to fix it.
"""

import re
import unicodedata
from datetime import date

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from teller import clock
from teller.errors import InputError
from teller.i18n import _, format_day

RESIDENT_ID_LENGTH = 18
EARLIEST_BIRTH_YEAR = 1900
_SEPARATORS = re.compile(r"[\s\-‐‑–—]+")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0?[1-9][0-9]{6,11}")
_PASSPORT = re.compile(r"[A-Z0-9]{5,17}")
_COUNTRY_PREFIXES = ("+86", "0086")


def compact(text: str) -> str:
    """Full-width characters to ASCII (NFKC), then spaces and dashes removed."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))


def resident_id(text: str, *, today: date | None = None, field: str = "id number") -> str:
    """A valid 18-character resident ID number, upper-case X, or InputError saying what is wrong."""
    number = compact(text).upper()
    if not number:
        raise InputError(field, _("type the 18-character resident ID number"))
    if len(number) != RESIDENT_ID_LENGTH:
        raise InputError(field, _(
            "a resident ID number has 18 characters, not {count}: check for a missing or extra digit"
        ).format(count=len(number)))
    if not number[:17].isdigit() or not number[:17].isascii():
        raise InputError(field, _("the first 17 characters of a resident ID number are digits"))
    if not (number[17].isdigit() or number[17] == "X"):
        raise InputError(field, _("the last character of a resident ID number is a digit or X"))
    try:
        born = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise InputError(field, _("characters 7 to 14 must be a real birth date (YYYYMMDD); {digits} is not").format(
            digits=number[6:14])) from None
    if born > (today or clock.branch_today()) or born.year < EARLIEST_BIRTH_YEAR:
        raise InputError(field, _("the birth date {born} in the number cannot be right").format(born=format_day(born)))
    if number[17] != ric.calc_check_digit(number):
        raise InputError(field, _("the check character does not match: a digit was probably mistyped"))
    try:
        ric.validate(number)
    except stdnum_errors.ValidationError:
        raise InputError(field, _("the first 6 digits ({area}) are not a known area code").format(
            area=number[:6])) from None
    return number


def birth_date_of(number: str) -> date:
    """The birth date in a valid resident ID number (characters 7 to 14)."""
    return ric.get_birth_date(number)


def gender_of(number: str) -> str:
    """`male` or `female` from a valid resident ID number's 17th digit (odd for men)."""
    return "male" if int(number[16]) % 2 else "female"


def social_credit_code(text: str, *, field: str = "id number") -> str:
    """A valid unified social credit code (GB 32100), upper-case, or InputError."""
    code = compact(text).upper()
    if not code:
        raise InputError(field, _("type the 18-character unified social credit code"))
    try:
        return uscc.validate(code)
    except stdnum_errors.InvalidLength:
        raise InputError(field, _("a unified social credit code has 18 characters, not {count}").format(
            count=len(code))) from None
    except stdnum_errors.InvalidFormat:
        raise InputError(field, _("use 8 digits then 10 digits or capital letters (no I, O, S, V or Z)")) from None
    except stdnum_errors.InvalidChecksum:
        raise InputError(field, _("the check character does not match: a character was probably mistyped")) from None


def passport_number(text: str, *, field: str = "id number") -> str:
    """A passport number: 5 to 17 letters or digits, upper-case."""
    number = compact(text).upper()
    if not _PASSPORT.fullmatch(number):
        raise InputError(field, _("a passport number has 5 to 17 letters or digits"))
    return number


def phone_digits(text: str) -> str:
    """What was typed for a phone number without separators, parentheses or a +86 / 0086 country code."""
    number = compact(text).replace("(", "").replace(")", "")
    for prefix in _COUNTRY_PREFIXES:
        if number.startswith(prefix):
            return number[len(prefix):]
    return number


def mobile(text: str, *, field: str = "mobile") -> str:
    """A mainland mobile number as 11 digits ('+86', spaces, dashes and full-width digits allowed)."""
    number = phone_digits(text)
    if not number:
        raise InputError(field, _("type the 11-digit mobile number"))
    if not number.isdigit() or not number.isascii():
        raise InputError(field, _("a mobile number has digits only"))
    if len(number) != 11:
        raise InputError(field, _("a mobile number has 11 digits, not {count}").format(count=len(number)))
    if not _MOBILE.fullmatch(number):
        raise InputError(field, _("a mainland mobile number starts 13 to 19"))
    return number


def landline(text: str, *, field: str = "phone") -> str:
    """A fixed-line number as digits: area code and number, 7 to 12 digits ('+86' and separators allowed)."""
    number = phone_digits(text)
    if not number.isdigit() or not number.isascii() or not _LANDLINE.fullmatch(number):
        raise InputError(field, _("give the area code and number, 7 to 12 digits (for example 010-12345678)"))
    return number


def mask_id(number: str) -> str:
    """For display: the first 6 and last 4 characters of a long number (110105********002X); of a short
    one, the first and last 2."""
    if len(number) > 10:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    if len(number) > 4:
        return number[:2] + "*" * (len(number) - 4) + number[-2:]
    return "*" * len(number)


def mask_account(number: str) -> str:
    """For display: a customer's account number with only its first and last 4 digits (6222****0017)."""
    if len(number) > 8:
        return number[:4] + "****" + number[-4:]
    return "*" * max(len(number) - 4, 0) + number[-4:]


def mask_phone(number: str) -> str:
    """For display: a mobile as 138****8000; any other number with only its last 4 digits visible."""
    if _MOBILE.fullmatch(number):
        return number[:3] + "****" + number[-4:]
    return "*" * max(len(number) - 4, 0) + number[-4:]
