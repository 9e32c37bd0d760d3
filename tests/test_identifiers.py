"""Identity and phone numbers against the shared reference vectors, plus the rules the vectors do not reach."""

from datetime import date

import pytest
from stdnum.cn import ric

from teller import identifiers
from teller.errors import InputError
from tests.helpers import reference

REFERENCE = reference("identifiers.json")
RESIDENT = REFERENCE["resident_id"]
USCC = REFERENCE["unified_social_credit_code"]
MOBILE = REFERENCE["mobile"]

# What each reason in the reference file must lead the message to say.
RESIDENT_REASON_WORDS = {
    "17 characters": "18 characters, not 17",
    "wrong check character": "check character does not match",
    "no 30 February": "real birth date",
    "Y is not a check character": "digit or X",
}
USCC_REASON_WORDS = {
    "wrong check character": "check character does not match",
    "19 characters": "18 characters, not 19",
}
MOBILE_REASON_WORDS = {
    "second digit 2": "starts 13 to 19",
    "10 digits": "11 digits, not 10",
}


def _with_check_character(first_17: str) -> str:
    return first_17 + ric.calc_check_digit(first_17 + "0")


@pytest.mark.parametrize("number", RESIDENT["valid"])
def test_valid_resident_ids_are_accepted_unchanged(number):
    assert identifiers.resident_id(number) == number


@pytest.mark.parametrize("number,reason", RESIDENT["invalid"].items())
def test_invalid_resident_ids_are_refused_with_the_reason(number, reason):
    with pytest.raises(InputError) as refused:
        identifiers.resident_id(number)
    assert refused.value.field == "id number"
    assert RESIDENT_REASON_WORDS[reason] in refused.value.message


@pytest.mark.parametrize("typed,expected", RESIDENT["normalises_to"].items())
def test_resident_ids_normalise_full_width_spaces_and_lower_case_x(typed, expected):
    assert identifiers.resident_id(typed) == expected


def test_resident_id_birth_date_and_gender_come_from_the_number():
    assert identifiers.birth_date_of("11010519491231002X") == date(1949, 12, 31)
    assert identifiers.gender_of("11010519491231002X") == "female"  # 17th digit 2: even
    assert identifiers.gender_of("440300198511151236") == "male"  # 17th digit 3: odd
    assert identifiers.birth_date_of("320106200002294562") == date(2000, 2, 29)  # a leap day is real


def test_a_birth_date_in_the_future_is_refused():
    number = _with_check_character("11010520300101001")
    with pytest.raises(InputError, match="2030-01-01 in the number cannot be right"):
        identifiers.resident_id(number, today=date(2026, 11, 24))
    assert identifiers.resident_id(number, today=date(2031, 1, 1)) == number


def test_an_unknown_area_code_is_refused():
    with pytest.raises(InputError, match="not a known area code"):
        identifiers.resident_id(_with_check_character("00000019900101001"))


def test_a_resident_id_field_name_can_be_chosen():
    with pytest.raises(InputError) as refused:
        identifiers.resident_id("", field="new id number")
    assert refused.value.field == "new id number"


@pytest.mark.parametrize("code", USCC["valid"])
def test_valid_social_credit_codes_are_accepted(code):
    assert identifiers.social_credit_code(code) == code
    assert identifiers.social_credit_code(code.lower()) == code


@pytest.mark.parametrize("code,reason", USCC["invalid"].items())
def test_invalid_social_credit_codes_are_refused_with_the_reason(code, reason):
    with pytest.raises(InputError) as refused:
        identifiers.social_credit_code(code)
    assert refused.value.field == "id number"
    assert USCC_REASON_WORDS[reason] in refused.value.message


def test_a_social_credit_code_with_a_forbidden_letter_is_refused():
    with pytest.raises(InputError, match="no I, O, S, V or Z"):
        identifiers.social_credit_code("91350100M000100O43")


@pytest.mark.parametrize("number", MOBILE["valid"])
def test_valid_mobiles_are_accepted(number):
    assert identifiers.mobile(number) == number


@pytest.mark.parametrize("number,reason", MOBILE["invalid"].items())
def test_invalid_mobiles_are_refused_with_the_reason(number, reason):
    with pytest.raises(InputError) as refused:
        identifiers.mobile(number, field="registered mobile")
    assert refused.value.field == "registered mobile"
    assert MOBILE_REASON_WORDS[reason] in refused.value.message


@pytest.mark.parametrize("typed,expected", [*MOBILE["normalises_to"].items(), ("138-0013-8000", "13800138000"),
                                            ("0086 13800138000", "13800138000")])
def test_mobiles_normalise_country_code_separators_and_full_width(typed, expected):
    assert identifiers.mobile(typed) == expected


def test_mobile_with_letters_is_refused():
    with pytest.raises(InputError, match="digits only"):
        identifiers.mobile("1380013800O")


def test_landlines_and_passports():
    assert identifiers.landline("(010) 6512-3456") == "01065123456"
    with pytest.raises(InputError, match="area code and number"):
        identifiers.landline("123")
    assert identifiers.passport_number(" e1234 5678 ") == "E12345678"
    with pytest.raises(InputError, match="5 to 17 letters or digits"):
        identifiers.passport_number("E1/2345")


def test_masking_for_display():
    assert identifiers.mask_id("11010519491231002X") == "110105********002X"
    assert identifiers.mask_id("91350100M000100Y43") == "913501********0Y43"
    assert identifiers.mask_id("E12345678") == "E1*****78"
    assert identifiers.mask_phone("13800138000") == "138****8000"
    assert identifiers.mask_phone("01065123456") == "*******3456"
