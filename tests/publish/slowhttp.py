"""Servers on 127.0.0.1 that never finish an answer: the faults the deadline tests use.

- :class:`Slow` ``("trickle")`` answers every request with a status line, then one
  header byte a second, forever; ``("stall")`` accepts and never answers.
- :class:`StallingProxy` forwards to a real server byte for byte, except that a request
  whose first line matches is never forwarded nor answered.

Each counts the connections it accepted and the ones the client hung up on while kept
waiting (``hung_up``): that a client cut its connection at a deadline shows there.
"""

from __future__ import annotations

import re
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

INTERVAL = 0.5
"""Seconds between two trickled bytes; far below any read timeout, so only a total bound ends the wait."""


class _Server:
    """A listening socket on 127.0.0.1 with one daemon thread per connection."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.accepted = 0
        self.hung_up = 0
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _hung_up(self) -> None:
        with self.lock:
            self.hung_up += 1

    def wait_hung_up(self, count: int = 1, timeout: float = 10) -> int:
        """How many connections the clients hung up on, once it reaches ``count`` (or ``timeout`` passed)."""
        ends = time.monotonic() + timeout
        while self.hung_up < count and time.monotonic() < ends:
            time.sleep(0.05)
        return self.hung_up

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()
        with self.lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.close()
            except OSError:
                pass


class Slow(_Server):
    """``trickle``: a status line, then a header byte every INTERVAL; ``stall``: never a byte."""

    def __init__(self, mode: str = "trickle") -> None:
        assert mode in ("trickle", "stall")
        self.mode = mode
        self.requests = 0
        super().__init__()

    def _serve(self, conn: socket.socket) -> None:
        asked = b""
        answering = False
        with conn:
            while not self.stopped.is_set():
                readable, _, _ = select.select([conn], [], [], INTERVAL)
                try:
                    if readable:
                        data = conn.recv(65536)
                        if not data:
                            self._hung_up()
                            return
                        asked += data
                        if not answering and b"\r\n\r\n" in asked:
                            with self.lock:
                                self.requests += 1
                            answering = self.mode == "trickle"
                            if answering:
                                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    elif answering:
                        conn.sendall(b"a")
                except OSError:
                    self._hung_up()
                    return


class StallingProxy(_Server):
    """Forwards to ``upstream`` (host, port); a request whose first line matches ``stall`` is held forever."""

    def __init__(self, upstream: tuple[str, int], stall: str) -> None:
        self.upstream = upstream
        self.stall = re.compile(stall.encode())
        self.stalled = 0
        super().__init__()

    def _serve(self, conn: socket.socket) -> None:
        try:
            up = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            conn.close()
            return
        up.settimeout(None)
        held = threading.Event()
        threading.Thread(target=self._back, args=(up, conn, held), daemon=True).start()
        with conn, up:
            while not self.stopped.is_set():
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    if held.is_set():
                        self._hung_up()
                    return
                if not held.is_set() and self.stall.search(data):
                    held.set()
                    with self.lock:
                        self.stalled += 1
                if not held.is_set():
                    up.sendall(data)

    def _back(self, up: socket.socket, conn: socket.socket, held: threading.Event) -> None:
        while True:
            try:
                data = up.recv(65536)
            except OSError:
                return
            if not data or held.is_set():
                return
            try:
                conn.sendall(data)
            except OSError:
                return


@contextmanager
def slow(mode: str = "trickle") -> Iterator[Slow]:
    """A :class:`Slow` server for the ``with`` block."""
    server = Slow(mode)
    try:
        yield server
    finally:
        server.close()


@contextmanager
def stalling_proxy(upstream: str, stall: str) -> Iterator[StallingProxy]:
    """A :class:`StallingProxy` in front of ``http://HOST:PORT`` for the ``with`` block."""
    host, _, port = upstream.removeprefix("http://").partition(":")
    proxy = StallingProxy((host, int(port)), stall)
    try:
        yield proxy
    finally:
        proxy.close()
