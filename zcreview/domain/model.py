"""The application record: every section and field a reviewer checks (domain.md §4)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

FORMAT_NAME: Final = "zcreview-application"
FORMAT_VERSION: Final = 1

_MONTH_RE = re.compile(r"^\s*(\d{4})[-./年](\d{1,2})月?\s*$")
_DAY_RE = re.compile(r"^\s*(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?\s*$")


def parse_flexible_date(value: Any) -> Any:
    """Accept `YYYY-MM-DD`, `YYYY-MM`, `YYYY.MM` and `YYYY年MM月` (the platform writes months).

    A month alone means its first day. Anything else is passed on for pydantic to refuse.
    """
    if isinstance(value, str):
        m = _DAY_RE.match(value)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _MONTH_RE.match(value)
        if m:
            return date(int(m.group(1)), int(m.group(2)), 1)
    return value


Day = Annotated[
    date,
    BeforeValidator(parse_flexible_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
]

Level = Literal["正高级", "副高级", "中级", "助理级", "员级"]
LEVELS: tuple[str, ...] = ("正高级", "副高级", "中级", "助理级", "员级")
Gender = Literal["男", "女"]
AchievementCategory = str  # validated by the ACH-CAT check, not refused at intake


class Strict(BaseModel):
    """Base of every record: unknown fields are refused so typos surface at intake."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False)


class AttachmentRef(Strict):
    """One file backing an item. `file` is its path inside the package.

    At intake the store fills `sha256`, `size` and `mime` from the bytes; the canonical JSON
    then names attachments by hash, so a revision changes when a scan changes.
    """

    name: str = Field(description="Display name, `时间-内容` (e.g. 2010年2月中级资格证书)")
    file: str = Field(description="Path of the file inside the package (POSIX, relative)")
    kind: str | None = Field(
        default=None, description="For 其他附件: 六公开监督卡, 公示情况报告表, 业绩成果对照表 …"
    )
    sha256: str | None = Field(default=None, description="Filled at intake")
    size: int | None = Field(default=None, description="Bytes; filled at intake")
    mime: str | None = Field(default=None, description="Sniffed from content; filled at intake")


class BasicInfo(Strict):
    """基本信息 (003 §3.1–3.8, 000 §3)."""

    name: str = Field(description="姓名")
    id_number: str = Field(description="身份证号")
    gender: Gender = Field(description="性别")
    birth_date: Day = Field(description="出生日期")
    ethnicity: str = Field(default="汉族", description="民族")
    phone: str = Field(default="", description="手机")
    year: int = Field(description="年度", ge=2000, le=2100)
    application_kind: Literal["职称申报", "考核认定"] = Field(
        default="职称申报", description="同一年度职称申报与考核认定只能选一项 (004 §3.3)"
    )
    unit_rank: str = Field(description="单位推荐排序 k/n")
    level: Level = Field(description="申报级别")
    series: str = Field(description="申报系列")
    title: str = Field(description="申报职称")
    specialty_category: str | None = Field(default=None, description="专业类别 (工程技术)")
    current_specialty: str = Field(description="现从事专业")
    method: str = Field(default="正常晋升", description="申报方式")
    exceptional: str | None = Field(default=None, description="破格情况")
    method_attachments: list[AttachmentRef] = Field(default_factory=list)
    applying_unit: str = Field(description="申报单位")
    applying_unit_code: str | None = Field(default=None, description="申报单位统一社会信用代码")
    is_work_unit: bool = Field(default=True, description="是否是工作单位")
    work_unit: str | None = Field(default=None, description="工作单位 (是否是工作单位=否)")
    entrusted: bool = Field(default=False, description="是否委托评审")
    entrust_attachments: list[AttachmentRef] = Field(default_factory=list)
    work_start: Day = Field(description="参加工作时间")
    professional_years: int = Field(ge=0, le=80, description="专业工作年限")
    social_security_unit: str = Field(description="社保缴费单位")
    social_security_from: Day | None = Field(default=None, description="社保缴费起")
    social_security_to: Day | None = Field(default=None, description="社保缴费止")
    unit_nature: str = Field(
        default="企业", description="单位性质: 企业/事业单位/机关/社会团体/其他"
    )
    civil_servant: bool = Field(default=False, description="公务员或参照公务员法管理")
    submitted_on: Day | None = Field(default=None, description="确认申报日期")


