"""WORK-GAP: linear in the rows, one result per gap or overlap run, same findings as pairwise."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import make_application
from zcreview.configfiles import default_config
from zcreview.domain.checks import Severity, run_check
from zcreview.domain.checks.dates import gaps, month_index, overlapping_pairs, span_of
from zcreview.domain.model import Application

CONFIG = default_config()
TODAY = date(2025, 6, 20)
ROW_RE = re.compile(r"^work_history\[(\d+)\]")


def application(spans: list[tuple[int, int | None]]) -> Application:
    """An application whose work rows run over the given (start, end) month offsets from 2010."""
    base = make_application()
    row = base.work_history[0]

    def month(offset: int) -> date:
        return date(2010 + offset // 12, offset % 12 + 1, 1)

    base.work_history = [
        row.model_copy(update={"start": month(s), "end": None if e is None else month(e)})
        for s, e in spans
    ]
    return base


def rows_of(paths: tuple[str, ...]) -> set[int]:
    return {int(m.group(1)) for p in paths if (m := ROW_RE.match(p))}


spans_strategy = st.lists(
    st.tuples(st.integers(0, 150), st.one_of(st.none(), st.integers(0, 160))),
    min_size=1,
    max_size=10,  # a run of more is named by its first ten rows
)


@settings(max_examples=300, deadline=None)
@given(spans_strategy)
def test_runs_cover_exactly_the_overlapping_pairs(raw: list[tuple[int, int | None]]) -> None:
    app = application(raw)
    spans = [span_of(w.start, w.end, TODAY) for w in app.work_history]
    valid = [i for i, s in enumerate(spans) if s[0] <= s[1]]
    pairs = [(valid[a], valid[b]) for a, b in overlapping_pairs([spans[i] for i in valid])]
    results = run_check("WORK-GAP", app, CONFIG, today=TODAY)
    failed = [r for r in results if r.severity is Severity.FAIL]
    overlap_results = [r for r in failed if "重叠" in r.message]
    runs = [rows_of(r.field_paths) for r in overlap_results]
    # Every overlapping pair is inside one reported run, and every run holds a pair.
    for a, b in pairs:
        assert any(a in run and b in run for run in runs), (a, b, runs)
    in_pairs = {i for pair in pairs for i in pair}
    assert all(run <= in_pairs for run in runs)
    assert len(runs) <= max(1, len(pairs))
    # The holes are exactly those of the union of the valid spans.
    hole_results = [r for r in failed if "间断" in r.message]
    assert len(hole_results) == len(gaps([spans[i] for i in valid]))


def test_thousands_of_identical_rows_give_one_result() -> None:
    app = application([(0, 100)] * 4000)
    results = run_check("WORK-GAP", app, CONFIG, today=TODAY)
    overlaps = [r for r in results if "重叠" in r.message]
    assert len(overlaps) == 1
    assert "等4000条" in overlaps[0].message and len(overlaps[0].field_paths) == 10


def test_a_single_overlapping_pair_keeps_its_wording() -> None:
    app = application([(0, 30), (20, 60), (60, None)])
    [result] = [r for r in run_check("WORK-GAP", app, CONFIG, today=TODAY) if "重叠" in r.message]
    assert result.message.startswith("第1条与第2条工作经历时间重叠")
    assert result.field_paths == ("work_history[0]", "work_history[1]")


def test_a_gap_names_the_rows_around_it() -> None:
    app = application([(40, None), (0, 20)])
    [hole] = [r for r in run_check("WORK-GAP", app, CONFIG, today=TODAY) if "间断" in r.message]
    assert hole.field_paths == ("work_history[1].end", "work_history[0].start")
    assert month_index(app.work_history[1].end or TODAY) < month_index(app.work_history[0].start)
