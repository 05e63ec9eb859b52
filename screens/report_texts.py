"""What the 数据上报 screen says: the scope's key, the path line, progress, stalls, failures and
receipts, as plain strings and rich Text (no widgets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.text import Text

from zcreview.screens.text import clean, human_size
from zcreview.sync.delivery import BatchProgress
from zcreview.sync.outbox import STATE_LABELS
from zcreview.sync.service import Scope


def scope_key(s: Scope) -> str:
    return f"{s.year}|{s.level}|{s.series}"


def duration(seconds: float | None) -> str:
    """Time left as the screen says it: 约 2 分 5 秒; ? while unknown."""
    if seconds is None:
        return "?"
    s = int(seconds + 0.5)
    if s < 60:
        return f"约 {s} 秒"
    if s < 3600:
        return f"约 {s // 60} 分 {s % 60} 秒"
    return f"约 {s // 3600} 小时 {s % 3600 // 60} 分"


@dataclass
class PathState:
    """What the screen knows about the path for the chosen series and level."""

    upper: str = ""
    year: int = 0
    pending: bool = False


def path_text(scope: Scope | None, path: PathState) -> Text:
    """The line above the list: where the batch goes, or why it cannot go yet."""
    text = Text()
    if scope is None:
        text.append("没有“通过未上报”的申报。审核通过的申报会出现在这里。")
    elif path.upper:
        text.append(f"路径：本单位 → {clean(path.upper)}（已通过", style="green")
        text.append(
            "，往年已开通，可直接使用）" if path.year < date.today().year else "）", style="green"
        )
    else:
        series_level = f"{clean(scope.series)}·{clean(scope.level)}"
        text.append(f"没有“{series_level}”的已审核通过路径，不能上报。", style="bold red")
        if path.pending:
            text.append("路径申请正在等上级单位审核；通过后即可上报（按 $ 同步刷新）。")
        else:
            text.append("请按 P 打开“路径”，向上级单位申请这一系列和级别的路径。")
    return text


def progress_text(p: BatchProgress) -> Text:
    """The rate line while a batch goes: state, bytes sent, rate and time left."""
    sep = " · "
    parts = [
        STATE_LABELS.get(p.state, p.state),
        f"已发送 {human_size(p.bytes_sent)} / {human_size(p.bytes_total)}",
    ]
    if p.state in ("offered", "uploading"):
        parts.append(f"{human_size(int(p.rate))}/s")
        parts.append(f"剩余 {duration(p.seconds_left)}")
    if p.message:
        parts.append(p.message)
    return Text(f"批次 {p.batch_id[:8]}：" + sep.join(parts))


def stalled_text(p: BatchProgress, quiet: float) -> Text:
    """The rate line after `quiet` seconds without progress, instead of a frozen rate."""
    sent = f"已发送 {human_size(p.bytes_sent)} / {human_size(p.bytes_total)}"
    return Text(
        f"批次 {p.batch_id[:8]}：{STATE_LABELS.get(p.state, p.state)} · {sent} · "
        f"速率 0 B/s · 剩余时间未知（{quiet:.0f} 秒无进展，连接恢复后自动继续）",
        style="yellow",
    )


def not_sent_text(why: str, last: BatchProgress | None, retry_in: float | None) -> str:
    """What a county office needs to hear: it is safe, when the next try is, what is left.

    `retry_in` is the seconds until the service tries again, None when it only runs on demand.
    """
    left = ""
    if last is not None and last.bytes_total:
        left = f"，还剩 {human_size(max(last.bytes_total - last.bytes_sent, 0))}"
    when = f"{duration(retry_in)}后自动重试" if retry_in is not None else "按 $ 立即重试"
    return f"未能发送：{why}。批次已封存在本机，不会丢失；{when}，从断点继续{left}"


def verdict_text(outcome: str) -> Text:
    """A receipt's first column: accepted, refused, or still waiting for the receipt."""
    if outcome == "accepted":
        return Text("接收", style="green")
    if outcome == "rejected":
        return Text("拒收", style="bold red")
    return Text("待回执", style="dim")
