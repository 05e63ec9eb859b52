"""Decoder processes start even when `sys.stderr` is not a real file (as inside Textual)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Run in a fresh interpreter: the resource tracker starts once per process, so in the test
# process another test may already have started it with a good stderr.
SCRIPT = textwrap.dedent(
    """
    import io, sys
    from PIL import Image
    from zcreview.preview.worker import ProcessRunner

    class Capture:  # {kind}
        def write(self, text): return len(text)
        def flush(self): pass
        {fileno}

    buf = io.BytesIO()
    Image.new("RGB", (40, 60), "white").save(buf, "PNG")
    data = buf.getvalue()
    sys.stderr = Capture()
    runner = ProcessRunner(workers=1, timeout=30.0)
    try:
        info = runner.open("sha", "a.png", lambda: data)
        render, _ = runner.page("sha", "a.png", lambda: data, 0, 200, False)
    except BaseException:
        import traceback
        traceback.print_exc(file=sys.__stderr__)
        raise SystemExit(1)
    finally:
        runner.close()
    print(info.page_count, f"{{render.image.size[0]}}x{{render.image.size[1]}}")
    """
)


@pytest.mark.parametrize(
    ("kind", "fileno"),
    [
        ("like Textual's capture", "def fileno(self): return -1"),
        ("no fileno at all", "pass"),
    ],
)
def test_process_runner_starts_with_a_replaced_stderr(kind: str, fileno: str) -> None:
    script = SCRIPT.format(kind=kind, fileno=fileno)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    pages, size = done.stdout.split()
    assert pages == "1" and size == "40x60"


def test_a_worker_whose_parent_is_gone_leaves_without_a_traceback(tmp_path: Path) -> None:
    """`zcreview ocr` killed mid-page: its worker finishes the page, finds nobody to answer and
    exits quietly instead of printing BrokenPipeError on the reviewer's terminal."""
    script = (
        "from multiprocessing import Pipe\n"
        "from zcreview.preview.decoder_process import worker_main\n"
        "parent, child = Pipe()\n"
        "parent.send(('ping', '', '', None))\n"
        "parent.close()\n"
        "worker_main(child, 2 * 1024**3)\n"
        "print('left')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "left"
    assert done.stderr == "", done.stderr
