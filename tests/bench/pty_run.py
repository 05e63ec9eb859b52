"""Run a program in a pseudo-terminal and count what it writes (shared by the queue benchmarks)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DA1_REPLY = b"\x1b[?62;22c"
"""A VT220-class terminal's answer to DA1 (no sixel)."""


class PtyProgram:
    """A child process on a pty of `cols`×`rows`; `read_*` drain what it wrote."""

    def __init__(
        self,
        argv: list[str],
        *,
        cols: int = 120,
        rows: int = 40,
        env: Mapping[str, str] | None = None,
        answer_da1: bool = False,
        answer: list[bytes] | None = None,
    ) -> None:
        """`answer_da1`: reply to the program's first DA1 query (`ESC [ c`) as a VT220-class
        terminal does (xterm, VTE, kitty, WezTerm all answer it); else the pty stays silent,
        and a program that asks waits for its timeout. `answer`: reply these parts instead
        (each its own write, a moment apart: a reply split across reads), e.g. the answers to
        the whole graphics question."""
        self.started = time.perf_counter()
        self._answer = answer or ([DA1_REPLY] if answer_da1 else None)
        self._tail = b""
        pid, fd = pty.fork()
        if pid == 0:  # child
            os.chdir(REPO)
            os.execvpe(argv[0], argv, {**os.environ, **(env or {})})
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.total = 0

    def read_until(self, marker: bytes, timeout: float = 60.0) -> tuple[float, bytes]:
        """Read until `marker` appears; returns (seconds since start, bytes read)."""
        buf = b""
        deadline = time.perf_counter() + timeout
        while marker not in buf:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{marker!r} not seen; last output {buf[-300:]!r}")
            chunk = self._read(left)
            buf += chunk
        return time.perf_counter() - self.started, buf

    def read_quiet(self, quiet: float = 0.4, timeout: float = 30.0) -> bytes:
        """Read until nothing arrives for `quiet` seconds."""
        buf = b""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            chunk = self._read(quiet)
            if not chunk:
                break
            buf += chunk
        return buf

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def _read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return b""
        self.total += len(data)
        if self._answer:
            seen = self._tail + data
            if b"\x1b[c" in seen:
                for index, part in enumerate(self._answer):
                    if index:
                        time.sleep(0.02)
                    os.write(self.fd, part)
                self._answer = None
            self._tail = seen[-2:]
        return data

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


EMPTY_APP = """
from textual.app import App
from textual.widgets import Static

class Empty(App[None]):
    def compose(self):
        yield Static("EMPTY-READY")

Empty().run(mouse=False)
"""
"""The baseline: an empty Textual app that paints one line."""


def python() -> str:
    return sys.executable
