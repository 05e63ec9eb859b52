"""A one-line key hint bar: the screen's shown bindings as text, redrawn when they change.

The built-in Footer mounts a widget per key and recomposes on every bindings change; on a screen
whose enabled keys change with each application (pass, return, reopen) that is most of the time
it takes to open one. This bar is a single Static: one update, a few hundred bytes.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static


class KeyBar(Static):
    """Shows `key description` for each shown, enabled binding of the screen (one per action)."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        padding: 0 1;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    KeyBar > .key-bar--key { color: $footer-key-foreground; text-style: bold; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-bar--key"}

    _shown: Text | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        # After the first refresh: the screen's other widgets (which check_action may query)
        # are mounted by then.
        self.call_after_refresh(self._bindings_changed, self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        key_style = self.get_component_rich_style("key-bar--key", partial=True)
        text = Text(no_wrap=True, overflow="crop")
        seen: set[str] = set()
        palette = None
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.action in ("command_palette", "app.command_palette"):
                palette = binding
                continue
            if not binding.show or not active.enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            text.append(self.app.get_key_display(binding), key_style)
            text.append(f" {binding.description}  ")
        if palette is not None:
            text.append(self.app.get_key_display(palette), key_style)
            text.append(f" {palette.description}")
        if text == self._shown:
            return  # the same keys again (most bindings changes on a screen that is reused)
        self._shown = text
        # One docked line, cropped: new text never changes its size, so no relayout of the
        # screen (which on the review screen cost more than everything else in the update).
        self.update(text, layout=False)
