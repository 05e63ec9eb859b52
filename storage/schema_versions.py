"""Which schema versions a current office database holds (read before SQLAlchemy loads)."""

from __future__ import annotations

KNOWN_VERSIONS: frozenset[int] = frozenset({1, 2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19})
"""Every version any area registers (a test checks it against the registered list).

A database holding exactly these is opened with one query and without importing the review and
sync table modules (about 0.2 s of start-up); add each new migration here. Areas number their
migrations apart, so a branch may add a lower number than one already applied: `migrate`
applies every registered migration a database has not recorded, not only the higher ones."""

LATEST_VERSION = max(KNOWN_VERSIONS)
