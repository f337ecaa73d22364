"""The render step of a build, with the render cache and the image probe.

Used by :mod:`feedpub.build` only: it gives the selection and the parse cache (whose
stubs are decoded here, for the feeds that must be rendered) and gets the files back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from feedpub.build_report import Note, no_note
from feedpub.cache.parsed import ParseCache
from feedpub.cache.rendered import RenderCache
from feedpub.config import Config
from feedpub.formats import CONTENT_TYPES, EXTENSIONS, HTML, formats_of
from feedpub.progress import Progress
from feedpub.records import Article, ExtraFiles, Extras, OutputFile, Picked, Selection
from feedpub.render.directory import HEADLINES, render_index_page
from feedpub.render.feeds import Doc, render_feed
from feedpub.render.images import topic_image
from feedpub.render.opml import render_opml
from feedpub.render.page import page_links, page_name, render_topic_page
from feedpub.select import UNDATED, SelectResult
from feedpub.topics import TopicIndex

if TYPE_CHECKING:
    from feedpub.deadline import Deadline
    from feedpub.render.images import ProbeResult


@dataclass(frozen=True, slots=True)
class Rendered:
    """Every file of one build, and how many feeds the render cache gave (None without it)."""

    files: tuple[OutputFile, ...]
    feeds_reused: int | None = None
    feeds_rendered: int | None = None


def _probe(
    config: Config,
    selections: list[Selection],
    now: datetime,
    *,
    network: bool,
    warn: Callable[[str], None],
    deadline: Deadline | None,
) -> Callable[[str], ProbeResult | None] | None:
    """Enclosure sizes from the probe cache, probing the network first (by ``deadline``) when allowed."""
    if not config.image_probe.enabled:
        return None
    from feedpub.render.probe import (
        ImageProbe,  # needs requests: only imported when probing is on
    )

    probe = ImageProbe(config.image_probe, now=lambda: now, deadline=deadline)
    if network:
        urls = sorted({a.images[0].url for sel in selections for a in sel.items if a.images})
        try:
            probe.probe_all(urls)
        finally:
            # Also when the run's deadline cut probing short: the slow host is then
            # remembered as failed, and the next run does not wait on it again.
            try:
                probe.save()
            except OSError as exc:
                warn(f"{config.image_probe.cache}: cannot save the image probe cache: {exc.strerror or exc}")
    return probe.lookup


def render_all(
    config: Config,
    result: SelectResult,
    topics: TopicIndex,
    cache: ParseCache | None,
    now: datetime,
    progress: Progress,
    *,
    extras: Extras | None = None,
    probe_network: bool,
    warn: Callable[[str], None],
    deadline: Deadline | None = None,
    note: Note = no_note,
) -> Rendered:
    """Every feed of ``result`` in every configured format and its page, then the OPML file and the index page.

    With ``cache``, a feed whose inputs are unchanged since the last run comes from the
    render cache (kept beside the parse cache) and only the others are rendered; ``note``
    is told of each file, ``rendered`` or ``reused`` (from the render cache).
    """
    files: list[OutputFile] = []
    extras = extras or Extras()
    # Each feed's extra files, found once: asking per topic page would walk every extra feed again.
    extra_files = extras.files_by_feed(config.formats)
    picks = list(result.selections)
    if result.site is not None:
        picks.append(result.site)
    # Render takes Selections of full Articles: a feed's cached items are decoded into
    # them (resolved) only when it is rendered, or when probing reads every item's images.
    resolve = cache.resolve if cache is not None else Picked.selection
    resolved: dict[int, Selection] = {}
    if config.image_probe.enabled:
        # Archive documents are not probed: their enclosures keep what the file says.
        resolved = {id(p): resolve(p) for p in picks + [f.picked for f in extras.feeds if f.kind == "top"]}
    lookup = _probe(config, list(resolved.values()), now, network=probe_network, warn=warn, deadline=deadline)
    jobs = _jobs(config, picks, extras)
    total = sum(len(fmts) for _, _, fmts in jobs)
    names = {t.key: t.name for t in topics}
    # A feed whose inputs are unchanged since the last run is taken from the cache
    # instead of rendered: the same inputs give the same bytes. The key covers the
    # topic display names (categories) and the probed enclosure sizes too.
    renders = RenderCache(config.cache_folder(), on_error=cache.report) if cache is not None else None
    settings = RenderCache.settings_key((config.site, config.hubs, tuple(sorted(names.items()))))
    headlines: dict[str, tuple[Article, ...]] = {}
    pages = pages_reused = 0  # the cache's counts less these are the feeds' ("feeds_reused", "feeds_rendered")
    done = 0
    for pick, doc, fmts in jobs:
        # Archive documents take enclosure sizes from the article files alone: a probe
        # answering differently later must not change a full document.
        probe = None if doc.archive else lookup
        sel = resolved.get(id(pick))
        image = topic_image(pick.topic, config.site)
        url = image.url if image else None
        topic_key = b""
        if renders is not None and cache is not None:
            probed = tuple(probe(a.images[0].url) for a in sel.items if a.images) if probe and sel else ()
            # What a document is (its name, title, archive links) and the topic's image count too.
            topic_key = renders.key(pick, RenderCache.settings_key((settings, doc, url)), probed, cache.digest)
        for fmt in fmts:
            name = doc.path + EXTENSIONS[fmt]
            data = renders.get(name, topic_key + fmt.encode()) if renders is not None else None
            if data is None:
                sel = sel or resolve(pick)
                out = render_feed(sel, config.site, fmt, hubs=config.hubs, topic_names=names, probe=probe, doc=doc, image=url)
                if renders is not None:
                    renders.put(name, topic_key + fmt.encode(), out.data)
                files.append(out)
                note("rendered", name)
            else:
                files.append(OutputFile(name=name, data=data, content_type=CONTENT_TYPES[fmt], group=0))
                note("reused", f"{name} (render cache)")
            done += 1
        if config.directory and doc.path == pick.topic.slug:
            # The topic's page, after its subscription feeds (whose items it shows) and
            # through the render cache like them: the same key, plus the formats whose
            # addresses it shows, the other files it links and why an empty feed is empty.
            more = page_links(extra_files.get(pick.topic.slug, ExtraFiles()))
            name = page_name(pick.topic.slug)
            key = topic_key + repr(("html", config.formats, more, pick.held)).encode()
            data = renders.get(name, key) if renders is not None else None
            pages += 1
            if data is None:
                sel = sel or resolve(pick)
                page = render_topic_page(sel, config.site, config.formats, more=more, held=pick.held)
                if renders is not None:
                    renders.put(name, key, page.data)
                files.append(page)
                note("rendered", name)
            else:
                files.append(OutputFile(name=name, data=data, content_type=HTML.content_type, group=1))
                pages_reused += 1
                note("reused", f"{name} (render cache)")
            # The index's cards show the newest headlines: only those few are decoded.
            heads = sel.items[:HEADLINES] if sel is not None else resolve(replace(pick, items=pick.items[:HEADLINES])).items
            headlines[pick.topic.slug] = heads
        progress.update("rendering feeds", done, total)
    progress.clear()
    if cache is not None:
        cache.close()
    if renders is not None:
        renders.save()
    updated = result.newest or UNDATED  # no article due yet: a fixed date, never the clock
    # The listings read each feed's topic, item count and newest date, which a Picked
    # feed has without decoding its items.
    top = [f.picked for f in extras.feeds if f.kind == "top"]
    files.append(render_opml(picks, config.site, config.formats, updated, top=top))
    note("rendered", files[-1].name)
    if config.directory:
        files.append(render_index_page(picks, config.site, config.formats, updated, headlines=headlines))
        note("rendered", files[-1].name)
    if renders is None:
        return Rendered(tuple(files))
    reused = renders.reused - pages_reused
    return Rendered(tuple(files), feeds_reused=reused, feeds_rendered=renders.rendered - (pages - pages_reused))


def _jobs(config: Config, picks: list[Picked], extras: Extras) -> list[tuple[Picked, Doc, list[str]]]:
    """Every feed document to render: each feed's subscription feeds, then the archive
    documents and top-stories feeds, each with its name, title and RFC 5005 links."""
    site = config.site
    jobs = []
    for pick in picks:
        newest = extras.newest_archive.get(pick.topic.slug)
        prev = (("prev-archive", newest),) if newest else ()
        jobs.append((pick, Doc(pick.topic.slug, links=prev), formats_of("feed", config.formats)))
    for feed in extras.feeds:
        topic = feed.picked.topic
        if feed.kind == "archive":
            number = feed.path.rpartition("/")[2]
            links = [("current", topic.slug)]
            links += [("prev-archive", feed.prev)] if feed.prev else []
            links += [("next-archive", feed.next)] if feed.next else []
            doc = Doc(feed.path, f"{site.title}: {topic.name} (archive {number})", tuple(links), archive=True)
        else:
            doc = Doc(feed.path, f"{site.title}: {topic.name}, top stories")
        fmts = formats_of(feed.kind, config.formats)
        if fmts:
            jobs.append((feed.picked, doc, fmts))
    return jobs
