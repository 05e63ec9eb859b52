"""The demo's personal attachments as documents stating the form's values, a few with planted lies.

`attach_documents` runs once an application is complete (its flaws applied): it replaces the
placeholder scan of every personal attachment (学历 certificates, title certificate, 聘用审批表,
考核表, 继续教育 proofs, 代表性成果 proofs) by a `DocSpec` whose pages state the values of the
form. In `PLANT_SHARE` of the applications one value on one document disagrees with the form
(another year, school, name, grade, ISSN, or a year missing from a 学时 printout); `Planted`
records it so a benchmark can measure whether the evidence checks find it. The choice comes from
a random stream of its own (`{seed}/evidence/{index}`), so the forms stay what they were.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from zcreview.demo.attachments import PDF, PNG, DocPage, DocSpec, FileSpec, Source, TextSpec
from zcreview.demo.documents import PHOTO, SCAN, SCREEN
from zcreview.demo.other_docs import describe_rest
from zcreview.demo.people import make_id_number
from zcreview.demo.schools import COLLEGES, GENERIC_MAJORS, UNIVERSITIES
from zcreview.demo.texts import JOURNALS
from zcreview.domain.checks.common import APPOINTMENT_FORM_WORDS
from zcreview.domain.model import Application, AttachmentRef

PLANT_SHARE = 0.08
"""Share of applications with one planted disagreement between a scan and the form."""

_OTHER_NAMES = ("李晓明", "张海燕", "刘志强", "陈丽华", "王大伟", "赵春梅")


@dataclass(frozen=True)
class Planted:
    """One planted disagreement: which check must find it, on which field and attachment."""

    check_id: str
    field: str
    attachment: str
    """Package path of the attachment file."""
    form_says: str
    scan_says: str


def ym(d: date) -> str:
    return f"{d.year}年{d.month}月"


def ymd(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


_Plant = tuple[str, str, str, "Callable[[random.Random, str], str]"]
"""(check id, field path, value key, make another value)."""


@dataclass
class _Job:
    """One attachment to redraw: its values, how to lay them out, and what may be falsified."""

    ref: AttachmentRef
    values: dict[str, str]
    build: Callable[[dict[str, str]], tuple[DocPage, ...]]
    plants: list[tuple[str, str, str, Callable[[random.Random, str], str]]] = field(
        default_factory=list
    )
    """(check id, field path, value key, make another value)."""


def _another_year(rng: random.Random, value: str) -> str:
    """The same date one to three years off (`2019年7月` → `2017年7月`)."""
    year = int(value[:4])
    return f"{year + rng.choice((-3, -2, -1, 1, 2))}{value[4:]}"


def _choose_other(options: tuple[str, ...]) -> Callable[[random.Random, str], str]:
    def pick(rng: random.Random, value: str) -> str:
        return rng.choice([o for o in options if o != value and value not in o and o not in value])

    return pick


def _another_grade(rng: random.Random, value: str) -> str:
    return "基本合格" if value in ("合格", "优秀") else "合格" if value != "合格" else "优秀"


def _another_issn(rng: random.Random, value: str) -> str:
    journals = [j for group in JOURNALS.values() for j in group if j.issn != value]
    return rng.choice(journals).issn


def _another_id(rng: random.Random, value: str) -> str:
    """A valid ID number of someone else born elsewhere on another day."""
    born = date(int(value[6:10]) + rng.choice((-2, -1, 1, 2)), int(value[10:12]), 1)
    other = make_id_number(rng, born, "男" if int(value[16]) % 2 else "女")
    return other if other != value else _another_id(rng, other)


def _style_of(source: Source | None) -> tuple[str, str]:
    """(style, format) that keeps the attachment's file type."""
    if isinstance(source, DocSpec):  # drawn before (a resubmitted package): same kind of file
        return source.style, source.fmt
    if isinstance(source, FileSpec):
        if source.kind == "photo":
            return PHOTO, source.fmt
        if source.kind == "screenshot":
            return SCREEN, PNG
    return SCAN, PDF


