"""Textual's Footer, but idle while another screen covers its own.

The Footer rebuilds its key widgets whenever its screen's bindings change, and a screen's
bindings "change" when another screen is pushed over it. Under the review screen that rebuild
is invisible work on the way to the first frame of the application (about a fifth of
queue → review). The screen's bindings are announced again when it comes back on top, and the
Footer rebuilds then.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class QuietFooter(Footer):
    def bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen and self.app.screen is not screen:
            self._bindings_ready = True
            return  # covered: rebuilt when the screen is on top again
        super().bindings_changed(screen)
