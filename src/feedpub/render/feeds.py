"""One topic's feed in one format: the formats' writers behind one call.

Each writer is imported when its first feed is rendered: feedgen and lxml cost start-up
time that a run rendering nothing (every feed unchanged) does not need to pay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from feedpub.config import Site
from feedpub.formats import CONTENT_TYPES, EXTENSIONS
from feedpub.records import OutputFile, Selection

if TYPE_CHECKING:
    from feedpub.render.images import ProbeResult


def render_feed(
    sel: Selection,
    site: Site,
    fmt: str,
    *,
    hubs: Sequence[str] = (),
    probe: Callable[[str], ProbeResult | None] | None = None,
    topic_names: Mapping[str, str] | None = None,
) -> OutputFile:
    """One topic's feed in one format ("rss", "atom" or "json") as an OutputFile.

    ``probe`` gives an image URL's probed type and length (None: unknown);
    ``topic_names`` maps topic keys to display names for the items' categories.
    """
    name = sel.topic.slug + EXTENSIONS[fmt]
    self_url = site.feeds_url() + name
    if fmt == "json":
        from feedpub.render.item_html import item_html
        from feedpub.render.jsonfeed import render_json_feed

        data = render_json_feed(
            sel,
            site_title=site.title,
            site_link=site.topic_home(sel.topic.slug),
            feed_url=self_url,
            language=site.language,
            content_html=item_html,
            probed=probe,
        )
    else:
        from feedpub.render.rss_atom import render_rss_atom

        data = render_rss_atom(sel, site, fmt, self_url, hubs=hubs, probe=probe, topic_names=topic_names)
    return OutputFile(name=name, data=data, content_type=CONTENT_TYPES[fmt], group=0)
