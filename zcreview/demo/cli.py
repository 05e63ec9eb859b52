"""`zcreview demo`: build (or reuse) a realistic demo office, print what it holds, open it."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from zcreview.demo.office import DemoSummary, build_demo_office
from zcreview.domain.workflow import State
from zcreview.storage.store import Store
from zcreview.storage.tables import ApplicationRow


class _Progress:
    """One status line on stderr, rewritten in place; quiet when stderr is not a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self.stage:
            if self.stage and self.tty:
                sys.stderr.write("\n")
            self.stage = stage
        elif done < total and now - self.last < 0.2:
            return
        self.last = now
        if self.tty:
            sys.stderr.write(f"\r{stage} {done}/{total}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.stage and self.tty:
            sys.stderr.write("\n")


def _print_summary(s: DemoSummary) -> None:
    print(f"演示办公室：{s.office}（审核人员：{'、'.join(s.reviewers)}）")
    print(f"申报 {s.count} 份（种子 {s.seed}），其中带有预审问题的 {s.defective} 份")
    if s.files:
        print(f"附件 {s.files} 个，共 {s.file_bytes / 1024 / 1024:.0f} MB（按内容去重存储）")
    if s.imported:
        print("导入：" + "，".join(f"{k} {v}" for k, v in s.imported.items()))
    for line in s.refused[:5]:
        print(f"  拒收 {line}")
    print("状态：" + "，".join(f"{k} {v}" for k, v in s.states.items()))
    print(f"用时 {s.seconds:.1f} 秒")


def _existing(store: Store) -> int:
    with store.session() as session:
        return int(session.exec(select(func.count()).select_from(ApplicationRow)).one())


PLANTED_FILE = "demo-planted.json"
"""In the office home: the scan/form disagreements the demo planted (what EVID-* must find)."""


def _write_planted(home: Path, planted: list[dict[str, str]]) -> None:
    path = Path(home) / PLANTED_FILE
    path.write_text(json.dumps(planted, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"扫描件与表单不一致的演示申报 {len(planted)} 份，清单见 {path}")


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo office in the office home (or reuse the one there) and open it."""
    from zcreview.context import open_context

    count = max(1, int(getattr(args, "count", 300)))
    seed = int(getattr(args, "seed", 1))
    ctx = open_context(args)
    try:
        held = _existing(ctx.store)
        if held:
            print(
                f"办公目录 {ctx.settings.home} 已有 {held} 份申报，沿用现有演示办公室，不再生成。"
            )
            with ctx.store.session() as session:
                rows = session.exec(
                    select(ApplicationRow.state, func.count()).group_by(ApplicationRow.state)
                ).all()
            counts = dict(rows)
            print("状态：" + "，".join(f"{s.value} {counts.get(s.value, 0)}" for s in State))
        else:
            progress = _Progress()
            try:
                summary = build_demo_office(ctx.store, count, seed, progress=progress)
            finally:
                progress.close()
            _print_summary(summary)
            _write_planted(ctx.settings.home, summary.planted)
        if getattr(args, "no_ui", False):
            return 0
        from zcreview.screens.launch import run_app  # Textual is loaded only here

        return int(run_app(ctx))
    finally:
        ctx.store.dispose()
