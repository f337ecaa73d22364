"""One topic's feed in one format: the formats' writers behind one call.

Each writer is imported when its first feed is rendered: feedgen and lxml cost start-up
time that a run rendering nothing (every feed unchanged) does not need to pay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from feedpub.config import Site
from feedpub.formats import CONTENT_TYPES, EXTENSIONS
from feedpub.records import OutputFile, Selection

if TYPE_CHECKING:
    from feedpub.render.images import ProbeResult


@dataclass(frozen=True, slots=True)
class Doc:
    """Which document of a topic a feed file is, when not its subscription feed.

    ``path``: the file name without its extension; ``links``: RFC 5005 links as
    ``(rel, path)``, each to the document of the same format; ``archive``: an archive
    document (marked ``fh:archive``, no WebSub hubs: it never changes once full).
    """

    path: str
    title: str | None = None
    links: tuple[tuple[str, str], ...] = ()
    archive: bool = False


def render_feed(
    sel: Selection,
    site: Site,
    fmt: str,
    *,
    hubs: Sequence[str] = (),
    probe: Callable[[str], ProbeResult | None] | None = None,
    topic_names: Mapping[str, str] | None = None,
    doc: Doc | None = None,
    image: str | None = None,
) -> OutputFile:
    """One topic's feed in one format ("rss", "atom" or "json") as an OutputFile.

    ``probe`` gives an image URL's probed type and length (None: unknown);
    ``topic_names`` maps topic keys to display names for the items' categories;
    ``doc`` says which of the topic's documents it is (None: the subscription feed);
    ``image`` is the topic's image (logo, channel image, icon).
    """
    doc = doc or Doc(sel.topic.slug)
    name = doc.path + EXTENSIONS[fmt]
    self_url = site.feeds_url() + name
    links = tuple((rel, site.feeds_url() + path + EXTENSIONS[fmt]) for rel, path in doc.links)
    if doc.archive:
        hubs = ()  # nothing to be told of: a full archive document never changes
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
            title=doc.title,
            hubs=hubs,
            author=(site.author or site.title, site.home()),
            icon=image,
            favicon=site.favicon,
        )
    else:
        from feedpub.render.rss_atom import render_rss_atom

        data = render_rss_atom(
            sel, site, fmt, self_url, hubs=hubs, probe=probe, topic_names=topic_names,
            title=doc.title, links=links, archive=doc.archive, image=image,
        )  # fmt: skip
    return OutputFile(name=name, data=data, content_type=CONTENT_TYPES[fmt], group=0)
