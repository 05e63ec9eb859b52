"""Background sync for the workstation: the app base that runs sync cycles in a worker.

A cycle (zcreview.sync.service.SyncService.cycle) sends unfinished batches and queued returns,
then pulls the inbox (records only) and returns from above. It runs periodically (`[sync]
interval`, seconds; 0 = only on demand) and on `$`; never on the UI thread. Its state is a
short text in the header (同步：离线 / 正在上报 3 份 42% / 已同步 12:03); screens that care
subscribe to `sync_signal` for progress and finished cycles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeAlias

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.signal import Signal

from zcreview.settings import Settings
from zcreview.storage.store import Store
from zcreview.storage.tables import utcnow

# The sync stack (protocol models, catalogue, outbox) costs ~0.4 s to import: it is loaded only
# when the office has a [sync] table, and only after the first paint.
if TYPE_CHECKING:
    from zcreview.sync.outbox import BatchProgress
    from zcreview.sync.service import CycleReport, SyncService

SyncEvent: TypeAlias = "BatchProgress | CycleReport"
"""What `sync_signal` publishes: progress of a batch being sent, or a finished cycle."""

TOP_SCREENS = frozenset(
    {"QueueScreen", "PathsScreen", "ReportScreen", "OutboxScreen", "StatsScreen"}
)
"""Screens from which 路径 and 数据上报 open (not from inside a review that holds a claim)."""


def status_text(report: CycleReport | None, apps: int, returns: int) -> str:
    """The header's sync word for a finished cycle and what is still waiting."""
    from zcreview.domain.corrections import to_local

    if report is None:
        return "同步：未开始"
    waiting = []
    if apps:
        waiting.append(f"待上报 {apps} 份")
    if returns:
        waiting.append(f"待退回 {returns} 份")
    tail = ("，" + "，".join(waiting)) if waiting else ""
    if report.offline:
        return "同步：离线" + tail
    if report.error:
        return "同步：出错" + tail
    if report.bundle_errors:
        return f"同步：文件夹中 {len(report.bundle_errors)} 个文件未导入" + tail
    return f"已同步 {to_local(report.finished_at):%H:%M}" + tail


