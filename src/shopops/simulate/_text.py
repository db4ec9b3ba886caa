"""Fake but plausible text, built column-wise with Arrow compute (no Python loop per row).

Personal data is derived from small integer attributes kept per customer, so the same address
or name can be rebuilt for any subset of customers (orders carry the customer's address).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopops.simulate._places import CITIES, CITY_COUNTRY, COUNTRIES
from shopops.simulate._types import BoolArray, IntArray

__all__ = [
    "CHINESE_GIVEN",
    "CHINESE_SURNAMES",
    "ENGLISH_FIRST",
    "ENGLISH_LAST",
    "address",
    "choose",
    "digits",
    "email",
    "full_name",
    "phone",
    "postcode",
    "render",
    "strings",
]

ENGLISH_FIRST = (
    "Oliver", "George", "Harry", "Jack", "Noah", "Leo", "Arthur", "Oscar", "Charlie", "James",
    "Thomas", "William", "Daniel", "Samuel", "Joseph", "Henry", "Alfie", "Freddie", "Archie", "Lucas",
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Sophia", "Grace",
    "Freya", "Emily", "Poppy", "Ella", "Evie", "Charlotte", "Sophie", "Hannah", "Chloe", "Ruby",
    "Priya", "Aisha", "Mohammed", "Omar", "Fatima", "Sean", "Niamh", "Siobhan", "Rhys", "Megan",
)
ENGLISH_LAST = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
    "Patel", "Khan", "Lewis", "James", "Phillips", "Mason", "Mitchell", "Rose", "Davis", "Rodriguez",
    "Cox", "Alexander", "Morgan", "Moore", "Hughes", "Edwards", "Hill", "Scott", "Murphy", "Kelly",
    "Campbell", "Stewart", "Anderson", "Macdonald", "Begum", "Ali", "Shah", "Baker", "Harris", "Young",
)
#: Chinese surnames and their pinyin (for e-mail addresses).
CHINESE_SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
    ("罗", "luo"), ("高", "gao"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
)
CHINESE_GIVEN = (
    ("伟", "wei"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"),
    ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"),
    ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"), ("华", "hua"),
    ("平", "ping"), ("刚", "gang"), ("桂英", "guiying"), ("建华", "jianhua"), ("晓明", "xiaoming"),
    ("子涵", "zihan"), ("欣怡", "xinyi"), ("浩然", "haoran"), ("雨萱", "yuxuan"), ("思远", "siyuan"),
    ("佳怡", "jiayi"), ("宇轩", "yuxuan"), ("梓豪", "zihao"), ("嘉欣", "jiaxin"), ("俊杰", "junjie"),
)
_EMAIL_DOMAINS_EN = ("gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk", "icloud.com",
                     "btinternet.com", "sky.com")
_EMAIL_DOMAINS_ZH = ("qq.com", "163.com", "gmail.com", "126.com", "outlook.com", "hotmail.com")
_UK_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in the inward code of UK postcodes

_FIELD = re.compile(r"\{(\w+)\}")


def strings(values: Sequence[str]) -> pa.Array:
    """An Arrow string array of a small vocabulary."""
    return pa.array(list(values), type=pa.string())


def choose(values: Sequence[str] | pa.Array, index: IntArray, valid: BoolArray | None = None) -> pa.Array:
    """``values[index]`` as an Arrow string array; null where ``valid`` is False."""
    vocabulary = values if isinstance(values, pa.Array) else strings(values)
    mask = None if valid is None else ~valid
    return vocabulary.take(pa.array(np.asarray(index, dtype=np.int64), mask=mask))


def digits(numbers: IntArray, width: int = 0) -> pa.Array:
    """Integers as decimal strings, left-padded with zeros to ``width``."""
    out = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(out, width=width, padding="0") if width else out


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate arrays and literal strings element-wise."""
    return pc.binary_join_element_wise(*parts, "")


def render(template: str, fields: Mapping[str, pa.Array], size: int) -> pa.Array:
    """Fill ``{name}`` placeholders of ``template`` from same-length arrays in ``fields``."""
    parts: list[pa.Array | str] = []
    pos = 0
    for match in _FIELD.finditer(template):
        if match.start() > pos:
            parts.append(template[pos:match.start()])
        parts.append(fields[match.group(1)])
        pos = match.end()
    if pos < len(template):
        parts.append(template[pos:])
    if not any(isinstance(p, pa.Array) for p in parts):
        return pa.array(np.full(size, template, dtype=object), type=pa.string())
    return join(*parts)


