"""``feedpub publish`` to a folder: the lock against overlapping cron runs, WebSub pings."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from feedpub.publish.folder import FolderTarget
from feedpub.publish.lock import acquire_lock, lock_file

from .conftest import FIXTURE_SITE


def publish(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedpub", "publish", "--source", str(FIXTURE_SITE), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_second_run_on_the_same_target_exits_4(tmp_path: Path) -> None:
    target = str(tmp_path / "site")
    with acquire_lock(lock_file(FolderTarget(target).lock_key())):
        p = publish("--target", target, cwd=tmp_path)
    assert p.returncode == 4
    assert "another feedpub run holds" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "site").exists()  # nothing written while another run held the lock
    assert publish("--target", target, "--quiet", cwd=tmp_path).returncode == 0


def test_hubs_are_pinged_for_changed_feeds_only(tmp_path: Path) -> None:
    pings: list[dict[str, list[str]]] = []

    class Hub(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            pings.append(parse_qs(body))
            self.send_response(204)
            self.end_headers()

    hub = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    hub_url = f"http://127.0.0.1:{hub.server_address[1]}/hub"
    cfg = tmp_path / "feedpub.yaml"
    cfg.write_text(
        f"site:\n  base_url: https://feeds.test/\nwebsub:\n  hubs: [{hub_url}]\n"
        "archive: {enabled: true}\ndigest: {enabled: true, days: 3660}\n"
    )
    try:
        target = tmp_path / "site"
        p = publish("--config", str(cfg), "--target", str(target), "--json", cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        assert f'href="{hub_url}" rel="hub"' in (target / "robots.atom").read_text()
        assert '"hubs": [' in (target / "robots.json").read_text()  # JSON subscribers find the hub too
        assert len(pings) == 1 and pings[0]["hub.mode"] == ["publish"]
        assert "https://feeds.test/robots.xml" in pings[0]["hub.url"]
        assert "https://feeds.test/top/robots.json" in pings[0]["hub.url"]
        # Archive documents are static and announce no hub: they are never pinged for.
        assert (target / "archive" / "robots" / "1.atom").is_file()
        assert not [u for u in pings[0]["hub.url"] if "/archive/" in u]
        assert json.loads(p.stdout)["publish"]["websub_problems"] == []
        p = publish("--config", str(cfg), "--target", str(target), cwd=tmp_path)
        assert p.returncode == 0 and len(pings) == 1  # nothing changed: no ping
    finally:
        hub.shutdown()
        hub.server_close()


def test_failing_hub_is_reported_not_fatal(tmp_path: Path) -> None:
    cfg = tmp_path / "feedpub.yaml"
    cfg.write_text("websub:\n  hubs: [http://127.0.0.1:9/hub]\n")
    p = publish("--config", str(cfg), "--target", str(tmp_path / "site"), cwd=tmp_path)
    assert p.returncode == 0
    assert "127.0.0.1:9" in p.stderr and "Traceback" not in p.stderr
