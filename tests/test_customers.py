"""Customers on SQLite and PostgreSQL: search by every key, the customer file, validation, edits with the
second key on identity changes, notes, paged transactions, index use, and the migration itself."""

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from alembic import command
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError

from bench.measure import generic_plan
from models import AuditEvent
from teller import bootstrap, clock, customers, instructions, migrate, totp
from teller.customers import AddressDraft, CustomerDraft, PhoneDraft
from teller.errors import ApprovalError, AuthenticationError, InputError
from teller.ledger import Leg
from tests.helpers import PASSWORD, deposit, enrol, post, submit
from tests.loan_support import resident_id

WANG_FANG = CustomerDraft(
    kind="individual", name="王芳", id_type="resident_id", id_number="11010519491231002X",
    registered_mobile="13800138000", addresses=(AddressDraft("home", "北京市朝阳区建国路1号"),),
)
WANG_XIAOFANG = CustomerDraft(
    kind="individual", name="王小芳", id_type="resident_id", id_number="310101199003077894",
    registered_mobile="19912345678", segment="quality",
)
SHAN_TIANFANG = CustomerDraft(
    kind="individual", name="单田芳", id_type="resident_id", id_number="440300198511151236",
    registered_mobile="139 1234 8000", segment="vip",
)
LI_WANG_XIAOFANG = CustomerDraft(
    kind="individual", name="李王小芳", id_type="resident_id", id_number="320106200002294562",
    registered_mobile="13511112222",
)
ZHANG_WEI = CustomerDraft(
    kind="individual", name="Zhang Wei", id_type="passport", id_number="E12345678",
    registered_mobile="13700001111", birth_date=date(1980, 5, 6), gender="male",
    other_phones=(PhoneDraft("work", "010-6512-3456"),),
)
MINJIANG = CustomerDraft(
    kind="company", name="福州闽江科技有限公司", id_type="uscc", id_number="91350100M000100Y43",
    registered_mobile="13600002222", addresses=(AddressDraft("registered", "福州市鼓楼区五四路100号"),),
)
EVERYONE = {"wang_fang": WANG_FANG, "wang_xiaofang": WANG_XIAOFANG, "shan_tianfang": SHAN_TIANFANG,
            "li_wang_xiaofang": LI_WANG_XIAOFANG, "zhang_wei": ZHANG_WEI, "minjiang": MINJIANG}


@pytest.fixture
def people(db, bank) -> dict[str, int]:
    return {key: customers.create_customer(db, bank.teller, draft) for key, draft in EVERYONE.items()}


def _names(hits) -> list[str]:
    return [hit.name for hit in hits]


# --- Search keys without a database ---------------------------------------------------------------------


@pytest.mark.parametrize("name,person,keys", [
    ("王芳", True, ("wangfang", "wf")),
    ("单田芳", True, ("shantianfang", "stf")),  # 单 as a surname reads shan
    ("曾国藩", True, ("zengguofan", "zgf")),
    ("欧阳 修", True, ("ouyangxiu", "oyx")),
    ("吕方", True, ("lvfang", "lf")),
    ("单县农贸公司", False, ("danxiannongmaogongsi", "dxnmgs")),  # a company name keeps everyday readings
    ("Zhang Wei", True, ("zhangwei", "zw")),
    ("Ｏ'Brien  Mary-Jane", True, ("obrienmaryjane", "obmj")),
])
def test_pinyin_keys(name, person, keys):
    assert customers.pinyin_keys(name, person=person) == keys


def test_name_key_folds_case_width_and_spaces():
    assert customers.name_key("  ＺＨＡＮＧ   Wei ") == "zhang wei"


@pytest.mark.parametrize("name,person,given", [
    ("王小芳", True, "小芳"),
    ("王芳", True, "芳"),
    ("欧阳小芳", True, "小芳"),  # a compound surname
    ("上官婉儿", True, "婉儿"),
    ("司马光", True, "光"),
    ("夏侯惇", True, "惇"),
    ("欧阳", True, "阳"),  # two characters: surname 欧, given name 阳
    ("𠮷小芳", True, "小芳"),  # a surname outside the basic ideograph block
    ("王", True, None),
    ("Zhang Wei", True, None),
    ("王 小芳", True, None),  # not a plain Chinese name: no guess where the surname ends
    ("福州闽江科技有限公司", False, None),  # a company has no given name
])
def test_given_name_key_drops_the_surname(name, person, given):
    assert customers.given_name_key(name, person=person) == given


