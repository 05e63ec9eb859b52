"""ATT-TYPE, ATT-SIZE, ATT-NAME, ATT-REQUIRED: the scanned proofs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

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
from zcreview.domain.checks.prepared import Prepared
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

_FINE, _NO_MIME, _BAD_MIME, _BAD_EXT = range(4)
_Verdict = tuple[int, str, str | None]
"""(type finding, extension for `_BAD_EXT`, name problem) of one attachment."""
_ALL_FINE: _Verdict = (_FINE, "", None)

_VERDICTS: dict[int, tuple[Prepared, dict[tuple[str | None, str, str], _Verdict]]] = {}
"""Per prepared configuration: (mime, file, name) → verdict. Attachments recur across
applications (the same forms and certificates under the same names), so one dictionary hit
replaces the type, extension and name tests of each."""


def _verdicts(prep: Prepared) -> dict[tuple[str | None, str, str], _Verdict]:
    hit = _VERDICTS.get(id(prep))
    if hit is not None and hit[0] is prep:
        known = hit[1]
        if len(known) > 65536:
            known.clear()
        return known
    if len(_VERDICTS) >= 8:
        _VERDICTS.clear()
    known = {}
    # The prepared object is kept in the entry, so its id cannot be reused while it is cached.
    _VERDICTS[id(prep)] = (prep, known)
    return known


def _verdict(a: AttachmentRef, prep: Prepared) -> _Verdict:
    kind, ext = _FINE, ""
    mime = a.mime
    if mime is None:
        kind = _NO_MIME
    elif mime not in prep.allowed_mime:
        kind = _BAD_MIME
    else:
        # The file's extension; none when the last dot is in a folder name.
        _stem, dot, found = a.file.rpartition(".")
        if dot and found and "/" not in found:
            found = found.lower()
            if found not in prep.mime_ext[mime]:
                kind, ext = _BAD_EXT, found
    name_re = prep.name_re
    key = (name_re.pattern, a.name)
    problems = _NAME_PROBLEMS
    if key in problems:
        problem = problems[key]
    else:
        if len(problems) > 65536:
            problems.clear()
        problem = problems[key] = name_problem(a.name, name_re)
    if kind == _FINE and problem is None:
        return _ALL_FINE
    return (kind, ext, problem)


def _scan(ctx: CheckContext) -> _Scan:
    found: _Scan | None = ctx.memo.get("attachments")
    if found is not None:
        return found
    scan = _Scan()
    prep = ctx.prep
    verdicts = _verdicts(prep)
    limit = ctx.config.thresholds.attachments.max_bytes
    for path, a in ctx.attachments:
        key = (a.mime, a.file, a.name)
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = verdicts[key] = _verdict(a, prep)
        if verdict is not _ALL_FINE:
            kind, ext, problem = verdict
            if kind == _NO_MIME:
                scan.no_mime.append(path)
            elif kind == _BAD_MIME:
                scan.bad_mime.append((path, a))
            elif kind == _BAD_EXT:
                scan.bad_ext.append((path, a, ext))
            if problem:
                scan.bad_name.append((path, a, problem))
        size = a.size
        if size is None:
            scan.no_size.append(path)
        elif size > limit:
            scan.too_big.append((path, a))
    ctx.memo["attachments"] = scan
    return scan


# The OK messages depend on the count of attachments only: formatted once per count.
@lru_cache(maxsize=256)
def _all_of_types(n: int, allowed: str) -> str:
    return f"{n}个附件均为{allowed}"


@lru_cache(maxsize=256)
def _all_within(n: int, limit: int) -> str:
    return f"{n}个附件均不超过{limit / _MIB:g} MB"


@lru_cache(maxsize=256)
def _all_named(n: int) -> str:
    return f"{n}个附件均按“时间-内容”命名"


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
        yield r.ok(_all_of_types(len(ctx.attachments), allowed))


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
        yield r.ok(_all_within(len(ctx.attachments), limit))


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
        yield r.ok(_all_named(len(ctx.attachments)))


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
