"""`?` help: Markdown built from the same BINDINGS the footer and the command palette use."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Footer, Static

from zcreview.screens.help_text import render_help
from zcreview.screens.widgets.ascii import use_ascii_scrollbars

if TYPE_CHECKING:
    from textual.app import App


def _own_bindings(node: DOMNode) -> list[BindingType]:
    """Bindings a class of ours declares (Textual's base widgets document their own)."""
    out: list[BindingType] = []
    for cls in reversed(type(node).__mro__):
        if cls.__module__.startswith("zcreview.screens.") and "BINDINGS" in cls.__dict__:
            out.extend(cls.__dict__["BINDINGS"])
    return out


def remapped(app: App[object], bindings: Iterable[BindingType]) -> list[Binding]:
    """`bindings` with the user's `[keys]` applied, as the footer and the palette show them."""
    keymap: dict[str, str] = getattr(app, "_keymap", {}) or {}
    out: list[Binding] = []
    for binding in Binding.make_bindings(bindings):
        keys = keymap.get(binding.id or "")
        if keys:
            out += [binding.with_key(k.strip(), key_display=None) for k in keys.split(",")]
        else:
            out.append(binding)
    return out


def _ids(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    return [
        (b.id, b.description) for b in Binding.make_bindings(bindings) if b.id and b.description
    ]


def binding_rows(app: App[object], bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """(keys, description) per action, keys joined with ' / ', in declaration order.

    Number keys of one parametrised action (`toggle_state(0)` … `toggle_state(8)`) share one
    row, `1–9`; other forms of one action (`cursor(1)`, `cursor(-1)`) keep a row each.
    """
    rows: dict[str, dict[str, list[str]]] = {}
    for binding in remapped(app, bindings):
        if not binding.description:
            continue
        base = binding.action.split("(", 1)[0]
        keys = rows.setdefault(base, {}).setdefault(binding.description, [])
        shown = app.get_key_display(binding)
        if shown not in keys:
            keys.append(shown)
    out: list[tuple[str, str]] = []
    for forms in rows.values():
        descriptions = list(forms)
        digits = [k for keys in forms.values() for k in keys]
        if len(forms) > 1 and all(len(k) == 1 and k.isdigit() for k in digits):
            head, _, _ = descriptions[0].partition("：")
            tails = [d.partition("：")[2] or d for d in descriptions]
            out.append((f"{digits[0]}–{digits[-1]}", f"{head}：{'、'.join(tails)}"))
            continue
        out += [(" / ".join(keys), description) for description, keys in forms.items()]
    return out


def _key_list(rows: list[tuple[str, str]]) -> str:
    # A list, not a table: at 80 columns a table's key column shrank to two cells ("e…" for
    # Esc); one key and what it does per line reads at any width.
    return "\n".join(f"- `{k}`：{d}" for k, d in rows)


def help_markdown(app: App[Any], screen: Screen[Any]) -> str:
    """Help for `screen`: its HELP text, then its keys, its widgets' keys and the global keys."""
    parts: list[str] = []
    if screen.HELP:
        parts.append(screen.HELP.strip())
    ids = _ids(_own_bindings(screen))
    own = binding_rows(app, _own_bindings(screen))
    if own:
        parts += ["### 本页按键", _key_list(own)]
    seen: set[type] = set()
    for widget in screen.walk_children():
        cls = type(widget)
        if cls in seen:
            continue
        seen.add(cls)
        rows = binding_rows(app, _own_bindings(widget))
        ids += _ids(_own_bindings(widget))
        if rows:
            title = (widget.HELP or "").strip() or f"### {cls.__name__}"
            parts += [title, _key_list(rows)]
    parts += ["### 全局按键", _key_list(binding_rows(app, _own_bindings(app)))]
    ids += _ids(_own_bindings(app))
    parts += [
        "### 按键编号",
        '在 `settings.toml` 的 `[keys]` 表中按编号改键，例如 `"queue.pass" = "p"`。',
        _key_list(list(dict(ids).items())),
    ]
    return "\n\n".join(parts) + "\n"


class HelpScreen(Screen[None]):
    """Full-screen help; `q`, Esc or `?` closes it."""

    AUTO_FOCUS = "#help-body"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape,question_mark", "close", "关闭帮助", id="help.close"),
        Binding("j", "scroll(1)", "下滚", show=False),
        Binding("k", "scroll(-1)", "上滚", show=False),
    ]

    def __init__(self, markdown: str, *, ascii_mode: bool = False) -> None:
        super().__init__()
        self._markdown = markdown
        self._ascii = ascii_mode

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(render_help(self._markdown, ascii_mode=self._ascii), id="help-text")
        yield Footer()

    def on_mount(self) -> None:
        if self._ascii:
            use_ascii_scrollbars(self)

    def action_scroll(self, lines: int) -> None:
        self.query_one("#help-body", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
