"""A real Varnish cache for the CDN-purge tests: Debian's ``varnishd``, on loopback.

:class:`Varnish` starts one ``varnishd`` in the foreground (``-F``) with a temporary
working folder (``-n``) and the VCL in ``purge.vcl`` pointed at a backend port, and
stops it by its PID. Tests that need it skip, saying why, when ``varnishd`` is not
installed (``scripts/test`` installs Debian's ``varnish`` when it runs as root).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from ..processes import free_port, listening, stop

VCL = Path(__file__).with_name("purge.vcl")
READY_TIMEOUT = 30.0


def find_varnishd() -> str:
    """The ``varnishd`` binary (Debian puts it in /usr/sbin, often off a user's PATH), or skip."""
    found = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin:/usr/local/sbin")
    if not found:
        pytest.skip("varnishd not found: install Debian's varnish (apt-get install varnish) for the CDN purge tests")
    return found


class Varnish:
    """One ``varnishd`` caching everything from ``backend_port`` on 127.0.0.1 and taking PURGE from there."""

    def __init__(self, folder: Path, backend_port: int) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        folder.mkdir(parents=True, exist_ok=True)
        vcl = folder / "purge.vcl"
        vcl.write_text(VCL.read_text(encoding="utf-8").replace("@BACKEND_PORT@", str(backend_port)), encoding="utf-8")
        command = [
            find_varnishd(),
            "-F",  # foreground: the PID we hold is the manager's, and SIGTERM to it stops the child too
            "-j",
            "none",  # no privilege separation: as root it would drop to a user that cannot read our temp folder
            "-a",
            f"127.0.0.1:{self.port}",
            "-n",
            str(folder / "work"),
            "-f",
            str(vcl),
            "-s",
            "malloc,16m",
            "-T",
            "none",  # no management port
        ]
        log = open(folder / "varnishd.log", "wb")  # noqa: SIM115 - kept for the process
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while not listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log_text = (folder / "varnishd.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"varnishd did not start on {self.url}:\n{log_text}")
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM to the manager's PID (SIGKILL if it lingers)."""
        stop(self.proc)
