"""`teller` and `teller demo` as a person starts them, up to the moment the workstation would open (recorded
instead of run), `teller demo totp`, the workstation's settings, and the command line in Chinese."""

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from models import Customer, StaffUser
from teller import cli, clock, demo, i18n, keys, staff, totp
from teller.db import Database
from tests.helpers import PASSWORD, enrol
from tests.test_cli import teller

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")

sqlite_only = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)


@dataclass(frozen=True)
class Opened:
    """What the workstation would have been opened on, and in which language."""

    database: Database
    ledger_line: str
    idle_seconds: float
    demo_ledger: bool
    language: str


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    """No language or idle setting from the developer's shell; English again after each test."""
    for name in ("TELLER_LANG", "TELLER_IDLE_MINUTES"):
        monkeypatch.delenv(name, raising=False)
    yield
    i18n.set_language("en")


@pytest.fixture
def workstation(monkeypatch):
    """`teller.cli.run_workstation` replaced by a recorder, so the command runs to the end without a terminal."""
    opened: list[Opened] = []

    def record(open_ledger, *, idle_seconds, demo_ledger=False):
        database, ledger_line = open_ledger()  # as the workstation does while its login screen shows
        opened.append(Opened(database, ledger_line, idle_seconds, demo_ledger, i18n.language()))

    monkeypatch.setattr(cli, "run_workstation", record)
    yield opened
    for each in opened:
        each.database.dispose()