def _education_pages(v: dict[str, str]) -> tuple[DocPage, ...]:
    person = (("姓名", v["name"]), ("性别", v["sex"]), ("出生日期", v["birth"]))
    pages = [
        DocPage(
            "毕业证书",
            (
                *person,
                ("学校", v["school"]),
                ("专业", v["major"]),
                ("学历", v["education"]),
                ("毕业时间", v["graduated"]),
                ("证书编号", v["number"]),
            ),
        )
    ]
    if v.get("degree"):
        pages.append(
            DocPage(
                "学位证书",
                (
                    ("姓名", v["name"]),
                    ("学位授予单位", v["school"]),
                    ("专业", v["major"]),
                    ("学位", f"{v['degree']}学位"),
                    ("授予时间", v["graduated"]),
                ),
            )
        )
    if v.get("proof"):
        pages.append(
            DocPage(
                v["proof"],
                (
                    ("姓名", v["name"]),
                    ("身份证号", v["id"]),
                    ("毕业院校", v["school"]),
                    ("专业", v["major"]),
                    ("层次", v["education"]),
                    ("毕业日期", v["graduated"]),
                    ("证书编号", v["number"]),
                ),
                layout="form",
            )
        )
    return tuple(pages)


def _title_pages(v: dict[str, str]) -> tuple[DocPage, ...]:
    rows = [("姓名", v["name"]), ("身份证号", v["id"])]
    if v.get("series"):
        rows += [("系列", v["series"]), ("专业", v["specialty"])]
    rows += [("资格名称", v["title"])]
    if v.get("passed"):
        rows.append(("评审通过时间", v["passed"]))
    rows += [("取得时间", v["date"]), ("证书编号", v["number"])]
    heading = "职业资格证书" if not v.get("series") else "专业技术资格证书"
    return (DocPage(heading, tuple(rows)),)


def _appointment_pages(v: dict[str, str]) -> tuple[DocPage, ...]:
    return (
        DocPage(
            "事业单位专业技术人员聘用审批表",
            (
                ("姓名", v["name"]),
                ("身份证号", v["id"]),
                ("聘用单位", v["unit"]),
                ("聘任岗位", v["post"]),
                ("聘任时间", v["date"]),
            ),
            layout="form",
        ),
    )


def _assessment_pages(v: dict[str, str]) -> tuple[DocPage, ...]:
    return (
        DocPage(
            f"{v['year']}年度专业技术人员年度考核登记表",
            (
                ("姓名", v["name"]),
                ("单位", v["unit"]),
                ("受聘职务", v["post"]),
                ("考核年度", f"{v['year']}年度"),
                ("考核等次", v["grade"]),
            ),
            layout="form",
        ),
    )


def _ce_pages(v: dict[str, str]) -> tuple[DocPage, ...]:
    return (
        DocPage(
            "继续教育学时证明",
            (
                ("姓名", v["name"]),
                ("年度", f"{v['year']}年"),
                ("公需科目", f"{v['public']}学时"),
                ("专业科目", f"{v['professional']}学时"),
                ("合计", f"{int(v['public']) + int(v['professional'])}学时"),
            ),
        ),
    )


def _achievement_pages(v: dict[str, str]) -> tuple[DocPage, ...]:
    if v["category"] == "论文/著作":
        return (
            DocPage(
                f"《{v['journal']}》",
                (("", v["issue"]), ("ISSN", v["issn"]), ("CN", v["cn"])),
                layout="cover",
            ),
            DocPage(
                "目录",
                (("论文题目", v["title"]), ("作者", v["name"]), ("刊名", v["journal"])),
                layout="cover",
            ),
        )
    label = {"专利": "发明名称", "课题": "项目名称", "获奖": "获奖项目"}.get(
        v["category"], "标准名称"
    )
    heading = {"专利": "专利证书", "课题": "结题证书", "获奖": "获奖证书"}.get(
        v["category"], "发布文件"
    )
    return (DocPage(heading, ((label, v["title"]), ("完成人", v["name"]), ("时间", v["date"]))),)


