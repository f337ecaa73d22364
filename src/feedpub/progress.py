"""What a run shows on stderr as it goes: a one-line progress display, shown only on a
terminal, and (``-v``) one line per thing done.

Under cron (no TTY) or with ``--quiet`` the progress line prints nothing, so cron mails
stay empty unless something went wrong. On a terminal each step shows ``label
done/total pct%`` and, once a step has run long enough to tell, the time it still needs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

ETA_AFTER = 1.0
"""Seconds a step runs before its time left is shown: earlier rates are mostly start-up noise."""


def _left(seconds: float) -> str:
    """``12 s left``, ``3 min 05 s left``, ``1 h 02 min left``: what a person reads at a glance."""
    s = int(seconds + 0.5)
    if s < 60:
        return f"{s} s left"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s left"
    return f"{s // 3600} h {s % 3600 // 60:02d} min left"


class Progress:
    """``label  done/total  pct%  time left`` redrawn in place at most ten times a second.

    ``clock`` is a parameter so the time-left estimate can be shown without waiting.
    """

    def __init__(self, enabled: bool, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self._clock = clock
        self._last = float("-inf")
        self._shown = False
        self._label = ""
        self._started = 0.0

    def line(self, label: str, done: int, total: int | None, elapsed: float) -> str:
        """The text drawn for step ``label`` after ``elapsed`` seconds: a total only when one is
        known and not yet passed (an estimate from the last run can be short)."""
        if not total or done > total:
            return f"{label} {done}"
        text = f"{label} {done}/{total} {done * 100 // total}%"
        if done and done < total and elapsed >= ETA_AFTER:
            text += " " + _left(elapsed * (total - done) / done)
        return text

    def update(self, label: str, done: int, total: int | None = None) -> None:
        """Show progress of step ``label``; cheap to call for every item. A new label is drawn at once."""
        if not self.enabled:
            return
        now = self._clock()
        if label != self._label:
            self._label, self._started = label, now
        elif now - self._last < 0.1 and (total is None or done < total):
            return
        self._last = now
        self.stream.write(f"\r\x1b[K{self.line(label, done, total, now - self._started)}")
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Erase the line before other output is written."""
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


def listing(progress: Progress, stream: TextIO | None = None) -> Callable[[str, str], None]:
    """A :data:`feedpub.build_report.Note` for ``-v``: ``VERB WHAT``, one line each on ``stream``
    (stderr), the progress line erased first (it is redrawn by its next update)."""

    def note(verb: str, what: str) -> None:
        progress.clear()
        print(f"{verb} {what}", file=stream or sys.stderr, flush=True)

    return note