# --- Search ---------------------------------------------------------------------------------------------


def test_one_chinese_character_finds_names_by_prefix(db, people):
    hits = customers.search(db, "王")
    assert set(_names(hits)) == {"王芳", "王小芳"}
    assert all(hit.matched_on == "name" for hit in hits)


def test_two_character_name_is_found_exactly_and_first(db, people):
    hits = customers.search(db, "王芳")
    assert _names(hits) == ["王芳"]
    hit = hits[0]
    assert (hit.id, hit.masked_id, hit.masked_mobile, hit.segment) == (
        people["wang_fang"], "110105********002X", "138****8000", "mass")
    assert hit.has_overdue is False and hit.has_pending is False


def test_exact_name_then_given_name_then_substring(db, bank, people):
    customers.create_customer(db, bank.teller, replace(
        MINJIANG, name="福州王小芳食品有限公司", id_number="91350100M000200Y4T", registered_mobile="13600003333"))
    hits = customers.search(db, "王小芳")
    assert _names(hits) == ["王小芳", "李王小芳", "福州王小芳食品有限公司"]
    assert [hit.matched_on for hit in hits] == ["name", "given_name", "name_substring"]


def test_substring_of_three_or_more_characters(db, people):
    assert _names(customers.search(db, "闽江科技")) == ["福州闽江科技有限公司"]
    assert _names(customers.search(db, "ng we")) == ["Zhang Wei"]
    assert customers.search(db, "江科") == []  # two characters from inside a name: too few for a trigram


def _person(db, bank, name: str, body: str, mobile: str) -> int:
    return customers.create_customer(db, bank.teller, replace(
        WANG_FANG, name=name, id_number=resident_id(body), registered_mobile=mobile))


def test_two_character_given_name_finds_every_surname_after_names_starting_with_it(db, bank, people):
    """小芳 finds 王小芳 and 欧阳小芳 by their given name: after 小芳芳, whose name starts with what was typed;
    exact given names before longer ones (陈小芳华), each in the order the customers came; 李王小芳's given
    name is 王小芳, and 单田芳's does not start with 小芳."""
    ouyang = _person(db, bank, "欧阳小芳", "11010119900101001", "13800000001")
    _person(db, bank, "陈小芳华", "11010119900101002", "13800000002")
    _person(db, bank, "小芳芳", "11010119900101003", "13800000003")
    hits = customers.search(db, "小芳")
    assert _names(hits) == ["小芳芳", "王小芳", "欧阳小芳", "陈小芳华"]
    assert [hit.matched_on for hit in hits] == ["name", "given_name", "given_name", "given_name"]
    assert hits[2].id == ouyang
    assert _names(customers.search(db, "田芳")) == ["单田芳"]
    assert customers.search(db, "芳") == []  # one character: a surname prefix only, never a given name


def test_a_renamed_customer_is_found_by_the_new_given_name_only(db, bank, people):
    customers.update_customer(db, bank.teller, people["wang_xiaofang"], replace(WANG_XIAOFANG, name="上官晓梅"))
    assert _names(customers.search(db, "晓梅")) == ["上官晓梅"]
    assert "上官晓梅" not in _names(customers.search(db, "小芳"))


@pytest.mark.parametrize("query,expected,matched_on", [
    ("wangfang", ["王芳"], "pinyin"),
    ("wf", ["王芳"], "pinyin_initials"),
    ("wxf", ["王小芳"], "pinyin_initials"),
    ("shantian", ["单田芳"], "pinyin"),
    ("STF", ["单田芳"], "pinyin_initials"),
    ("fzmj", ["福州闽江科技有限公司"], "pinyin_initials"),
    ("zhang", ["Zhang Wei"], "name"),
    ("ZHANG W", ["Zhang Wei"], "name"),
    ("zw", ["Zhang Wei"], "pinyin_initials"),
])
def test_pinyin_and_latin_names(db, people, query, expected, matched_on):
    hits = customers.search(db, query)
    assert _names(hits) == expected
    assert hits[0].matched_on == matched_on


def test_one_latin_letter_finds_by_pinyin_prefix(db, people):
    assert {"王芳", "王小芳"} <= set(_names(customers.search(db, "w")))


