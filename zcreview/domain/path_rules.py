"""Whether a 路径 may be opened: a known series and level, a sane year, upward, to a receiver.

Checked where paths are decided (the hub, and a bundle's path request on import), so a wrong
request is refused with a reason instead of being approved by mistake (003 §4.7, 004 §2).

Upward means a higher place in the chain (domain.md §1): 用人单位 → 主管部门 → 人社局 or 呈报部门 →
评委会办事机构; within one kind, a higher administrative level (区县 → 市直 → 省直). A county-level
unit or department reports within its county, to its 主管部门 or the 区县人社局, never straight to a
city receiver (003 §4.7 注意: "区市单位 … 向区市人社局申请路径"). When the upper office is one of the
receivers of the routing table (003 §4.7), it must be the receiver of that series and level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from zcreview.domain.catalogue import Config

TYPE_RANK = {"用人单位": 0, "主管部门": 1, "人社局": 2, "呈报部门": 2, "评委会办事机构": 3}
LEVEL_RANK = {"区县": 0, "市直": 1, "省直": 2}
FIRST_YEAR = 2000


@dataclass(frozen=True)
class PathEnd:
    """One end of a path: an office's name, kind and administrative level."""

    name: str
    office_type: str
    office_level: str


def _rank(end: PathEnd) -> tuple[int, int] | None:
    kind = TYPE_RANK.get(end.office_type)
    level = LEVEL_RANK.get(end.office_level)
    return None if kind is None or level is None else (kind, level)


def _receivers(config: Config) -> set[str]:
    return {name for row in config.routing.routes.values() for name in row.values()}


def path_problems(
    lower: PathEnd,
    upper: PathEnd,
    series: str,
    level: str,
    year: int,
    config: Config,
    today: date,
) -> list[str]:
    """Why this path request must be refused (Chinese, one reason each); empty when it may go."""
    problems: list[str] = []
    catalogue = config.catalogue
    known_series = catalogue.get_series(series)
    if known_series is None:
        problems.append(f"职称系列“{series}”不在职称目录中")
    if level not in catalogue.levels:
        problems.append(f"申报级别“{level}”无效，应为 {'、'.join(catalogue.levels)} 之一")
    elif known_series is not None and not known_series.titles_at(level):
        problems.append(f"{known_series.name}系列没有{level}职称，不能为其申请路径")
    if not FIRST_YEAR <= year <= today.year + 1:
        problems.append(f"年度 {year} 不合理（应在 {FIRST_YEAR}–{today.year + 1} 之间）")

    low, up = _rank(lower), _rank(upper)
    if low is None or up is None:
        return problems  # an office known only by its key (folder bundles): kind not recorded
    if not (up[0] > low[0] or (up[0] == low[0] and up[1] > low[1])):
        problems.append(
            f"路径只能向上级申请：{upper.name}（{upper.office_level}{upper.office_type}）"
            f"不是{lower.name}（{lower.office_level}{lower.office_type}）的上级"
        )
        return problems
    if low[1] == LEVEL_RANK["区县"] and lower.office_type != "人社局" and up[1] > low[1]:
        problems.append(
            f"区县单位须经主管部门或区县人社局上报，不能直接向{upper.name}申请路径（003 §4.7）"
        )
    if upper.name in _receivers(config) and known_series is not None:
        receiver = config.routing.receiver(known_series.name, level)
        if receiver is None:
            problems.append(f"按路径对照表，{known_series.name}{level}没有市级评审渠道（003 §4.7）")
        elif receiver != upper.name:
            problems.append(
                f"按路径对照表，{known_series.name}{level}由{receiver}受理，不是{upper.name}（003 §4.7）"
            )
    return problems
