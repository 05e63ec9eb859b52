"""ATT-TYPE, ATT-SIZE, ATT-NAME, ATT-REQUIRED: the scanned proofs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from zcreview.domain.checks.base import CheckContext, CheckResult, Reporter, check
from zcreview.domain.checks.common import (
    APPOINTMENT_FORM,
    APPOINTMENT_FORM_WORDS,
    NONE_TITLE,
    PUBLIC_INSTITUTION,
    current_title,
    has_kind,
    strip_ext,
)
from zcreview.domain.checks.direct import without_title
from zcreview.domain.model import AttachmentRef

_MIB = 1024 * 1024
# The time part of `时间-内容` (taken whole: atomic, so it cannot give back digits), then some
# content after it.
_TIME_THEN_CONTENT = re.compile(
    r"^\s*(?>\d{4}\s*(?:年(?:度)?(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*日)?"
    r"|[.\-/]\s*\d{1,2}(?:\s*[.\-/]\s*\d{1,2})?)"
    r"(?:\s*[-－—至~]+\s*\d{4}\s*年?(?:度)?(?:\d{1,2}月)?)?)"
    r"[^\w\u4e00-\u9fff]*[\w\u4e00-\u9fff]"
)
_EXCHANGE_METHOD = "非企事业单位交流到企事业单位人员"
_CHANGE_METHOD = "改系列"


@dataclass(slots=True)
class _Scan:
    """Findings of ATT-TYPE, ATT-SIZE and ATT-NAME, gathered in one walk over the files."""

    bad_mime: list[tuple[str, AttachmentRef]] = field(default_factory=list)
    bad_ext: list[tuple[str, AttachmentRef, str]] = field(default_factory=list)
    no_mime: list[str] = field(default_factory=list)
    too_big: list[tuple[str, AttachmentRef]] = field(default_factory=list)
    no_size: list[str] = field(default_factory=list)
    bad_name: list[tuple[str, AttachmentRef, str]] = field(default_factory=list)


_NAME_PROBLEMS: dict[tuple[str, str], str | None] = {}
"""(name pattern, attachment name) → `name_problem`. Names recur (每年的“2021年度考核表”, the
same certificates on every form), and the two regex matches were the dearest part of the scan."""


def _scan(ctx: CheckContext) -> _Scan:
    found: _Scan | None = ctx.memo.get("attachments")
    if found is not None:
        return found
    scan = _Scan()
    prep = ctx.prep
    allowed_mime, mime_ext, name_re = prep.allowed_mime, prep.mime_ext, prep.name_re
    pattern = name_re.pattern
    problems = _NAME_PROBLEMS
    if len(problems) > 65536:
        problems.clear()
    limit = ctx.config.thresholds.attachments.max_bytes
    for path, a in ctx.attachments:
        mime = a.mime
        if mime is None:
            scan.no_mime.append(path)
        elif mime not in allowed_mime:
            scan.bad_mime.append((path, a))
        else:
            # The file's extension; none when the last dot is in a folder name.
            _stem, dot, ext = a.file.rpartition(".")
            if dot and ext and "/" not in ext:
                ext = ext.lower()
                if ext not in mime_ext[mime]:
                    scan.bad_ext.append((path, a, ext))
        size = a.size
        if size is None:
            scan.no_size.append(path)
        elif size > limit:
            scan.too_big.append((path, a))
        name = a.name
        key = (pattern, name)
        if key in problems:
            problem = problems[key]
        else:
            problem = problems[key] = name_problem(name, name_re)
        if problem:
            scan.bad_name.append((path, a, problem))
    ctx.memo["attachments"] = scan
    return scan


@check("ATT-TYPE", "附件类型（按内容）", "004 §6.2, 002 §三")
def att_type(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if not ctx.attachments:
        return
    scan = _scan(ctx)
    allowed = ctx.prep.allowed_label
    for path, a in scan.bad_mime:
        yield r.fail(f"附件“{a.name}”内容为{a.mime}，只能上传{allowed}", path)
    for path, a, ext in scan.bad_ext:
        yield r.warn(f"附件“{a.name}”文件名为.{ext}，内容实为{a.mime}，请核对能否正常打开", path)
    if scan.no_mime:
        yield r.unknown(f"{len(scan.no_mime)}个附件未识别内容类型（未经入库检测）", *scan.no_mime)
    elif not scan.bad_mime and not scan.bad_ext:
        yield r.ok(f"{len(ctx.attachments)}个附件均为{allowed}")


@check("ATT-SIZE", "附件大小", "004 §6.2")
def att_size(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if not ctx.attachments:
        return
    scan = _scan(ctx)
    limit = ctx.config.thresholds.attachments.max_bytes
    for path, a in scan.too_big:
        size = a.size or 0
        yield r.fail(f"附件“{a.name}”大小{size / _MIB:.1f} MB，超过{limit / _MIB:g} MB", path)
    if scan.no_size:
        yield r.unknown(f"{len(scan.no_size)}个附件大小未知（未经入库检测）", *scan.no_size)
    elif not scan.too_big:
        yield r.ok(f"{len(ctx.attachments)}个附件均不超过{limit / _MIB:g} MB")


def name_problem(name: str, pattern: re.Pattern[str]) -> str | None:
    """Why an attachment name is not `时间-内容`, or None."""
    stem = strip_ext(name) if "." in name else name
    if not pattern.match(stem):
        return "应以时间开头，按“时间-内容”命名，如“2010年2月中级资格证书”"
    if not _TIME_THEN_CONTENT.match(stem):
        return "只有时间没有内容，应按“时间-内容”命名，如“2010年2月中级资格证书”"
    return None


@check("ATT-NAME", "附件命名“时间-内容”", "000 §2(1)")
def att_name(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if not ctx.attachments:
        return
    scan = _scan(ctx)
    for path, a, problem in scan.bad_name:
        yield r.warn(f"附件“{a.name}”{problem}", path)
    if not scan.bad_name:
        yield r.ok(f"{len(ctx.attachments)}个附件均按“时间-内容”命名")


@check("ATT-REQUIRED", "必备附件", "000 §4–14")
def att_required(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    app = ctx.app
    b = app.basic
    rules = ctx.config.thresholds.attachments
    ok = True
    basis = app.education.basis
    if not basis.attachments:
        ok = False
        yield r.fail(
            "评审依据学历未上传附件：学历学位证书及备案表或认证报告，合并为一个PDF",
            "education.basis.attachments",
        )
    elif len(basis.attachments) > 1:
        ok = False
        yield r.warn(
            f"评审依据学历有{len(basis.attachments)}个附件，学历学位证书及备案表应合并为一个PDF",
            "education.basis.attachments",
        )
    t = current_title(app)
    # A direct applicant without a title (002 §14, 003 §3.10(1)) has no certificate to show.
    if t is not None and not t.attachments and not without_title(ctx):
        ok = False
        what = "职业资格证书" if t.title.strip() == NONE_TITLE else "现职称证书"
        yield r.fail(f"未上传{what}扫描件", "titles[0].attachments")
    for i, old in enumerate(app.titles[1:], start=1):
        if not old.attachments and b.method == _CHANGE_METHOD:
            ok = False
            yield r.fail(
                f"改系列前的职称“{old.title}”须上传其《评审表》原件扫描件（盖章版）",
                f"titles[{i}].attachments",
            )
    if b.unit_nature == PUBLIC_INSTITUTION and not has_kind(
        [*(t.attachments if t else []), *app.other_attachments], APPOINTMENT_FORM_WORDS
    ):
        ok = False
        yield r.fail(f"事业单位未上传{APPOINTMENT_FORM}", "titles[0].attachments")
    for i, a in enumerate(app.assessments):
        if not a.attachments:
            ok = False
            yield r.fail(f"{a.year}年度考核未上传考核表", f"assessments[{i}].attachments")
    for i, ach in enumerate(app.achievements):
        if not ach.attachments:
            ok = False
            yield r.fail(
                f"第{i + 1}条成果“{ach.name}”未上传佐证材料", f"achievements[{i}].attachments"
            )
    if b.method == _EXCHANGE_METHOD and not b.method_attachments:
        ok = False
        yield r.fail(
            f"申报方式为{_EXCHANGE_METHOD}，须上传申报方式证明材料", "basic.method_attachments"
        )
    for kind in rules.required_for(b.series):
        if not has_kind(app.other_attachments, (kind,)):
            ok = False
            yield r.fail(f"其他附件中缺少《{kind}》", "other_attachments")
    if ok:
        yield r.ok("必备附件齐全", "other_attachments")