@pytest.mark.parametrize("query,expected", [
    ("110105", ["王芳"]),
    ("11010519491231002x", ["王芳"]),
    ("３１０１０１", ["王小芳"]),
    ("e1234", ["Zhang Wei"]),
    ("913501", ["福州闽江科技有限公司"]),
])
def test_id_number_prefix(db, people, query, expected):
    hits = customers.search(db, query)
    assert _names(hits) == expected and hits[0].matched_on == "id_number"


@pytest.mark.parametrize("query,expected,matched_on", [
    ("1380013", ["王芳"], "mobile"),
    ("+86 139 1234", ["单田芳"], "mobile"),
    ("１３８００１３８０００", ["王芳"], "mobile"),
    ("010-6512", ["Zhang Wei"], "mobile"),  # any phone of the customer, not only the registered mobile
    ("2222", ["福州闽江科技有限公司", "李王小芳"], "mobile_last_four"),
])
def test_mobile_prefix_and_last_four(db, people, query, expected, matched_on):
    hits = customers.search(db, query)
    assert sorted(_names(hits)) == sorted(expected)
    assert {hit.matched_on for hit in hits} == {matched_on}


def test_four_digits_search_last_four_of_several_customers(db, people):
    hits = customers.search(db, "8000")
    assert sorted(_names(hits)) == ["单田芳", "王芳"]
    assert {hit.masked_mobile for hit in hits} == {"138****8000", "139****8000"}


def test_account_number_prefix_finds_the_linked_customer_only(db, bank, people):
    account = customers.open_account_for(db, bank.teller, people["shan_tianfang"])
    hits = customers.search(db, account.number)
    assert _names(hits) == ["单田芳"] and hits[0].matched_on == "account"
    assert _names(customers.search(db, account.number[:-3])) == ["单田芳"]
    assert customers.search(db, bank.alice) == []  # a deposit account linked to no customer


def test_search_limit_and_nothing_found(db, people):
    assert len(customers.search(db, "王", limit=1)) == 1
    assert customers.search(db, "赵") == []
    assert customers.search(db, "   ") == []


def test_pending_instructions_mark_the_customer_until_decided(db, bank, people):
    account = customers.open_account_for(db, bank.teller, people["wang_fang"])
    made = submit(db, bank, [Leg(bank.drawer, debit=100_00), Leg(account.number, credit=100_00)], kind="cash_deposit")
    assert customers.search(db, "王芳")[0].has_pending is True
    assert customers.search(db, "王小芳")[0].has_pending is False
    file = customers.customer_file(db, people["wang_fang"])
    assert [(item.id, item.amount, item.maker_name) for item in file.pending_instructions] == [
        (made.id, 100_00, "Teller1")]
    instructions.approve(db, made.id, bank.supervisor)
    assert customers.search(db, "王芳")[0].has_pending is False
    assert customers.customer_file(db, people["wang_fang"]).pending_instructions == ()
    withdrawal = submit(db, bank, [Leg(account.number, debit=40_00), Leg(bank.drawer, credit=40_00)],
                        kind="cash_withdrawal")
    assert customers.search(db, "王芳")[0].has_pending is True
    instructions.cancel(db, withdrawal.id, bank.teller)
    assert customers.search(db, "王芳")[0].has_pending is False


# --- The customer file ----------------------------------------------------------------------------------


def test_customer_file_shows_identity_contacts_accounts_and_balances(db, bank, people):
    customer_id = people["zhang_wei"]
    account = customers.open_account_for(db, bank.teller, customer_id)
    deposit(db, bank, account.number, 800_00)
    submit(db, bank, [Leg(account.number, debit=300_00), Leg(bank.drawer, credit=300_00)], kind="cash_withdrawal")
    file = customers.customer_file(db, customer_id)
    assert (file.kind, file.name, file.id_type, file.id_number, file.masked_id) == (
        "individual", "Zhang Wei", "passport", "E12345678", "E1*****78")
    assert (file.birth_date, file.gender, file.segment) == (date(1980, 5, 6), "male", "mass")
    assert [(phone.kind, phone.number, phone.is_registered) for phone in file.phones] == [
        ("mobile", "13700001111", True), ("work", "01065123456", False)]
    assert file.registered_mobile.masked == "137****1111"
    assert [(item.number, item.balance, item.available) for item in file.accounts] == [
        (account.number, 800_00, 500_00)]
    assert file.accounts[0].name == "Zhang Wei"
    assert len(file.pending_instructions) == 1 and file.pending_instructions[0].kind == "cash_withdrawal"
    assert file.loans == () and file.notes == () and file.pending_change is None