class SyncingApp(App[int]):
    """App base owning the office's SyncService and the background cycle.

    Subclasses provide `settings` and `store` before mounting and call `show_sync_status` from
    wherever they compose the sub-title.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Off the footer (the queue's is full at 80 columns); in `?` help and the palette.
        Binding("P", "open_paths", "路径", show=False, id="app.paths", tooltip="路径申请与审核"),
        Binding(
            "U",
            "open_report",
            "数据上报",
            show=False,
            id="app.report",
            tooltip="选择通过未上报的申报并上报",
        ),
        Binding(
            "dollar_sign",
            "sync_now",
            "立即同步",
            show=False,
            id="app.sync",
            tooltip="发送待上报批次和退回，接收上报与上级退回",
        ),
    ]

    settings: Settings
    store: Store

    @dataclass
    class SyncStarted(Message):
        text: str

    @dataclass
    class SyncProgressed(Message):
        progress: BatchProgress

        def can_replace(self, message: Message) -> bool:
            # Coalesce: only the newest progress of a batch matters to the screen.
            return (
                isinstance(message, SyncingApp.SyncProgressed)
                and message.progress.batch_id == self.progress.batch_id
            )

    @dataclass
    class SyncFinished(Message):
        report: CycleReport | None
        text: str

    sync_text: str = ""
    """The header's sync word; empty when sync is not configured."""

    _sync_service: SyncService | None = None
    _sync_again = False
    _sync_started = ""
    _sync_signal: Signal[SyncEvent] | None = None

    # ----- set-up -------------------------------------------------------------------------

    @property
    def sync_service(self) -> SyncService:
        """The office's sync service (made on first use from the settings and the store)."""
        if self._sync_service is None:
            from zcreview.sync.service import SyncService

            self._sync_service = SyncService(self.settings, self.store)
        return self._sync_service

    @sync_service.setter
    def sync_service(self, service: SyncService) -> None:
        self._sync_service = service

    @property
    def sync_signal(self) -> Signal[SyncEvent]:
        """Published on the UI thread: each BatchProgress and each finished CycleReport."""
        if self._sync_signal is None:
            self._sync_signal = Signal(self, "sync")
        return self._sync_signal

    def on_mount(self) -> None:
        if not self._sync_configured():
            return  # nothing to sync: never load the sync stack
        self.call_after_refresh(self._start_sync)

    def _start_sync(self) -> None:
        service = self.sync_service
        if not service.enabled:
            return
        self.sync_text = "同步：未开始"
        if service.interval > 0:
            self.set_interval(service.interval, self.sync_now)
            self.sync_now()

    def on_unmount(self) -> None:
        if self._sync_service is not None:
            self._sync_service.close()

    def show_sync_status(self) -> None:
        """Hook: subclasses put `sync_text` into the header."""

    # ----- running ------------------------------------------------------------------------

    def _sync_configured(self) -> bool:
        """A [sync] table exists (or a test injected a service): decided without importing."""
        return self._sync_service is not None or isinstance(self.settings.extra.get("sync"), dict)

    @property
    def sync_enabled(self) -> bool:
        """Whether this office syncs, known without loading the sync stack when it does not."""
        return self._sync_configured() and self.sync_service.enabled

    def sync_now(self) -> None:
        """Start a cycle in the background; if one is running, run another right after it."""
        if not self.sync_enabled:
            return
        if any(w.group == "sync" and w.is_running for w in self.workers):
            self._sync_again = True
            return
        self._sync_worker()

    def action_sync_now(self) -> None:
        self.sync_now()

    @work(thread=True, group="sync", exit_on_error=False)
    def _sync_worker(self) -> None:
        while True:
            self._sync_again = False
            if self.run_sync_cycle() is None:
                return
            if not self._sync_again:
                return

    def run_sync_cycle(self) -> CycleReport | None:
        """One cycle in the calling thread, with its messages posted to the app.

        Returns None when cancelled (the app is closing). Tests call it directly.
        """
        from zcreview.sync.service import CycleReport, pending_work
        from zcreview.sync.transport import Cancelled, SyncError

        service = self.sync_service
        with self.store.session() as s:
            apps, returns = pending_work(s)
        started = f"正在上报 {apps} 份" if apps else "同步中"
        self.post_message(self.SyncStarted(started))
        try:
            report = service.cycle(self._post_progress)
        except Cancelled:
            return None
        except SyncError as exc:  # no or bad [sync]: the cycle could not even start
            report = CycleReport(finished_at=utcnow(), offline=True, error=str(exc))
        with self.store.session() as s:
            apps, returns = pending_work(s)
        self.post_message(self.SyncFinished(report, status_text(report, apps, returns)))
        return report

    def _post_progress(self, progress: BatchProgress) -> None:
        self.post_message(self.SyncProgressed(progress))

    def drive_batch(self, batch_id: str) -> None:
        """Send one batch now (after sealing, or 续传), in the background."""
        if self.sync_service.enabled:
            self._drive_worker(batch_id)

    @work(thread=True, group="sync-drive", exit_on_error=False)
    def _drive_worker(self, batch_id: str) -> None:
        from zcreview.sync.service import CycleReport, pending_work
        from zcreview.sync.transport import Cancelled, Refused, SyncError

        self.post_message(self.SyncStarted(f"正在上报批次 {batch_id[:8]}"))
        try:
            receipt = self.sync_service.drive(batch_id, self._post_progress)
        except Cancelled:
            return
        except Refused as exc:
            report = CycleReport(finished_at=utcnow(), error=str(exc))
        except SyncError as exc:
            report = CycleReport(finished_at=utcnow(), offline=True, error=str(exc))
        else:
            report = CycleReport(finished_at=utcnow(), receipts=[receipt])
        with self.store.session() as s:
            apps, returns = pending_work(s)
        self.post_message(self.SyncFinished(report, status_text(report, apps, returns)))

    # ----- messages (UI thread) -----------------------------------------------------------

    def on_syncing_app_sync_started(self, message: SyncStarted) -> None:
        self._sync_started = message.text
        self._set_sync_text(message.text)

    def on_syncing_app_sync_progressed(self, message: SyncProgressed) -> None:
        p = message.progress
        if p.bytes_total and p.state in ("uploading", "offered"):
            pct = min(100, p.bytes_sent * 100 // max(1, p.bytes_total))
            self._set_sync_text(f"{self._sync_started} {pct}%")
        self.sync_signal.publish(p)

    def on_syncing_app_sync_finished(self, message: SyncFinished) -> None:
        self._set_sync_text(message.text)
        report = message.report
        if report is None:
            return
        self.sync_signal.publish(report)
        if report.changed:
            # The queue lists what arrived; reload it wherever it is in the stack.
            for screen in self.screen_stack:
                reload = getattr(screen, "action_reload", None)
                if type(screen).__name__ == "QueueScreen" and callable(reload):
                    reload()
        if report.received:
            self.notify(f"收到下级上报 {report.received} 份", title="同步", markup=False)
        if report.returns_received:
            self.notify(
                f"上级退回 {report.returns_received} 份，请在队列中查看",
                title="同步",
                severity="warning",
                markup=False,
            )

    def _set_sync_text(self, text: str) -> None:
        if text != self.sync_text:
            self.sync_text = text
            self.show_sync_status()

    # ----- navigation ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open_paths", "open_report", "open_stats"):
            return type(self.screen).__name__ in TOP_SCREENS
        if action == "sync_now":
            return self.sync_enabled
        return super().check_action(action, parameters)

    def action_open_paths(self) -> None:
        from zcreview.screens.paths import PathsScreen

        self._open_top(PathsScreen)

    def action_open_report(self) -> None:
        from zcreview.screens.report import ReportScreen

        self._open_top(ReportScreen)

    def _open_top(self, kind: type) -> None:
        """Open a top screen over the queue: the one already open comes forward instead."""
        if isinstance(self.screen, kind):
            return
        while type(self.screen).__name__ in TOP_SCREENS - {"QueueScreen"}:
            self.pop_screen()
        self.push_screen(kind())