def _jobs(app: Application, files: dict[str, Source]) -> list[_Job]:
    b = app.basic
    person = {"name": b.name, "id": b.id_number, "sex": b.gender, "birth": ymd(b.birth_date)}
    jobs: list[_Job] = []
    rng = random.Random(str(app.application_id))
    edu = app.education
    for base, rec, bundle in (
        ("education.basis", edu.basis, True),
        ("education.full_time", edu.full_time, False),
    ):
        if rec is None:
            continue
        for ref in rec.attachments:
            values = {
                **person,
                "school": rec.school,
                "major": rec.major,
                "education": rec.education,
                "graduated": ym(rec.graduated_on),
                "number": f"{rng.randint(10000, 14999)}{rec.graduated_on.year}{rng.randint(10**7, 10**8 - 1)}",
            }
            if bundle:
                values["degree"] = rec.degree or ""
                values["proof"] = (
                    "教育部学历证书电子注册备案表"
                    if rec.graduated_on.year >= 2002
                    else "中国高等教育学历认证报告"
                )
            schools = UNIVERSITIES + COLLEGES
            jobs.append(
                _Job(
                    ref,
                    values,
                    _education_pages,
                    [
                        ("EVID-EDU", f"{base}.graduated_on", "graduated", _another_year),
                        ("EVID-EDU", f"{base}.school", "school", _choose_other(schools)),
                        ("EVID-EDU", f"{base}.major", "major", _choose_other(GENERIC_MAJORS)),
                    ],
                )
            )
    if app.titles:
        t = app.titles[0]
        for ref in t.attachments:
            if any(w in ref.name for w in APPOINTMENT_FORM_WORDS):
                if t.post and t.appointed_on:
                    values = {
                        **person,
                        "unit": b.applying_unit,
                        "post": t.post,
                        "date": ym(t.appointed_on),
                    }
                    jobs.append(
                        _Job(
                            ref,
                            values,
                            _appointment_pages,
                            [("EVID-APPOINT", "titles[0].appointed_on", "date", _another_year)],
                        )
                    )
                continue
            number = f"{rng.randint(10**9, 10**10 - 1)}"
            if t.title == "无":
                if not t.qualification or not t.qualification_on:
                    continue
                values = {
                    **person,
                    "title": t.qualification,
                    "date": ym(t.qualification_on),
                    "number": number,
                }
                path = "titles[0].qualification_on"
            else:
                if t.obtained_on is None:
                    continue
                values = {
                    **person,
                    "series": t.series or b.series,
                    "specialty": b.current_specialty,
                    "title": t.title,
                    "date": ym(t.obtained_on),
                    "passed": ym(t.passed_on) if t.passed_on else "",
                    "number": number,
                }
                path = "titles[0].obtained_on"
            plants = [
                ("EVID-NAME", "basic.name", "name", _choose_other(_OTHER_NAMES)),
                ("EVID-NAME", "basic.id_number", "id", _another_id),
            ]
            if not values.get("passed"):
                plants.append(("EVID-TITLE", path, "date", _another_year))
            jobs.append(_Job(ref, values, _title_pages, plants))
    for i, a in enumerate(app.assessments):
        for ref in a.attachments:
            values = {
                **person,
                "unit": a.unit,
                "post": a.post or "专业技术人员",
                "year": str(a.year),
                "grade": a.grade,
            }
            jobs.append(
                _Job(
                    ref,
                    values,
                    _assessment_pages,
                    [
                        (
                            "EVID-ASSESS",
                            f"assessments[{i}].year",
                            "year",
                            lambda r, v: str(int(v) - r.choice((1, 2))),
                        ),
                        ("EVID-ASSESS", f"assessments[{i}].grade", "grade", _another_grade),
                    ],
                )
            )
    for i, c in enumerate(app.continuing_education):
        for ref in c.attachments:
            if isinstance(files.get(ref.file), TextSpec):
                continue  # the platform's printout of several years: see `_ce_printout`
            values = {
                **person,
                "year": str(c.start.year),
                "public": str(int(c.public_hours)),
                "professional": str(int(c.professional_hours)),
            }
            jobs.append(
                _Job(
                    ref,
                    values,
                    _ce_pages,
                    [
                        (
                            "EVID-CE",
                            f"continuing_education[{i}].start",
                            "year",
                            lambda r, v: str(int(v) - r.choice((1, 2, 5))),
                        )
                    ],
                )
            )
    for i, ach in enumerate(app.achievements):
        for ref in ach.attachments:
            title = ach.name.split("：", 1)[-1].strip("《》")
            values = {**person, "category": ach.category, "title": title, "date": ym(ach.on)}
            ach_plants: list[_Plant] = []
            if ach.category == "论文/著作":
                journal = (ach.publisher or "").split("》", 1)[0].lstrip("《")
                values |= {
                    "journal": journal,
                    "issue": (ach.publisher or "").split("》", 1)[-1],
                    "issn": ach.issn or "",
                    "cn": ach.cn or "",
                }
                if ach.issn:
                    ach_plants.append(
                        ("EVID-ACH", f"achievements[{i}].issn", "issn", _another_issn)
                    )
            jobs.append(_Job(ref, values, _achievement_pages, ach_plants))
    return jobs