def test_company_file_and_relationship_owner(db, bank):
    draft = replace(MINJIANG, relationship_owner_id=bank.manager.staff_id)
    file = customers.customer_file(db, customers.create_customer(db, bank.teller, draft))
    assert (file.kind, file.birth_date, file.gender) == ("company", None, None)
    assert file.relationship_owner_name == "Manager1"
    assert [(address.kind, address.text) for address in file.addresses] == [("registered", "福州市鼓楼区五四路100号")]


def test_missing_customer_is_an_input_error(db, bank):
    with pytest.raises(InputError, match="customer 999 does not exist"):
        customers.customer_file(db, 999)


# --- Creating customers ---------------------------------------------------------------------------------


def test_create_derives_birth_date_and_gender_and_audits(db, bank):
    customer_id = customers.create_customer(db, bank.teller, replace(WANG_FANG, id_number=" 11010519491231002x "))
    file = customers.customer_file(db, customer_id)
    assert (file.id_number, file.birth_date, file.gender) == ("11010519491231002X", date(1949, 12, 31), "female")
    audited = db.run(lambda s: s.execute(select(AuditEvent.action, AuditEvent.object_id, AuditEvent.staff_id)
                                         .order_by(AuditEvent.seq.desc()).limit(1)).one(), readonly=True)
    assert tuple(audited) == ("customer.created", str(customer_id), bank.teller.staff_id)


@pytest.mark.parametrize("changes,field,words", [
    ({"kind": "person"}, "kind", "individual or a company"),
    ({"name": "  "}, "name", "give the customer's name"),
    ({"name": "12345"}, "name", "letters or Chinese characters"),
    ({"name": "王" * 121}, "name", "120 characters"),
    ({"id_type": "uscc"}, "id type", "resident ID or a passport"),
    ({"id_number": "110105194912310021"}, "id number", "check character does not match"),
    ({"id_number": "110105194902300025"}, "id number", "real birth date"),
    ({"id_number": "1101051949123100"}, "id number", "18 characters, not 16"),
    ({"birth_date": date(1949, 12, 30)}, "birth date", "the ID number gives 1949-12-31"),
    ({"gender": "male"}, "gender", "the ID number gives female"),
    ({"segment": "gold"}, "segment", "mass, quality, vip"),
    ({"registered_mobile": "12345678901"}, "registered mobile", "starts 13 to 19"),
    ({"registered_mobile": ""}, "registered mobile", "11-digit mobile"),
    ({"other_phones": (PhoneDraft("mobile", "1380013800"),)}, "phone", "11 digits, not 10"),
    ({"other_phones": (PhoneDraft("home", "138 0013 8000"),)}, "phone", "given twice"),
    ({"other_phones": (PhoneDraft("fax", "01065123456"),)}, "phone", "mobile, home, work"),
    ({"addresses": (AddressDraft("home", " "),)}, "address", "empty"),
    ({"addresses": (AddressDraft("holiday", "三亚"),)}, "address", "home, work, mailing, registered"),
    ({"relationship_owner_id": 999}, "relationship owner", "no active staff member 999"),
])
def test_create_refuses_each_bad_field(db, bank, changes, field, words):
    with pytest.raises(InputError) as refused:
        customers.create_customer(db, bank.teller, replace(WANG_FANG, **changes))
    assert refused.value.field == field
    assert words in refused.value.message
    assert customers.search(db, "王芳") == []


@pytest.mark.parametrize("draft,changes,field,words", [
    (MINJIANG, {"id_number": "91350100M000100Y44"}, "id number", "check character does not match"),
    (MINJIANG, {"id_type": "resident_id"}, "id type", "unified social credit code"),
    (MINJIANG, {"birth_date": date(2001, 1, 1)}, "birth date", "a company has no birth date"),
    (ZHANG_WEI, {"birth_date": None}, "birth date", "as in the passport"),
    (ZHANG_WEI, {"gender": None}, "gender", "male or female"),
    (ZHANG_WEI, {"birth_date": clock.branch_today() + timedelta(days=1)}, "birth date", "cannot be a birth date"),
    (ZHANG_WEI, {"id_number": "E1"}, "id number", "5 to 17 letters or digits"),
])
def test_create_refuses_bad_company_and_passport_fields(db, bank, draft, changes, field, words):
    with pytest.raises(InputError) as refused:
        customers.create_customer(db, bank.teller, replace(draft, **changes))
    assert (refused.value.field, words in refused.value.message) == (field, True)


