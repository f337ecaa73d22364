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
