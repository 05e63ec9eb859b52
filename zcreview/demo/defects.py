"""Flaws planted in demo applications, so the pre-checks have something to find.

Each applier changes one application the way a careless applicant would and returns False when
it does not fit (no achievements to duplicate, say). A `DefectRotation` walks the appliers in a
seed-shuffled order so every flaw turns up in a demo of a few dozen applications.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from zcreview.demo import texts
from zcreview.demo.career import DEMO_YEAR
from zcreview.demo.filing import FilePicker, Namer
from zcreview.demo.people import make_id_number, spoil_id_check
from zcreview.domain.catalogue import Catalogue
from zcreview.domain.model import Achievement, Application, WorkRecord

DEFECTS: tuple[str, ...] = (
    "id_check",
    "id_sex",
    "rank_format",
    "work_gap",
    "ce_short",
    "assess_grade",
    "ach_before",
    "ach_dup",
    "ejournal",
    "major_other",
    "missing_six",
    "bad_att_name",
    "civil_servant",
    "retire",
    "social_unit",
    "no_chsi",
    "summary_long",
    "work_fmt",
    "entrust_no_proof",
    "workunit_missing",
    "assess_missing",
    "work_start",
    "ach_order",
    "bad_issn",
)
"""Flaws the pre-checks of domain.md §6 look for; one in five applications carries one or two."""
DEFECT_SHARE = 0.2


@dataclass(frozen=True)
class DefectKit:
    """What an applier may use beyond the application: the catalogue and the package's files."""

    catalogue: Catalogue
    namer: Namer
    picker: FilePicker


class DefectRotation:
    """Hands out the flaws in a seed-shuffled order, skipping those that do not fit."""

    def __init__(self, seed: int) -> None:
        self._order = list(DEFECTS)
        random.Random(f"{seed}/defects").shuffle(self._order)
        self._next = 0

    def apply(self, rng: random.Random, app: Application, kit: DefectKit, had: list[str]) -> None:
        """Apply the next flaw in the rotation that fits `app` and is not in `had`; record it."""
        for _ in range(len(self._order)):
            name = self._order[self._next % len(self._order)]
            self._next += 1
            if name in had:
                continue
            if DEFECT_FUNCS[name](rng, app, kit):
                had.append(name)
                return


DefectFunc = Callable[[random.Random, Application, DefectKit], bool]


