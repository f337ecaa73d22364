"""SIGTERM during a run: the cleanups run, then one line and exit 143, never a silent death.

SIGTERM's default action ends the process at once, leaving a temporary file or a
half-written cache index behind. While a run holds its lock, SIGTERM instead raises
:class:`_Terminated` in the main thread: a BaseException, so no ``except Exception``
on the way turns it into, say, a rejected article, while every ``finally`` and
``except BaseException`` cleanup runs. :func:`stop_on_sigterm` then turns it into
:class:`~feedpub.errors.Stopped`, which the CLI prints as one line (exit 143).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from feedpub.errors import Stopped


class _Terminated(BaseException):
    """SIGTERM arrived: unwinds the run like KeyboardInterrupt does."""


@contextmanager
def stop_on_sigterm(what: str) -> Iterator[None]:
    """Within the block, SIGTERM unwinds the run and ends it as :class:`Stopped` saying ``what``."""
    owner = os.getpid()

    def handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:
            # A forked worker (the parse pool) inherited this handler: end as SIGTERM means.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one is enough: let the cleanups finish
        raise _Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:
        # Only the main thread may set handlers (serve rebuilds from a watcher thread).
        # Asking signal, not threading: importing threading costs every cron run start-up.
        yield
        return
    try:
        yield
    except _Terminated:
        raise Stopped(f"stopped by SIGTERM: {what}") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
