"""A loopback TCP proxy that throttles, delays, cuts, stalls, drops replies, flips bytes and counts.

Sits in front of a real `zcreview serve` process. Faults are armed one at a time and fire once:

    proxy = FaultProxy(hub.url, rate=32_000, latency=0.3)   # 256 kbit/s, 300 ms each way
    proxy.cut("up", after=600_000, mode="rst")               # RST after 600 kB more upstream
    proxy.drop_response(b"/commit")                         # forward the request, swallow reply
    proxy.flip_in(b"PATCH /v1/blobs/", offset=2000)         # corrupt one byte of a chunk
    proxy.stall(seconds=3, after=100_000)                   # no bytes, no close, for 3 s

Every loop is bounded: sockets carry timeouts, and the proxy shuts itself down after `lifetime`
seconds even if a test forgets to close it.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

Way = Literal["up", "down"]
CutMode = Literal["fin", "rst"]
PIECE = 4096
"""Bytes forwarded at a time: small enough that throttling is smooth."""
POLL = 0.2


class Link:
    """One direction of the emulated link: a serialisation rate shared by all connections."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._next = 0.0
        self._lock = threading.Lock()

    def serialise(self, n: int) -> float:
        """Wait until `n` bytes have left at the link rate; the time they finished."""
        if not self.rate:
            return time.monotonic()
        with self._lock:
            start = max(time.monotonic(), self._next)
            self._next = start + n / self.rate
            done = self._next
        time.sleep(max(0.0, done - time.monotonic()))
        return done


@dataclass
class _Conn:
    client: socket.socket
    upstream: socket.socket
    drop_reply: bool = False
    dead: threading.Event = field(default_factory=threading.Event)


