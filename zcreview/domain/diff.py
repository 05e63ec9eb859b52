"""What changed between two revisions, item by item, and whether a resubmission answers a return."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from zcreview.domain.corrections import CorrectionItem, CorrectionNotice
from zcreview.domain.model import Application
from zcreview.domain.paths import format_path, is_under, item_scope, label_for_path

ChangeKind = Literal["changed", "added", "removed"]
Value = Any  # JSON value from `Application.model_dump(mode="json")`

# Envelope fields: the same for every revision of one application, never a correction.
_IGNORED_TOP = frozenset({"format", "format_version", "application_id"})
# Inside an attachment only the content and what the reviewer reads count; `file` is the path
# inside one package and `size`/`mime` follow from the bytes.
_ATTACHMENT_KEYS = ("name", "kind")

# Rows of a list that keep their identity when other rows are inserted before them.
_ROW_IDENTITY: dict[str, Callable[[dict[str, Any]], object]] = {
    "assessments": lambda r: r.get("year"),
    "continuing_education": lambda r: (r.get("start"), r.get("end")),
    "work_history": lambda r: r.get("start"),
    "titles": lambda r: (r.get("title"), r.get("series")),
    "achievements": lambda r: r.get("name"),
    "admin_posts": lambda r: r.get("post"),
}


@dataclass(frozen=True)
class FieldChange:
    """One changed item.

    `path` locates it in the new revision (in the old one for a removed item); `old_path` is
    where it was in the old revision, which differs when rows were inserted or removed before it.
    `old`/`new` are display text; None means the item did not exist on that side.
    """

    path: str
    label: str
    kind: ChangeKind
    old: str | None
    new: str | None
    old_path: str | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        """Both locations, for matching against a returned item of the old revision."""
        if self.old_path is None or self.old_path == self.path:
            return (self.path,)
        return (self.path, self.old_path)


def _is_attachment(value: Any) -> bool:
    return isinstance(value, dict) and "sha256" in value and "file" in value


def display(value: Value) -> str:
    """Short, readable text of a JSON value (a row becomes its non-empty fields)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if _is_attachment(value):
        digest = value.get("sha256") or ""
        return f"{value.get('name', '')}（{digest[:8]}）" if digest else str(value.get("name", ""))
    if isinstance(value, dict):
        parts = [
            display(v)
            for v in value.values()
            if v not in (None, "", [], {}) and not isinstance(v, list | dict)
        ]
        return "，".join(p for p in parts if p)
    if isinstance(value, list):
        return "；".join(display(v) for v in value)
    return str(value)


def _change(
    kind: ChangeKind, parts: list[str | int], old: Value, new: Value, old_parts: list[str | int]
) -> FieldChange:
    path = format_path(parts)
    old_path = format_path(old_parts)
    return FieldChange(
        path=path,
        label=label_for_path(path),
        kind=kind,
        old=None if kind == "added" else display(old),
        new=None if kind == "removed" else display(new),
        old_path=None if kind == "added" or old_path == path else old_path,
    )


