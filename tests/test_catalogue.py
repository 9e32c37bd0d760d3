"""The zh_CN catalogue covers every marked string, with the same placeholders, and switching the language
switches what `_()` and the formatters give.

A string marked later without a translation fails here with its text and where it is used: run
`make messages`, translate what is new in teller/locale/zh_CN/LC_MESSAGES/teller.po, and run again."""

import ast
import os
import re
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from teller import i18n

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("teller", "screens")
KEYWORDS = {"_": None, "N_": None, "NC_": ((1, "c"), 2)}  # as `make messages` passes them to pybabel
CATALOGUE = ROOT / "teller" / "locale" / "zh_CN" / "LC_MESSAGES" / "teller.po"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def extracted_messages() -> dict[tuple[str, str | None], list[str]]:
    """What `make messages` extracts: each message (with its context, if any) and the places it is marked
    (file:line)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    messages: dict[tuple[str, str | None], list[str]] = {}
    for directory in SOURCE_DIRS:
        for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT / directory), method_map, options_map, keywords=KEYWORDS,
        ):
            messages.setdefault((message, context), []).append(f"{directory}/{filename}:{lineno}")
    return messages


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def marked_literals() -> dict[tuple[str, str | None], list[str]]:
    """Every string literal passed to `_()`, `N_()` or `NC_()`, found in the syntax tree, so also those inside
    f-strings, which Babel's tokenizer cannot see on Python 3.11."""
    messages: dict[tuple[str, str | None], list[str]] = {}
    for directory in SOURCE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEYWORDS):
                    continue
                arguments = [_literal(argument) for argument in node.args]
                if node.func.id == "NC_":
                    arguments.reverse()  # NC_(context, message)
                if arguments and arguments[0] is not None:
                    marked = (arguments[0], arguments[1] if node.func.id == "NC_" else None)
                    messages.setdefault(marked, []).append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
    return messages


def catalogue_problems(messages: dict[tuple[str, str | None], list[str]]) -> list[str]:
    with open(CATALOGUE, "rb") as handle:
        catalogue = read_po(handle, locale="zh_CN", domain=i18n.DOMAIN)
    problems = []
    for (text, context), places in sorted(messages.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        entry = catalogue.get(text, context=context)
        where = ", ".join(places) + (f" in context {context!r}" if context else "")
        if entry is None or not entry.string:
            problems.append(f"no zh_CN translation for {text!r} ({where})")
        elif entry.fuzzy:
            problems.append(f"fuzzy zh_CN translation for {text!r} ({where}): {entry.string!r}")
        elif placeholders(entry.string) != placeholders(text):
            problems.append(f"placeholders differ for {text!r} ({where}): msgid has {sorted(placeholders(text))}, "
                            f"msgstr {entry.string!r} has {sorted(placeholders(entry.string))}")
    return problems


@pytest.fixture
def restore_language():
    previous = i18n.language()
    yield
    i18n.set_language(previous)


def test_babel_extracts_the_marked_strings():
    messages = extracted_messages()
    assert len(messages) > 100, f"babel.cfg matches no source files? only {len(messages)} messages extracted"
    assert {("Sign out", None), ("Ledger balance", None), ("{count} instruction(s) pending.", None),
            ("Approve", "loan")} <= messages.keys()


def test_every_extracted_message_has_a_zh_cn_translation_with_the_same_placeholders():
    problems = catalogue_problems(extracted_messages())
    assert not problems, "run `make messages` and translate:\n" + "\n".join(problems)


def test_strings_marked_inside_f_strings_are_translated_too():
    """`f"{_('Born')}: ..."` is marked but invisible to `pybabel extract` on Python 3.11, so `make messages`
    turns its hand-kept entry obsolete. Better: move the `_()` call out of the f-string."""
    problems = catalogue_problems(marked_literals())
    assert not problems, ("marked strings missing from the zh_CN catalogue (if a `_()` sits inside an f-string, "
                          "move it out so that Babel extracts it):\n" + "\n".join(problems))


def test_set_language_switches_the_translations(restore_language):
    assert i18n.set_language("zh_CN") == "zh_CN"
    assert i18n.language() == "zh_CN"
    assert i18n._("Sign out") == "签退"
    assert i18n._("Screen locked. {name} may unlock it.").format(name="王芳") == "屏幕已锁定，仅限王芳解锁。"
    assert i18n._("no such message") == "no such message"
    assert (i18n._("Approve"), i18n._(i18n.NC_("loan", "Approve"))) == ("授权", "审批通过")  # a second key, a loan
    assert i18n.set_language("en") == "en"
    assert i18n._("Sign out") == "Sign out"
    assert i18n._(i18n.NC_("loan", "Approve")) == "Approve"


def test_amounts_and_business_dates_in_zh_cn(restore_language):
    i18n.set_language("zh_CN")
    assert i18n.format_amount(123_456_789) == "1,234,567.89"
    assert i18n.format_amount(-5) == "-0.05"
    assert i18n.format_amount(123_456_789, symbol=True) == "¥1,234,567.89"
    assert i18n.format_amount(1_234, "JPY") == "1,234"
    assert i18n.format_day(date(2026, 11, 24)) == "2026年11月24日"
    assert i18n.format_day(date(2026, 1, 5)) == "2026年1月5日"
    i18n.set_language("en")
    assert i18n.format_day(date(2026, 11, 24)) == "2026-11-24"


@pytest.fixture
def terminal_in_new_york():
    """The terminal machine's own time zone set far from the branch's (UTC-5) for one test."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


def test_moments_on_the_branch_clock_for_the_locale(restore_language, terminal_in_new_york):
    """Screens show the branch's clock (UTC+8, as receipts print it), whatever the terminal machine's zone."""
    stored = datetime(2026, 11, 24, 17, 5, tzinfo=UTC)  # past midnight in Beijing: the branch's date is the next day
    i18n.set_language("en")
    assert i18n.format_moment(stored) == "2026-11-25 01:05"
    assert i18n.format_moment(stored.replace(tzinfo=None)) == "2026-11-25 01:05"  # SQLite's naive UTC
    i18n.set_language("zh_CN")
    assert i18n.format_moment(stored) == "2026年11月25日 01:05"
