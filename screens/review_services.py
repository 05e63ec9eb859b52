"""What the review screens share across one session: clock, configuration, previewer, desk."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from zcreview.settings import Settings
from zcreview.storage.clock import utcnow
from zcreview.storage.store import Store

# The app builds these services before its first paint; what they use (review storage, the
# previewer, OCR, the catalogue) loads on first use instead.
if TYPE_CHECKING:
    from zcreview.desk.desk import ReviewDesk
    from zcreview.desk.walk import ReviewWalk
    from zcreview.domain.catalogue import Config
    from zcreview.domain.corrections import ReviewPolicy
    from zcreview.ocr_queue import OcrQueue
    from zcreview.preview.cache import Previewer
    from zcreview.preview.cells import CellMode
    from zcreview.preview.graphics import Protocol
    from zcreview.preview.probe import TerminalGraphics


@dataclass
class ReviewServices:
    """Built once per app; everything here is safe to use from worker threads.

    `clock` gives the current UTC time (tests freeze it); the desk judges leases on the
    database's clock unless a test sets one here. `isolate_previews=False` decodes
    attachments in the calling thread instead of worker processes (tests, benches).
    """

    store: Store
    settings: Settings
    clock: Callable[[], datetime] | None = None
    isolate_previews: bool = True
    config_loader: Callable[[], Config] | None = None
    """Where the configuration comes from; None: the shipped files with the user's overrides."""
    lease_renewal_seconds: float | None = None
    """How often an open review renews its claim; None: at half the configured lease."""
    terminal: TerminalGraphics | None = None
    """What the terminal draws (`zcreview.preview.probe`): the answer cached for its type until
    the terminal's own answer comes (`zcreview.screens.terminal_driver`); None: not asked."""
    recognise: bool | None = None
    """Read attachments' text (OCR) in the background; None: when previews are isolated
    (the workstation), not in tests that decode in-process unless they ask."""
    ocr_reader: Callable[[str], bytes] | None = None
    """Where OCR reads attachment bytes; None: the blob store, then the hub."""
    _config: Config | None = field(default=None, init=False, repr=False)
    _previewer: Previewer | None = field(default=None, init=False, repr=False)
    _ocr: OcrQueue | None = field(default=None, init=False, repr=False)
    background_ocr_started: bool = field(default=False, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def ascii_mode(self) -> bool:
        return self.settings.ascii_mode

    def config(self) -> Config:
        """The shipped configuration with the user's overrides (loaded once; may raise
        `zcreview.configfiles.ConfigError`)."""
        with self._lock:
            if self._config is None:
                if self.config_loader is None:
                    from zcreview.configfiles import load_config

                    self._config = load_config()
                else:
                    self._config = self.config_loader()
            return self._config

    def policy(self) -> ReviewPolicy:
        from zcreview.domain.corrections import policy_from_config

        return policy_from_config(self.config())

    def renewal_interval(self) -> float:
        """Seconds between renewals of an open claim: half the lease, so one missed tick
        (a slow disk, a busy database) still leaves time before it runs out."""
        if self.lease_renewal_seconds is not None:
            return self.lease_renewal_seconds
        return max(30.0, self.policy().claim_lease_minutes * 60 / 2)

    def desk(self, reviewer: str) -> ReviewDesk:
        """The reviewer's desk; each of its methods is one committed transaction."""
        from zcreview.desk.desk import ReviewDesk

        return ReviewDesk(self.store.engine, reviewer, self.policy(), clock=self.clock)

    def walk(self) -> ReviewWalk:
        """Reads for walking a queue selection: what is at a position, read for review."""
        from zcreview.desk.walk import ReviewWalk

        return ReviewWalk(self.store, self.config, self.today)

    def now(self) -> datetime:
        return self.clock() if self.clock is not None else utcnow()

    def today(self) -> date:
        """Today in Beijing (deadlines and checks use the office's calendar)."""
        from zcreview.domain.corrections import local_today

        return local_today(self.now())

    @property
    def previewer(self) -> Previewer:
        from zcreview.preview.cache import Previewer
        from zcreview.screens.blob_source import make_blob_reader

        with self._lock:
            if self._previewer is None:
                self._previewer = Previewer(make_blob_reader(self), isolate=self.isolate_previews)
            return self._previewer

    @property
    def ocr(self) -> OcrQueue | None:
        """The session's OCR queue (one worker process, one core), or None when off."""
        enabled = self.isolate_previews if self.recognise is None else self.recognise
        if not enabled:
            return None
        from zcreview.ocr_queue import OcrQueue
        from zcreview.screens.blob_source import make_blob_reader

        config = self.config()  # before the lock: config() takes it too
        with self._lock:
            if self._ocr is None:
                reader = self.ocr_reader or make_blob_reader(self)
                self._ocr = OcrQueue(self.store, reader, workers=1, config=config)
            return self._ocr

    def cell_mode(self) -> CellMode:
        """Half-blocks in 8 greys (fewest bytes); ASCII shades without colour or in ASCII mode."""
        if self.settings.ascii_mode or self.settings.color_system == "none":
            return "ascii"
        return "grey8"

    def graphics_protocol(self, capabilities: set[str] | None = None) -> Protocol:
        """kitty/sixel when the user's setting forces it or the terminal said so (`terminal`)
        (``capabilities``, if given, stand in for the terminal's answer); else half-blocks."""
        from zcreview.preview.graphics import choose_protocol

        setting = self.settings.graphics
        if capabilities is None and self.terminal is not None:
            return self.terminal.protocol if setting == "auto" else choose_protocol(setting, set())
        return choose_protocol(setting, capabilities or set())

    def cell_pixels(self) -> tuple[int, int]:
        """A terminal cell's (width, height) in pixels, as the terminal reported it."""
        from zcreview.preview.probe import DEFAULT_CELL

        return self.terminal.cell if self.terminal is not None else DEFAULT_CELL

    def exports_dir(self) -> Path:
        """`exports/` under the office home (created on first use)."""
        path = self.store.home / "exports"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        with self._lock:
            if self._previewer is not None:
                self._previewer.close()
                self._previewer = None
            if self._ocr is not None:
                self._ocr.close()
                self._ocr = None
