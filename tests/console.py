"""The installed ``feedpub`` console script, run as a user runs it (not ``python -m``, not ``main()``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("feedpub")
"""The console script pip installed beside this Python (``.venv/bin/feedpub``)."""


def feedpub(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``feedpub ARGS`` in ``cwd``, with ``env`` added to this process's environment (FEEDPUB_* of
    the test run's own left out, so only the test's variables apply)."""
    assert SCRIPT.is_file(), f"the console script is not installed beside {sys.executable}"
    base = {k: v for k, v in os.environ.items() if not k.startswith("FEEDPUB_")}
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        timeout=120,
    )


def drawn_on_a_pty(
    argv: list[str], *, env: Mapping[str, str], cwd: Path | None = None, errors: str = "backslashreplace"
) -> tuple[int, str, str]:
    """Run ``argv`` with stderr on a real pty and stdout in a file: (exit status, what stderr drew, stdout)."""
    import pty
    import tempfile

    master, slave = pty.openpty()
    # stdout to a file, not a pipe: a full pipe would stall the run while the pty is read.
    with tempfile.TemporaryFile() as stdout:
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=stdout, stderr=slave)
            os.close(slave)
            chunks = []
            while True:
                try:
                    data = os.read(master, 4096)
                except OSError:  # EIO: the other side is closed
                    break
                if not data:
                    break
                chunks.append(data)
            status = proc.wait(timeout=120)
        finally:
            os.close(master)
        stdout.seek(0)
        out = stdout.read().decode("utf-8", errors)
    return status, b"".join(chunks).decode("utf-8", errors), out


def on_a_terminal(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """``feedpub ARGS`` with stderr on a real pty, as a person at a terminal runs it:
    (exit status, what stderr drew, stdout). The test's ``NO_COLOR`` and ``FEEDPUB_*``
    are left out and ``TERM`` is a colour terminal's, so only ``env`` decides."""
    assert SCRIPT.is_file(), f"the console script is not installed beside {sys.executable}"
    base = {k: v for k, v in os.environ.items() if not k.startswith("FEEDPUB_") and k != "NO_COLOR"}
    return drawn_on_a_pty([str(SCRIPT), *args], cwd=cwd, env={**base, "TERM": "xterm-256color", **(env or {})})
