"""WebSub publisher pings: tell each hub which feed URLs changed after a publish.

A hub that fails is reported, never fatal: the feeds are already published, and the hub
will see the change on its next poll anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import requests

from feedpub.urls import is_http


def notify_hubs(hubs: Sequence[str], topic_urls: Sequence[str], *, timeout: float = 10) -> list[str]:
    """POST ``hub.mode=publish`` with one ``hub.url`` per changed feed to every hub; return one line per problem."""
    problems: list[str] = []
    urls = list(dict.fromkeys(topic_urls))
    if not urls:
        return problems
    # The WebSub spec leaves the publish ping to each hub; the common form (PubSubHubbub
    # 0.4 hubs, Google's and Superfeedr's) takes hub.url repeated, form-encoded.
    form = [("hub.mode", "publish"), *(("hub.url", url) for url in urls)]
    for hub in dict.fromkeys(hubs):
        name = _safe(hub)
        if not is_http(hub):
            problems.append(f"WebSub hub {name}: not an http(s) URL")
            continue
        try:
            response = requests.post(
                hub,
                data=form,
                timeout=timeout,
                allow_redirects=True,
            )
        except requests.Timeout:
            problems.append(f"WebSub hub {name}: no answer within {timeout:g} s")
            continue
        except requests.ConnectionError:
            problems.append(f"WebSub hub {name}: cannot connect")
            continue
        except requests.RequestException as exc:
            problems.append(f"WebSub hub {name}: {type(exc).__name__}")
            continue
        if not 200 <= response.status_code < 300:
            reason = " ".join((response.reason or "").split())
            problems.append(f"WebSub hub {name}: answered {response.status_code} {reason}".rstrip())
    return problems


def _safe(url: str) -> str:
    """The hub URL without user:password or query (which may carry a token), for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", "")) or url
