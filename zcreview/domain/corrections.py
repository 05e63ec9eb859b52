"""One-shot correction notices (一次性告知, 002 §5(6)): items, working-day deadlines, the text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal

from zcreview.domain.catalogue import Config
from zcreview.domain.model import Application

CHINA_TZ = timezone(timedelta(hours=8), "北京时间")
"""Offices work on Beijing time (no daylight saving); the database keeps UTC."""

Origin = Literal["office", "above"]
"""Who returned it: this office (to the applicant or lower office), or the upper office."""


@dataclass(frozen=True)
class CorrectionItem:
    """One item to correct: where (field path), what it is called, and why.

    `field_path` uses the notation of `zcreview.domain.paths` (`assessments[2]`,
    `other_attachments[0]`); the empty path means the application as a whole.
    """

    field_path: str
    label: str
    reason_id: str
    reason: str
    note: str = ""

    def text(self) -> str:
        """The reason as the applicant reads it: template, then the reviewer's own words."""
        parts = [p for p in (self.reason.strip(), self.note.strip()) if p]
        return "；".join(parts) if parts else "请核实并更正"


@dataclass(frozen=True)
class CorrectionNotice:
    """A return: every item at once, the deadline, who decided and when."""

    application_id: str
    revision: str
    reviewer: str
    items: tuple[CorrectionItem, ...]
    deadline: date
    created: datetime
    origin: Origin = "office"
    office_name: str = ""


def return_problems(items: Sequence[CorrectionItem]) -> list[str]:
    """What stops a correction list from being sent, ready to show; empty when it can go.

    一次性告知: at least one item, each place once, each with a reason (a template or words).
    The composer shows these as they arise; recording a return refuses on the first.
    """
    if not items:
        return ["退回须一次性列明需补正的条目，至少一项"]
    problems: list[str] = []
    paths = [i.field_path for i in items]
    if len(set(paths)) != len(paths):
        problems.append("同一条目出现了两次，请合并为一项")
    problems += [
        f"“{i.label or i.field_path}”缺少退回原因"
        for i in items
        if not (i.reason.strip() or i.note.strip())
    ]
    return problems


def deadline_problem(deadline: date, today: date) -> str:
    """Why a correction deadline cannot be set ("" when it can): not before today."""
    return "补正期限不能早于今天" if deadline < today else ""


@dataclass(frozen=True)
class NoticeBasis:
    """What a return's notice is made of besides its items and deadline: the judged revision,
    the office deciding, whom it goes to (a lower office; none: the applicant), whom to ask.

    The composer's preview, the recorded return (and so `export notice`) all make their text
    here, so the preview is the text that is sent.
    """

    application_id: str
    revision: str
    application: Application
    office_name: str
    to_office: str = ""
    phone: str = ""

    def notice(
        self,
        reviewer: str,
        items: Sequence[CorrectionItem],
        deadline: date,
        created: datetime,
        origin: Origin = "office",
    ) -> tuple[CorrectionNotice, str]:
        """The notice and its exact text (items as given: check `return_problems` first)."""
        notice = CorrectionNotice(
            application_id=self.application_id,
            revision=self.revision,
            reviewer=reviewer,
            items=tuple(items),
            deadline=deadline,
            created=created,
            origin=origin,
            office_name=self.office_name,
        )
        text = render_notice_text(
            notice, self.application, self.office_name, to_office=self.to_office, phone=self.phone
        )
        return notice, text


@dataclass(frozen=True)
class ReviewPolicy:
    """Office practice for returns and claims (config/thresholds.toml `[review]`)."""

    return_deadline_working_days: int = 5
    claim_lease_minutes: int = 15
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def default_deadline(self, today: date) -> date:
        """The deadline a return gets unless the reviewer sets another."""
        return add_working_days(
            today, self.return_deadline_working_days, self.holidays, self.extra_workdays
        )


def policy_from_config(config: Config) -> ReviewPolicy:
    """The review policy of a loaded configuration (`load_config()`).

    Holiday lists are read if the configuration has them (`holidays`, `extra_workdays` under
    `[review]`); without them only weekends are skipped.
    """
    practice = config.thresholds.review
    holidays: Iterable[date] = getattr(practice, "holidays", ()) or ()
    workdays: Iterable[date] = getattr(practice, "extra_workdays", ()) or ()
    return ReviewPolicy(
        return_deadline_working_days=practice.return_deadline_working_days,
        claim_lease_minutes=practice.claim_lease_minutes,
        holidays=frozenset(holidays),
        extra_workdays=frozenset(workdays),
    )


def is_working_day(
    day: date, holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
) -> bool:
    """Mon–Fri except holidays; a weekend day listed in `extra_workdays` (调休) counts as working."""
    if day in set(extra_workdays):
        return True
    return day.weekday() < 5 and day not in set(holidays)


