"""Message catalogues (gettext via Babel), and locale-aware formatting of numbers, dates and amounts.

The language is chosen once per process (`--lang` / `TELLER_LANG`, default English). Catalogues are
kept as `.po` files under `teller/locale/` and compiled in memory when loaded, so no compiled
artefact is committed. Mark strings with `_()` where they are shown and `N_()` where they are
defined earlier (binding descriptions), or `NC_()` with a context where one English word takes two
translations; Babel extracts all three. Babel itself loads with the first figure
shown (or a translated catalogue), not before the login screen.
"""

import gettext
import io
import os
from datetime import date, datetime
from decimal import Decimal
from importlib import resources

from teller import clock

DOMAIN = "teller"
LANGUAGES = ("en", "zh_CN")
DEFAULT_LANGUAGE = "en"

_state: dict = {"language": DEFAULT_LANGUAGE, "translations": gettext.NullTranslations()}


def _load(language: str) -> gettext.NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo  # Babel's catalogue tools load only for a translated language
    from babel.messages.pofile import read_po

    po_file = resources.files("teller").joinpath("locale", language, "LC_MESSAGES", f"{DOMAIN}.po")
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def normalise_language(value: str | None) -> str:
    if not value:
        return DEFAULT_LANGUAGE
    cleaned = value.replace("-", "_").split(".")[0]
    for language in LANGUAGES:
        if cleaned.lower() == language.lower() or cleaned.lower().split("_")[0] == language.lower().split("_")[0]:
            return language
    raise ValueError(_("unsupported language {value!r}: use one of {languages}").format(
        value=value, languages=", ".join(LANGUAGES)))


def set_language(value: str | None = None) -> str:
    """Switch the process to `value` (or `TELLER_LANG`); returns the language in use."""
    language = normalise_language(value or os.environ.get("TELLER_LANG"))
    _state["language"] = language
    _state["translations"] = _load(language)
    return language


def language() -> str:
    return _state["language"]


class MessageInContext(str):
    """A message with its gettext context, for an English word whose translation depends on what it acts on:
    "Approve" an instruction is 授权, "Approve" a loan 审批通过."""

    def __new__(cls, context: str, message: str) -> "MessageInContext":
        marked = super().__new__(cls, message)
        marked.context = context
        return marked


def _(message: str) -> str:
    """Translate a message to the current language (in its context, if it was marked with one)."""
    if isinstance(message, MessageInContext):
        return str(_state["translations"].pgettext(message.context, message))
    return _state["translations"].gettext(message)


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; translate it later with `_()`."""
    return message


def NC_(context: str, message: str) -> str:
    """Mark a message and its context for extraction where it is defined; translate it later with `_()`."""
    return MessageInContext(context, message)


def _locale():
    from babel import Locale

    return Locale.parse(language())


def format_amount(minor: int, currency: str = "CNY", *, symbol: bool = False) -> str:
    """An amount for display: grouping and decimals of the currency, in the current locale."""
    from babel.numbers import format_currency, format_decimal, get_currency_precision

    digits = get_currency_precision(currency)
    value = Decimal(minor).scaleb(-digits)
    if symbol:
        return format_currency(value, currency, locale=_locale())
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale())


def format_day(day: date) -> str:
    """A business date: 2026-11-24 in English screens, 2026年11月24日 in Chinese ones."""
    if language() == "zh_CN":
        from babel.dates import format_date

        return format_date(day, format="long", locale=_locale())
    return day.isoformat()


def format_moment(moment: datetime) -> str:
    """A stored moment on the branch's clock (as receipts print it), to the minute: 2026-11-24 09:05 in
    English screens, 2026年11月24日 09:05 in Chinese ones. A naive moment is UTC (as SQLite hands it back)."""
    local = clock.in_branch_time(moment)
    return f"{format_day(local.date())} {local:%H:%M}"
