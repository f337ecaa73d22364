"""A local preview server for built feeds: right Content-Types, ETag/Last-Modified, 304s.

It serves one folder on 127.0.0.1 and calls back to rebuild it when the article
files change, so an editor can point a feed reader at it before publishing;
:func:`preview` is ``feedpub serve``: builds into a temporary folder and serves it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from feedpub.errors import ConfigError, FeedpubError
from feedpub.formats import UNKNOWN_CONTENT_TYPE, content_type_of

if TYPE_CHECKING:
    from feedpub.build import Overrides
    from feedpub.config import Config
    from feedpub.records import Rejection


def _handler(root: Path, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "feedpub-serve"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
            pass  # quiet: the preview is for a person looking at a reader, not at logs

        def _file(self) -> Path | None:
            name = unquote(urlsplit(self.path).path).lstrip("/") or "index.html"
            path = (root / name).resolve()
            # Files in the build's folder and its subfolders (archive/, top/), nothing outside it.
            if not path.is_relative_to(root.resolve()) or not path.is_file() or content_type_of(path.name) is None:
                return None
            return path

        def _respond(self, body: bool) -> None:
            with lock:
                path = self._file()
                data = path.read_bytes() if path else None
                mtime = path.stat().st_mtime if path else 0
            if path is None or data is None:
                self.send_error(404, "no such feed")
                return
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            last_modified = formatdate(int(mtime), usegmt=True)
            if self._not_modified(etag, int(mtime)):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", last_modified)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type_of(path.name) or UNKNOWN_CONTENT_TYPE)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if body:
                self.wfile.write(data)

        def _not_modified(self, etag: str, mtime: int) -> bool:
            inm = self.headers.get("If-None-Match")
            if inm is not None:
                return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
            ims = self.headers.get("If-Modified-Since")
            if ims:
                try:
                    return mtime <= parsedate_to_datetime(ims).timestamp()
                except (TypeError, ValueError):
                    return False
            return False

        def do_GET(self) -> None:
            self._respond(body=True)

        def do_HEAD(self) -> None:
            self._respond(body=False)

    return Handler


class PreviewServer:
    """Serve ``root`` on 127.0.0.1:``port``; poll ``signature`` and call ``rebuild`` on change."""

    def __init__(
        self,
        root: Path,
        port: int,
        *,
        rebuild: Callable[[], None],
        signature: Callable[[], object],
        interval: float = 1.0,
    ) -> None:
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(root, self.lock))
        self.port = self.httpd.server_address[1]
        self._rebuild = rebuild
        self._signature = signature
        self._interval = interval
        self._stop = threading.Event()

    def _watch(self) -> None:
        last = self._signature()
        while not self._stop.wait(self._interval):
            now = self._signature()
            if now != last:
                last = now
                with self.lock:
                    self._rebuild()

    def serve_forever(self) -> None:
        """Serve until Ctrl-C (KeyboardInterrupt, raised to the caller)."""
        watcher = threading.Thread(target=self._watch, daemon=True)
        watcher.start()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self._stop.set()
            self.httpd.server_close()


def source_signature(config: Config) -> object:
    """(path, size, mtime) of every article and topic file: changes when a source changes."""
    sig = []
    for source in config.sources:
        for path in sorted(source.rglob("*")):
            try:
                st = path.stat()
            except OSError:
                continue
            sig.append((str(path), st.st_size, st.st_mtime_ns))
    return sig


def _utcnow() -> datetime:
    return datetime.now(UTC)


def preview(
    config: Config,
    overrides: Overrides,
    port: int,
    *,
    use_cache: bool = True,
    warn: Callable[[str], None],
    on_rejection: Callable[[Rejection], None],
    ready: Callable[[str], None],
    clock: Callable[[], datetime] = _utcnow,
) -> None:
    """``feedpub serve``: build into a temporary folder, serve it on 127.0.0.1:``port`` until
    Ctrl-C, and rebuild (at ``clock()``) whenever a source file changes.

    ``ready`` gets the preview's URL once the first build is served. Images are never
    probed (the probe cache is used as it is). A port that cannot be used is a ConfigError.
    """
    import tempfile

    from feedpub import build

    with tempfile.TemporaryDirectory(prefix="feedpub-serve-") as tmp:
        folder = Path(tmp)

        def rebuild() -> None:
            build.run(local, overrides, clock(), use_cache=use_cache, probe_network=False, warn=warn, on_rejection=on_rejection)

        def rebuild_on_change() -> None:
            # A rebuild that fails (every article removed, say) must not end the preview
            # or its watcher: say why and go on serving the last good build.
            try:
                rebuild()
            except FeedpubError as exc:
                warn(f"error: {exc}; still serving the last build")

        try:
            server = PreviewServer(folder, port, rebuild=rebuild_on_change, signature=lambda: source_signature(config))
        except OSError as exc:
            raise ConfigError(f"--port {port}: cannot listen on 127.0.0.1: {exc.strerror or exc}") from None
        url = f"http://127.0.0.1:{server.port}/"
        # Self links point at the preview; the caches stay where the config keeps them.
        local = replace(config, output=folder, cache_dir=config.cache_folder(), site=replace(config.site, base_url=url))
        rebuild()
        ready(url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
