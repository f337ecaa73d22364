"""A one-line progress display on stderr, shown only on a terminal.

Under cron (no TTY) or with ``--quiet`` it prints nothing, so cron mails stay empty
unless something went wrong.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``label  done/total`` redrawn in place at most ten times a second."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self._last = 0.0
        self._shown = False

    def update(self, label: str, done: int, total: int | None = None) -> None:
        """Show progress of step ``label``; cheap to call for every item."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and (total is None or done < total):
            return
        self._last = now
        count = f"{done}/{total}" if total else str(done)
        self.stream.write(f"\r\x1b[K{label} {count}")
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Erase the line before other output is written."""
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False
