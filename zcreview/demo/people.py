"""Plausible people: Chinese names, valid 身份证号 (GB 11643), mobile numbers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from typing import Literal, TypeVar

from zcreview.domain.checks.validators import id_check_char

Sex = Literal["男", "女"]
T = TypeVar("T")

# Surnames weighted by how common they are; Weihai (胶东) favours 于, 王, 孙, 丛, 毕, 鞠, 宫, 谷,
# 曲, 隋, 戚, so those are heavier than national tables would make them.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 90),
    ("李", 62),
    ("张", 60),
    ("刘", 55),
    ("孙", 40),
    ("于", 38),
    ("陈", 22),
    ("杨", 20),
    ("赵", 20),
    ("丛", 16),
    ("林", 16),
    ("毕", 12),
    ("姜", 14),
    ("郭", 12),
    ("董", 12),
    ("曲", 12),
    ("鞠", 10),
    ("宫", 10),
    ("谷", 9),
    ("隋", 8),
    ("戚", 7),
    ("徐", 12),
    ("马", 10),
    ("高", 12),
    ("吴", 8),
    ("周", 8),
    ("宋", 9),
    ("邹", 8),
    ("冯", 6),
    ("韩", 8),
    ("曹", 6),
    ("田", 6),
    ("梁", 5),
    ("谭", 5),
    ("初", 7),
    ("夏", 5),
    ("汤", 4),
    ("慕", 4),
    ("连", 4),
    ("邵", 5),
    ("肖", 4),
    ("黄", 6),
    ("程", 4),
    ("崔", 6),
    ("吕", 5),
    ("丁", 5),
    ("任", 4),
    ("姚", 4),
    ("卢", 4),
    ("唐", 4),
    ("蔡", 3),
    ("袁", 3),
    ("潘", 3),
    ("蒋", 3),
    ("贾", 4),
    ("付", 3),
    ("孔", 3),
    ("柳", 3),
    ("车", 3),
    ("岳", 3),
    ("乔", 3),
    ("苗", 3),
    ("刁", 2),
    ("衣", 3),
    ("纪", 2),
    ("修", 2),
    ("辛", 2),
    ("矫", 2),
    ("倪", 2),
    ("欧阳", 1),
)

_MALE_CHARS = "伟刚勇军强磊涛斌超明鹏杰峰辉建国志海波亮宁凯旭龙浩晨宇飞鑫坤东兴振华成林文博健俊"
_FEMALE_CHARS = "丽静敏燕娟艳芳娜霞慧玲婷雪梅琳莉红颖洁晶倩萍璐佳欣悦妍茜蕾薇婧瑶琪岚秀云英"
_SHARED_CHARS = "晓小春秋新永学春子玉翠金利一天思安家庆"

# Shandong county-level codes (GB/T 2260) with their names; Weihai heaviest, then neighbours.
REGIONS: tuple[tuple[str, str, int], ...] = (
    ("371002", "威海市环翠区", 30),
    ("371003", "威海市文登区", 22),
    ("371082", "荣成市", 22),
    ("371083", "乳山市", 16),
    ("370602", "烟台市芝罘区", 5),
    ("370613", "烟台市莱山区", 3),
    ("370681", "龙口市", 2),
    ("370683", "莱州市", 2),
    ("370687", "海阳市", 3),
    ("370202", "青岛市市南区", 2),
    ("370212", "青岛市崂山区", 2),
    ("370702", "潍坊市潍城区", 2),
    ("370102", "济南市历下区", 2),
    ("370112", "济南市历城区", 2),
    ("370303", "淄博市张店区", 1),
    ("371302", "临沂市兰山区", 2),
    ("370883", "邹城市", 1),
    ("371102", "日照市东港区", 1),
    ("371402", "德州市德城区", 1),
    ("371502", "聊城市东昌府区", 1),
    ("370502", "东营市东营区", 1),
)

_REGION_WEIGHTS = tuple((c, w) for c, _, w in REGIONS)

MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)

ETHNICITIES: tuple[tuple[str, int], ...] = (
    ("汉族", 985),
    ("回族", 6),
    ("满族", 5),
    ("蒙古族", 2),
    ("朝鲜族", 2),
)


def weighted(rng: random.Random, items: tuple[tuple[T, int], ...]) -> T:
    """One item of `(item, weight)` pairs."""
    population, cum = _cumulative(items)
    choice: T = rng.choices(population, cum_weights=cum)[0]
    return choice


@lru_cache(maxsize=256)
def _cumulative(items: tuple[tuple[T, int], ...]) -> tuple[list[T], list[int]]:
    # The same few tables are drawn from millions of times in a bulk demo: sum them once.
    return [i for i, _ in items], list(accumulate(w for _, w in items))


def make_id_number(rng: random.Random, birth: date, sex: Sex, region: str | None = None) -> str:
    """A valid 18-character 身份证号: region, birth date, sequence (odd = 男), check character."""
    code = region or weighted(rng, _REGION_WEIGHTS)
    seq = rng.randrange(0, 100) * 10 + rng.randrange(0, 5) * 2 + (1 if sex == "男" else 0)
    first17 = f"{code}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def spoil_id_check(id_number: str) -> str:
    """The same number with a wrong check character (a typo the ID-CARD check must catch)."""
    good = id_number[-1]
    wrong = "0123456789X"[("0123456789X".index(good) + 3) % 11]
    return id_number[:-1] + wrong


def make_given_name(rng: random.Random, sex: Sex) -> str:
    own = _MALE_CHARS if sex == "男" else _FEMALE_CHARS
    pool = own * 3 + _SHARED_CHARS
    if rng.random() < 0.22:
        return rng.choice(own)
    return rng.choice(pool) + rng.choice(own)


def make_name(rng: random.Random, sex: Sex) -> str:
    return weighted(rng, SURNAMES) + make_given_name(rng, sex)


def make_phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(0, 10**8):08d}"


@dataclass(frozen=True)
class Person:
    """Who applies: the identity fields of 基本信息."""

    name: str
    sex: Sex
    birth: date
    id_number: str
    phone: str
    ethnicity: str


def make_person(rng: random.Random, birth_from: date, birth_to: date) -> Person:
    """A person born between the two dates (inclusive)."""
    sex: Sex = "女" if rng.random() < 0.48 else "男"
    span = (birth_to - birth_from).days
    birth = birth_from + timedelta(days=rng.randrange(0, max(1, span + 1)))
    return Person(
        name=make_name(rng, sex),
        sex=sex,
        birth=birth,
        id_number=make_id_number(rng, birth, sex),
        phone=make_phone(rng),
        ethnicity=weighted(rng, ETHNICITIES),
    )