@pytest.mark.parametrize("typed,born", [
    ("1985-03-07", date(1985, 3, 7)),
    (" １９８５－０３－０７ ", date(1985, 3, 7)),  # as a Chinese input method types it
    ("  ", None),  # nothing typed: the service says a passport needs one
])
def test_a_typed_birth_date_is_read_as_yyyy_mm_dd(typed, born):
    assert customers.parse_birth_date(typed) == born


@pytest.mark.parametrize("typed,words", [
    ("1985/03/07", "type the date as YYYY-MM-DD, e.g. 1985-03-07"),
    ("19850307", "type the date as YYYY-MM-DD, e.g. 1985-03-07"),
    ("7-3-1985", "type the date as YYYY-MM-DD, e.g. 1985-03-07"),
    ("1985-02-30", "1985-02-30 is not a real date: check the month and day"),
])
def test_a_typed_birth_date_that_is_not_yyyy_mm_dd_is_refused_naming_the_field(typed, words):
    with pytest.raises(InputError) as refused:
        customers.parse_birth_date(typed)
    assert (refused.value.field, refused.value.message) == ("birth date", words)


def test_duplicate_id_number_names_the_existing_customer(db, bank, people):
    duplicate = replace(WANG_XIAOFANG, name="王芳二", id_number="11010519491231002x", registered_mobile="13900000000")
    with pytest.raises(InputError) as refused:
        customers.create_customer(db, bank.teller, duplicate)
    assert refused.value.field == "id number"
    assert f"customer {people['wang_fang']} 王芳" in refused.value.message


def test_auditors_cannot_create_customers(db, bank):
    with pytest.raises(ApprovalError, match="no role that may create customers"):
        customers.create_customer(db, bank.auditor, WANG_FANG)


# --- Editing and the second key -------------------------------------------------------------------------


def test_ordinary_fields_change_at_once_and_are_audited(db, bank, people):
    customer_id = people["wang_fang"]
    draft = customers.edit_draft(db, customer_id)
    assert (draft.birth_date, draft.gender) == (None, None)  # they follow the resident ID
    edited = replace(draft, name="王芳芳", segment="vip", other_phones=(PhoneDraft("work", "021-5555 6666"),),
                     addresses=(AddressDraft("mailing", "上海市黄浦区中山东一路1号"),),
                     relationship_owner_id=bank.supervisor.staff_id)
    outcome = customers.update_customer(db, bank.teller, customer_id, edited)
    assert outcome.pending_change is None
    assert set(outcome.changed) == {"name", "segment", "other_phones", "addresses", "relationship_owner_id"}
    file = customers.customer_file(db, customer_id)
    assert (file.name, file.segment, file.relationship_owner_name) == ("王芳芳", "vip", "Super1")
    assert [phone.number for phone in file.phones] == ["13800138000", "02155556666"]
    assert _names(customers.search(db, "wff")) == ["王芳芳"]
    assert _names(customers.search(db, "王芳芳")) == ["王芳芳"]
    assert _names(customers.search(db, "wf")) == ["王芳芳"]  # no stale keys of the old name
    detail = db.run(lambda s: s.execute(select(AuditEvent.detail).where(AuditEvent.action == "customer.updated")
                                        ).scalar_one(), readonly=True)
    assert '"name":["王芳","王芳芳"]' in detail and '"segment":["mass","vip"]' in detail


def test_saving_an_unchanged_draft_changes_nothing(db, bank, people):
    draft = customers.edit_draft(db, people["zhang_wei"])
    outcome = customers.update_customer(db, bank.teller, people["zhang_wei"], draft)
    assert (outcome.changed, outcome.pending_change) == ((), None)


def test_kind_cannot_change(db, bank, people):
    draft = replace(customers.edit_draft(db, people["zhang_wei"]), kind="company")
    with pytest.raises(InputError) as refused:
        customers.update_customer(db, bank.teller, people["zhang_wei"], replace(
            draft, id_type="uscc", id_number="91110000600037341L", birth_date=None, gender=None))
    assert refused.value.field == "kind"


