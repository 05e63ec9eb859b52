"""Exports from the TUI: correction notices (text + PDF) and the 一览表 of a queue selection.

Files go to the office home's `exports/`; every export is recorded in the audit log (personal
data leaves the office database). The 一览表 is offered in the command palette of the queue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from zcreview.domain.corrections import to_local
from zcreview.exports import write_list, write_notice_pdf, write_notice_text
from zcreview.screens.review_services import ReviewServices, services_of
from zcreview.storage import audit
from zcreview.storage.office import get_self
from zcreview.storage.queue import QueueFilter
from zcreview.storage.review_reads import decision_list

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_name(text: str) -> str:
    """`text` usable as part of a file name on every system."""
    return _UNSAFE.sub("_", text).strip(" .") or "未命名"


def _record(
    services: ReviewServices, actor: str, app_id: str | None, payload: dict[str, Any]
) -> None:
    with services.store.session() as session:
        audit.append(
            session=session, actor=actor, action="export", application_id=app_id, payload=payload
        )
        session.commit()


def export_notice(
    services: ReviewServices,
    text: str,
    name: str,
    app_id: str,
    *,
    actor: str,
    draft: bool = False,
) -> list[Path]:
    """Write the notice as `.txt` and `.pdf` under exports/; returns both paths."""
    folder = services.exports_dir()
    kind = "补正告知书（草稿）" if draft else "补正告知书"
    base = f"{kind}-{safe_name(name)}-{services.today():%Y%m%d}"
    paths = [
        write_notice_text(text, folder / f"{base}.txt"),
        write_notice_pdf(text, folder / f"{base}.pdf"),
    ]
    _record(
        services,
        actor,
        app_id,
        {"what": "notice", "draft": draft, "files": [p.name for p in paths]},
    )
    return paths


def selection_label(flt: QueueFilter) -> str:
    parts = [f"{flt.year}年度" if flt.year else "", flt.level or "", flt.series or ""]
    parts += sorted(flt.states)
    if flt.ids:
        parts.append(f"所标记的{len(flt.ids)}份")
    return "-".join(p for p in parts if p) or "全部"


def export_list(
    services: ReviewServices, flt: QueueFilter, suffix: str, actor: str
) -> tuple[Path, int]:
    """The 一览表 of the selection `flt` as `.csv` or `.xlsx` (ID numbers masked)."""
    folder = services.exports_dir()
    stamp = services.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"审核结果一览表-{safe_name(selection_label(flt))}-{stamp}{suffix}"
    with services.store.session() as session:
        rows = decision_list(flt, session=session)
        me = get_self(session=session)
    office = me.name if me is not None else ""
    when = f"{to_local(services.now()):%Y-%m-%d %H:%M}"
    caption = "，".join(p for p in (office, selection_label(flt), f"导出于 {when}") if p)
    write_list(rows, path, caption=caption)
    _record(
        services,
        actor,
        None,
        {
            "what": "decision_list",
            "file": path.name,
            "rows": len(rows),
            "filter": {
                "year": flt.year,
                "level": flt.level,
                "series": flt.series,
                "states": sorted(flt.states),
                **({"applications": sorted(flt.ids)} if flt.ids else {}),
            },
            "full_id": False,
        },
    )
    return path, len(rows)


_FORMATS: tuple[tuple[str, str], ...] = (("CSV", ".csv"), ("XLSX", ".xlsx"))


class ExportListProvider(Provider):
    """Palette commands on the queue: 导出一览表（CSV / XLSX） of the current selection."""

    def _commands(self) -> Iterable[tuple[str, str, str]]:
        flt = getattr(self.screen, "queue_filter", None)
        if not isinstance(flt, QueueFilter):
            return []
        where = selection_label(flt)
        commands = [
            (f"导出一览表（{label}）", f"把当前筛选（{where}）的审核结果导出为 {label}", suffix)
            for label, suffix in _FORMATS
        ]
        if self._marked():
            n = len(self._marked())
            commands += [
                (
                    f"导出所标记的一览表（{label}）",
                    f"把所标记的 {n} 份的审核结果导出为 {label}",
                    f"marked{suffix}",
                )
                for label, suffix in _FORMATS
            ]
        return commands

    def _marked(self) -> frozenset[str]:
        rows = getattr(self.screen, "marked_rows", None)
        return frozenset(r.id for r in rows()) if callable(rows) else frozenset()

    async def discover(self) -> Hits:
        for command, help_text, suffix in self._commands():
            yield DiscoveryHit(command, partial(self._run, suffix), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, help_text, suffix in self._commands():
            score = matcher.match(command)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(command), partial(self._run, suffix), help=help_text
                )

    def _run(self, suffix: str) -> None:
        flt = getattr(self.screen, "queue_filter", None)
        if not isinstance(flt, QueueFilter):
            return
        if suffix.startswith("marked"):
            suffix = suffix.removeprefix("marked")
            flt = QueueFilter(ids=self._marked())
        app = self.app
        services = services_of(app)
        actor = getattr(app, "reviewer", None) or "只读浏览"

        def work() -> None:
            try:
                path, count = export_list(services, flt, suffix, actor)
            except Exception as exc:  # disk full, permission: say so, keep the session
                app.call_from_thread(
                    app.notify, f"导出失败：{exc}", severity="error", markup=False, timeout=15
                )
                return
            app.call_from_thread(
                app.notify, f"已导出 {count} 条到\n{path}", title="一览表", markup=False, timeout=15
            )

        app.run_worker(work, thread=True, group="export-list", exit_on_error=False)
