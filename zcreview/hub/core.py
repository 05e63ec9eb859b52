"""The hub: its resources over one database and blob directory.

Each resource lives in its own module (offices, uploads, commit, feeds, returns, paths) as a
part of `Hub` sharing `HubBase`; the web layer (`zcreview.hub.web`) is a thin skin over it, and
folder-bundle import runs the same methods.
"""

from __future__ import annotations

from zcreview.hub.commit import Commits
from zcreview.hub.feeds import BlobFile, Feeds
from zcreview.hub.offices import Offices
from zcreview.hub.paths import Paths
from zcreview.hub.returns import Returns
from zcreview.hub.uploads import Uploads


class Hub(Offices, Uploads, Commits, Feeds, Returns, Paths):
    """Offices, offers and uploads, commits, feeds, returns and paths of one hub."""


__all__ = ["BlobFile", "Hub"]