def test_registered_mobile_change_waits_for_a_second_key(db, bank, people):
    customer_id = people["wang_fang"]
    draft = replace(customers.edit_draft(db, customer_id), registered_mobile="13911110000", segment="quality")
    outcome = customers.update_customer(db, bank.teller, customer_id, draft)
    assert outcome.changed == ("segment",)
    change = outcome.pending_change
    assert (change.status, change.before, change.after, change.maker_name) == (
        "PENDING", {"registered_mobile": "13800138000"}, {"registered_mobile": "13911110000"}, "Teller1")
    file = customers.customer_file(db, customer_id)
    assert file.registered_mobile.number == "13800138000" and file.pending_change.id == change.id
    assert file.segment == "quality"
    assert customers.search(db, "1391111") == []
    assert [item.id for item in customers.pending_customer_changes(db)] == [change.id]

    with pytest.raises(ApprovalError, match="no role that may give the second key"):
        customers.approve_customer_change(db, change.id, bank.teller)
    applied = customers.approve_customer_change(db, change.id, bank.supervisor)
    assert (applied.status, applied.checker_id) == ("APPLIED", bank.supervisor.staff_id)
    assert customers.customer_file(db, customer_id).registered_mobile.number == "13911110000"
    assert _names(customers.search(db, "1391111")) == ["王芳"]
    assert _names(customers.search(db, "0000")) == ["王芳"]
    assert customers.search(db, "1380013") == []
    assert customers.pending_customer_changes(db) == []
    with pytest.raises(ApprovalError, match="already APPLIED"):
        customers.approve_customer_change(db, change.id, bank.manager)


def test_a_passport_customers_birth_date_and_gender_change_waits_for_a_second_key(db, bank, people):
    customer_id = people["zhang_wei"]
    draft = customers.edit_draft(db, customer_id)
    assert (draft.birth_date, draft.gender) == (date(1980, 5, 6), "male")  # a passport's own, shown to edit
    edited = replace(draft, birth_date=date(1980, 6, 5), gender="female", segment="quality")
    outcome = customers.update_customer(db, bank.teller, customer_id, edited)
    assert outcome.changed == ("segment",)
    change = outcome.pending_change
    assert (change.before, change.after) == ({"birth_date": "1980-05-06", "gender": "male"},
                                             {"birth_date": "1980-06-05", "gender": "female"})
    file = customers.customer_file(db, customer_id)
    assert (file.birth_date, file.gender, file.segment) == (date(1980, 5, 6), "male", "quality")

    customers.approve_customer_change(db, change.id, bank.supervisor)
    file = customers.customer_file(db, customer_id)
    assert (file.birth_date, file.gender, file.pending_change) == (date(1980, 6, 5), "female", None)


def test_the_maker_cannot_approve_their_own_change(db, bank, people):
    customer_id = people["wang_fang"]
    draft = replace(customers.edit_draft(db, customer_id), registered_mobile="13911110000")
    change = customers.update_customer(db, bank.supervisor, customer_id, draft).pending_change
    with pytest.raises(ApprovalError, match="maker cannot give the second key"):
        customers.approve_customer_change(db, change.id, bank.supervisor)
    with pytest.raises(ApprovalError, match="maker cannot give the second key"):
        customers.reject_customer_change(db, change.id, bank.supervisor, "changed my mind")
    assert customers.customer_file(db, customer_id).pending_change.status == "PENDING"


def test_the_database_refuses_checker_equal_to_maker(db, bank, people):
    customer_id = people["wang_fang"]
    draft = replace(customers.edit_draft(db, customer_id), registered_mobile="13911110000")
    change = customers.update_customer(db, bank.teller, customer_id, draft).pending_change
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(text("UPDATE customer_change SET status = 'APPLIED', checker_id = maker_id WHERE id = :id"),
                           {"id": change.id})
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO customer_change (customer_id, status, before, after, maker_id, created_at)"
            " SELECT customer_id, 'PENDING', '{}', '{}', maker_id, created_at FROM customer_change WHERE id = :id"),
            {"id": change.id})
    assert customers.customer_file(db, customer_id).pending_change.status == "PENDING"


