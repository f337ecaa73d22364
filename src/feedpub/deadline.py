"""Total bounds on network calls: one per request, and one for a whole ``publish`` run.

botocore's and requests' timeouts bound each socket read, not a request: a server that
sends a byte every few seconds keeps a call alive forever. :func:`bounded` runs a call
in a helper thread and, once its bound has passed, cuts the connections the call's
client opened (:class:`Cutter`), so the call fails at once and the caller goes on.
The caller gets :class:`TimedOut` at its bound whether or not the cut worked.
"""

from __future__ import annotations

import socket
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from feedpub.errors import PublishError

if TYPE_CHECKING:
    import requests

T = TypeVar("T")

GRACE = 2.0
"""Seconds a cut call gets to end and free its connection before the caller stops waiting for it."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """A moment on the monotonic clock something must be done by, with its length and name for messages."""

    seconds: float
    ends: float
    name: str = "publish.deadline"

    @classmethod
    def after(cls, seconds: float, name: str = "publish.deadline") -> Deadline:
        """The deadline ``seconds`` from now."""
        return cls(seconds, time.monotonic() + seconds, name)

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.ends - time.monotonic()

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.remaining() <= 0

    def sooner(self, other: Deadline | None) -> Deadline:
        """Whichever of the two ends first (this one when ``other`` is None)."""
        return other if other is not None and other.ends < self.ends else self

    def describe(self) -> str:
        """``publish.deadline: 600 s``, for messages."""
        return f"{self.name}: {self.seconds:g} s"


class TimedOut(Exception):
    """A bounded call got no complete answer in time.

    ``deadline`` is set when a run-wide :class:`Deadline` (not the call's own bound) ran out.
    """

    def __init__(self, seconds: float, deadline: Deadline | None = None) -> None:
        self.seconds = seconds
        self.deadline = deadline
        super().__init__(self.cause())

    def cause(self) -> str:
        """What happened, in words, for a one-line message that names the endpoint."""
        if self.deadline is not None:
            return f"still waiting for an answer at the deadline ({self.deadline.describe()})"
        return f"no complete answer within {self.seconds:g} s"


class DeadlineExceeded(PublishError):
    """The run's deadline passed; the message names what the run was waiting on (exit 3)."""


class Cutter:
    """The connections one HTTP client opened, so that a bound can cut them mid-read.

    :meth:`watched` turns urllib3 pool classes into ones whose connections register
    here. Once cut, the client opens no new connection either: whatever it was doing,
    retries included, fails at once. A cut client stays cut.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: weakref.WeakSet[Any] = weakref.WeakSet()
        self.reason: TimedOut | None = None

    def cut(self, reason: TimedOut) -> None:
        """Shut every connection down; the calls reading from them fail at once."""
        with self._lock:
            if self.reason is None:
                self.reason = reason
            connections = list(self._connections)
        for connection in connections:
            _shut(getattr(connection, "sock", None))

    def _refuse(self) -> None:
        if self.reason is not None:
            raise ConnectionAbortedError("the connection was cut at a deadline")

    def _opened(self, connection: Any) -> None:
        with self._lock:
            if self.reason is None:
                self._connections.add(connection)
                return
        _shut(getattr(connection, "sock", None))  # cut while it was connecting
        self._refuse()

    def watched(self, pools: Mapping[str, type]) -> dict[str, type]:
        """Subclasses of urllib3 pool classes (scheme -> class) whose connections register here."""
        return {scheme: self._pool(pool) for scheme, pool in pools.items()}

    def _pool(self, pool: type) -> type:
        cutter = self
        base: type = pool.ConnectionCls  # type: ignore[attr-defined]

        class Connection(base):
            def connect(self) -> None:
                cutter._refuse()
                super().connect()
                cutter._opened(self)

        Connection.__name__ = Connection.__qualname__ = f"Watched{base.__name__}"
        return type(f"Watched{pool.__name__}", (pool,), {"ConnectionCls": Connection})


def watched_session(cutter: Cutter) -> requests.Session:
    """A requests Session whose connections ``cutter`` sees (and can cut); one per host asked is fine."""
    import requests  # only the modules that fetch or post need it: a plain build starts faster
    from requests.adapters import HTTPAdapter

    class Adapter(HTTPAdapter):
        # requests has no total timeout and no hook to its connections; its adapter owns
        # the urllib3 pool managers, whose pool classes say which connection class to use.
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            # A new dict: a PoolManager starts out with urllib3's module-wide one.
            self.poolmanager.pool_classes_by_scheme = cutter.watched(self.poolmanager.pool_classes_by_scheme)

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            fresh = proxy not in self.proxy_manager
            manager = super().proxy_manager_for(proxy, **kwargs)
            if fresh:
                manager.pool_classes_by_scheme = cutter.watched(manager.pool_classes_by_scheme)
            return manager

    session = requests.Session()
    adapter = Adapter()
    for prefix in list(session.adapters):
        session.mount(prefix, adapter)
    return session


def _shut(sock: object) -> None:
    if not isinstance(sock, socket.socket):
        return
    try:
        # socket.socket's own shutdown, not SSLSocket's, which also drops the TLS state
        # that the thread blocked in a read is using: the fd shutdown alone wakes it.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: nothing to cut


def bounded(
    call: Callable[[], T],
    limit: float,
    *,
    deadline: Deadline | None = None,
    cutter: Cutter | None = None,
    grace: float = GRACE,
) -> T:
    """``call()``, given at most ``limit`` seconds, or less if ``deadline`` comes sooner.

    Past that, the connections of ``cutter`` are cut and :class:`TimedOut` is raised
    (within ``grace`` seconds more even if the call ignores the cut), whatever the call
    then returns. A call that ends while ``cutter`` was cut by another call's bound
    raises that call's TimedOut.
    """
    seconds, run = limit, None
    if deadline is not None and deadline.remaining() <= limit:
        seconds, run = deadline.remaining(), deadline
    if cutter is not None and cutter.reason is not None:
        raise TimedOut(cutter.reason.seconds, cutter.reason.deadline)
    if seconds <= 0:
        raise TimedOut(limit, run)
    outcome: list[tuple[bool, Any]] = []
    done = threading.Event()

    def run_call() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome.append((False, exc))
        finally:
            done.set()

    # A daemon thread: one stuck past the cut (a connect in progress) never keeps the
    # process alive; it ends on its own connect timeout.
    threading.Thread(target=run_call, name="feedpub-bounded", daemon=True).start()
    if not done.wait(seconds):
        reason = TimedOut(limit, run)
        if cutter is not None:
            cutter.cut(reason)
        # Even a call that "succeeds" now is no answer: a cut can end an answer early
        # where the protocol allows (http.client takes EOF as the end of the headers).
        done.wait(grace)
        raise reason
    ok, value = outcome[0]
    if cutter is not None and cutter.reason is not None:
        # Cut meanwhile by another call's bound: whatever this call got may be cut short too.
        raise TimedOut(cutter.reason.seconds, cutter.reason.deadline) from (None if ok else value)
    if ok:
        return cast(T, value)
    raise value


def status_of(
    method: str, url: str, *, timeout: float, deadline: Deadline | None, allow_redirects: bool, data: Any = None
) -> tuple[int, str]:
    """One HTTP request within ``timeout`` seconds in total and ``deadline``: its status and reason (one line).

    Streamed and closed unread: a ping or a purge needs the status, not what the server
    says. Raises :class:`TimedOut` past the bound, or requests' own errors.
    """
    cutter = Cutter()
    with watched_session(cutter) as session:
        send = partial(session.request, method, url, data=data, timeout=timeout, allow_redirects=allow_redirects, stream=True)
        with bounded(send, timeout, deadline=deadline, cutter=cutter) as response:
            return response.status_code, " ".join((response.reason or "").split())


__all__ = ["Cutter", "Deadline", "DeadlineExceeded", "TimedOut", "bounded", "status_of", "watched_session"]
