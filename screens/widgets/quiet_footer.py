"""Textual's Footer, but idle while another screen covers its own, and repainting only a key
whose state changed.

The Footer rebuilds its key widgets whenever its screen's bindings change, and a screen's
bindings "change" when another screen is pushed over it. Under the review screen that rebuild
is invisible work on the way to the first frame of the application (about a fifth of
queue → review). The screen's bindings are announced again when it comes back on top, and the
Footer rebuilds then.

Textual's Footer composes empty and rebuilds once its screen announces its bindings; three
announcements at start were three rebuilds. Rebuilds asked for while one is on its way are now
that one. (Drawing the keys at compose time instead put eight widgets on the way to the
queue's first frame, +13 ms of a 0.21 s start.) A rebuild also repaints the whole footer line, about 1 KB
over SSH. On the queue, `a` (通过) turns dim and bright again as the cursor moves over rows
that can or cannot be passed from the list; that was a rebuild on about every other ↓. When
only keys' enabled states changed, the keys are restyled in place; when nothing changed,
nothing happens.
"""

from __future__ import annotations

from collections import defaultdict

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

Shown = tuple[tuple[str, str, str, bool], ...]
"""(action, key as shown, description, enabled) per key, in the order the Footer draws them."""


class QuietFooter(Footer):
    _shown: Shown | None = None
    _rebuild_asked = False

    def shown_keys(self, screen: Screen[object]) -> Shown:
        """What `Footer.compose` draws for `screen`: the first shown binding of each action,
        then the command palette's key."""
        by_action: defaultdict[str, list[tuple[str, str, str, bool]]] = defaultdict(list)
        active = screen.active_bindings
        for _node, binding, enabled, _tooltip in active.values():
            if binding.show:
                key = self.app.get_key_display(binding)
                by_action[binding.action].append(
                    (binding.action, key, binding.description, enabled)
                )
        keys = [entries[0] for entries in by_action.values()]
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = active.get(self.app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                _node, binding, enabled, _tooltip = palette
                keys.append((binding.action, self.app.get_key_display(binding), "palette", enabled))
        return tuple(keys)

    def compose(self) -> ComposeResult:
        self._rebuild_asked = False
        self._shown = self.shown_keys(self.screen) if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen and self.app.screen is not screen:
            self._bindings_ready = True
            return  # covered: rebuilt when the screen is on top again
        if self._restyled(screen):
            return
        rebuilds = self.app.app_focus and self.is_attached and screen is self.screen
        if rebuilds and self._rebuild_asked:
            return  # one rebuild is on its way; it reads the bindings as they are then
        self._rebuild_asked = bool(rebuilds)
        super().bindings_changed(screen)

    def _restyled(self, screen: Screen[object]) -> bool:
        """Bring the drawn keys up to date without a rebuild, when only their enabled states
        changed (or nothing did); False when the keys themselves changed."""
        shown = self._shown
        if shown is None or not self.is_attached or screen is not self.screen:
            return False
        new = self.shown_keys(screen)
        if new == shown:
            return True
        keys = list(self.query(FooterKey))
        same_keys = [k[:3] for k in new] == [k[:3] for k in shown]
        if not same_keys or len(keys) != len(new):
            return False
        for widget, (action, _key, _description, enabled) in zip(keys, new, strict=True):
            if widget.action != action:
                return False
            # The class dims the key; the flag is what a click on it checks (with [ui] mouse).
            widget.set_class(not enabled, "-disabled")
            widget._disabled = not enabled
        self._shown = new
        return True