def test_id_number_change_with_the_second_key_typed_by_the_checker(db, bank, people, monkeypatch):
    customer_id = people["wang_fang"]
    enrolled_at = clock.now() - timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: enrolled_at)
    secret = enrol(db, "super2")
    monkeypatch.undo()
    draft = replace(customers.edit_draft(db, customer_id), id_number="110101200001011232")
    change = customers.update_customer(db, bank.teller, customer_id, draft).pending_change
    assert change.after == {"id_number": "110101200001011232", "birth_date": "2000-01-01", "gender": "male"}
    with pytest.raises(AuthenticationError):
        customers.approve_customer_change_with_second_key(db, change.id, "super2", "Wrong#Pass2026",
                                                          totp.code_at(secret, clock.now()), "t1")
    applied = customers.approve_customer_change_with_second_key(
        db, change.id, "super2", PASSWORD, totp.code_at(secret, clock.now()), "t1")
    assert applied.checker_id == bank.supervisor2.staff_id
    file = customers.customer_file(db, customer_id)
    assert (file.id_number, file.birth_date, file.gender) == ("110101200001011232", date(2000, 1, 1), "male")
    assert _names(customers.search(db, "110101200001")) == ["王芳"]
    assert customers.search(db, "110105") == []
    actions = db.run(lambda s: s.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("customer.change%")).order_by(AuditEvent.seq)).all(), readonly=True)
    assert actions == ["customer.change_requested", "customer.change_applied"]


def test_rejected_change_leaves_the_customer_as_it_was(db, bank, people):
    customer_id = people["wang_fang"]
    draft = replace(customers.edit_draft(db, customer_id), id_number="110101200001011232")
    change = customers.update_customer(db, bank.teller, customer_id, draft).pending_change
    with pytest.raises(InputError, match="say why"):
        customers.reject_customer_change(db, change.id, bank.manager, " ")
    rejected = customers.reject_customer_change(db, change.id, bank.manager, "no new ID card seen")
    assert (rejected.status, rejected.reason) == ("REJECTED", "no new ID card seen")
    file = customers.customer_file(db, customer_id)
    assert (file.id_number, file.pending_change) == ("11010519491231002X", None)


def test_one_pending_identity_change_at_a_time(db, bank, people):
    customer_id = people["wang_fang"]
    draft = customers.edit_draft(db, customer_id)
    customers.update_customer(db, bank.teller, customer_id, replace(draft, registered_mobile="13911110000"))
    with pytest.raises(InputError) as refused:
        customers.update_customer(db, bank.teller, customer_id, replace(draft, registered_mobile="13922220000"))
    assert refused.value.field == "customer" and "waiting for a second key" in refused.value.message


def test_changing_to_another_customers_id_number_is_refused_at_once(db, bank, people):
    draft = replace(customers.edit_draft(db, people["wang_fang"]), id_number="310101199003077894")
    with pytest.raises(InputError) as refused:
        customers.update_customer(db, bank.teller, people["wang_fang"], draft)
    assert refused.value.field == "id number" and f"customer {people['wang_xiaofang']} 王小芳" in refused.value.message


# --- Notes and transactions -----------------------------------------------------------------------------


def test_notes_newest_first_and_paged(db, bank, people):
    customer_id = people["minjiang"]
    first = customers.add_note(db, bank.teller, customer_id, "来访：咨询对公账户开户")
    second = customers.add_note(db, bank.supervisor, customer_id, "  Called back about the loan.  ")
    assert (second.text, second.staff_name) == ("Called back about the loan.", "Super1")
    assert [note.id for note in customers.customer_file(db, customer_id).notes] == [second.id, first.id]
    assert [note.id for note in customers.list_notes(db, customer_id, limit=1)] == [second.id]
    assert [note.id for note in customers.list_notes(db, customer_id, before=second.id)] == [first.id]
    with pytest.raises(InputError, match="write something"):
        customers.add_note(db, bank.teller, customer_id, "   ")
    with pytest.raises(ApprovalError):
        customers.add_note(db, bank.auditor, customer_id, "read only")


