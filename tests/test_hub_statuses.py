"""Every refusal the hub can raise travels with a status from the web layer's one table."""

from __future__ import annotations

import re

from tests.conftest import REPO
from zcreview.hub.errors import HubError
from zcreview.hub.web.statuses import STATUS, status_of
from zcreview.protocol import CHECKSUM_MISMATCH

_RAISED = re.compile(r'HubError\(\s*"([a-z_]+)"')


def test_every_code_raised_has_a_status() -> None:
    raised = {
        code
        for path in (REPO / "zcreview" / "hub").rglob("*.py")
        for code in _RAISED.findall(path.read_text(encoding="utf-8"))
    }
    assert len(raised) > 30, raised  # the scan finds the refusals at all
    assert raised - {"http_error"} <= set(STATUS), raised - set(STATUS)


def test_statuses_of_known_codes() -> None:
    assert status_of("unauthorized") == 401
    assert status_of("checksum_mismatch") == CHECKSUM_MISMATCH
    assert status_of("no such code") == 500
    assert status_of(HubError("forbidden", "不行", "no").code) == 403