def _d_id_check(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    app.basic.id_number = spoil_id_check(app.basic.id_number)
    return True


def _d_id_sex(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    app.basic.gender = "女" if app.basic.gender == "男" else "男"
    return True


def _d_rank_format(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    app.basic.unit_rank = rng.choice(("4/3", "1／5", "第2名", "0/4"))
    return True


def _d_work_gap(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    rows = app.work_history
    if rows[0].start.year >= DEMO_YEAR - 3:
        return False
    first = rows[0]
    mid = date(first.start.year + 2, 6, 1)
    rows.insert(
        0,
        WorkRecord(
            start=first.start,
            end=date(mid.year, 2, 1),
            unit_dept_post=first.unit_dept_post.replace(
                first.unit_dept_post.split("/")[0], "威海市人才服务中心（人事代理）"
            ),
            work="专业技术工作",
            position="技术员",
        ),
    )
    first.start = mid  # months between the two rows are missing
    return True


def _d_ce_short(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    if not app.continuing_education:
        return False
    row = rng.choice(app.continuing_education)
    row.professional_hours = rng.choice((24, 36, 48))
    return True


def _d_assess_grade(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    if not app.assessments:
        return False
    rng.choice(app.assessments).grade = rng.choice(("基本合格", "基本称职"))
    return True


def _d_ach_before(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    t = app.current_title
    if t is None or t.obtained_on is None or not app.achievements:
        return False
    app.achievements[0].on = date(t.obtained_on.year - 1, 5, 1)
    return True


def _d_ach_dup(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    if not app.achievements:
        return False
    dup = app.achievements[-1].model_copy(deep=True)
    app.achievements.append(dup)
    return True


def _d_ejournal(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    if app.basic.series != "工程技术":
        return False
    b = app.basic
    b.specialty_category = "水利工程"
    choices = kit.catalogue.specialties_for("工程技术", "水利工程")
    if choices:
        b.current_specialty = rng.choice(choices)
    j = next(j for j in texts.JOURNALS["eng"] if j.electronic)
    on = app.achievements[-1].on if app.achievements else date(DEMO_YEAR - 1, 3, 1)
    name = f"论文：《{texts.paper_title(rng, 'eng')}》"
    a = Achievement(
        category="论文/著作",
        name=name,
        on=on,
        rank="1/2",
        publisher=f"《{j.name}》{on.year}年第{rng.randint(1, 24)}期",
        issn=j.issn,
        cn=j.cn,
        electronic=True,
    )
    a.attachments.append(
        kit.namer.add(f"{on.year}年{on.month}月{name}", kit.picker.pick(rng, "scan", 3))
    )
    app.achievements.append(a)
    return True


def _d_major_other(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    app.basic.current_specialty = "其他"
    return True


def _d_missing_six(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    before = len(app.other_attachments)
    app.other_attachments = [a for a in app.other_attachments if a.kind != "六公开监督卡"]
    return len(app.other_attachments) < before


def _d_bad_att_name(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    refs = [ref for _path, ref in app.all_attachments() if ref.kind is None]
    if not refs:
        return False
    ref = rng.choice(refs)
    ref.name = rng.choice(
        (
            "IMG_20230512_093012",
            "扫描全能王 2023-05-12 09.21",
            "证书",
            "新建文件夹（2）",
            "微信图片_20240608153355",
        )
    )
    return True


def _d_civil_servant(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    app.basic.civil_servant = True
    return True


def _d_retire(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    # A woman born in 1969 reaches 55 in 2024 (gradual retirement starts with those born 1970).
    b = app.basic
    if b.gender != "女":
        return False
    birth = date(b.year - 55, rng.randint(1, 11), rng.randint(1, 28))
    b.birth_date = birth
    b.id_number = make_id_number(rng, birth, "女", b.id_number[:6])
    return True


def _d_social_unit(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    app.basic.social_security_unit = "威海市人力资源服务有限公司"
    return True


def _d_no_chsi(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    app.education.basis.chsi_code = None
    return True


def _d_summary_long(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    extra = texts.work_summary(
        rng,
        texts.group_of(app.basic.series),
        start="参加工作",
        specialty=app.basic.current_specialty,
        unit=app.basic.applying_unit,
        years="5",
        excellent="2",
    )
    while len(app.work_summary) <= 1300:
        app.work_summary += "\n" + extra
    return True


def _d_work_fmt(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    row = app.work_history[-1]
    row.unit_dept_post = row.unit_dept_post.replace("/", rng.choice(("", "-", " ")))
    return True


def _d_entrust(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    app.basic.entrusted = True
    return True


def _d_workunit(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    app.basic.is_work_unit = False
    app.basic.work_unit = None
    return True


def _d_assess_missing(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    if app.basic.level != "中级" or len(app.assessments) < 3:
        return False
    del app.assessments[: len(app.assessments) - 1]
    return True


def _d_work_start(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    ws = app.basic.work_start
    app.basic.work_start = date(ws.year - 1, ws.month, 1)
    return True


def _d_ach_order(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    if len(app.achievements) < 3:
        return False
    app.achievements.reverse()
    return True


def _d_bad_issn(rng: random.Random, app: Application, kit: DefectKit) -> bool:
    papers = [a for a in app.achievements if a.issn]
    if not papers:
        return False
    a = rng.choice(papers)
    j = next((j for js in texts.JOURNALS.values() for j in js if j.issn == a.issn), None)
    if j is None:
        return False
    a.issn = j.bad_issn
    return True


DEFECT_FUNCS: dict[str, DefectFunc] = {
    "id_check": _d_id_check,
    "id_sex": _d_id_sex,
    "rank_format": _d_rank_format,
    "work_gap": _d_work_gap,
    "ce_short": _d_ce_short,
    "assess_grade": _d_assess_grade,
    "ach_before": _d_ach_before,
    "ach_dup": _d_ach_dup,
    "ejournal": _d_ejournal,
    "major_other": _d_major_other,
    "missing_six": _d_missing_six,
    "bad_att_name": _d_bad_att_name,
    "civil_servant": _d_civil_servant,
    "retire": _d_retire,
    "social_unit": _d_social_unit,
    "no_chsi": _d_no_chsi,
    "summary_long": _d_summary_long,
    "work_fmt": _d_work_fmt,
    "entrust_no_proof": _d_entrust,
    "workunit_missing": _d_workunit,
    "assess_missing": _d_assess_missing,
    "work_start": _d_work_start,
    "ach_order": _d_ach_order,
    "bad_issn": _d_bad_issn,
}
