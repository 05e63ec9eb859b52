"""The fast paths of the pre-checks give exactly the results of the straightforward code.

`run_all` remembers verdicts across applications (results per reporter, attachment names,
k/n values, configuration lookups). These tests pin the output on the benchmark's varied
applications to a digest taken before those shortcuts existed, and compare a run with cold
caches to one with warm ones.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from tests.bench.bench_checks import build
from zcreview.configfiles import default_config
from zcreview.domain.catalogue import Config
from zcreview.domain.checks import (
    REGISTRY,
    CheckResult,
    PeerInfo,
    Severity,
    achievements,
    attachments,
    common,
    identity,
    prepared,
    run_all,
)
from zcreview.domain.model import Application

TODAY = date(2025, 6, 20)
# sha256 of the results of `build(300)`, computed with the code as it was before any result,
# name or lookup was remembered (commit d2cdace). A deliberate change of a message or rule
# changes it: recompute with `_digest` and say why in the commit.
DIGEST_300 = "0f9abf50a041b149476f172b0944bf515d97e096f2493b388cc1a043ab3330ff"

Row = tuple[str, str, str, str, tuple[str, ...]]


@pytest.fixture(scope="module")
def apps() -> list[Application]:
    return build(300)


@pytest.fixture(scope="module")
def config() -> Config:
    return default_config()


def _rows(apps: list[Application], config: Config) -> list[list[Row]]:
    out = []
    for i, app in enumerate(apps):
        peers = [PeerInfo("考核认定", 2025)] if i % 50 == 0 else ()
        out.append(
            [
                (r.check_id, r.severity.value, r.message, r.seed, r.field_paths)
                for r in run_all(app, config, today=TODAY, peers=peers)
            ]
        )
    return out


def _digest(rows: list[list[Row]]) -> str:
    h = hashlib.sha256()
    for results in rows:
        for row in results:
            h.update(repr(row).encode())
    return h.hexdigest()


def _forget_everything() -> None:
    for c in REGISTRY.values():
        r = c.reporter
        for made in (r._ok, r._warn, r._fail, r._unknown):
            made.clear()
    attachments._NAME_PROBLEMS.clear()
    attachments._VERDICTS.clear()
    achievements._NAME_FACTS.clear()
    common._KIND_NAMES.clear()
    identity._RANK_OK.clear()
    identity._CODE_PROBLEMS.clear()
    prepared._cache.clear()


def test_results_match_the_digest_taken_before_the_fast_paths(
    apps: list[Application], config: Config
) -> None:
    _forget_everything()
    assert _digest(_rows(apps, config)) == DIGEST_300


def test_warm_caches_give_the_same_results_as_cold_ones(
    apps: list[Application], config: Config
) -> None:
    _forget_everything()
    cold = _rows(apps, config)
    warm = _rows(apps, config)
    assert warm == cold
    # The other order too: verdicts remembered from later applications change nothing earlier.
    backwards = _rows(apps[::-1], config)[::-1]
    # Peers go by position, so only the applications without peers compare across orders.
    assert [r for i, r in enumerate(backwards) if i % 50 and (299 - i) % 50] == [
        r for i, r in enumerate(cold) if i % 50 and (299 - i) % 50
    ]


def test_a_remembered_result_equals_a_freshly_built_one() -> None:
    r = REGISTRY["SUMMARY-LEN"].reporter
    first = r.warn("消息", "work_summary")
    again = r.warn("消息", "work_summary")
    assert again is first
    assert first == CheckResult("SUMMARY-LEN", Severity.WARN, "消息", r.seed, ("work_summary",))
    unknown = r.unknown("缺少", "a", "b")
    assert unknown.message == "无法判断：缺少"
    assert unknown.field_paths == ("a", "b")
    # Same message, other severity or paths: a different result.
    assert r.fail("消息", "work_summary").severity is Severity.FAIL
    assert r.warn("消息").field_paths == ()
