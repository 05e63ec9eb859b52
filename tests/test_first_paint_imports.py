"""What the workstation loads before its first paint: the queue's modules, nothing heavier.

The review screen, previews, OCR, sync, the hub, exports and pinyin load on first use; a
module-level import of any of them on the way to the queue would cost every start-up.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

FIRST_PAINT = (
    "zcreview.cli",
    "zcreview.context",
    "zcreview.screens.app",
    "zcreview.screens.launch",
    "zcreview.screens.review_services",
    "zcreview.preview.probe",
)
LATER = (
    "zcreview.screens.review",
    "zcreview.screens.state_filter",
    "textual.widgets._selection_list",
    "zcreview.desk.desk",
    "zcreview.desk.walk",
    "zcreview.desk.drafts",
    "zcreview.storage.decisions",
    "zcreview.storage.claims",
    "zcreview.storage.review_reads",
    "zcreview.preview.cache",
    "zcreview.ocr_queue",
    "zcreview.sync",
    "zcreview.hub",
    "zcreview.protocol",
    "zcreview.exports",
    "zcreview.configfiles",
    "pypinyin",
    "openpyxl",
    "reportlab",
    "rapidocr",
    "onnxruntime",
    "cv2",
    "PIL",
    "httpx",
    "starlette",
    # The ORM and the settings validator: the first page is read with the standard sqlite3
    # module, and the settings checked last time are reused while the file is unchanged.
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
)


def test_the_first_paint_loads_none_of_the_later_modules() -> None:
    code = (
        "import json, sys\n"
        f"for name in {FIRST_PAINT!r}:\n"
        "    __import__(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "textual.app" in loaded and "zcreview.screens.queue" in loaded  # the probe works
    early = sorted(m for m in loaded if m in LATER or m.startswith(tuple(f"{n}." for n in LATER)))
    assert early == []