def _ce_printout(app: Application, files: dict[str, Source], drop_year: int | None) -> None:
    """Regenerate the multi-year 学时 printout from the form (optionally without one year)."""
    for c in app.continuing_education:
        for ref in c.attachments:
            src = files.get(ref.file)
            if not isinstance(src, TextSpec):
                continue
            b = app.basic
            lines = [
                f"姓名：{b.name}    身份证号：{b.id_number[:6]}********{b.id_number[-4:]}",
                "年度    公需科目    专业科目    合计    是否达标",
            ]
            for row in app.continuing_education:
                y = row.start.year
                if y == drop_year:
                    continue
                pub, pro = int(row.public_hours), int(row.professional_hours)
                ok = "是" if pub >= 30 and pro >= 60 else "否"
                lines.append(f"{y}年    {pub}学时    {pro}学时    {pub + pro}学时    {ok}")
            lines.append("说明：本证明由山东省专业技术人员继续教育公共服务平台生成，可扫码验证。")
            files[ref.file] = replace(src, lines=tuple(lines))


def attach_documents(
    app: Application, files: dict[str, Source], seed: int, index: int
) -> list[Planted]:
    """Redraw the personal attachments of `app` from its values; returns what was planted."""
    rng = random.Random(f"{seed}/evidence/{index}")
    plant = rng.random() < PLANT_SHARE
    jobs = _jobs(app, files)
    planted: list[Planted] = []
    printout = [
        (i, ref)
        for i, c in enumerate(app.continuing_education)
        for ref in c.attachments
        if isinstance(files.get(ref.file), TextSpec)
    ]
    drop_year: int | None = None
    if plant:
        options: list[tuple[_Job | None, _Plant | None]] = [
            (job, p) for job in jobs for p in job.plants
        ]
        if printout and len(app.continuing_education) > 1:
            options.append((None, None))  # sentinel: a year missing from the printout
        if options:
            job, p = options[rng.randrange(len(options))]
            if job is None or p is None:
                i = rng.randrange(len(app.continuing_education))
                drop_year = app.continuing_education[i].start.year
                ref = app.continuing_education[i].attachments[0]
                planted.append(
                    Planted(
                        "EVID-CE",
                        f"continuing_education[{i}].start",
                        ref.file,
                        f"{drop_year}年",
                        "（缺少该年度）",
                    )
                )
            else:
                check_id, path, key, other = p
                before = job.values[key]
                job.values[key] = other(rng, before)
                planted.append(Planted(check_id, path, job.ref.file, before, job.values[key]))
    done: set[str] = set()
    for job in jobs:
        if job.ref.file in done:
            continue
        done.add(job.ref.file)
        style, fmt = _style_of(files.get(job.ref.file))
        files[job.ref.file] = DocSpec(f"{index}/{job.ref.file}", style, job.build(job.values), fmt)
    _ce_printout(app, files, drop_year)
    describe_rest(app, files, index)
    return planted
