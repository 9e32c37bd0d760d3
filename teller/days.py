"""Days typed into a form: YYYY-MM-DD and nothing else (full-width digits and dashes, as a Chinese input
method types them, are read as their ASCII forms). One reading for every form, so a teller learns one
format; a refusal names the field and shows the format with an example."""

import re
import unicodedata
from datetime import date

from teller.errors import InputError
from teller.i18n import _

_TYPED_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(text: str, *, field: str, example: str) -> date:
    """The day typed in `field`, refused unless it is a real date written as YYYY-MM-DD (`example` is one)."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    if not _TYPED_DAY.fullmatch(cleaned):
        raise InputError(field, _("type the date as YYYY-MM-DD, e.g. {example}").format(example=example))
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        raise InputError(field, _("{typed} is not a real date: check the month and day").format(
            typed=cleaned)) from None