def _kill(sock: socket.socket, mode: CutMode) -> None:
    with contextlib.suppress(OSError):
        if mode == "rst":
            # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class FaultProxy:
    """See the module docstring. `up` is client → hub, `down` is hub → client."""

    def __init__(
        self,
        target: str | list[str],
        *,
        rate: float | None = None,
        latency: float = 0.0,
        lifetime: float = 600.0,
    ) -> None:
        # Several targets: connections go to each in turn (a round-robin load balancer).
        self.targets = [
            (host, int(port))
            for host, port in (
                t.removeprefix("http://").rsplit(":", 1)
                for t in ([target] if isinstance(target, str) else target)
            )
        ]
        self.links = {"up": Link(rate), "down": Link(rate)}
        self.latency = latency
        self.bytes = {"up": 0, "down": 0}
        self.connections = 0
        self.fired: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._deadline = time.monotonic() + lifetime
        self._conns: list[_Conn] = []
        # Armed faults (each fires once).
        self._cut: tuple[Way, int, CutMode] | None = None
        self._stall_at: tuple[Way, int, float] | None = None
        self._stall_until = 0.0
        self._drop: bytes | None = None
        self._drop_mode: CutMode = "fin"
        self._flip: tuple[bytes, int] | None = None
        self._flip_left: int | None = None
        self._flip_at_start = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(POLL)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._accept, name="faultproxy-accept", daemon=True).start()

    # ------------------------------------------------------------ arming

    def cut(self, way: Way, after: int, mode: CutMode = "fin") -> None:
        """Close the connection carrying byte `after` (counted from now) of direction `way`."""
        with self._lock:
            self._cut = (way, self.bytes[way] + after, mode)

    def stall(self, seconds: float, after: int = 0, way: Way = "up") -> None:
        """Stop forwarding (both ways, all connections, nothing closed) for `seconds`."""
        with self._lock:
            self._stall_at = (way, self.bytes[way] + after, seconds)

    def drop_response(self, pattern: bytes, mode: CutMode = "fin") -> None:
        """The next request containing `pattern` reaches the hub; its reply is swallowed and
        the connection closed, so the client sees the side effect's answer never arrive."""
        with self._lock:
            self._drop, self._drop_mode = pattern, mode

    def flip_in(self, pattern: bytes, offset: int) -> None:
        """Invert the byte `offset` bytes after the next upstream `pattern`."""
        with self._lock:
            self._flip, self._flip_left = (pattern, offset), None

    def armed(self) -> bool:
        with self._lock:
            return any(
                f is not None for f in (self._cut, self._stall_at, self._drop, self._flip)
            ) or (self._flip_left is not None)

    def reset_counts(self) -> None:
        with self._lock:
            self.bytes = {"up": 0, "down": 0}
            self.connections = 0

    # ------------------------------------------------------------ plumbing

    def _running(self) -> bool:
        return not self._stop.is_set() and time.monotonic() < self._deadline

    def _accept(self) -> None:
        while self._running():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            target = self.targets[self.connections % len(self.targets)]
            try:
                upstream = socket.create_connection(target, timeout=5)
            except OSError:
                _kill(client, "rst")  # the hub is down: refuse like it would
                continue
            for s in (client, upstream):
                s.settimeout(POLL)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Conn(client, upstream)
            with self._lock:
                self._conns.append(conn)
                self.connections += 1
            for way, src, dst in (("up", client, upstream), ("down", upstream, client)):
                pipe: queue.Queue[tuple[float, bytes] | None] = queue.Queue()
                threading.Thread(
                    target=self._read, args=(conn, way, src, pipe), daemon=True
                ).start()
                threading.Thread(
                    target=self._write, args=(conn, way, dst, pipe), daemon=True
                ).start()
        self.close()

    def _read(
        self,
        conn: _Conn,
        way: Way,
        src: socket.socket,
        pipe: queue.Queue[tuple[float, bytes] | None],
    ) -> None:
        """Receive, serialise at the link rate, and queue with the time the bytes are due."""
        link = self.links[way]
        try:
            while self._running() and not conn.dead.is_set():
                try:
                    data = src.recv(PIECE)
                except TimeoutError:
                    continue
                if not data:
                    break
                for i in range(0, len(data), PIECE):
                    piece = data[i : i + PIECE]
                    pipe.put((link.serialise(len(piece)) + self.latency, piece))
        except OSError:
            pass
        pipe.put(None)

    def _write(
        self,
        conn: _Conn,
        way: Way,
        dst: socket.socket,
        pipe: queue.Queue[tuple[float, bytes] | None],
    ) -> None:
        try:
            while self._running() and not conn.dead.is_set():
                try:
                    item = pipe.get(timeout=POLL)
                except queue.Empty:
                    continue
                if item is None:
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)  # pass the FIN on
                    return
                due, data = item
                while self._running() and (
                    time.monotonic() < due or time.monotonic() < self._stall_until
                ):
                    time.sleep(min(POLL, max(due, self._stall_until) - time.monotonic()) + 1e-4)
                if not self._deliver(conn, way, dst, data):
                    return
        except OSError:
            pass
        finally:
            if conn.dead.is_set():
                self._close_conn(conn, "fin")

    def _deliver(self, conn: _Conn, way: Way, dst: socket.socket, data: bytes) -> bool:
        """Apply armed faults to `data` and send it; False when the connection was killed."""
        cut_mode: CutMode | None = None
        with self._lock:
            start = self.bytes[way]
            if way == "up" and self._drop is not None and self._drop in data:
                conn.drop_reply, self._drop = True, None
                self.fired.append("drop")
            if way == "down" and conn.drop_reply:
                self.fired.append("dropped")
                mode = self._drop_mode
                conn.dead.set()
            else:
                mode = None
            if way == "up" and self._flip is not None and self._flip[0] in data:
                pattern, offset = self._flip
                self._flip, self._flip_left = None, data.index(pattern) + offset
                self._flip_at_start = start
            if way == "up" and self._flip_left is not None:
                at = self._flip_left - (start - self._flip_at_start)
                if 0 <= at < len(data):
                    buf = bytearray(data)
                    buf[at] ^= 0xFF
                    data = bytes(buf)
                    self._flip_left = None
                    self.fired.append("flip")
            if self._stall_at is not None and self._stall_at[0] == way:
                _, at_byte, seconds = self._stall_at
                if start + len(data) >= at_byte:
                    self._stall_at = None
                    self._stall_until = time.monotonic() + seconds
                    self.fired.append("stall")
            if self._cut is not None and self._cut[0] == way:
                _, at_byte, cmode = self._cut
                if start + len(data) >= at_byte:
                    data = data[: max(0, at_byte - start)]
                    self._cut, cut_mode = None, cmode
                    self.fired.append(f"cut-{cmode}")
            self.bytes[way] += len(data) if mode is None else 0
        if mode is not None:
            self._close_conn(conn, mode)
            return False
        if data:
            dst.sendall(data)
        if cut_mode is not None:
            conn.dead.set()
            self._close_conn(conn, cut_mode)
            return False
        return True

    def _close_conn(self, conn: _Conn, mode: CutMode) -> None:
        conn.dead.set()
        _kill(conn.client, mode)
        _kill(conn.upstream, "fin")

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self.server.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            self._close_conn(conn, "fin")

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
