"""Field validators shared by the checks, intake and the review screen (pure, no configuration)."""

from __future__ import annotations

import re
from datetime import date
from operator import mul

# GB 11643-1999: weights of the first 17 digits and the check character by sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")

# GB 32100-2015: 31 characters (no I, O, Z, S, V), weights 3^i mod 31.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_RANK_RE = re.compile(r"^(\d+)/(\d+)$")
_FULLWIDTH = str.maketrans("０１２３４５６７８９／", "0123456789/")

_ISSN_RE = re.compile(r"^(?:ISSN)?\s*(\d{4})-?(\d{3}[\dX])$", re.IGNORECASE)
_ISBN_STRIP = re.compile(r"[\s\-]")
# 国内统一连续出版物号: (CN) + 2-digit region + '-' + 4-digit serial, optionally '/' and the
# 中图法 class (one or two letters, maybe digits), e.g. CN 11-2223/N, CN 37-1234/TU.
_CN_RE = re.compile(r"^(?:CN)?\s?(\d{2})-(\d{4})(?:/[A-Z]{1,2}\d{0,3}(?:\.\d{1,3})?)?$")
# Region codes of the CN number: GB/T 9999.1—2018《中国标准连续出版物号 第1部分：CN》(the CN
# part; GB/T 9999.2 is the ISSN part) §4.3 and normative Annex A (as GB/T 9999—2001 §5.2.1 before
# it): the first two digits of the GB/T 2260 code of the province, autonomous region or
# municipality, and "10" as the extension code of Beijing, whose serials outgrew "11". GB/T 2260
# also lists 71 台湾, 81 香港, 82 澳门; they are kept as the earlier 11–82 range accepted them.
CN_REGIONS: frozenset[int] = frozenset(
    {10, 11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37}
    | {41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for 17 digits."""
    if len(first17) != len(_ID_WEIGHTS):
        raise ValueError(f"expected {len(_ID_WEIGHTS)} digits, got {len(first17)}")
    # map() keeps the 17 multiplications in C; the generator it replaces was a third of ID-CARD.
    total = sum(map(mul, map(int, first17), _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def id_birth_date(s: str) -> date | None:
    """The birth date coded in an 18-character ID number, or None if it is not a date."""
    try:
        return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return None


def id_gender(s: str) -> str:
    """男 for an odd 17th digit, 女 for an even one."""
    return "男" if int(s[16]) % 2 else "女"


def validate_id_number(s: str) -> str | None:
    """Check a 居民身份证号 (GB 11643): length, digits, birth date and check character.

    Returns None when valid, else a Chinese message saying what is wrong and what is expected.
    A lower-case x is refused with its own hint: the platform stores an upper-case X.
    """
    if len(s) != 18:
        return f"身份证号“{s}”为{len(s)}位，应为18位"
    if s[-1] == "x" and _ID_RE.match(s[:-1] + "X"):
        return f"身份证号“{s}”末位校验码应为大写X"
    if not _ID_RE.match(s):
        return f"身份证号“{s}”应为17位数字加1位校验码（数字或X）"
    born = id_birth_date(s)
    if born is None or born.year < 1900:
        return f"身份证号“{s}”第7–14位“{s[6:14]}”不是有效的出生日期"
    expected = id_check_char(s[:17])
    if s[17] != expected:
        return f"身份证号“{s}”校验码错误：末位为{s[17]}，按GB 11643应为{expected}"
    return None


def credit_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters (all in the alphabet)."""
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(s: str) -> str | None:
    """Check a 统一社会信用代码 (GB 32100): 18 characters of the alphabet and the check character.

    Returns None when valid, else a Chinese message.
    """
    if len(s) != 18:
        return f"统一社会信用代码“{s}”为{len(s)}位，应为18位"
    bad = sorted({c for c in s if c not in _CREDIT_VALUE})
    if bad:
        return (
            f"统一社会信用代码“{s}”含不允许的字符“{''.join(bad)}”"
            "（只用数字和大写字母，不用I、O、Z、S、V）"
        )
    expected = credit_check_char(s[:17])
    if s[17] != expected:
        return f"统一社会信用代码“{s}”校验码错误：末位为{s[17]}，按GB 32100应为{expected}"
    return None


def parse_rank(s: str) -> tuple[int, int] | None:
    """`k/n` with ASCII digits and slash, 1 ≤ k ≤ n (the platform's `*/*`), else None."""
    m = _RANK_RE.match(s)
    if m is None:
        return None
    k, n = int(m.group(1)), int(m.group(2))
    if not 1 <= k <= n:
        return None
    return k, n


def rank_problem(s: str) -> str | None:
    """Why `s` is not a valid `k/n`, in Chinese, or None when it is."""
    if parse_rank(s) is not None:
        return None
    if not s:
        return "未填写，应为“位次/人数”，如“1/3”"
    if s.strip() != s or " " in s or "\u3000" in s:
        return f"“{s}”含空格，应写作无空格的“k/n”，如“1/3”"
    normal = s.translate(_FULLWIDTH)
    if normal != s:
        return f"“{s}”使用了全角字符，应使用半角数字和斜杠“/”，如“{normal}”"
    m = _RANK_RE.match(s)
    if m is None:
        return f"“{s}”格式不符，应为“k/n”（位次/人数），如“1/3”"
    k, n = int(m.group(1)), int(m.group(2))
    if k == 0 or n == 0:
        return f"“{s}”中位次和人数应从1起算"
    return f"“{s}”位次{k}大于人数{n}，应满足1 ≤ 位次 ≤ 人数"


def issn_valid(s: str) -> bool:
    """An ISSN `NNNN-NNNC` (hyphen and `ISSN` prefix optional) whose check character is right."""
    m = _ISSN_RE.match(s.strip())
    if m is None:
        return False
    digits = (m.group(1) + m.group(2)).upper()
    total = sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return digits[7] == ("X" if check == 10 else str(check))


def _isbn_body(s: str) -> str:
    body = _ISBN_STRIP.sub("", s.strip())
    if body[:4].upper() == "ISBN":
        body = body[4:].lstrip(":：")
    return body.upper()


def isbn10_valid(s: str) -> bool:
    """An ISBN-10 (hyphens, spaces and an `ISBN` prefix allowed) with a valid check character."""
    body = _isbn_body(s)
    if len(body) != 10 or not body[:9].isdigit() or not (body[9].isdigit() or body[9] == "X"):
        return False
    total = sum((10 - i) * int(d) for i, d in enumerate(body[:9]))
    total += 10 if body[9] == "X" else int(body[9])
    return total % 11 == 0


def isbn13_valid(s: str) -> bool:
    """An ISBN-13 (978/979 prefix) with a valid check digit."""
    body = _isbn_body(s)
    if len(body) != 13 or not body.isdigit() or body[:3] not in ("978", "979"):
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return total % 10 == 0


def isbn_valid(s: str) -> bool:
    """Either form of ISBN."""
    return isbn13_valid(s) or isbn10_valid(s)


def cn_valid(s: str) -> bool:
    """A 国内统一刊号 `CN xx-xxxx[/class]` whose region code is one of `CN_REGIONS`."""
    m = _CN_RE.match(s.strip().upper())
    return m is not None and int(m.group(1)) in CN_REGIONS
