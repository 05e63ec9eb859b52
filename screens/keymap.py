"""The user's `[keys]` table: binding ids remapped through Textual's keymap.

Every binding a reviewer may want elsewhere carries an id (`queue.pass`, `review.next` …); the
table maps ids to keys. An id that no binding has is an error naming the file and the id, like
any other bad setting, rather than a remap that silently does nothing; so is a remap onto a key
another binding of the same screen (or of the whole workstation) already answers, which would
make one of the two unreachable.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from textual.binding import Binding

from zcreview.errors import UserError


def binding_tables() -> dict[str, list[Binding]]:
    """{class name: its own bindings} for every screen and widget of the workstation.

    Imports every module of `zcreview.screens` (only done when a `[keys]` table is given).
    """
    import zcreview.screens as package

    found: dict[str, list[Binding]] = {}
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not cls.__module__.startswith("zcreview.screens"):
                continue
            bindings = list(Binding.make_bindings(cls.__dict__.get("BINDINGS", [])))
            if bindings:
                found[f"{cls.__module__}.{cls.__qualname__}"] = bindings
    return found


def known_binding_ids(tables: dict[str, list[Binding]]) -> dict[str, str]:
    """{binding id: description} over `tables` (`binding_tables`)."""
    found: dict[str, str] = {}
    for bindings in tables.values():
        for binding in bindings:
            if binding.id:
                found.setdefault(binding.id, binding.description)
    return found


def _keys_of(binding: Binding, keys: dict[str, str]) -> set[str]:
    """The keys `binding` answers once `keys` is applied (Textual splits both on commas)."""
    text = keys[binding.id] if binding.id and binding.id in keys else binding.key
    return {k.strip() for k in text.split(",") if k.strip()}


def keymap_conflicts(keys: dict[str, str], tables: dict[str, list[Binding]]) -> list[str]:
    """Each remapped binding whose new key another binding of the same table (or of the
    app's own table, which every screen shares) also answers: as (id, key, other) sentences."""
    from zcreview.screens.app import ZcReviewApp

    app_table = tables.get(f"{ZcReviewApp.__module__}.{ZcReviewApp.__qualname__}", [])
    found: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for own in tables.values():
        shared = own if own is app_table else own + app_table
        for binding in shared:
            if not binding.id or binding.id not in keys:
                continue
            for key in sorted(_keys_of(binding, keys)):
                for other in shared:
                    if other is binding or other.action == binding.action:
                        continue
                    if other.id == binding.id:  # one id on two bindings moves with it
                        continue
                    if key not in _keys_of(other, keys):
                        continue
                    label = other.id or other.action
                    pair = (binding.id, key, label)
                    if pair not in seen:
                        seen.add(pair)
                        found.append(
                            f"[keys] 把 {binding.id}（{binding.description}）设为 {key}，"
                            f"但这个键已用于 {label}（{other.description or other.action}）"
                        )
    return found


def check_keymap(keys: dict[str, str], path: Path) -> None:
    """Raise UserError naming `path` and every id in `keys` that no binding has, a key left
    empty, or a new key another binding of the same screen already answers."""
    if not keys:
        return
    tables = binding_tables()
    known = known_binding_ids(tables)
    problems = [
        f"{path}: [keys] 中不认识的按键编号 {key}（按 ? 查看帮助中列出的编号）"
        for key in keys
        if key not in known
    ]
    problems += [
        f"{path}: [keys] 中 {key} 的按键为空" for key, value in keys.items() if not value.strip()
    ]
    if not problems:
        problems = [f"{path}: {text}" for text in keymap_conflicts(keys, tables)]
    if problems:
        raise UserError("\n".join(problems))
