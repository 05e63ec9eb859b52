"""The user's `[keys]` table: binding ids remapped through Textual's keymap.

Every binding a reviewer may want elsewhere carries an id (`queue.pass`, `review.next` …); the
table maps ids to keys. An id that no binding has is an error naming the file and the id, like
any other bad setting, rather than a remap that silently does nothing.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from textual.binding import Binding

from zcreview.errors import UserError


def known_binding_ids() -> dict[str, str]:
    """{binding id: description} over every screen and widget of the workstation.

    Imports every module of `zcreview.screens` (only done when a `[keys]` table is given).
    """
    import zcreview.screens as package

    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not cls.__module__.startswith("zcreview.screens"):
                continue
            for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", [])):
                if binding.id:
                    found.setdefault(binding.id, binding.description)
    return found


def check_keymap(keys: dict[str, str], path: Path) -> None:
    """Raise UserError naming `path` and every id in `keys` that no binding has, or a key
    left empty."""
    if not keys:
        return
    known = known_binding_ids()
    problems = [
        f"{path}: [keys] 中不认识的按键编号 {key}（按 ? 查看帮助中列出的编号）"
        for key in keys
        if key not in known
    ]
    problems += [
        f"{path}: [keys] 中 {key} 的按键为空" for key, value in keys.items() if not value.strip()
    ]
    if problems:
        raise UserError("\n".join(problems))