@pytest.fixture
def demo_home(tmp_path, monkeypatch):
    """The demo ledger goes under this test's folder; the key file the demo points at is restored after."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv(keys.KEY_FILE_ENV, os.environ[keys.KEY_FILE_ENV])
    return tmp_path / "teller" / "demo"


def invoke(*args: str, **env: str):
    return CliRunner().invoke(cli.cli, list(args), env=env, prog_name="teller")


def demo_secret(database: Database, username: str) -> str:
    def work(session) -> str:
        user = session.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one()
        return totp.decrypt_secret(database.secret_key, username, user.totp_secret_encrypted)

    return database.run(work, readonly=True)


def test_demo_builds_a_small_ledger_opens_the_workstation_and_tells_its_codes(demo_home, workstation):
    built = invoke("demo", "--customers", "3")
    assert built.exit_code == 0, built.output
    assert "Creating 3 customers with deposit accounts" in built.stderr
    assert (f"Sign in as teller1 (or super1, officer1, manager1, auditor1, admin1) with password "
            f"{demo.DEMO_PASSWORD}") in built.stderr
    [opened] = workstation
    assert opened.ledger_line in built.stderr.splitlines()
    assert str(demo_home / "ledger.sqlite3") in opened.ledger_line and opened.ledger_line.endswith("[DEMO]")
    assert (opened.demo_ledger, opened.idle_seconds, opened.language) == (True, 300, "en")
    assert opened.database.run(lambda s: s.scalar(select(func.count()).select_from(Customer)), readonly=True) == 3
    # The README's walk-through deposits for the demo's first customer, giving this ID number.
    first = opened.database.run(lambda s: s.execute(select(Customer.name, Customer.id_number).order_by(Customer.id)
                                                      .limit(1)).one(), readonly=True)
    assert tuple(first) == ("李嘉建", "350102199908256006")
    assert "李嘉建" in README and "350102199908256006" in README

    shown = invoke("demo", "totp", "Super1")
    assert shown.exit_code == 0, shown.output
    code = shown.stdout.strip()
    assert re.fullmatch(r"\d{6}", code)
    assert pyotp.TOTP(demo_secret(opened.database, "super1")).verify(code, valid_window=1)

    unknown = invoke("--lang", "zh_CN", "demo", "totp", "nobody")
    assert unknown.exit_code == 1 and unknown.stdout == ""
    assert "错误：没有绑定动态口令的演示用户 'nobody'：可用用户为 admin1, auditor1" in unknown.stderr


def test_the_demo_speaks_chinese_with_teller_lang(demo_home, workstation):
    built = invoke("demo", "--customers", "1", TELLER_LANG="zh_CN")
    assert built.exit_code == 0, built.output
    assert "正在创建各角色员工…" in built.stderr
    assert f"请以 teller1（或 super1、officer1、manager1、auditor1、admin1）登录，密码 {demo.DEMO_PASSWORD}" in built.stderr
    assert "Sign in" not in built.output
    [opened] = workstation
    assert opened.language == "zh_CN" and opened.demo_ledger


def test_demo_totp_is_refused_on_a_ledger_that_is_not_a_demo(db, bank, location):
    enrol(db, "teller1")
    refused = teller(location, "demo", "totp", "teller1")
    assert refused.returncode == 1 and refused.stdout == ""
    assert "Error: this is not a demo ledger: authenticator codes are never shown" in refused.stderr
    assert "Traceback" not in refused.stderr
    in_chinese = teller(location, "--lang", "zh_CN", "demo", "totp", "teller1")
    assert in_chinese.returncode == 1 and "错误：这不是演示账套：不会显示动态口令" in in_chinese.stderr


@sqlite_only
def test_teller_alone_opens_the_workstation_on_the_configured_ledger(db, bank, location, tmp_path, monkeypatch,
                                                                     workstation):
    settings = tmp_path / "config" / "teller" / "teller.toml"
    settings.parent.mkdir(parents=True)
    settings.write_text(f'database_url = "sqlite:///{location.url.database}"\n', encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    started = invoke("--lang", "zh_CN", TELLER_IDLE_MINUTES="2.5")
    assert started.exit_code == 0, started.output
    [opened] = workstation
    assert opened.ledger_line == f"账套：内嵌 SQLite 文件 {location.url.database}（来源：{settings}）"
    assert (opened.idle_seconds, opened.demo_ledger, opened.language) == (150, False, "zh_CN")
    assert {user.username for user in staff.list_staff(opened.database)} >= {"teller1", "super1", "admin1"}


@sqlite_only
@pytest.mark.parametrize(("minutes", "refusal"), [
    ("soon", "Error: TELLER_IDLE_MINUTES must be a number of minutes, not 'soon'"),
    ("0", "Error: TELLER_IDLE_MINUTES must be more than zero"),
])
def test_a_wrong_idle_setting_is_refused_before_any_ledger_is_opened_or_built(location, demo_home, workstation,
                                                                              minutes, refusal):
    alone = invoke(TELLER_DATABASE_URL=f"sqlite:///{location.url.database}", TELLER_IDLE_MINUTES=minutes)
    assert alone.exit_code == 1 and alone.stderr.strip() == refusal
    as_demo = invoke("demo", "--customers", "1", TELLER_IDLE_MINUTES=minutes)
    assert as_demo.exit_code == 1 and as_demo.stderr.strip() == refusal
    assert workstation == [] and not demo_home.exists()


def test_an_unknown_language_is_refused_by_option_and_by_environment(workstation):
    by_option = invoke("--lang", "fr", "db", "status")
    assert by_option.exit_code == 2
    assert "Invalid value for --lang: unsupported language 'fr': use one of en, zh_CN" in by_option.stderr
    by_environment = invoke("db", "status", TELLER_LANG="klingon")
    assert by_environment.exit_code == 2 and "unsupported language 'klingon'" in by_environment.stderr
    assert workstation == [] and i18n.language() == "en"


def test_the_command_line_speaks_chinese_with_lang_and_teller_lang(db, bank, location, monkeypatch):
    secret = enrol(db, "admin1")
    verified = teller(location, "--lang", "zh_CN", "ledger", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("账套校验通过：") and "账套：" in verified.stderr
    code = totp.code_at(secret, clock.now() + timedelta(seconds=totp.STEP_SECONDS))
    monkeypatch.setenv("TELLER_LANG", "zh_CN")
    locked = teller(location, "staff", "lock", "teller1", "--as", "admin1", "--reason", "离职",
                    stdin=f"{PASSWORD}\n{code}\n")
    assert locked.returncode == 0, locked.stderr
    assert "admin1 的密码:" in locked.stderr  # a hidden prompt goes where getpass writes without a terminal
    assert "动态口令: teller1 已锁定" in locked.stdout
    listed = teller(location, "staff", "list")
    assert listed.stdout.splitlines()[0].split() == ["用户名", "网点", "角色", "状态", "动态口令"]
    assert re.search(r"^teller1\s.*\s已锁定\s+否$", listed.stdout, re.MULTILINE)
