"""Property tests of the validators and date spans the pre-checks are built on."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from zcreview.domain.checks.dates import (
    covered_months,
    gaps,
    month_index,
    months_between,
    overlap_months,
    overlapping_pairs,
    whole_years_to_year_end,
)
from zcreview.domain.checks.validators import (
    CREDIT_ALPHABET,
    cn_valid,
    credit_check_char,
    id_birth_date,
    id_check_char,
    id_gender,
    isbn10_valid,
    isbn13_valid,
    issn_valid,
    parse_rank,
    rank_problem,
    validate_credit_code,
    validate_id_number,
)

DIGITS = "0123456789"

# --- 身份证号 ----------------------------------------------------------------------------------

births = st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31))


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.text(DIGITS, min_size=6, max_size=6))
    born = draw(births)
    seq = draw(st.text(DIGITS, min_size=3, max_size=3))
    body = f"{region}{born:%Y%m%d}{seq}"
    return body + id_check_char(body)


@given(id_numbers())
def test_generated_id_numbers_are_valid(s: str) -> None:
    assert validate_id_number(s) is None
    assert id_birth_date(s) == date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    assert id_gender(s) == ("男" if int(s[16]) % 2 else "女")


@given(id_numbers(), st.integers(0, 16), st.integers(1, 9))
def test_one_changed_digit_is_caught(s: str, pos: int, delta: int) -> None:
    # GB 11643 weights are all non-zero mod 11, so any single-digit change breaks the sum.
    changed = s[:pos] + str((int(s[pos]) + delta) % 10) + s[pos + 1 :]
    assert validate_id_number(changed) is not None


@given(id_numbers())
def test_wrong_check_char_and_length_are_caught(s: str) -> None:
    for c in "0123456789X":
        if c != s[17]:
            assert validate_id_number(s[:17] + c) is not None
    assert validate_id_number(s[:17]) is not None
    assert validate_id_number(s + "1") is not None


def test_lower_case_x_gets_its_own_hint() -> None:
    body = "11010519491231002"
    assert id_check_char(body) == "X"
    assert validate_id_number(body + "X") is None
    message = validate_id_number(body + "x")
    assert message is not None and "大写X" in message


def test_impossible_birth_date() -> None:
    body = "11010519490231002"
    message = validate_id_number(body + id_check_char(body))
    assert message is not None and "出生日期" in message


# --- 统一社会信用代码 ----------------------------------------------------------------------------


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    body = draw(st.text(CREDIT_ALPHABET, min_size=17, max_size=17))
    return body + credit_check_char(body)


@given(credit_codes())
def test_generated_credit_codes_are_valid(s: str) -> None:
    assert validate_credit_code(s) is None


@given(credit_codes(), st.integers(0, 17), st.integers(1, 30))
def test_one_changed_character_is_caught(s: str, pos: int, delta: int) -> None:
    # 31 is prime and every weight is non-zero mod 31: a single substitution changes the sum.
    new = CREDIT_ALPHABET[(CREDIT_ALPHABET.index(s[pos]) + delta) % 31]
    assert validate_credit_code(s[:pos] + new + s[pos + 1 :]) is not None


@given(credit_codes(), st.integers(0, 17), st.sampled_from("IOZSV"))
def test_letters_outside_the_alphabet_are_named(s: str, pos: int, letter: str) -> None:
    message = validate_credit_code(s[:pos] + letter + s[pos + 1 :])
    assert message is not None and letter in message


# --- k/n ---------------------------------------------------------------------------------------


@given(st.integers(1, 999), st.integers(0, 999))
def test_rank_round_trip(k: int, extra: int) -> None:
    n = k + extra
    assert parse_rank(f"{k}/{n}") == (k, n)
    assert rank_problem(f"{k}/{n}") is None


@given(st.integers(0, 999), st.integers(0, 999))
def test_rank_out_of_range_is_refused(k: int, n: int) -> None:
    assume(not 1 <= k <= n)
    assert parse_rank(f"{k}/{n}") is None
    assert rank_problem(f"{k}/{n}")


@given(st.integers(1, 99), st.integers(1, 99))
def test_full_width_and_spaces_are_refused_with_a_hint(k: int, n: int) -> None:
    assume(k <= n)
    full = f"{k}／{n}"
    problem = rank_problem(full)
    assert parse_rank(full) is None and problem is not None and "全角" in problem
    spaced = f"{k} / {n}"
    problem = rank_problem(spaced)
    assert parse_rank(spaced) is None and problem is not None and "空格" in problem


@given(st.text(max_size=8))
def test_parse_rank_agrees_with_rank_problem(s: str) -> None:
    assert (parse_rank(s) is None) == (rank_problem(s) is not None)


# --- ISSN / ISBN / CN ----------------------------------------------------------------------------


def _issn(body: str) -> str:
    total = sum(int(d) * w for d, w in zip(body, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return f"{body[:4]}-{body[4:]}{'X' if check == 10 else check}"


def _isbn13(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _isbn10(body: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(body))
    check = (11 - total % 11) % 11
    return body + ("X" if check == 10 else str(check))


@given(st.text(DIGITS, min_size=7, max_size=7))
def test_issn(body: str) -> None:
    good = _issn(body)
    assert issn_valid(good) and issn_valid("ISSN " + good) and issn_valid(good.replace("-", ""))
    for c in "0123456789X":
        if c != good[-1]:
            assert not issn_valid(good[:-1] + c)


@given(st.sampled_from(["978", "979"]), st.text(DIGITS, min_size=9, max_size=9), st.integers(0, 11))
def test_isbn13(prefix: str, body: str, pos: int) -> None:
    good = _isbn13(prefix + body)
    assert isbn13_valid(good) and isbn13_valid(f"ISBN {good[:3]}-{good[3:]}")
    for delta in range(1, 10):
        changed = good[:pos] + str((int(good[pos]) + delta) % 10) + good[pos + 1 :]
        # Weights 1 and 3 are units mod 10: every single-digit change is detected.
        assert not isbn13_valid(changed)


@given(st.text(DIGITS, min_size=9, max_size=9), st.integers(0, 8), st.integers(1, 9))
def test_isbn10(body: str, pos: int, delta: int) -> None:
    good = _isbn10(body)
    assert isbn10_valid(good)
    changed = good[:pos] + str((int(good[pos]) + delta) % 10) + good[pos + 1 :]
    assert not isbn10_valid(changed)


def test_cn_forms() -> None:
    for good in ("CN 23-1196/TH", "CN11-2223/N", "23-1196/TH", "CN 37-1234", "CN 11-1234/R9"):
        assert cn_valid(good), good
    for bad in ("CN 231196", "CN 00-1234/TH", "CN 23-196/TH", "ISSN 1002-2333", "CN 23-1196/"):
        assert not cn_valid(bad), bad


# --- dates ---------------------------------------------------------------------------------------

days = st.dates(min_value=date(1970, 1, 1), max_value=date(2040, 12, 31))
spans = st.lists(
    st.tuples(st.integers(23000, 24400), st.integers(0, 120)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=8,
)


@given(days, days)
def test_months_between_is_antisymmetric_and_whole(a: date, b: date) -> None:
    assert months_between(a, b) == -months_between(b, a)
    m = months_between(a, b)
    if m >= 0:
        assert month_index(b) - month_index(a) in (m, m + 1)


@given(days, st.integers(0, 600))
def test_months_between_same_day(a: date, months: int) -> None:
    later_index = month_index(a) + months
    b = date(later_index // 12, later_index % 12 + 1, 1)
    assert months_between(date(a.year, a.month, 1), b) == months


@given(spans)
def test_gaps_do_not_depend_on_order(s: list[tuple[int, int]]) -> None:
    assert gaps(s) == gaps(list(reversed(s))) == gaps(sorted(s))


@given(spans)
def test_gaps_and_coverage_fill_the_range(s: list[tuple[int, int]]) -> None:
    if not s:
        assert gaps(s) == [] and covered_months(s) == 0
        return
    first, last = min(a for a, _ in s), max(b for _, b in s)
    holes = sum(b - a + 1 for a, b in gaps(s))
    assert covered_months(s) + holes == last - first + 1
    for a, b in gaps(s):
        assert not any(x <= a <= y or x <= b <= y for x, y in s)


@given(spans)
def test_overlaps_are_symmetric(s: list[tuple[int, int]]) -> None:
    pairs = set(overlapping_pairs(s))
    for i in range(len(s)):
        for j in range(len(s)):
            if i < j:
                assert ((i, j) in pairs) == (overlap_months(s[i], s[j]) > 0)
                assert overlap_months(s[i], s[j]) == overlap_months(s[j], s[i])


def test_touching_months_are_continuous_not_overlapping() -> None:
    june, july = month_index(date(2018, 6, 1)), month_index(date(2018, 7, 1))
    assert gaps([(0 + june - 10, june), (july, july + 5)]) == []
    assert gaps([(june - 10, june), (june, june + 5)]) == []
    assert overlapping_pairs([(june - 10, june), (june, june + 5)]) == []
    assert overlapping_pairs([(june - 10, june + 1), (june, june + 5)]) == [(0, 1)]


@given(days, st.integers(2000, 2060), st.integers(0, 60))
def test_appointment_years(start: date, year: int, breaks: int) -> None:
    years = whole_years_to_year_end(start, year, break_months=breaks)
    assert years >= 0
    assert years >= whole_years_to_year_end(start, year, break_months=breaks + 12)
    if start <= date(year, 12, 31):
        months = months_between(start, date(year + 1, 1, 1)) - breaks
        assert years == max(0, months) // 12
        later = start + timedelta(days=400)
        assert whole_years_to_year_end(later, year, break_months=breaks) <= years


def test_appointment_years_examples() -> None:
    # 003 §3.10(3): counted to 31 December; "不满4年，则填3".
    assert whole_years_to_year_end(date(2021, 1, 1), 2024) == 4
    assert whole_years_to_year_end(date(2021, 2, 1), 2024) == 3
    assert whole_years_to_year_end(date(2020, 1, 1), 2024, break_months=12) == 4
