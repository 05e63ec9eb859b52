"""The demo's remaining attachments as legible documents: unit forms, 推荐 and 破格 proofs.

`evidence_docs` draws the documents the evidence checks compare with the form. Everything else a
package carries is drawn here, with the same legible print, so no demo file is a pseudo-text
placeholder:

- per unit and year, shared by all its applicants (drawn once, `DocSpec.shared`): the
  六公开监督卡 (what was made public, when, the supervision telephone) and the 公示情况报告表
  (the five working days of 公示 and their outcome);
- per applicant: the 推荐情况登记表 (the unit's ranking and vote), the 破格 proofs (the type and
  the achievements it rests on), the 技师 certificate of a 贯通 application;
- anything else still a placeholder (files a defect left unreferenced): a page titled by its
  file name with the applicant's name and unit.

Dates and numbers come from a random stream keyed by the unit or the application, so the same
seed gives the same bytes.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

from zcreview.demo.attachments import PDF, PNG, DocPage, DocSpec, FileSpec, Source, TextSpec
from zcreview.demo.documents import PHOTO, SCAN, SCREEN
from zcreview.demo.people import Person
from zcreview.domain.model import Achievement, Application, ContinuingEducation

SIX_PUBLIC = "六公开监督卡"
PUBLICITY_REPORT = "公示情况报告表"
RECOMMENDATION = "推荐情况登记表"


def ymd(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _telephone(rng: random.Random) -> str:
    return f"0631-{rng.randint(5200000, 5999999)}"


def _publicity_week(rng: random.Random, year: int) -> tuple[date, date]:
    """Five working days in August: a Monday to its Friday."""
    first = date(year, 8, 1)
    monday = first + timedelta(days=(7 - first.weekday()) % 7 + 7 * rng.randint(0, 1))
    return monday, monday + timedelta(days=4)


def six_public_card(unit: str, year: int) -> DocSpec:
    """The unit's 六公开监督卡 for the year's applications: one file for all its applicants."""
    rng = random.Random(f"{SIX_PUBLIC}/{unit}/{year}")
    opened = date(year, 7, rng.randint(1, 12))
    rows = (
        ("单位名称", unit),
        ("评审年度", f"{year}年度"),
        ("公开评审政策", "已公开"),
        ("公开申报条件", "已公开"),
        ("公开推荐程序", "已公开"),
        ("公开申报人员", "已公开"),
        ("公开推荐结果", "已公开"),
        ("公开监督渠道", "已公开"),
        ("公开时间", ymd(opened)),
        ("监督电话", _telephone(rng)),
    )
    page = DocPage(f"{year}年度职称评审“六公开”监督卡", rows, layout="form")
    return DocSpec(f"shared/{SIX_PUBLIC}/{unit}/{year}", SCAN, (page,), PDF, shared=True)


def publicity_report(unit: str, year: int) -> DocSpec:
    """The unit's 公示情况报告表: when the applicants' materials were on show, and the outcome."""
    rng = random.Random(f"{PUBLICITY_REPORT}/{unit}/{year}")
    start, end = _publicity_week(rng, year)
    rows = (
        ("单位名称", unit),
        ("公示内容", "职称申报材料"),
        ("公示开始", ymd(start)),
        ("公示结束", ymd(end)),
        ("公示天数", "5个工作日"),
        ("公示地点", "单位公示栏"),
        ("公示结果", "无异议"),
        ("受理电话", _telephone(rng)),
        ("报告日期", ymd(end + timedelta(days=3))),
    )
    page = DocPage(f"{year}年度职称申报公示情况报告表", rows, layout="form")
    return DocSpec(f"shared/{PUBLICITY_REPORT}/{unit}/{year}", SCAN, (page,), PDF, shared=True)


def ce_hours_record(person: Person, rows: list[ContinuingEducation]) -> TextSpec:
    lines = [
        f"姓名：{person.name}    身份证号：{person.id_number[:6]}********{person.id_number[-4:]}",
        "年度    公需科目    专业科目    合计    是否达标",
    ]
    for r in rows:
        pub, pro = int(r.public_hours), int(r.professional_hours)
        ok = "是" if pub >= 30 and pro >= 60 else "否"
        lines.append(f"{r.start.year}年    {pub}学时    {pro}学时    {pub + pro}学时    {ok}")
    lines.append("说明：本证明由山东省专业技术人员继续教育公共服务平台生成，可扫码验证。")
    return TextSpec("专业技术人员继续教育学时证明", tuple(lines), "山东省专业技术人员管理服务平台")


def result_table(person: Person, achievements: list[Achievement]) -> TextSpec:
    lines = [f"申报人：{person.name}", "序号  成果名称  时间  位次"]
    lines += [
        f"{i + 1}  {a.name}  {a.on.year}年{a.on.month}月  {a.rank}"
        for i, a in enumerate(achievements)
    ] or ["（无）"]
    lines.append("本人承诺所填业绩成果真实有效。")
    return TextSpec("业绩成果对照表", tuple(lines), f"申报人签字：{person.name}")


def _recommendation(app: Application, rng: random.Random) -> tuple[DocPage, ...]:
    b = app.basic
    voters = rng.randint(15, 60)
    rows = (
        ("姓名", b.name),
        ("工作单位", b.applying_unit),
        ("申报系列", b.series),
        ("申报资格", b.title),
        ("申报方式", b.method),
        ("单位排序", b.unit_rank),
        ("参加测评", f"{voters}人"),
        ("同意推荐", f"{voters - rng.randint(0, 3)}人"),
        ("推荐意见", "同意推荐"),
        ("推荐时间", ymd(date(b.year, 7, rng.randint(15, 30)))),
    )
    return (DocPage(f"{b.year}年度专业技术职务任职资格推荐情况登记表", rows, layout="form"),)


def _exceptional(app: Application) -> tuple[DocPage, ...]:
    b = app.basic
    current = app.titles[0].title if app.titles else "无"
    first = DocPage(
        "破格申报业绩证明材料",
        (
            ("姓名", b.name),
            ("工作单位", b.applying_unit),
            ("现职称", current),
            ("申报资格", b.title),
            ("破格类型", b.exceptional or "破格"),
            ("证明事项", "业绩成果"),
        ),
        layout="form",
    )
    listed = [
        ("", f"{i + 1}. {a.name}（{a.on.year}年{a.on.month}月）")
        for i, a in enumerate(app.achievements[:8])
    ] or [("", "（无）")]
    second = DocPage("业绩成果清单", (("申报人", b.name), *listed), layout="cover")
    return first, second


_DATE_IN_NAME = re.compile(r"(\d{4})年(?:(\d{1,2})月)?")


def _technician(app: Application, name: str) -> tuple[DocPage, ...]:
    b = app.basic
    m = _DATE_IN_NAME.search(name)
    issued = f"{m.group(1)}年{m.group(2) or 1}月" if m else f"{b.year - 3}年5月"
    rows = (
        ("姓名", b.name),
        ("身份证号", b.id_number),
        ("职业", b.current_specialty),
        ("等级", "技师（二级）"),
        ("发证日期", issued),
    )
    return (DocPage("职业资格证书", rows),)


def _generic(app: Application, name: str) -> tuple[DocPage, ...]:
    """A page titled by the file's name, stating whose it is."""
    b = app.basic
    title = _DATE_IN_NAME.sub("", name, count=1) or "证明材料"
    rows: list[tuple[str, str]] = [("姓名", b.name), ("工作单位", b.applying_unit)]
    m = _DATE_IN_NAME.search(name)
    if m:
        rows.append(("时间", m.group(0)))
    return (DocPage(title, tuple(rows)),)


