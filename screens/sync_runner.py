"""Background sync for the workstation: an object the app holds, running cycles in workers.

A cycle (zcreview.sync.service.SyncService.cycle) sends unfinished batches and queued returns,
then pulls the inbox (records only) and returns from above. It runs periodically (`[sync]
interval`, seconds; 0 = only on demand) and on `$`; never on the UI thread. Its state is a
short text in the header (同步：离线 / 正在上报 3 份 42% / 已同步 12:03); screens that care
subscribe to the runner's `signal` for progress and finished cycles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from textual.app import App
from textual.message import Message
from textual.signal import Signal

from zcreview.settings import Settings
from zcreview.storage.clock import utcnow
from zcreview.storage.store import Store

# The sync stack (protocol models, catalogue, outbox) costs ~0.4 s to import: it is loaded only
# when the office has a [sync] table, and only after the first paint.
if TYPE_CHECKING:
    from zcreview.sync.delivery import BatchProgress
    from zcreview.sync.service import CycleReport, SyncService

SyncEvent: TypeAlias = "BatchProgress | CycleReport"
"""What `SyncRunner.signal` publishes: progress of a batch being sent, or a finished cycle."""


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


class SyncRunner:
    """The office's SyncService and its background cycles, for one app.

    Cycles run in the app's thread workers and report through messages posted to the app,
    which hands them back to `started`, `progressed` and `finished` on the UI thread (the app
    is the message target; this object is not in the DOM). `on_status` is called with the
    header's new sync word; `on_changed` when a cycle brought new applications or returns.
    """

    @dataclass
    class Started(Message):
        text: str

    @dataclass
    class Progressed(Message):
        progress: BatchProgress

        def can_replace(self, message: Message) -> bool:
            # Coalesce: only the newest progress of a batch matters to the screen.
            return (
                isinstance(message, SyncRunner.Progressed)
                and message.progress.batch_id == self.progress.batch_id
            )

    @dataclass
    class Finished(Message):
        report: CycleReport | None
        text: str

    def __init__(
        self, settings: Settings, store: Store, service: SyncService | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self._service = service
        self.text = ""
        """The header's sync word; empty when sync is not configured."""
        self._app: App[Any] | None = None
        self._on_status: Callable[[], None] = lambda: None
        self._on_changed: Callable[[], None] = lambda: None
        self._again = False
        self._started_text = ""
        self._signal: Signal[SyncEvent] | None = None

    # ----- set-up -------------------------------------------------------------------------

    @property
    def service(self) -> SyncService:
        """The office's sync service (made on first use from the settings and the store)."""
        if self._service is None:
            from zcreview.sync.service import SyncService

            self._service = SyncService(self.settings, self.store)
        return self._service

    @property
    def app(self) -> App[Any]:
        assert self._app is not None, "SyncRunner.attach(app) first"
        return self._app

    @property
    def signal(self) -> Signal[SyncEvent]:
        """Published on the UI thread: each BatchProgress and each finished CycleReport."""
        if self._signal is None:
            self._signal = Signal(self.app, "sync")
        return self._signal

    def attach(
        self, app: App[Any], on_status: Callable[[], None], on_changed: Callable[[], None]
    ) -> None:
        """Bind to the mounted app: start periodic cycles when the office syncs."""
        self._app, self._on_status, self._on_changed = app, on_status, on_changed
        if self.configured():
            app.call_after_refresh(self._start)  # after the first paint: the stack is heavy

    def _start(self) -> None:
        service = self.service
        if not service.enabled:
            return
        self._set_text("同步：未开始")
        if service.interval > 0:
            self.app.set_interval(service.interval, self.sync_now)
            self.sync_now()

    def close(self) -> None:
        if self._service is not None:
            self._service.close()

    # ----- running ------------------------------------------------------------------------

    def configured(self) -> bool:
        """A [sync] table exists (or a test injected a service): decided without importing."""
        return self._service is not None or isinstance(self.settings.extra.get("sync"), dict)

    @property
    def enabled(self) -> bool:
        """Whether this office syncs, known without loading the sync stack when it does not."""
        return self.configured() and self.service.enabled

    def sync_now(self) -> None:
        """Start a cycle in the background; if one is running, run another right after it."""
        if not self.enabled:
            return
        if any(w.group == "sync" and w.is_running for w in self.app.workers):
            self._again = True
            return
        self.app.run_worker(self._loop, thread=True, group="sync", exit_on_error=False)

    def _loop(self) -> None:
        while True:
            self._again = False
            if self.run_cycle() is None:
                return
            if not self._again:
                return

    def run_cycle(self) -> CycleReport | None:
        """One cycle in the calling thread, with its messages posted to the app.

        Returns None when cancelled (the app is closing). Tests call it directly.
        """
        from zcreview.sync.service import CycleReport, pending_work
        from zcreview.sync.transport import Cancelled, SyncError

        service = self.service
        with self.store.session() as s:
            apps, returns = pending_work(s)
        started = f"正在上报 {apps} 份" if apps else "同步中"
        self.app.post_message(self.Started(started))
        try:
            report = service.cycle(self._post_progress)
        except Cancelled:
            return None
        except SyncError as exc:  # no or bad [sync]: the cycle could not even start
            report = CycleReport(finished_at=utcnow(), offline=True, error=str(exc))
        with self.store.session() as s:
            apps, returns = pending_work(s)
        self.app.post_message(self.Finished(report, status_text(report, apps, returns)))
        return report

    def _post_progress(self, progress: BatchProgress) -> None:
        self.app.post_message(self.Progressed(progress))

    def drive_batch(self, batch_id: str) -> None:
        """Send one batch now (after sealing, or 续传), in the background."""
        if self.service.enabled:
            self.app.run_worker(
                lambda: self._drive(batch_id),
                thread=True,
                group="sync-drive",
                exit_on_error=False,
            )

    def _drive(self, batch_id: str) -> None:
        from zcreview.sync.service import CycleReport, pending_work
        from zcreview.sync.transport import Cancelled, Refused, SyncError

        self.app.post_message(self.Started(f"正在上报批次 {batch_id[:8]}"))
        try:
            receipt = self.service.drive(batch_id, self._post_progress)
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
        self.app.post_message(self.Finished(report, status_text(report, apps, returns)))

    # ----- messages, handed over by the app (UI thread) -----------------------------------

    def started(self, message: Started) -> None:
        self._started_text = message.text
        self._set_text(message.text)

    def progressed(self, message: Progressed) -> None:
        p = message.progress
        if p.bytes_total and p.state in ("uploading", "offered"):
            pct = min(100, p.bytes_sent * 100 // max(1, p.bytes_total))
            self._set_text(f"{self._started_text} {pct}%")
        self.signal.publish(p)

    def finished(self, message: Finished) -> None:
        self._set_text(message.text)
        report = message.report
        if report is None:
            return
        self.signal.publish(report)
        if report.changed:
            self._on_changed()
        if report.received:
            self.app.notify(f"收到下级上报 {report.received} 份", title="同步", markup=False)
        if report.returns_received:
            self.app.notify(
                f"上级退回 {report.returns_received} 份，请在队列中查看",
                title="同步",
                severity="warning",
                markup=False,
            )

    def _set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self._on_status()
