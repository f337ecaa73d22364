"""A real headless Chromium driven through its DevTools pipe, for tests that watch a page live.

``--remote-debugging-pipe`` makes Chromium read DevTools commands from file descriptor 3
and write answers and events to descriptor 4, each a JSON text ended by a NUL byte: no
port is opened and no WebSocket library is needed. Only what the tests use is here:
open a page, evaluate an expression in it.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class DevToolsError(Exception):
    """Chromium answered a command with an error (e.g. the page navigated meanwhile)."""


class Browser:
    """One headless Chromium process; use as a context manager (it is killed on exit)."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        to_browser, self._to = os.pipe()
        self._from, from_browser = os.pipe()

        def descriptors() -> None:  # in the child, before exec: the pipe ends at 3 and 4
            os.dup2(to_browser, 3)
            os.dup2(from_browser, 4)

        self.proc = subprocess.Popen(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank",
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=descriptors, pass_fds=(3, 4),
        )  # fmt: skip
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._id = 0
        self.session = ""

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        os.close(self._to)
        os.close(self._from)

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            assert left > 0, "Chromium did not answer in time"
            ready, _, _ = select.select([self._from], [], [], left)
            if ready:
                chunk = os.read(self._from, 65536)
                assert chunk, "Chromium closed its DevTools pipe"
                self._buffer += chunk
        text, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(text)

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        """Send one command (to the attached page when there is one) and return its result."""
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._to, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._message(deadline)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise DevToolsError(answer["error"])
                return answer["result"]

    def open(self, url: str) -> None:
        """Open ``url`` in a new page and attach to it."""
        target = self.call("Target.createTarget", url=url)["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def evaluate(self, expression: str) -> Any:
        """The value of ``expression`` in the page (None while the page is between documents)."""
        try:
            result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"]
        except DevToolsError:
            return None  # the page is being replaced (a reload): ask again
        return result.get("value")