def _canon(value: Value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _match_rows(
    section: str, old: list[Any], new: list[Any]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pair old rows with new rows: equal content first, then identity, then position.

    Returns (pairs, removed old indexes, added new indexes). Equal rows are paired first so that a
    row inserted in the middle does not make every later row look changed.
    """
    pairs: list[tuple[int, int]] = []
    free_old = list(range(len(old)))
    free_new = list(range(len(new)))

    def pair_by(key: Callable[[Any], object]) -> None:
        wanted: dict[object, list[int]] = {}
        for j in free_new:
            k = key(new[j])
            if k is not None:
                wanted.setdefault(_canon(k), []).append(j)
        for i in list(free_old):
            k = key(old[i])
            if k is None:
                continue
            candidates = wanted.get(_canon(k))
            if candidates:
                j = candidates.pop(0)
                pairs.append((i, j))
                free_old.remove(i)
                free_new.remove(j)

    pair_by(lambda row: row)
    if section == "attachments" or section.endswith("_attachments"):
        pair_by(lambda a: a.get("sha256") if isinstance(a, dict) else None)
    elif section in _ROW_IDENTITY:
        ident = _ROW_IDENTITY[section]
        pair_by(lambda r: ident(r) if isinstance(r, dict) else None)
    for i, j in zip(list(free_old), list(free_new), strict=False):
        pairs.append((i, j))
        free_old.remove(i)
        free_new.remove(j)
    pairs.sort(key=lambda p: p[1])
    return pairs, free_old, free_new


def _walk(
    old: Value,
    new: Value,
    parts: list[str | int],
    old_parts: list[str | int],
    out: list[FieldChange],
) -> None:
    if _canon(old) == _canon(new):
        return
    if _is_attachment(old) and _is_attachment(new):
        if old.get("sha256") != new.get("sha256"):
            out.append(_change("changed", parts, old, new, old_parts))
            return
        for key in _ATTACHMENT_KEYS:
            if old.get(key) != new.get(key):
                out.append(
                    _change("changed", [*parts, key], old.get(key), new.get(key), [*old_parts, key])
                )
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old.keys(), *(k for k in new if k not in old)]:
            if not parts and key in _IGNORED_TOP:
                continue
            o, n = old.get(key), new.get(key)
            if o is None and n is None:
                continue
            if o is None and isinstance(n, dict):
                out.append(_change("added", [*parts, key], None, n, [*old_parts, key]))
            elif n is None and isinstance(o, dict):
                out.append(_change("removed", [*old_parts, key], o, None, [*old_parts, key]))
            else:
                _walk(o, n, [*parts, key], [*old_parts, key], out)
        return
    if isinstance(old, list) and isinstance(new, list):
        section = str(parts[-1]) if parts else ""
        pairs, removed, added = _match_rows(section, old, new)
        found: list[tuple[int, FieldChange]] = []
        for i, j in pairs:
            sub: list[FieldChange] = []
            _walk(old[i], new[j], [*parts, j], [*old_parts, i], sub)
            found += [(j, c) for c in sub]
        for j in added:
            found.append((j, _change("added", [*parts, j], None, new[j], [*old_parts, j])))
        for i in removed:
            found.append((i, _change("removed", [*old_parts, i], old[i], None, [*old_parts, i])))
        found.sort(key=lambda t: t[0])
        out += [c for _, c in found]
        return
    if old != new:
        out.append(_change("changed", parts, old, new, old_parts))


def diff_applications(old: Application, new: Application) -> list[FieldChange]:
    """Every item that differs between two revisions, in platform order.

    Scalars are compared by value; list rows are paired by equal content, then by identity
    (year of an assessment, start of a work-history row, sha256 of an attachment), then by
    position; attachments are compared by content (sha256), so renaming a package file is no
    change and a replaced scan is one.
    """
    out: list[FieldChange] = []
    _walk(old.model_dump(mode="json"), new.model_dump(mode="json"), [], [], out)
    return out


@dataclass(frozen=True)
class AnsweredItem:
    """A returned item and the changes made under it."""

    item: CorrectionItem
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class ResubmissionReport:
    """How a resubmission relates to the return it answers (004 §3.6 仅能修改被退回条目)."""

    answered: tuple[AnsweredItem, ...]
    unanswered: tuple[CorrectionItem, ...]
    outside: tuple[FieldChange, ...]

    OUTSIDE_FLAG = "未退回条目被修改"

    @property
    def complete(self) -> bool:
        """Every returned item was touched and nothing else was."""
        return not self.unanswered and not self.outside

    def summary(self) -> str:
        """One line for the review screen's header."""
        parts = [f"已补正 {len(self.answered)} 项"]
        if self.unanswered:
            parts.append(f"未补正 {len(self.unanswered)} 项")
        if self.outside:
            parts.append(f"{self.OUTSIDE_FLAG} {len(self.outside)} 处")
        return "，".join(parts)


def _covers(item: CorrectionItem, change: FieldChange) -> bool:
    scope = item_scope(item.field_path)
    return any(is_under(p, scope) for p in change.paths)


def assess_resubmission(notice: CorrectionNotice, changes: list[FieldChange]) -> ResubmissionReport:
    """Sort changes by the returned items: answered, unanswered, and changes outside any item.

    An item is answered when at least one change lies under its path (in the old or the new
    revision); a change under no item is flagged 未退回条目被修改. Whether the correction is
    right stays the reviewer's call.
    """
    answered: list[AnsweredItem] = []
    unanswered: list[CorrectionItem] = []
    for item in notice.items:
        hits = tuple(c for c in changes if _covers(item, c))
        if hits:
            answered.append(AnsweredItem(item, hits))
        else:
            unanswered.append(item)
    outside = tuple(c for c in changes if not any(_covers(i, c) for i in notice.items))
    return ResubmissionReport(tuple(answered), tuple(unanswered), outside)
