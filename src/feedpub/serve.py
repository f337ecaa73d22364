"""A local preview server for built feeds: right Content-Types, ETag/Last-Modified, 304s.

It serves one folder (on 127.0.0.1 unless told another address) and calls back to
rebuild it when the article files change, so an editor can point a feed reader at it
before publishing; :func:`preview` is ``feedpub serve``: builds into a temporary folder,
serves it, says in one line what each rebuild did, and makes the pages it sends reload
themselves after a rebuild (:mod:`feedpub.reload`; the built files stay as built).
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from feedpub import reload
from feedpub.errors import ConfigError, FeedpubError, Stopped
from feedpub.formats import HTML, UNKNOWN_CONTENT_TYPE, content_type_of
from feedpub.sigterm import stop_on_sigterm
from feedpub.text import printable

if TYPE_CHECKING:
    from feedpub.build import Overrides
    from feedpub.config import Config
    from feedpub.records import Rejection


class _State:
    """What the handler threads share with the rebuilds: the lock held while files change,
    and the build number the reload script polls (raised when a rebuild rewrote a file)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.build = 1


def _handler(root: Path, state: _State, base_path: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "feedpub-serve"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
            pass  # quiet: the preview is for a person looking at a reader, not at logs

        def _name(self) -> str:
            """The file asked for, relative to the preview's base path (or to / as well)."""
            path = unquote(urlsplit(self.path).path)
            if base_path != "/" and (path + "/").startswith(base_path):
                path = path[len(base_path) - 1 :]
            return path.lstrip("/")

        def _file(self, name: str) -> Path | None:
            path = (root / (name or "index.html")).resolve()
            # Files in the build's folder and its subfolders (archive/, top/), nothing outside it.
            if not path.is_relative_to(root.resolve()) or not path.is_file() or content_type_of(path.name) is None:
                return None
            return path

        def _respond(self, body: bool) -> None:
            name = self._name()
            headers: dict[str, str] = {}
            with state.lock:
                build = state.build
                path = None if name.startswith("__feedpub/") else self._file(name)
                data = path.read_bytes() if path else None
                mtime = path.stat().st_mtime if path else time.time()
            if name == reload.SCRIPT_NAME:
                data, content_type = reload.SCRIPT, reload.SCRIPT_TYPE
            elif name == reload.BUILD_NAME:
                data, content_type = str(build).encode(), reload.BUILD_TYPE
                headers["Cache-Control"] = "no-store"
            elif path is None or data is None:
                self.send_error(404, "no such feed")
                return
            else:
                content_type = content_type_of(path.name) or UNKNOWN_CONTENT_TYPE
                if path.suffix == HTML.extension:
                    data, headers["Content-Security-Policy"] = reload.inject(data, build, base_path)
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            last_modified = formatdate(int(mtime), usegmt=True)
            if self._not_modified(etag, int(mtime)):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", last_modified)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.send_header("Cache-Control", headers.pop("Cache-Control", "no-cache"))
            for key, value in headers.items():
                self.send_header(key, value)
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


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6  # the stdlib server listens on IPv4 only


Signature = Mapping[str, tuple[int, int]]
"""Every source file (path: size, mtime), as the watcher last saw them."""


class PreviewServer:
    """Serve ``root`` on ``bind``:``port`` under ``base_path``; poll ``signature`` and call ``rebuild``
    (with the signatures before and after) on change.

    ``rebuild`` returns whether it rewrote a file; the build number the pages poll is
    then raised, and they reload.
    """

    def __init__(
        self,
        root: Path,
        port: int,
        *,
        rebuild: Callable[[Signature, Signature], bool],
        signature: Callable[[], Signature],
        bind: str = "127.0.0.1",
        base_path: str = "/",
        interval: float = 1.0,
    ) -> None:
        self.state = _State()
        self.lock = self.state.lock
        server = _Server6 if ipaddress.ip_address(bind).version == 6 else ThreadingHTTPServer
        self.httpd = server((bind, port), _handler(root, self.state, base_path))
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
                with self.lock:
                    if self._rebuild(last, now):
                        self.state.build += 1
                last = now

    def serve_forever(self) -> None:
        """Serve until Ctrl-C (KeyboardInterrupt, raised to the caller)."""
        watcher = threading.Thread(target=self._watch, daemon=True)
        watcher.start()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self._stop.set()
            self.httpd.server_close()


def source_signature(config: Config) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every article and topic file by path: changes when a source changes."""
    sig = {}
    for source in config.sources:
        for path in sorted(source.rglob("*")):
            try:
                st = path.stat()
            except OSError:
                continue
            if not path.is_dir():
                sig[str(path)] = (st.st_size, st.st_mtime_ns)
    return sig


def _names(names: list[str], most: int = 4) -> str:
    """``a, b, c`` or ``a, b, c, d and 3 more``."""
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def changes(before: Signature, after: Signature, sources: tuple[Path, ...]) -> str:
    """What changed between two signatures, for the rebuild line: ``changed X; added Y; removed Z``
    (paths relative to their source folder)."""

    def short(path: str) -> str:
        for source in sources:
            try:
                return str(Path(path).relative_to(source))
            except ValueError:
                continue
        return path

    parts = []
    for verb, paths in (
        ("changed", [p for p in after if p in before and after[p] != before[p]]),
        ("added", [p for p in after if p not in before]),
        ("removed", [p for p in before if p not in after]),
    ):
        if paths:
            parts.append(f"{verb} {_names([printable(short(p)) for p in sorted(paths)])}")
    return "; ".join(parts) or "sources touched"


def rebuild_line(what: str, seconds: float, rewritten: list[str]) -> str:
    """The one line a rebuild prints: what changed, how long it took, the files rewritten."""
    files = f"{len(rewritten)} file{'' if len(rewritten) == 1 else 's'} rewritten"
    return f"rebuilt in {seconds:.2f} s ({what}): {files}" + (f": {_names(rewritten)}" if rewritten else "")


def listen_address(bind: str) -> str:
    """``bind`` checked: an IP address to listen on (a name is refused: which of its addresses?)."""
    try:
        return str(ipaddress.ip_address(bind))
    except ValueError:
        raise ConfigError(f"--bind {printable(bind)}: not an IP address (such as 127.0.0.1, 0.0.0.0 or ::1)") from None


def preview_url(bind: str, port: int) -> str:
    """The preview's own URL: the address bound, or this host's loopback for an any-address bind."""
    address = ipaddress.ip_address(bind)
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"http://{host}:{port}/"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def preview(
    config: Config,
    overrides: Overrides,
    port: int,
    *,
    bind: str = "127.0.0.1",
    base_url: str | None = None,
    use_cache: bool = True,
    warn: Callable[[str], None],
    on_rejection: Callable[[Rejection], None],
    ready: Callable[[str], None],
    told: Callable[[str], None] | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> None:
    """``feedpub serve``: build into a temporary folder, serve it on ``bind``:``port`` until
    Ctrl-C, and rebuild (at ``clock()``) whenever a source file changes.

    Links in what is served (feeds' self links, the OPML file, ``index.html``) use
    ``base_url``, by default the preview's own URL; the preview also answers under the
    base URL's path (``/news/robots.xml`` as well as ``/robots.xml``), so a link followed
    through a proxy or another host name that maps that path here still works.

    ``ready`` gets the preview's URL once the first build is served, ``told`` (default:
    ``warn``) one line per rebuild. Images are never probed (the probe cache is used as
    it is). An address or port that cannot be used is a ConfigError.
    """
    import tempfile

    from feedpub import build

    bind = listen_address(bind)
    say = told or warn
    with tempfile.TemporaryDirectory(prefix="feedpub-serve-") as tmp:
        folder = Path(tmp)

        def rebuild() -> list[str]:
            made = build.run(
                local, overrides, clock(), use_cache=use_cache, probe_network=False, warn=warn, on_rejection=on_rejection
            )
            done = made.written
            return [*done.uploaded, *done.deleted] if done is not None else []

        def rebuild_on_change(before: Signature, after: Signature) -> bool:
            # A rebuild that fails (every article removed, say) must not end the preview
            # or its watcher: say why and go on serving the last good build.
            started = time.perf_counter()
            what = changes(before, after, config.sources)
            try:
                rewritten = rebuild()
            except FeedpubError as exc:
                warn(f"error: {exc}; still serving the last build")
                return False
            say(rebuild_line(what, time.perf_counter() - started, rewritten))
            return bool(rewritten)

        own = urlsplit(base_url).path if base_url else "/"
        base_path = own if own.endswith("/") else own + "/"
        try:
            server = PreviewServer(
                folder, port, bind=bind, base_path=base_path, rebuild=rebuild_on_change,
                signature=lambda: source_signature(config),
            )  # fmt: skip
        except OSError as exc:
            raise ConfigError(f"--bind {bind} --port {port}: cannot listen there: {exc.strerror or exc}") from None
        url = preview_url(bind, server.port)
        # Self links point at the preview (or --base-url); the caches stay where the config keeps them.
        site = replace(config.site, base_url=base_url or url)
        local = replace(config, output=folder, cache_dir=config.cache_folder(), site=site)
        try:
            # SIGTERM (a service manager, a test) stops the preview as Ctrl-C does: quietly,
            # with the temporary folder removed.
            with stop_on_sigterm("the preview stopped"):
                rebuild()
                ready(url if base_path == "/" else url.rstrip("/") + base_path)
                server.serve_forever()
        except (KeyboardInterrupt, Stopped):
            pass
        finally:
            server.httpd.server_close()