def _style(spec: FileSpec) -> tuple[str, str]:
    if spec.kind == "photo":
        return PHOTO, spec.fmt
    if spec.kind == "screenshot":
        return SCREEN, PNG
    return SCAN, PDF


def _stem(path: str) -> str:
    """`附件/04-2019年度考核登记表.pdf` → `2019年度考核登记表`."""
    base = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return re.sub(r"^\d+-", "", base)


def describe_rest(app: Application, files: dict[str, Source], index: int) -> None:
    """Replace every placeholder left in `files` by a legible document about this applicant."""
    refs = {ref.file: ref for _path, ref in app.all_attachments()}
    for path, src in list(files.items()):
        if not isinstance(src, FileSpec):
            continue
        ref = refs.get(path)
        rng = random.Random(f"{index}/other/{path}")
        # The file keeps the name it was made with; a defect may have renamed the reference.
        name = _stem(path)
        if (ref is not None and ref.kind == RECOMMENDATION) or RECOMMENDATION in name:
            pages = _recommendation(app, rng)
        elif "破格" in name:
            pages = _exceptional(app)
        elif "技师" in name:
            pages = _technician(app, name)
        else:
            pages = _generic(app, name)
        style, fmt = _style(src)
        files[path] = DocSpec(f"{index}/{path}", style, pages, fmt)
