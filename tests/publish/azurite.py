"""A real Azure Blob Storage emulator for the tests: Microsoft's Azurite, on loopback.

``scripts/test`` installs the pinned npm package into the git-ignored ``.tools/``
folder; tests that need it skip, saying why, when node or Azurite is missing. The
fixture ``azurite`` starts one ``azurite-blob`` per test module on a free port with a
temporary ``--location`` and a request log (``--debug``, which the tests read to count
uploads), and stops it by its PID. ``stop()``/``start()`` take it away mid-test.

The account is the emulator's well-known development account, published in Microsoft's
Azurite documentation: never a real credential.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..conftest import REPO
from ..processes import free_port, listening, stop

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
READY_TIMEOUT = 60.0
AZURE_VARIABLES = (
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCOUNT_URL",
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
)


def find_azurite() -> str:
    """The ``azurite-blob`` launcher: the project's ``.tools`` install, else on PATH; or skip, saying why."""
    if not shutil.which("node"):
        pytest.skip("node not found: the Azure tests run Azurite (npm package azurite), which needs Node.js")
    local = REPO / ".tools" / "node_modules" / ".bin" / "azurite-blob"
    if local.is_file():
        return str(local)
    found = shutil.which("azurite-blob")
    if not found:
        pytest.skip("Azurite not found: bash scripts/test installs it (npm install --prefix .tools azurite)")
    return found


class Azurite:
    """One ``azurite-blob`` process; restartable on the same port and data folder."""

    def __init__(self, launcher: str, base: Path) -> None:
        self.launcher = launcher
        self.base = base
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/{ACCOUNT}"
        self.log = base / "requests.log"
        self.proc: subprocess.Popen[bytes] | None = None
        (base / "data").mkdir(parents=True, exist_ok=True)

    @property
    def connection_string(self) -> str:
        return f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={self.endpoint};"

    def start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        command = [
            self.launcher,
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(self.port),
            "--location",
            str(self.base / "data"),
            "--debug",
            str(self.log),
            "--skipApiVersionCheck",  # the SDK may speak a newer API version than this Azurite knows
            "--silent",
        ]
        out = open(self.base / "azurite.out", "ab")  # noqa: SIM115 - kept for the process
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=self.base)
        out.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while not listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Azurite did not start on {self.endpoint}; see {self.base / 'azurite.out'}")
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM to its PID (SIGKILL if it lingers)."""
        proc, self.proc = self.proc, None
        stop(proc)

    def service(self) -> BlobServiceClient:
        """A client of the emulator's account, for the tests' own checks."""
        from azure.storage.blob import BlobServiceClient  # the optional extra: only where these tests run

        return BlobServiceClient.from_connection_string(self.connection_string)

    def make_container(self, *, public: bool = False) -> str:
        """A fresh container (anonymous blob reads allowed when ``public``); its name."""
        name = "feeds-" + secrets.token_hex(4)
        self.service().create_container(name, public_access="blob" if public else None)
        return name

    def puts(self, container: str) -> list[str]:
        """The blob paths of every PUT the emulator logged for ``container`` so far (uploads, in order)."""
        found = re.compile(rf"RequestMethod=PUT RequestURL=\S*/{ACCOUNT}/{re.escape(container)}/(\S+)")
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return [m.group(1).split("?", 1)[0] for m in found.finditer(text)]


@pytest.fixture(scope="module")
def azurite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    server = Azurite(find_azurite(), tmp_path_factory.mktemp("azurite"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def azurite(azurite_server: Azurite, monkeypatch: pytest.MonkeyPatch) -> Azurite:
    """The module's Azurite (started again if a test left it stopped), with the environment pointing at it."""
    azurite_server.start()
    for name in AZURE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite_server.connection_string)
    return azurite_server
