"""A demo applicant's 代表性成果: papers, patents, projects, awards and standards in time order."""

from __future__ import annotations

import random
from datetime import date, timedelta

from zcreview.demo import texts
from zcreview.demo.filing import FilePicker, Namer
from zcreview.domain.model import Achievement


def make_achievements(
    rng: random.Random,
    series: str,
    level: str,
    after: date,
    until: date,
    namer: Namer,
    picker: FilePicker,
) -> list[Achievement]:
    n = {"正高级": (5, 10), "副高级": (3, 8), "中级": (1, 5), "助理级": (0, 2), "员级": (0, 0)}[
        level
    ]
    group = texts.group_of(series)
    span = max(60, (until - after).days - 30)
    days = sorted(rng.randrange(30, span) for _ in range(rng.randint(*n)))
    out: list[Achievement] = []
    used: set[str] = set()

    def fresh_title() -> str:
        for _ in range(20):
            name = texts.paper_title(rng, group)
            if name not in used:
                break
        used.add(name)
        return name

    for d in days:
        on = after + timedelta(days=d)
        on = on.replace(day=1)
        roll = rng.random()
        authors = rng.randint(1, 5)
        rank = f"{rng.randint(1, min(2, authors))}/{authors}"
        if roll < 0.6 or (group in ("teacher", "health") and roll < 0.8):
            j = texts.journal(rng, group, electronic=False)
            name = f"论文：《{fresh_title()}》"
            a = Achievement(
                category="论文/著作",
                name=name,
                on=on,
                rank=rank,
                publisher=f"《{j.name}》{on.year}年第{rng.randint(1, 24)}期",
                issn=j.issn,
                cn=j.cn,
                electronic=j.electronic,
                url="https://www.cnki.net/",
            )
            a.attachments.append(
                namer.add(f"{on.year}年{on.month}月{name}", picker.pick(rng, "scan", 2))
            )
        elif roll < 0.75:
            kind = rng.choice(("实用新型专利", "实用新型专利", "发明专利"))
            name = f"{kind}：一种{rng.choice(texts.PATENT_THINGS)}"
            a = Achievement(
                category="专利", name=name, on=on, rank=rank, authority="国家知识产权局"
            )
            a.attachments.append(
                namer.add(f"{on.year}年{on.month}月{name}证书", picker.pick(rng, "photo"))
            )
        elif roll < 0.87:
            proj = rng.choice(texts.PROJECTS)
            name = f"课题：{fresh_title()}"
            a = Achievement(
                category="课题",
                name=name,
                on=on,
                rank=rank,
                authority=proj,
                grade="市级" if "威海" in proj or "荣成" in proj else "省级",
            )
            a.attachments.append(
                namer.add(
                    f"{on.year}年{on.month}月{proj}结题证书", picker.pick(rng, "certificate", 2)
                )
            )
        elif roll < 0.95:
            award = rng.choice(texts.AWARDS)
            a = Achievement(
                category="获奖",
                name=f"获奖：{award}",
                on=on,
                rank=rank,
                authority="威海市人民政府" if "威海" in award else "山东省人民政府",
                grade="市级" if "威海" in award else "省级",
            )
            a.attachments.append(
                namer.add(f"{on.year}年{on.month}月{award}证书", picker.pick(rng, "photo"))
            )
        else:
            std = rng.choice(texts.STANDARDS)
            name = f"{std}：{fresh_title()}技术规范"
            a = Achievement(
                category="其他", name=name, on=on, rank=rank, authority="山东省市场监督管理局"
            )
            a.attachments.append(
                namer.add(f"{on.year}年{on.month}月{std}发布文件", picker.pick(rng, "scan", 2))
            )
        out.append(a)
    # One project, paper or award counts once (ACH-DUP): a clean record never repeats one.
    seen: set[str] = set()
    unique: list[Achievement] = []
    for a in out:
        key = a.name.split("：", 1)[-1]
        if key not in seen:
            seen.add(key)
            unique.append(a)
    return unique
