"""The workstation asks the terminal about pixel graphics without waiting for it, in a real pty.

`zcreview` runs as a program in a pseudo-terminal that plays the terminal: it answers the
graphics question (or stays silent), and the tests read what the workstation draws.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bench.pty_run import PtyProgram
from tests.conftest import REPO
from tests.office_helpers import filled_office
from zcreview.preview.probe import CACHE_FILE

ENV = {"TERM": "xterm-256color", "TERM_PROGRAM": "", "PYTHONPATH": str(REPO)}
QUEUE = "第 1 / 3 条".encode()
"""The queue's status line: written once the count and the first page are on screen."""
QUESTION = b"\x1b[c"
"""DA1, the last part of the graphics question."""
CONFIRM_QUIT = "退出 zcreview".encode()
SIXEL_TERMINAL = [b"\x1bP>|XTerm(390)\x1b\\\x1b[6;16;8t\x1b[?6", b"2;4;22c"]
"""An xterm that draws sixels answers XTVERSION, the cell size and DA1 (attribute 4 = sixel),
here in two writes: the input thread sees the DA1 reply split across reads."""
_CONTROL = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|[PX^_].*?\x1b\\|[()][0-9A-Za-z]|.)", re.S)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "office"
    filled_office(home, 3).dispose()
    return home


@contextlib.contextmanager
def workstation(home: Path, answer: list[bytes] | None = None) -> Iterator[PtyProgram]:
    """`zcreview --home H` in a 120×40 pty that answers the question with `answer` (None:
    the pty stays silent)."""
    prog = PtyProgram(
        [sys.executable, "-m", "zcreview", "--home", str(home)], env=ENV, answer=answer
    )
    try:
        yield prog
    finally:
        prog.close()


def text_of(output: bytes) -> str:
    """What the program wrote, without control sequences."""
    return _CONTROL.sub(b"", output).decode("utf-8", "replace")


def cached(home: Path, prog: PtyProgram, timeout: float = 30.0) -> dict[str, object]:
    """The entry for this terminal type in the office's graphics cache, once written."""
    path = home / CACHE_FILE
    deadline = time.monotonic() + timeout
    while not path.is_file():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} not written")
        prog.read_quiet(quiet=0.1, timeout=0.5)
    entry = json.loads(path.read_text(encoding="utf-8"))["xterm-256color"]
    assert isinstance(entry, dict)
    return entry


def test_the_answer_is_taken_out_of_the_input_and_kept(home: Path) -> None:
    with workstation(home, SIXEL_TERMINAL) as prog:
        _, shown = prog.read_until(QUEUE)
        assert QUESTION in shown  # asked once Textual had the terminal
        entry = cached(home, prog)
        assert entry["capabilities"] == ["sixel"]
        assert entry["cell"] == [8, 16] and entry["name"] == "XTerm(390)"
        later = prog.read_quiet(quiet=0.5)
        # Had the reply reached Textual, its `?` would have opened the help and its digits
        # toggled the queue's state filters; `q` would then not ask to quit.
        prog.send(b"q")
        _, asked = prog.read_until(CONFIRM_QUIT)
        text = text_of(shown + later + asked)
        assert "62;4" not in text and "XTerm" not in text and "16;8" not in text
        prog.send(b"n")


def test_a_silent_terminal_does_not_hold_up_the_queue(home: Path) -> None:
    """Nothing answers: the queue is painted with the question outstanding, and the workstation
    keeps working once the question has timed out (nothing is cached from silence)."""
    with workstation(home) as prog:
        _, shown = prog.read_until(QUEUE)
        assert QUESTION in shown
        assert shown.index(QUESTION) < shown.index(QUEUE)  # asked first, painted unanswered
        assert not (home / CACHE_FILE).exists()
        prog.read_quiet(quiet=1.0)  # past the question's timeout
        prog.send(b"q")
        prog.read_until(CONFIRM_QUIT)
        prog.send(b"\x1b")  # the Escape key declines
        prog.read_quiet(quiet=0.5)
        prog.send(b"q")
        prog.read_until(CONFIRM_QUIT)
        assert not (home / CACHE_FILE).exists()


def test_a_forced_setting_asks_nothing(home: Path) -> None:
    (home / "settings.toml").write_text('[ui]\ngraphics = "none"\n', encoding="utf-8")
    with workstation(home, SIXEL_TERMINAL) as prog:
        _, shown = prog.read_until(QUEUE)
        shown += prog.read_quiet(quiet=1.0)
        assert QUESTION not in shown and b"\x1b[16t" not in shown
        assert not (home / CACHE_FILE).exists()


def test_a_late_answer_is_taken_out_and_kept(home: Path) -> None:
    """A slow link: the answer arrives after the question's timeout. It still never reaches
    the queue as keys (its `?` would open the help, its digits toggle state filters), and the
    workstation takes it up."""
    with workstation(home) as prog:
        _, shown = prog.read_until(QUEUE)
        shown += prog.read_quiet(quiet=1.0)  # past the timeout: drawn with half-blocks
        assert not (home / CACHE_FILE).exists()
        prog.send(b"".join(SIXEL_TERMINAL))
        entry = cached(home, prog)
        assert entry["capabilities"] == ["sixel"] and entry["name"] == "XTerm(390)"
        later = prog.read_quiet(quiet=0.5)
        prog.send(b"q")
        _, asked = prog.read_until(CONFIRM_QUIT)
        text = text_of(shown + later + asked)
        assert "62;4" not in text and "XTerm" not in text and "帮助" in text
        assert "本页按键" not in text  # the help never opened
        prog.send(b"n")