def test_transactions_are_paged_newest_first_without_splitting_an_entry(db, bank, people):
    customer_id = people["wang_fang"]
    current = customers.open_account_for(db, bank.teller, customer_id)
    savings = customers.open_account_for(db, bank.teller, customer_id)
    deposit(db, bank, bank.bob, 50_00)  # another customer's movement never shows
    entries = [deposit(db, bank, current.number, amount).entry_id for amount in (100_00, 200_00, 300_00)]
    entries.append(deposit(db, bank, savings.number, 400_00).entry_id)
    entries.append(post(db, bank, [Leg(current.number, debit=150_00), Leg(savings.number, credit=150_00)]).entry_id)

    whole = customers.recent_transactions(db, customer_id)
    assert whole.next_before is None
    assert [line.entry_id for line in whole.lines] == [entries[4], entries[4], *reversed(entries[:4])]
    assert {(line.account_number, line.amount) for line in whole.lines if line.entry_id == entries[4]} == {
        (current.number, -150_00), (savings.number, 150_00)}
    assert whole.lines[-1].amount == 100_00 and whole.lines[-1].credit == 100_00

    pages, before = [], None
    while True:
        page = customers.recent_transactions(db, customer_id, before=before, limit=1)
        pages.append([line.entry_id for line in page.lines])
        if page.next_before is None:
            break
        before = page.next_before
    assert pages == [[entries[4], entries[4]], *[[entry] for entry in reversed(entries[:4])]]

    two = customers.recent_transactions(db, customer_id, limit=2)
    assert [line.entry_id for line in two.lines] == [entries[4], entries[4]] and two.next_before == entries[4]


def test_customer_without_accounts_has_no_transactions(db, people):
    assert customers.recent_transactions(db, people["minjiang"]) == customers.TransactionPage((), None)


# --- Index use and the migration ------------------------------------------------------------------------

PLAN_CASES = {
    "王芳": "ix_customer_name_key",
    "小芳": "ix_customer_given_name_key",
    "王小芳": "VIRTUAL TABLE",
    "wangfang": "ix_customer_pinyin_full",
    "wf": "ix_customer_pinyin_initials",
    "110105": "sqlite_autoindex_customer",
    "e1234": "sqlite_autoindex_customer",
    "1380013": "ix_customer_phone_number",
    "8000": "ix_customer_phone_last_four",
    "62220101": "sqlite_autoindex_account",
}
POSTGRES_PLAN_CASES = {
    **PLAN_CASES, "王小芳": "ix_customer_name_key_trgm", "110105": "uq_customer_id_number",
    "e1234": "uq_customer_id_number", "62220101": "uq_account_number",
}


def _statements_of(db, action) -> list[tuple[str, object]]:
    captured = []

    def capture(_connection, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    event.listen(db.lookup_engine, "before_cursor_execute", capture)
    try:
        action()
    finally:
        event.remove(db.lookup_engine, "before_cursor_execute", capture)
    return captured


def test_every_search_kind_uses_an_index(db, bank, people, dialect):
    account = customers.open_account_for(db, bank.teller, people["wang_fang"])
    submit(db, bank, [Leg(bank.drawer, debit=1_00), Leg(account.number, credit=1_00)], kind="cash_deposit")
    cases = PLAN_CASES if dialect == "sqlite" else POSTGRES_PLAN_CASES
    for query, index in cases.items():
        statements = _statements_of(db, lambda query=query: customers.search(db, query))
        assert any(customers.search(db, query)), query
        with db.engine.connect() as connection:
            if dialect == "sqlite":
                plans = [" ".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
                         for sql, params in statements]
                scans = [plan for plan in plans if re.search(r"\bSCAN (?!.*(VIRTUAL TABLE|USING))", plan)]
            else:  # the one plan a lookup connection keeps, whatever was typed
                connection.exec_driver_sql("SET enable_seqscan = off")
                plans = [" ".join(generic_plan(connection.connection.driver_connection, sql, params))
                         for sql, params in statements]
                scans = [plan for plan in plans if "Seq Scan" in plan]
        assert scans == [], f"{query!r} reads a table without an index: {scans}"
        assert any(index in plan for plan in plans), f"{query!r} does not use {index}: {plans}"
        if dialect == "sqlite":  # pending marks go customer -> accounts -> their pending instructions
            assert any("ix_pending_instruction_account_account_id" in plan for plan in plans), plans


def test_migration_matches_the_models_and_downgrades_cleanly(location):
    engine = bootstrap.plain_engine(location.url)
    try:
        config = migrate.alembic_config(engine)
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.check(config)  # raises if the migrated schema and the models differ
        migrate.downgrade(engine, "0001")
        with engine.connect() as connection:
            tables = set(connection.dialect.get_table_names(connection))
            assert not {"customer", "customer_phone", "customer_change", "pending_instruction_account"} & tables
            assert not any(name.startswith("customer_name_fts") for name in tables)
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
