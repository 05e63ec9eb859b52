"""`zcreview ocr [--all | APP…]`: read the text of attachments ahead of review, with a progress bar.

Every page is stored as soon as it is read, so the command can be killed and run again: pages
already read are skipped. Scans of applications reported from below that have not been fetched
from the hub yet are left alone unless `--fetch` asks for them.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from zcreview.context import Context, open_context
from zcreview.errors import UserError

if TYPE_CHECKING:
    from zcreview.domain.catalogue import Config


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add `ocr` to the `zcreview` parser (called by `zcreview.cli`)."""
    p = sub.add_parser(
        "ocr",
        parents=[common],
        help="recognise the text of attachments (OCR), resumable; progress on stderr",
        description="识别附件文字（OCR）：已识别的页不再重复，可随时中断后继续。",
    )
    p.add_argument("apps", nargs="*", metavar="APP", help="application ids (default: --all)")
    p.add_argument("--all", action="store_true", help="every attachment of the office")
    p.add_argument(
        "--fetch",
        action="store_true",
        help="also fetch and read attachments not yet downloaded from the hub",
    )
    p.add_argument("--jobs", type=int, default=1, help="pages read at once (one core each)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(handler=cmd_ocr)


@dataclass
class Tally:
    """Pages read so far and an estimate of the pages still to come."""

    docs_total: int
    docs_done: int = 0
    pages_read: int = 0
    pages_failed: int = 0
    pages_known: int = 0
    """Pages of the documents opened so far (read, failed or to read)."""
    pages_before: int = 0
    """Pages found already read when their document came up (skipped)."""
    docs_skipped_remote: int = 0
    started: float = field(default_factory=time.monotonic)
    seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def estimate(self) -> int:
        """All pages to read this run: known ones plus the unopened documents at the mean so far."""
        opened = len(self.seen)
        mean = self.pages_known / opened if opened else 1.0
        return max(0, round(self.pages_known + mean * (self.docs_total - opened)))

    def line(self) -> str:
        done = self.pages_read + self.pages_failed
        total = max(done, self.estimate() - self.pages_before)
        elapsed = time.monotonic() - self.started
        rate = self.pages_read / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate > 0 else None
        width = 24
        filled = round(width * done / total) if total else width
        bar = "█" * filled + "░" * (width - filled)
        eta = _clock(left) if left is not None else "--:--"
        return (
            f"{bar} 页 {done}/{total}  文件 {self.docs_done}/{self.docs_total}  "
            f"{rate:.2f} 页/秒  已用 {_clock(elapsed)}  剩余 {eta}"
        )


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _docs_of(ctx: Context, args: argparse.Namespace) -> list[tuple[str, str]]:
    from zcreview.storage.applications import load_revision
    from zcreview.storage.recognised import attachment_names

    with ctx.store.session() as session:
        if args.all or not args.apps:
            return attachment_names(session=session)
        docs: dict[str, str] = {}
        for app_id in args.apps:
            try:
                app = load_revision(app_id, session=session)
            except (LookupError, ValueError) as exc:
                raise UserError(f"找不到申报 {app_id}：{exc}") from exc
            for _path, ref in app.all_attachments():
                if ref.sha256:
                    docs.setdefault(ref.sha256, ref.name)
        return list(docs.items())


def cmd_ocr(args: argparse.Namespace) -> int:
    from zcreview.ocr_queue import OcrQueue, PageEvent
    from zcreview.screens.blob_source import make_blob_reader

    ctx = open_context(args)
    out: TextIO = sys.stderr
    live = out.isatty() and not args.quiet
    try:
        docs = _docs_of(ctx, args)
        tally = Tally(len(docs))

        def on_page(event: PageEvent) -> None:
            with tally.lock:
                if event.sha256 not in tally.seen:
                    tally.seen.add(event.sha256)
                    tally.pages_known += max(0, event.page_count)
                    if event.outcome == "skipped":
                        tally.pages_before += max(0, event.page_count)
                if event.outcome == "read":
                    tally.pages_read += 1
                elif event.outcome == "failed":
                    tally.pages_failed += 1
                if event.outcome == "skipped" or event.page + 1 >= event.page_count:
                    tally.docs_done += 1
                if event.outcome == "skipped" and event.page_count == 0:
                    tally.docs_skipped_remote += 1

        queue = OcrQueue(
            ctx.store,
            make_blob_reader(ctx),
            workers=max(1, args.jobs),
            on_page=on_page,
            config=_config(),
        )
        try:
            queue.add(docs, fetch=args.fetch)
            last_print = 0.0
            while not queue.wait_idle(0.25):
                now = time.monotonic()
                if live:
                    with tally.lock:
                        line = tally.line()
                    out.write("\r" + line + "\x1b[K")
                    out.flush()
                elif not args.quiet and now - last_print >= 10:
                    last_print = now
                    with tally.lock:
                        print(tally.line(), file=out, flush=True)
        finally:
            queue.close()
        if not args.quiet:
            if live:
                out.write("\r\x1b[K")
            print(tally.line(), file=out)
            summary = f"识别完成：新识别 {tally.pages_read} 页，已有 {tally.pages_before} 页"
            if tally.pages_failed:
                summary += f"，{tally.pages_failed} 页无法识别"
            if tally.docs_skipped_remote:
                summary += f"，{tally.docs_skipped_remote} 个附件尚未取回（加 --fetch 取回并识别）"
            print(summary, file=out)
    finally:
        ctx.store.dispose()
    return 0


def _config() -> Config | None:
    """The checks' configuration, so read attachments count in the queue (None if unusable)."""
    from zcreview.configfiles import ConfigError, load_config

    try:
        return load_config()
    except ConfigError:
        return None
