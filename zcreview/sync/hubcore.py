"""Where the folder transport finds the hub's rules; the hub itself is `zcreview.hub`."""

from zcreview.hub.base import SEQ
from zcreview.hub.core import Hub
from zcreview.hub.errors import HubError
from zcreview.hub.offices import fuzzy_score, token_hash

__all__ = ["SEQ", "Hub", "HubError", "fuzzy_score", "token_hash"]
