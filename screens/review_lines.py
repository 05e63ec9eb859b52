"""What the review screen holds of an open application, and how its title, status and item
lines word it (plain functions of that state, so they are tested without a terminal)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime

from rich.text import Text

from zcreview.desk.walk import Opened
from zcreview.domain.checks import counts
from zcreview.domain.corrections import (
    ReviewPolicy,
    deadline_text,
    to_local,
    working_days_left,
)
from zcreview.domain.paths import label_for_path
from zcreview.screens.review_items import ReviewItem, glyph, rank
from zcreview.screens.text import clean, shown
from zcreview.storage.applications import short_id


@dataclass
class Loaded(Opened):
    """One queue position as the screen holds it: what the desk read, the claim, the items."""

    can_decide: bool = False
    claim_message: str = ""
    taken_over: str = ""
    """Said once when this reviewer took over another's expired claim by opening it."""
    items: list[ReviewItem] = field(default_factory=list)

    @classmethod
    def of(cls, opened: Opened) -> Loaded:
        return cls(**{f.name: getattr(opened, f.name) for f in fields(Opened)})


def title_line(loaded: Loaded, ascii_mode: bool) -> Text:
    """Position, state, applicant, unit, year/level/series/title and the 申报编号."""
    title = Text()
    title.append(f"第 {loaded.index + 1} / {loaded.total} 份  ", style="dim")
    # The state first: a narrow terminal cuts the end of the line, never the state.
    title.append(f"状态：{loaded.state}  ", style="bold")
    app = loaded.application
    if app is not None:
        b = app.basic
        a = ascii_mode
        title.append(shown(clean(b.name), a), style="bold")
        title.append(shown(f"  {clean(b.applying_unit)}  {b.year} {clean(b.level)} ", a))
        title.append(shown(f"{clean(b.series)} {clean(b.title)}  ", a))
    # The 申报编号 the command line (export notice, report) takes: its first characters.
    title.append(f"编号 {short_id(loaded.app_id)}", style="dim")
    if loaded.error:
        title.append(f"\n{shown(loaded.error, ascii_mode)}", style="bold red")
    return title


def status_line(
    loaded: Loaded, alert: str, today: date, policy: ReviewPolicy, ascii_mode: bool
) -> Text:
    """Check counts, the return's deadline or the flags, the claim, and an alert below."""
    ok, warn, fail = counts(loaded.results)
    sep = " | " if ascii_mode else " · "
    line = Text()
    line.append(f"{glyph(0, ascii_mode)} {ok}  ", style="green")
    line.append(f"{glyph(1, ascii_mode)} {warn}  ", style="yellow")
    line.append(f"{glyph(2, ascii_mode)} {fail}", style="bold red")
    returned = loaded.returned
    if returned is not None:
        left = working_days_left(today, returned.deadline, policy.holidays, policy.extra_workdays)
        line.append(f"{sep}退回补正 {len(returned.items)} 项，期限 ")
        line.append(
            f"{returned.deadline:%Y-%m-%d}（{deadline_text(today, returned.deadline, left)}）",
            style="bold red" if left <= 2 else "",
        )
        line.append(f"{sep}e 导出告知书")
    else:
        line.append(f"{sep}标记 {len(loaded.flags)} 项")
    # Claim and conflict messages name reviewers: data typed by people, cleaned like it.
    line.append(f"{sep}{shown(clean(loaded.claim_message), ascii_mode)}")
    if loaded.taken_over:
        line.append(f"{sep}{shown(clean(loaded.taken_over), ascii_mode)}", style="yellow")
    if alert:
        line.append(f"\n{shown(clean(alert), ascii_mode)}", style="bold red")
    return line


def item_line(item: ReviewItem | None, ascii_mode: bool) -> Text:
    """Where the cursor is and the checks that speak about it."""
    detail = Text()
    if item is not None:
        where = label_for_path(item.path) if item.path else "整份申报"
        detail.append(shown(where, ascii_mode), style="bold")
        for r in item.results:
            detail.append(f"  {glyph(rank(r.severity), ascii_mode)} {r.check_id}")
    return detail


def taken_over_text(holder: str | None, until: datetime | None, reviewer: str | None) -> str:
    """What to tell a reviewer who just took over another's expired claim ("" if not that)."""
    if not holder or holder == reviewer or until is None:
        return ""
    return f"{clean(holder)} 的领取已于 {to_local(until):%H:%M} 超时，现由您接手审核"