def full_name(chinese: BoolArray, first: IntArray, last: IntArray) -> pa.Array:
    """"Olivia Smith" or "王伟" (Chinese order: surname first, no space)."""
    english = join(choose(ENGLISH_FIRST, first % len(ENGLISH_FIRST)), " ",
                   choose(ENGLISH_LAST, last % len(ENGLISH_LAST)))
    zh = join(choose([s for s, _ in CHINESE_SURNAMES], last % len(CHINESE_SURNAMES)),
              choose([g for g, _ in CHINESE_GIVEN], first % len(CHINESE_GIVEN)))
    return pc.if_else(pa.array(chinese), zh, english)


def email(chinese: BoolArray, first: IntArray, last: IntArray, style: IntArray, number: IntArray) -> pa.Array:
    """An e-mail address made from the name, in one of four common styles."""
    first_en = pc.utf8_lower(choose(ENGLISH_FIRST, first % len(ENGLISH_FIRST)))
    last_en = pc.utf8_lower(choose(ENGLISH_LAST, last % len(ENGLISH_LAST)))
    first_zh = choose([p for _, p in CHINESE_GIVEN], first % len(CHINESE_GIVEN))
    last_zh = choose([p for _, p in CHINESE_SURNAMES], last % len(CHINESE_SURNAMES))
    is_zh = pa.array(chinese)
    given = pc.if_else(is_zh, first_zh, first_en)
    family = pc.if_else(is_zh, last_zh, last_en)
    num = digits(number % 100, 2)
    local = pc.choose(
        pa.array(np.asarray(style % 4, dtype=np.int8)),
        join(given, ".", family),
        join(given, family, num),
        join(pc.utf8_slice_codeunits(given, 0, 1), family),
        join(family, "_", given, digits(1960 + number % 45)),
    )
    domain = pc.if_else(
        is_zh,
        choose(_EMAIL_DOMAINS_ZH, number % len(_EMAIL_DOMAINS_ZH)),
        choose(_EMAIL_DOMAINS_EN, number % len(_EMAIL_DOMAINS_EN)),
    )
    return join(local, "@", domain)


def address(city: IntArray, street: IntArray, house: IntArray) -> pa.Array:
    """A street address in the style of the city's country ("12 High Street" / "Hauptstraße 12")."""
    country = CITY_COUNTRY[city]
    offsets = np.cumsum([0] + [len(c.streets) for c in COUNTRIES])
    street_count = np.diff(offsets)
    all_streets = [s for c in COUNTRIES for s in c.streets]
    street_name = choose(all_streets, offsets[country] + street % street_count[country])
    number = digits(house)
    number_first = pa.array(np.array([c.number_first for c in COUNTRIES])[country])
    return pc.if_else(number_first, join(number, " ", street_name), join(street_name, " ", number))


def postcode(city: IntArray, number: IntArray) -> pa.Array:
    """A postcode in the format of the city's country; null where the country has none."""
    kinds = np.array([c.postcode_kind for c in CITIES])[city]
    prefix = choose([c.postcode_prefix for c in CITIES], city)
    letters = list(_UK_LETTERS)
    uk = join(prefix, digits(1 + number % 20), " ", digits(number // 20 % 10),
              choose(letters, number // 200 % len(letters)), choose(letters, number // 4000 % len(letters)))
    # Six random digits after the prefix, cut to the length the country's postcodes have.
    numeric = _truncate(join(prefix, digits(number % 10**6, 6)),
                        np.array([c.postcode_digits for c in CITIES])[city])
    out = pc.if_else(pa.array(kinds == "uk"), uk, numeric)
    return pc.if_else(pa.array(kinds == "none"), pa.nulls(len(city), pa.string()), out)


def _truncate(values: pa.Array, lengths: IntArray) -> pa.Array:
    """Cut each string to its own length (Arrow's slice takes one length for all)."""
    out = values
    for length in np.unique(lengths):
        mask = pa.array(lengths == length)
        out = pc.if_else(mask, pc.utf8_slice_codeunits(values, 0, int(length)), out)
    return out


def phone(city: IntArray, number: IntArray) -> pa.Array:
    """A mobile number in the format of the city's country."""
    country = CITY_COUNTRY[city]
    prefix = choose([c.phone_prefix for c in COUNTRIES], country)
    blocks = np.array([c.phone_blocks for c in COUNTRIES])[country]
    first = _truncate(digits(number // 10**7 % 10**3, 3), blocks[:, 0])
    second = _truncate(digits(number % 10**8, 8), blocks[:, 1])
    return join(prefix, first, " ", second)
