"""Applications for the pre-check tests: `tests.factories` plus what intake fills in."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from tests.factories import make_application
from zcreview.domain.model import Application, iter_attachments

MIME_BY_EXT = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}
SIZE = 200_000


def with_intake(app: Application, size: int = SIZE) -> Application:
    """Fill `mime` and `size` of every attachment as intake would (from the extension here)."""
    for _path, ref in iter_attachments(app):
        if ref.mime is None:
            ref.mime = MIME_BY_EXT.get(PurePosixPath(ref.file).suffix.lower(), "application/pdf")
        if ref.size is None:
            ref.size = size
    return app


def clean_application(seed: int = 0, **overrides: Any) -> Application:
    """The factory's engineering 中级 application with every pre-check passing.

    The factory's 聘任年限 (5) is counted to the submission date; the seeds count it to
    31 December of the application year (000 §5(1)): 2020-01 to 2025-12-31 is 6 years.
    """
    return with_intake(make_application(seed, **{"titles__0__appointed_years": 6, **overrides}))


def att(name: str, file: str | None = None, kind: str | None = None) -> dict[str, Any]:
    """An attachment reference in the JSON form the factory overrides take."""
    ref: dict[str, Any] = {"name": name, "file": file or f"附件/{name}.pdf"}
    if kind is not None:
        ref["kind"] = kind
    return ref
