"""Live reload for ``feedpub serve``: a page the preview sends reloads itself after a rebuild.

Only what the preview server sends is changed, never a built file: ``index.html`` as
written has no JavaScript (see :mod:`feedpub.render.directory`), and a published page
must not poll a preview server. The served copy gets one ``<script src>`` tag (no inline
script) that polls the server's build number and reloads the page when it changes; the
response carries a Content-Security-Policy header that allows that script and that
request only (``'self'``). A policy the page sets in a ``<meta>`` tag would apply on top
of the header and block the script, so the served copy moves it into the header, with
only ``script-src`` and ``connect-src`` widened to ``'self'``.
"""

from __future__ import annotations

import re
from html import escape

SCRIPT_NAME = "__feedpub/reload.js"
"""Where the reload script is served, under the preview's base path."""
BUILD_NAME = "__feedpub/build"
"""Where the current build number is served (plain text), under the preview's base path."""

# Polls once a second (a preview on this machine or the local network: cheap) and reloads
# when the number differs from the one the page was sent with; a server that went away
# (Ctrl-C) is asked again more slowly, and the page reloads once it answers a new number.
SCRIPT = b"""(function () {
  var me = document.currentScript;
  var seen = me.getAttribute("data-build"), url = me.getAttribute("data-poll");
  function poll() {
    fetch(url, {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (now) {
      if (now.trim() !== seen) { location.reload(); } else { setTimeout(poll, 1000); }
    }, function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
"""

DEFAULT_POLICY = "default-src 'self'; img-src * data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'"
"""The policy of a served page that sets none: what the page needs (its inline CSS, images) and the script."""

_META_CSP = re.compile(rb"""<meta\s+http-equiv\s*=\s*["']?content-security-policy["']?[^>]*>""", re.IGNORECASE)
_CONTENT = re.compile(rb"""content\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


def allow_script(policy: str) -> str:
    """``policy`` with ``script-src`` and ``connect-src`` set to ``'self'`` (the reload script and its poll)."""
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    kept = [d for d in directives if d.split()[0].lower() not in ("script-src", "connect-src")]
    return "; ".join([*kept, "script-src 'self'", "connect-src 'self'"])


def inject(page: bytes, build: int, base_path: str) -> tuple[bytes, str]:
    """The served copy of HTML ``page`` and its Content-Security-Policy header value.

    The script tag goes before the last ``</body>`` (at the end when there is none) and
    names build ``build``; ``base_path`` (``/`` or ``/news/``) is where the preview answers.
    """
    policy = DEFAULT_POLICY
    meta = _META_CSP.search(page)
    if meta is not None:
        content = _CONTENT.search(meta.group(0))
        if content is not None:
            policy = (content.group(1) or content.group(2) or b"").decode("utf-8", "replace")
        page = page[: meta.start()] + page[meta.end() :]
    tag = (
        f'<script src="{escape(base_path + SCRIPT_NAME)}" data-build="{build}" '
        f'data-poll="{escape(base_path + BUILD_NAME)}"></script>\n'
    ).encode()
    ends = list(_BODY_END.finditer(page))
    at = ends[-1].start() if ends else len(page)
    return page[:at] + tag + page[at:], allow_script(policy)


SCRIPT_TYPE = "text/javascript; charset=utf-8"
BUILD_TYPE = "text/plain; charset=utf-8"
