"""The shared cleaning step: strict types, bounded sizes, Chinese refusals naming the field."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.factories import application_dict
from zcreview.intake.clean import MAX_ROWS, WHOLE_FILE, clean_application
from zcreview.intake.problems import Problem

REPR_RE = re.compile(r"Error\(|Exception|Traceback|\w+Error\b|b'|b\"|Exceeds the limit")


def refusal(raw: bytes, file: str = "application.json") -> list[Problem]:
    result = clean_application(raw, file=file)
    assert result.app is None, "expected a refusal"
    assert result.problems
    for p in result.problems:
        assert p.file == file and p.field and p.message, p
        assert not REPR_RE.search(str(p)), p
    return result.problems


def dumped(**overrides: Any) -> bytes:
    return json.dumps(application_dict(0, **overrides), ensure_ascii=False).encode()


def test_valid_application_passes_and_is_unchanged() -> None:
    result = clean_application(dumped())
    assert result.app is not None and not result.problems and not result.warnings


@pytest.mark.parametrize(
    ("override", "value", "field", "words"),
    [
        ("basic__birth_date", 0, "basic.birth_date", "日期"),
        ("basic__birth_date", "1990-03-15T08:00:00", "basic.birth_date", "日期"),
        ("basic__year", True, "basic.year", "整数"),
        ("basic__year", 2025.0, "basic.year", "整数"),
        ("basic__year", "2025", "basic.year", "整数"),
        ("basic__professional_years", 12.5, "basic.professional_years", "整数"),
        (
            "continuing_education__0__public_hours",
            True,
            "continuing_education[0].public_hours",
            "数字",
        ),
        ("basic__is_work_unit", 1, "basic.is_work_unit", "true 或 false"),
        ("basic__name", 5, "basic.name", "文本"),
    ],
)
def test_coercions_are_refused(override: str, value: Any, field: str, words: str) -> None:
    problems = refusal(dumped(**{override: value}))
    assert [p.field for p in problems] == [field]
    assert words in problems[0].message


@pytest.mark.parametrize(
    ("literal", "words"),
    [("1e400", "超出范围"), ("-1e400", "超出范围"), ("NaN", "NaN"), ("Infinity", "Infinity")],
)
def test_non_finite_numbers_are_refused_on_their_field(literal: str, words: str) -> None:
    raw = dumped(continuing_education__0__public_hours=123456.0).replace(
        b"123456.0", literal.encode()
    )
    problems = refusal(raw)
    assert problems[0].field == "continuing_education[0].public_hours"
    assert words in problems[0].message


def test_huge_integer_gives_a_chinese_message_not_the_interpreter_limit() -> None:
    raw = dumped(basic__year=2025).replace(b'"year": 2025', b'"year": ' + b"9" * 5000)
    problems = refusal(raw)
    assert problems[0].field == "basic.year" and "位数过多" in problems[0].message


def test_absurd_row_counts_are_refused_before_any_work() -> None:
    row = application_dict(0)["work_history"][0]
    problems = refusal(dumped(work_history=[row] * (MAX_ROWS + 1)))
    assert problems[0].field == "work_history"
    assert f"共 {MAX_ROWS + 1} 项" in problems[0].message


def test_rows_within_the_bound_pass_for_the_checks_to_judge() -> None:
    row = application_dict(0)["achievements"][0]
    result = clean_application(dumped(achievements=[row] * 20))
    assert result.app is not None and len(result.app.achievements) == 20


def test_whole_file_problems_name_a_place() -> None:
    assert refusal(b"\xff\xfe{}")[0].field == "第 1 字节"
    assert refusal(b'{"a": 1,}')[0].field == "第 1 行第 9 列"
    assert refusal(b"[1]")[0].field == WHOLE_FILE


def test_control_characters_and_escapes_are_stripped_with_a_warning() -> None:
    raw = dumped(
        basic__name="张\x1b]0;owned\x07伟\x1b[31m",
        work_summary="第一段\n第二段\x07\x9b2J",
        basic__applying_unit="济南\u202e华源\x00",
    )
    result = clean_application(raw, file="批次 1 申报 x")
    assert result.app is not None
    assert result.app.basic.name == "张伟"
    assert result.app.work_summary == "第一段\n第二段"
    assert result.app.basic.applying_unit == "济南华源"
    assert any("basic.name" in w for w in result.warnings)


def test_the_file_name_given_is_used_in_every_problem() -> None:
    problems = refusal(dumped(basic__year="x"), file="批次 abc 条目 3")
    assert problems[0].file == "批次 abc 条目 3"


def test_refused_values_are_shown_as_json_not_python() -> None:
    problems = refusal(dumped(basic__year=True, basic__ethnicity=None))
    text = "\n".join(str(p) for p in problems)
    assert "basic.year: 应为整数：true" in text and "True" not in text
    assert "basic.ethnicity: 应为文本：null" in text and "None" not in text


def test_clean_model_strips_text_and_keeps_a_model_it_cannot_clean() -> None:
    from pydantic import BaseModel, Field

    from zcreview.domain.text import clean_model

    class Named(BaseModel):
        name: str = Field(min_length=1)
        lines: list[str] = []

    got = clean_model(Named(name="泰\x1b[31m安", lines=["a\x07\nb"]))
    assert got.name == "泰安" and got.lines == ["a\nb"]
    only_escapes = Named(name="\x1b[31m")
    assert clean_model(only_escapes) is only_escapes
