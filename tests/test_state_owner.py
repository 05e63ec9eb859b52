"""`storage.transitions` is the only writer of an application's state and version.

The source is scanned, so a new direct write fails here before it can move state behind the
audit log: attribute assignments to `.state`/`.version`, `state=`/`version=` given to anything
naming ApplicationRow (constructor, `update(ApplicationRow).values`, `insert`), setattr and
dict entries in modules that use ApplicationRow, and raw SQL updating the table.
"""

from __future__ import annotations

import ast
import re

from tests.conftest import REPO

OWNER = "storage/transitions.py"
SCANNED = ("zcreview", "storage", "screens")
FIELDS = {"state", "version"}

# Attributes named state/version on objects that are not applications: outbox and hub batches,
# paths, returns sent, a batch driver, widgets and screen models mirroring a row they read.
OTHER_OBJECTS: set[tuple[str, str, str]] = {
    ("zcreview/desk/walk.py", "read", "opened.state"),
    ("zcreview/desk/walk.py", "read", "opened.version"),
    ("zcreview/hub/web/app.py", "create_app", "app.state"),
    ("zcreview/hub/web/app.py", "_office_now", "request.state"),
    ("zcreview/hub/commit.py", "commit", "batch.state"),
    ("zcreview/hub/paths.py", "decide_path", "row.state"),
    ("zcreview/sync/inbox.py", "push_returns", "fresh.state"),
    ("zcreview/sync/delivery.py", "__init__", "self.state"),
    ("zcreview/sync/delivery.py", "apply_receipt", "batch.state"),
    ("zcreview/sync/delivery.py", "drive", "driver.state"),
    ("zcreview/sync/delivery.py", "save", "row.state"),
    ("zcreview/sync/delivery.py", "save", "self.state"),
    ("zcreview/sync/paths.py", "mirror", "row.state"),
    ("screens/composer.py", "__init__", "self.version"),
    ("screens/queue_pass.py", "__init__", "self.version"),
}
"""(file, enclosing function, target): a new write, even of the same name elsewhere, fails."""

RAW_SQL = re.compile(r"\bupdate\s+application\b|\binsert\s+into\s+application\b", re.I)


def _sources() -> list[tuple[str, ast.Module, str]]:
    found = []
    for root in SCANNED:
        for path in sorted((REPO / root).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            if rel == OWNER:
                continue
            text = path.read_text(encoding="utf-8")
            found.append((rel, ast.parse(text, rel), text))
    return found


def _attribute_writes(tree: ast.Module) -> list[tuple[int, str, str]]:
    """(line, enclosing function, target) of each assignment to a state/version attribute."""
    parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        scope: ast.AST = node
        while scope in parents and not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            scope = parents[scope]
        name = getattr(scope, "name", "<module>")
        for target in targets:
            for sub in _written(target):
                if isinstance(sub, ast.Attribute) and sub.attr in FIELDS:
                    found.append((node.lineno, name, ast.unparse(sub)))
    return found


def _written(target: ast.expr) -> list[ast.expr]:
    """The objects an assignment target changes: `a.state = …` and `a.state[k] = …` change
    `a.state`; `out[a.state] += 1` changes `out` only (the key is read, not written)."""
    if isinstance(target, ast.Tuple | ast.List):
        return [w for elt in target.elts for w in _written(elt)]
    if isinstance(target, ast.Starred):
        return _written(target.value)
    if isinstance(target, ast.Subscript):
        return [target, *_written(target.value)]
    if isinstance(target, ast.Attribute):
        return [target, *_written(target.value)]
    return [target]


def _writes(rel: str, tree: ast.Module, text: str) -> list[str]:
    uses_table = "ApplicationRow" in text
    # Docstrings may describe the SQL the owner runs.
    docs = {
        id(n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
    }
    problems: list[str] = []
    for line, scope, target in _attribute_writes(tree):
        if (rel, scope, target) not in OTHER_OBJECTS:
            problems.append(f"{rel}:{line} assigns {target} in {scope}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            named = {k.arg for k in node.keywords} & FIELDS
            if named and "ApplicationRow" in ast.unparse(node.func):
                problems.append(f"{rel}:{node.lineno} passes {sorted(named)} to ApplicationRow")
            if uses_table and isinstance(node.func, ast.Name) and node.func.id == "setattr":
                problems.append(f"{rel}:{node.lineno} setattr in a module using ApplicationRow")
        if isinstance(node, ast.Dict) and uses_table:
            for key, value in zip(node.keys, node.values, strict=True):
                is_field = isinstance(key, ast.Constant) and key.value in FIELDS
                # A column reference (a sort key) names the field without writing it.
                if is_field and not ast.unparse(value).startswith("ApplicationRow."):
                    problems.append(f"{rel}:{node.lineno} builds a row dict with {key.value!r}")
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and id(node) not in docs and RAW_SQL.search(node.value):
            problems.append(f"{rel}:{node.lineno} raw SQL writes the application table")
    return problems


def test_only_the_transitions_module_writes_state_and_version() -> None:
    problems = [p for rel, tree, text in _sources() for p in _writes(rel, tree, text)]
    assert problems == [], "state/version written outside storage/transitions.py:\n" + "\n".join(
        problems
    )


def test_the_scan_finds_a_direct_write() -> None:
    """The scan itself: each kind of direct write is reported."""
    sample = """
from zcreview.storage.tables import ApplicationRow
row.state = "已上报"
row.version += 1
ApplicationRow(id="x", state="待审核")
update(ApplicationRow).values(version=2)
setattr(row, key, value)
values = {"state": "待审核"}
sql = "UPDATE application SET state = 'x'"
"""
    found = _writes("zcreview/sample.py", ast.parse(sample), sample)
    assert len(found) == 7, found


def test_allowed_objects_still_exist() -> None:
    """Every allowance names an assignment that is still there (no stale exemptions)."""
    seen = {
        (rel, scope, target)
        for rel, tree, _text in _sources()
        for _line, scope, target in _attribute_writes(tree)
    }
    assert seen >= OTHER_OBJECTS, OTHER_OBJECTS - seen
