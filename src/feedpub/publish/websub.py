"""WebSub publisher pings: tell each hub which feed URLs changed after a publish.

A hub that fails is reported, never fatal: the feeds are already published, and the hub
will see the change on its next poll anyway. Nor may a hub hold the run up: hubs are
pinged side by side, each within ``timeout`` seconds in total (requests' own timeout
bounds each read only), all of them within ``total`` seconds and the run's deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import requests

from feedpub.deadline import Deadline, TimedOut, status_of
from feedpub.urls import is_http, public_url

PING_TIMEOUT = 10.0
"""Seconds one hub gets to answer a ping, in total."""
PINGS_TOTAL = 30.0
"""Seconds all the pings of one publish may take together."""
_AT_ONCE = 8


def notify_hubs(
    hubs: Sequence[str],
    topic_urls: Sequence[str],
    *,
    timeout: float = PING_TIMEOUT,
    total: float = PINGS_TOTAL,
    deadline: Deadline | None = None,
) -> list[str]:
    """POST ``hub.mode=publish`` with one ``hub.url`` per changed feed to every hub; return one line per problem.

    Each hub gets ``timeout`` seconds; every ping ends within ``total`` seconds and by
    ``deadline`` (the run's), whichever comes first. Never raises for a hub's failure.
    """
    urls = list(dict.fromkeys(topic_urls))
    hubs = list(dict.fromkeys(hubs))
    if not urls or not hubs:
        return []
    # The WebSub spec leaves the publish ping to each hub; the common form (PubSubHubbub
    # 0.4 hubs, Google's and Superfeedr's) takes hub.url repeated, form-encoded.
    form = [("hub.mode", "publish"), *(("hub.url", url) for url in urls)]
    ends = Deadline.after(total, "WebSub pings in total").sooner(deadline)
    with ThreadPoolExecutor(max_workers=min(_AT_ONCE, len(hubs))) as pool:
        answers = list(pool.map(partial(_ping, form=form, timeout=timeout, deadline=ends), hubs))
    return [problem for problem in answers if problem is not None]


def _ping(hub: str, *, form: list[tuple[str, str]], timeout: float, deadline: Deadline) -> str | None:
    """Ping one hub; the problem in one line, or None when it took the ping."""
    name = public_url(hub)
    if not is_http(hub):
        return f"WebSub hub {name}: not an http(s) URL"
    if deadline.expired():
        return f"WebSub hub {name}: not pinged: no time left ({deadline.describe()})"
    try:
        status, reason = status_of("POST", hub, data=form, timeout=timeout, deadline=deadline, allow_redirects=True)
    except TimedOut as exc:
        return f"WebSub hub {name}: {exc.cause()}"
    except requests.Timeout:
        return f"WebSub hub {name}: no answer within {timeout:g} s"
    except requests.ConnectionError:
        return f"WebSub hub {name}: cannot connect"
    except requests.RequestException as exc:
        return f"WebSub hub {name}: {type(exc).__name__}"
    if not 200 <= status < 300:
        return f"WebSub hub {name}: answered {status} {reason}".rstrip()
    return None