def add_working_days(
    start: date, n: int, holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
) -> date:
    """The day `n` working days after `start` (`start` itself not counted).

    Saturdays, Sundays and `holidays` are skipped; `extra_workdays` are the weekend days China
    moves work to around holidays (调休). `n = 0` gives `start`. Raises ValueError if `n < 0`.
    """
    if n < 0:
        raise ValueError("工作日数不能为负数")
    off = frozenset(holidays)
    on = frozenset(extra_workdays)
    day = start
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, off, on):
            remaining -= 1
    return day


def working_days_left(
    today: date, deadline: date, holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
) -> int:
    """Working days from tomorrow up to and including `deadline` (the deadline day counts);
    negative: how many calendar days the deadline is past."""
    if deadline < today:
        return -(today - deadline).days
    off, on = frozenset(holidays), frozenset(extra_workdays)
    days = (deadline - today).days
    return sum(is_working_day(today + timedelta(days=i), off, on) for i in range(1, days + 1))


def deadline_text(today: date, deadline: date, left: int) -> str:
    """`剩 3 个工作日`, `今天截止`, `已逾期 2 天`: how a deadline stands (`left` from
    `working_days_left`), for lists and titles."""
    if deadline < today:
        return f"已逾期 {(today - deadline).days} 天"
    if deadline == today:
        return "今天截止"
    if left == 0:  # only rest days until a deadline that falls on one
        return f"{(deadline - today).days} 天后截止（其间无工作日）"
    return f"剩 {left} 个工作日"


def to_local(moment: datetime) -> datetime:
    """An aware moment in Beijing time (naive values are taken as UTC, as the database stores)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA_TZ)


def local_today(now: datetime | None = None) -> date:
    """Today's date in Beijing: deadlines are calendar days at the office."""
    return to_local(now or datetime.now(UTC)).date()


def cn_date(day: date) -> str:
    """`2025年3月7日`, the way official notices write dates."""
    return f"{day.year}年{day.month}月{day.day}日"


def mask_id_number(id_number: str) -> str:
    """`370102199001011234` → `370102********1234`: region code and last four stay readable."""
    s = id_number.strip()
    if len(s) <= 10:
        return s[:2] + "*" * max(0, len(s) - 2)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def render_notice_text(
    notice: CorrectionNotice,
    app: Application,
    office_name: str,
    *,
    to_office: str = "",
    phone: str = "",
) -> str:
    """The exact text the applicant (or, with `to_office`, the lower office) receives.

    One notice lists every item with its reason (一次性告知), the deadline and the consequence of
    missing it (逾期未补正视为放弃本次申报, 002 §5(6)), and whom to ask (`phone`: the reviewer's).
    A return of an application reported from below goes to that office, worded for an office:
    it has the applicant correct the items and reports the application again. Plain text, no
    markup: it is pasted into the platform's 审核意见, printed, or sent as a PDF.
    """
    b = app.basic
    office = office_name.strip() or notice.office_name.strip()
    lower = to_office.strip()
    by = f"经{office}审核" if office else "经审核"
    what = f"{b.year}年度{b.series}{b.title}（{b.level}）"
    person = f"{b.name}（身份证号 {mask_id_number(b.id_number)}）"
    if lower:
        opening = [
            f"{lower}：",
            "",
            f"    贵单位报送的{person}{what}申报材料，{by}，"
            f"以下{len(notice.items)}项需要补充更正。现将需补正的全部内容一次性告知如下：",
        ]
        closing = [
            f"    请于{cn_date(notice.deadline)}（含当日）前，组织申报人按上述意见修改被退回的条目，"
            "经贵单位审核后重新报送。本次仅能修改被退回条目。",
            "    逾期未补正报送的，视为放弃本次申报。",
        ]
    else:
        opening = [
            f"{person}：",
            "",
            f"    您申报的{what}材料，{by}，"
            f"以下{len(notice.items)}项需要补充更正。现将需补正的全部内容一次性告知如下：",
        ]
        closing = [
            f"    请于{cn_date(notice.deadline)}（含当日）前，登录山东省专业技术人员管理服务平台，"
            "按上述意见修改被退回的条目后重新提交。本次仅能修改被退回条目。",
            "    逾期未补正提报的，视为放弃本次申报。",
        ]
    lines = ["职称申报材料补正告知书（一次性告知）", "", *opening, ""]
    for i, item in enumerate(notice.items, start=1):
        where = item.label.strip() or item.field_path or "整份申报"
        lines.append(f"{i}. 【{where}】{item.text()}")
    lines += ["", *closing, ""]
    if office:
        lines.append(f"审核单位：{office}")
    lines += [
        f"审核人：{notice.reviewer}",
        contact_line(notice.reviewer, office, phone),
        f"告知日期：{cn_date(to_local(notice.created).date())}",
    ]
    return "\n".join(lines) + "\n"


def contact_line(reviewer: str, office: str, phone: str) -> str:
    """Whom to ask about the notice: the reviewer's phone, else the office."""
    if phone.strip():
        return f"联系人：{reviewer}　联系电话：{phone.strip()}"
    return f"如有疑问，请与{office or '审核单位'}联系（联系人：{reviewer}）"
