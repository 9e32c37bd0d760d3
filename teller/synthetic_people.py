"""Realistic made-up people for demo and benchmark ledgers: Chinese and Latin names, valid resident ID
numbers (GB 11643, area code valid at the birth year), mobile numbers and home addresses.

Everything is drawn from a caller's seeded `random.Random`, so a ledger built twice with one seed is the
same ledger. Chinese names follow the surname frequency order (王 and 李 far more common than 汤) and mix
common one-character given names with two-character ones, so that a million customers hold many
same-name people, as a real branch network does, and many distinct names as well.
"""

import random
from datetime import date
from functools import lru_cache

from stdnum.cn import ric

from teller import chinese_names

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
COMPOUND_SURNAMES = chinese_names.COMPOUND_SURNAMES[:8]  # one made-up person in a hundred carries one of these
GIVEN = ("芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀英", "霞", "平", "刚", "桂英", "华", "建华", "文", "辉", "玲", "红", "波", "斌", "鑫", "宇", "浩",
         "婷", "雪", "欣", "佳怡", "梓涵", "子轩", "博文", "晨", "悦", "琳", "瑞", "志强", "海燕", "春梅")
# Characters that make up two-character given names (建国, 思远, 雨桐 ...).
GIVEN_CHARACTERS = "建国志明海燕春梅子轩博文佳怡梓涵思远雨桐一诺欣怡浩然宇航嘉豪晓东丽华秀兰永红晨曦俊杰玉兰德胜"
LATIN_GIVEN = ("John", "Maria", "Anna", "David", "Sarah", "Kenji", "Olga", "Michael", "Emma", "Lucas", "Sophie",
               "Ahmed", "Yuki", "Peter", "Laura")
LATIN_FAMILY = ("Smith", "Garcia", "Müller", "Chen", "Johnson", "Tanaka", "Petrova", "Brown", "Martin", "Kim",
                "Nguyen", "Rossi", "Dubois", "Wang", "Zhang")
REGIONS = ("110101", "110105", "310101", "310104", "440103", "440305", "320106", "330106", "510104",
           "420102", "370102", "130102", "350102", "610113")
MOBILE_PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159",
                   "177", "180", "186", "187", "188", "189", "199")
STREETS = ("人民路", "解放路", "中山路", "建设路", "和平街", "长安街", "新华路", "朝阳路")
CITIES = ("北京市东城区", "上海市黄浦区", "广州市越秀区", "深圳市福田区", "南京市鼓楼区", "杭州市西湖区",
          "成都市锦江区", "武汉市江岸区")
# Surnames are far from uniform: the list is in order of frequency, so earlier ones weigh more (王 about 6%).
SURNAME_WEIGHTS = [max(1, 30 - rank) for rank in range(len(SURNAMES))]


@lru_cache(maxsize=None)
def _area_existed(area: str, year: int) -> bool:
    """Whether an area code was in use in a birth year (checked once per area and year: python-stdnum's
    area table look-up is what made building a million IDs slow)."""
    probe = f"{area}{year}0101000"
    return ric.is_valid(probe + ric.calc_check_digit(probe + "0"))


def resident_id(rng: random.Random, used: set[str]) -> tuple[str, str]:
    """A valid resident ID number not in `used` (added to it), and the gender its sequence digit gives."""
    while True:
        born = date(rng.randint(1950, 2003), rng.randint(1, 12), rng.randint(1, 28))
        body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randint(0, 999):03d}"
        number = body + ric.calc_check_digit(body + "0")
        # The area code must exist at the birth year; the check digit and the date are valid by construction.
        if not _area_existed(body[:6], born.year):
            continue
        if number not in used:
            used.add(number)
            return number, "male" if int(body[-1]) % 2 else "female"


def person_name(rng: random.Random) -> str:
    """A Chinese name (rarely a compound surname; a one- or two-character given name) or, one time in
    twenty, a Latin one."""
    roll = rng.random()
    if roll < 0.05:
        return f"{rng.choice(LATIN_GIVEN)} {rng.choice(LATIN_FAMILY)}"
    surname = rng.choice(COMPOUND_SURNAMES) if roll < 0.06 else rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    if rng.random() < 0.5:
        return surname + rng.choice(GIVEN)
    return surname + rng.choice(GIVEN_CHARACTERS) + rng.choice(GIVEN_CHARACTERS)


def mobile(rng: random.Random, used: set[str]) -> str:
    """A mainland mobile number not in `used` (added to it)."""
    while True:
        number = rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
        if number not in used:
            used.add(number)
            return number


def home_address(rng: random.Random) -> str:
    return f"{rng.choice(CITIES)}{rng.choice(STREETS)}{rng.randint(1, 300)}号"


def segment(rng: random.Random) -> str:
    """mass, quality or vip, in a branch's usual proportions."""
    roll = rng.random()
    return "vip" if roll < 0.05 else "quality" if roll < 0.2 else "mass"