class EducationRecord(Strict):
    """One degree: 毕业院校, 专业, 学历, 学位, 毕业时间, 学信网验证码."""

    school: str = Field(description="毕业院校")
    major: str = Field(description="专业")
    education: str = Field(
        description="学历: 博士研究生/硕士研究生/大学本科/大学专科/中专/高中及以下 …"
    )
    degree: str | None = Field(default=None, description="学位")
    professional_degree: bool = Field(default=False, description="专业学位 (工程硕士等)")
    second_bachelor: bool = Field(default=False, description="第二学士学位")
    graduated_on: Day = Field(description="毕业时间")
    chsi_code: str | None = Field(default=None, description="学信网验证码")
    attachments: list[AttachmentRef] = Field(default_factory=list)


class Education(Strict):
    """学历信息: 全日制 and 评审依据."""

    full_time: EducationRecord | None = Field(default=None, description="全日制学历")
    basis: EducationRecord = Field(description="评审依据学历")


class TitleRecord(Strict):
    """现专业技术职称 (or a title held before 改系列 / 复合型)."""

    level: str | None = Field(default=None, description="职称级别")
    series: str | None = Field(default=None, description="职称系列")
    title: str = Field(description="现专业技术职称, 无 when applying on a 职业资格")
    obtained_on: Day | None = Field(default=None, description="获得时间")
    passed_on: Day | None = Field(default=None, description="评审通过时间 (2021年5月后按此)")
    issued_in_shandong: bool = Field(default=True, description="山东省内发放")
    obtained_by: str | None = Field(
        default=None, description="获得方式: 正常晋升/职称考试/考核认定 …"
    )
    is_basis: bool = Field(default=True, description="是否评审依据")
    post: str | None = Field(default=None, description="现聘职务")
    appointed_on: Day | None = Field(default=None, description="聘任时间")
    appointed_years: int | None = Field(default=None, ge=0, le=80, description="聘任年限")
    appointment_break_months: int = Field(default=0, ge=0, description="聘任中断月数")
    qualification: str | None = Field(default=None, description="职业资格")
    qualification_on: Day | None = Field(default=None, description="获得职业资格时间")
    attachments: list[AttachmentRef] = Field(default_factory=list)


class AdminPost(Strict):
    """现任行政职务."""

    post: str = Field(description="职务")
    since: Day | None = Field(default=None, description="任职时间")
    attachments: list[AttachmentRef] = Field(default_factory=list)


class Assessment(Strict):
    """任现职以来考核, one row per year."""

    year: int = Field(description="年份")
    post: str = Field(default="", description="受聘职务")
    grade: str = Field(description="考核等次: 优秀/合格/称职/基本合格/不合格 …")
    unit: str = Field(description="考核单位")
    attachments: list[AttachmentRef] = Field(default_factory=list)


class LanguageSkills(Strict):
    """外语/计算机 (optional)."""

    foreign_language: str = Field(default="无", description="外语")
    computer: str = Field(default="无", description="计算机")
    attachments: list[AttachmentRef] = Field(default_factory=list)


class ContinuingEducation(Strict):
    """继续教育, one row per year."""

    start: Day = Field(description="开始")
    end: Day = Field(description="结束")
    content: str = Field(default="", description="内容")
    public_hours: float = Field(ge=0, description="公需学时")
    professional_hours: float = Field(ge=0, description="专业学时")
    attachments: list[AttachmentRef] = Field(default_factory=list)


class WorkRecord(Strict):
    """工作经历 row."""

    start: Day = Field(description="开始")
    end: Day | None = Field(default=None, description="结束; empty = 至今")
    unit_dept_post: str = Field(description="单位/部门/职称")
    professional: bool = Field(default=True, description="从事专业技术工作")
    work: str = Field(default="", description="从事专业技术工作内容")
    position: str = Field(default="", description="所任职务")
    summary: str = Field(default="", description="简介")
    attachments: list[AttachmentRef] = Field(default_factory=list)


class Achievement(Strict):
    """代表性成果."""

    category: AchievementCategory = Field(description="论文/著作, 专利, 课题, 获奖, 其他")
    name: str = Field(description="成果名称, `类型：名称`")
    on: Day = Field(description="时间")
    rank: str = Field(description="位次 k/n")
    publisher: str | None = Field(default=None, description="报刊或出版社 (+期)")
    reprinted_in: str | None = Field(default=None, description="转载刊物")
    electronic: bool = Field(default=False, description="电子期刊")
    authority: str | None = Field(default=None, description="批准机关")
    grade: str | None = Field(default=None, description="等级: 国家级/省级/市级 …")
    issn: str | None = Field(default=None)
    cn: str | None = Field(default=None)
    isbn: str | None = Field(default=None)
    url: str | None = Field(default=None, description="验证网址")
    attachments: list[AttachmentRef] = Field(default_factory=list)


