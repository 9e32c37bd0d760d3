"""What the services raise reads in the workstation's language: with zh_CN chosen, real refusals come out in
Chinese, the field they are about named by its Chinese label, while `error.field` stays the English key the
screens rely on."""

import pytest

from teller import accounts, authentication, i18n, passwords, totp
from teller.actor import system_actor
from teller.errors import AuthenticationError, InputError, LedgerError, labelled_message
from teller.ledger import Leg
from teller.money import parse_amount
from tests.helpers import PASSWORD, deposit, submit

sqlite_only = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)


@pytest.fixture
def chinese():
    i18n.set_language("zh_CN")
    yield
    i18n.set_language("en")


def test_an_amount_refusal_names_the_field_in_chinese(chinese):
    with pytest.raises(InputError) as refused:
        parse_amount("0")
    assert refused.value.field == "amount"
    assert refused.value.message == "金额必须大于零"
    assert str(refused.value) == "金额：金额必须大于零"


@pytest.mark.parametrize(("refuse", "shown"), [
    (lambda: parse_amount("1.234"), "金额：CNY 金额最多 2 位小数（输入了 3 位）"),
    (lambda: totp.normalise_code("12"), "动态口令：动态口令为 6 位（输入了 2 位）"),
    (lambda: passwords.check_rules("short", username="teller1"), "密码：请使用 10 至 128 个字符"),
])
def test_input_refusals_are_chinese_with_their_numbers_in_place(chinese, refuse, shown):
    with pytest.raises(InputError) as refused:
        refuse()
    assert str(refused.value) == shown


def test_the_form_label_comes_from_the_one_table_and_unknown_keys_show_as_they_are(chinese):
    assert labelled_message("registered mobile", "请输入 11 位手机号码") == "预留手机号：请输入 11 位手机号码"
    assert labelled_message("new id number", "…") == "new id number：…"


def test_english_stays_the_default_wording():
    with pytest.raises(InputError) as refused:
        parse_amount("0")
    assert str(refused.value) == "amount: the amount must be more than zero"


@sqlite_only
def test_a_refused_sign_in_is_chinese(db, bank, chinese):
    with pytest.raises(AuthenticationError) as refused:
        authentication.authenticate(db, "nobody", PASSWORD, "123456", "t1")
    assert str(refused.value) == "用户名、密码或动态口令错误"
    with pytest.raises(InputError) as missing:
        authentication.authenticate(db, "super1", "", "123456", "t1")
    assert (missing.value.field, str(missing.value)) == ("password", "密码：请输入密码")


@sqlite_only
def test_insufficient_funds_are_refused_in_chinese(db, bank, chinese):
    deposit(db, bank, bank.alice, 50_00)
    with pytest.raises(LedgerError) as refused:
        submit(db, bank, [Leg(bank.alice, debit=100_00), Leg(bank.bob, credit=100_00)])
    assert str(refused.value) == f"账户 {bank.alice} 可用余额不足：可用 50.00，需要 100.00"


@sqlite_only
def test_a_frozen_account_is_named_frozen_in_chinese(db, bank, chinese):
    accounts.set_status(db, system_actor("tests"), bank.bob, "frozen", "court order")
    with pytest.raises(LedgerError) as refused:
        submit(db, bank, [Leg(bank.drawer, debit=10_00), Leg(bank.bob, credit=10_00)], kind="cash_deposit")
    assert str(refused.value) == f"账户 {bank.bob} 状态为“冻结”，不能办理资金变动"
