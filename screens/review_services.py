"""What the review screens share across one session: clock, configuration, previewer, desk."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from screens.blob_source import make_blob_reader
from storage.review import ReviewDesk
from storage.store import Store
from storage.tables import utcnow
from zcreview.configfiles import load_config
from zcreview.domain.catalogue import Config
from zcreview.domain.corrections import ReviewPolicy, local_today, policy_from_config
from zcreview.preview.cache import Previewer
from zcreview.preview.cells import CellMode
from zcreview.preview.graphics import Protocol, choose_protocol
from zcreview.settings import Settings


@dataclass
class ReviewServices:
    """Built once per app; everything here is safe to use from worker threads.

    `clock` gives the current UTC time (tests freeze it); `isolate_previews=False` decodes
    attachments in the calling thread instead of worker processes (tests, benches).
    """

    store: Store
    settings: Settings
    clock: Callable[[], datetime] = utcnow
    isolate_previews: bool = True
    config_loader: Callable[[], Config] = load_config
    lease_renewal_seconds: float | None = None
    """How often an open review renews its claim; None: at half the configured lease."""
    _config: Config | None = field(default=None, init=False, repr=False)
    _previewer: Previewer | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def ascii_mode(self) -> bool:
        return self.settings.ascii_mode

    def config(self) -> Config:
        """The shipped configuration with the user's overrides (loaded once; may raise
        `zcreview.configfiles.ConfigError`)."""
        with self._lock:
            if self._config is None:
                self._config = self.config_loader()
            return self._config

    def policy(self) -> ReviewPolicy:
        return policy_from_config(self.config())

    def renewal_interval(self) -> float:
        """Seconds between renewals of an open claim: half the lease, so one missed tick
        (a slow disk, a busy database) still leaves time before it runs out."""
        if self.lease_renewal_seconds is not None:
            return self.lease_renewal_seconds
        return max(30.0, self.policy().claim_lease_minutes * 60 / 2)

    def desk(self, reviewer: str) -> ReviewDesk:
        """The reviewer's desk; each of its methods is one committed transaction."""
        return ReviewDesk(self.store.engine, reviewer, self.policy(), clock=self.clock)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today in Beijing (deadlines and checks use the office's calendar)."""
        return local_today(self.clock())

    @property
    def previewer(self) -> Previewer:
        with self._lock:
            if self._previewer is None:
                self._previewer = Previewer(make_blob_reader(self), isolate=self.isolate_previews)
            return self._previewer

    def cell_mode(self) -> CellMode:
        """Half-blocks in 8 greys (fewest bytes); ASCII shades without colour or in ASCII mode."""
        if self.settings.ascii_mode or self.settings.color_system == "none":
            return "ascii"
        return "grey8"

    def graphics_protocol(self, capabilities: set[str] | None = None) -> Protocol:
        """kitty/sixel only when the user's setting forces it or the terminal said so.

        The capability query is not sent from inside Textual (see the pane's notes), so "auto"
        without known capabilities means half-blocks.
        """
        return choose_protocol(self.settings.graphics, capabilities or set())

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


def services_of(app: Any) -> ReviewServices:
    """The app's review services, made on first use from its store and settings.

    Tests may set `app.review_services` before running the app to freeze the clock.
    """
    services = getattr(app, "review_services", None)
    if not isinstance(services, ReviewServices):
        services = ReviewServices(app.store, app.settings)
        app.review_services = services
    return services