class Application(Strict):
    """One application as the applicant submitted it; the unit of intake, review and sync."""

    format: Literal["zcreview-application"] = "zcreview-application"
    format_version: Literal[1] = 1
    application_id: UUID = Field(description="Fixed when the application is created")
    basic: BasicInfo
    education: Education
    titles: list[TitleRecord] = Field(
        default_factory=list, description="现职称 first, then titles held before 改系列/复合型"
    )
    admin_posts: list[AdminPost] = Field(default_factory=list)
    assessments: list[Assessment] = Field(default_factory=list)
    languages: LanguageSkills | None = None
    continuing_education: list[ContinuingEducation] = Field(default_factory=list)
    work_history: list[WorkRecord] = Field(default_factory=list)
    achievements: list[Achievement] = Field(default_factory=list)
    work_summary: str = Field(default="", description="工作成绩及表现")
    societies: str = Field(default="", description="学术团体/社会兼职")
    societies_attachments: list[AttachmentRef] = Field(default_factory=list)
    other_attachments: list[AttachmentRef] = Field(
        default_factory=list, description="六公开监督卡, 公示情况报告表, 业绩成果对照表 …"
    )

    @property
    def current_title(self) -> TitleRecord | None:
        return self.titles[0] if self.titles else None

    def all_attachments(self) -> list[tuple[str, AttachmentRef]]:
        """Every attachment with the field path of the item it backs."""
        return list(iter_attachments(self))

    def canonical_json(self) -> bytes:
        """Stable bytes: sorted keys, no insignificant spaces. Its hash is the revision."""
        data = self.model_dump(mode="json")
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    def revision(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()


def iter_attachments(app: Application) -> Any:
    """Yield `(field_path, AttachmentRef)` for every attachment, in platform order."""
    b = app.basic
    for i, a in enumerate(b.method_attachments):
        yield f"basic.method_attachments[{i}]", a
    for i, a in enumerate(b.entrust_attachments):
        yield f"basic.entrust_attachments[{i}]", a
    for key in ("full_time", "basis"):
        rec = getattr(app.education, key)
        if rec is not None:
            for i, a in enumerate(rec.attachments):
                yield f"education.{key}.attachments[{i}]", a
    lists: list[tuple[str, list[Any]]] = [
        ("titles", app.titles),
        ("admin_posts", app.admin_posts),
        ("assessments", app.assessments),
        ("continuing_education", app.continuing_education),
        ("work_history", app.work_history),
        ("achievements", app.achievements),
    ]
    for section, rows in lists:
        for r, row in enumerate(rows):
            for i, a in enumerate(row.attachments):
                yield f"{section}[{r}].attachments[{i}]", a
    if app.languages is not None:
        for i, a in enumerate(app.languages.attachments):
            yield f"languages.attachments[{i}]", a
    for i, a in enumerate(app.societies_attachments):
        yield f"societies_attachments[{i}]", a
    for i, a in enumerate(app.other_attachments):
        yield f"other_attachments[{i}]", a


SECTIONS: tuple[tuple[str, str], ...] = (
    ("basic", "基本信息"),
    ("education", "学历信息"),
    ("titles", "现专业技术职称/职业资格"),
    ("admin_posts", "现任行政职务"),
    ("assessments", "任现职以来考核"),
    ("languages", "外语/计算机"),
    ("continuing_education", "继续教育"),
    ("work_history", "工作经历"),
    ("achievements", "代表性成果"),
    ("work_summary", "工作成绩及表现"),
    ("societies", "学术团体/社会兼职"),
    ("other_attachments", "六公开监督卡及其他附件"),
)
"""Sections in platform order (003 §3, 000 §3–14): (model attribute, Chinese heading)."""


def field_label(model: type[BaseModel], name: str) -> str:
    """The Chinese label of a field: the first word of its description."""
    info = model.model_fields[name]
    desc = info.description or name
    return re.split(r"[ (（:,]", desc, maxsplit=1)[0] or name


def json_schema() -> dict[str, Any]:
    """JSON Schema of `application.json` (printed by `zcreview schema`)."""
    schema = Application.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://zcreview.invalid/schema/{FORMAT_NAME}/{FORMAT_VERSION}"
    return schema
