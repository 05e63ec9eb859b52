"""Where a demo application's files come from: pool picks and readable package names.

The pool holds a bounded number of distinct files per kind (larger demos draw more), and each
application names what it draws under `附件/NN-…`, unique within its package.
"""

from __future__ import annotations

import random

from zcreview.demo.attachments import JPEG, PNG, FileSpec, Source
from zcreview.domain.model import AttachmentRef


def pool_sizes(count: int) -> dict[str, int]:
    """Distinct files per kind; larger demos draw more, but reuse keeps generation fast."""
    grow = count // 10
    return {
        "scan": min(160, 12 + grow),
        "certificate": min(60, 6 + grow // 3),
        "photo": min(60, 6 + grow // 3),
        "photo_png": min(12, 2 + grow // 20),
        "form": min(60, 6 + grow // 3),
        "screenshot": min(30, 4 + grow // 8),
    }


class FilePicker:
    """Picks pool files of a kind for one demo of a given size."""

    def __init__(self, count: int) -> None:
        self.sizes = pool_sizes(count)

    def pick(self, rng: random.Random, kind: str, pages: int = 1) -> FileSpec:
        if kind == "photo":
            if rng.random() < 0.15:
                return FileSpec("photo", rng.randrange(self.sizes["photo_png"]), fmt=PNG)
            return FileSpec("photo", rng.randrange(self.sizes["photo"]), fmt=JPEG)
        if kind == "screenshot":
            return FileSpec("screenshot", rng.randrange(self.sizes["screenshot"]), fmt=PNG)
        index = rng.randrange(self.sizes[kind])
        if kind == "scan":
            # The page count goes with the file, so the pool holds `size` scans, not size × pages;
            # `pages` is the least the item needs (an article has a cover, contents and text).
            return FileSpec(kind, index, pages=max(pages, 2 + index % 3))
        return FileSpec(kind, index, pages=1 + index % 2 if kind == "certificate" else 1)


class Namer:
    """Adds files to a package under names that stay unique and readable."""

    def __init__(self, files: dict[str, Source]) -> None:
        self.files = files

    def add(self, name: str, source: Source, kind: str | None = None) -> AttachmentRef:
        ext = source.ext
        stem = name.replace("/", "／").replace("\\", "＼")[:60]
        path = f"附件/{len(self.files) + 1:02d}-{stem}.{ext}"
        self.files[path] = source
        return AttachmentRef(name=name, file=path, kind=kind)
