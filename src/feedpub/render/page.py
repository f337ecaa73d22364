"""A topic's page for people, ``<slug>.html`` beside ``<slug>.xml``: what a click on a feed link should show.

The topic's name, description and image; the feed's items with lead image, title
(linking to the article), excerpt, provider, date and related coverage; the address
of each feed format with a copy button, and autodiscovery links. One self-contained
file: no external asset but the http(s) images, usable without JavaScript (the copy
buttons stay hidden then; the addresses can be selected by hand). The one inline
script and the one inline style are allowed by hash in the page's
Content-Security-Policy, which forbids everything else. Every value is escaped and
only http(s) URLs become links or images (:mod:`feedpub.render.html`). Its bytes
depend only on the arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from feedpub.config import Site
from feedpub.formats import BY_EXTENSION, FEEDS, HTML, OPML
from feedpub.records import Article, ExtraFiles, HeldBack, OutputFile, Selection, Topic
from feedpub.render.html import BASE_CSS, csp, empty_reason, external, img_tag, local, text, time_tag
from feedpub.render.images import topic_image

MAX_RELATED_SHOWN = 100
"""Related links listed under one item (an article keeps at most as many)."""


@dataclass(frozen=True, slots=True)
class PageLink:
    """Another file feedpub writes for the topic (a top-stories feed, an archive), listed on its page."""

    label: str
    name: str
    """The file name relative to the page (``top/robots.xml``)."""
    media_type: str


def page_name(slug: str) -> str:
    """The file name of a topic's page."""
    return slug + HTML.extension


def page_links(files: ExtraFiles) -> tuple[PageLink, ...]:
    """What a topic page lists besides its feeds: the top-stories feed in each format, and
    the newest archive document in each format (a reader follows its ``prev-archive``
    links back to the oldest; listing every document would bury the page)."""
    links = [PageLink(f"Top stories ({BY_EXTENSION[_ext(n)].label})", n, BY_EXTENSION[_ext(n)].media_type) for n in files.top]
    newest: dict[str, str] = {}
    for name in files.archive:  # oldest first: the last of each format is the newest
        newest[_ext(name)] = name
    for ext, name in sorted(newest.items(), key=lambda kv: [f.extension for f in FEEDS].index(kv[0])):
        links.append(PageLink(f"Full archive ({BY_EXTENSION[ext].label})", name, BY_EXTENSION[ext].media_type))
    return tuple(links)


def _ext(name: str) -> str:
    return name[name.rfind(".") :]


def topic_description(topic: Topic, site: Site) -> str | None:
    """What a page says a feed is about: its definition's description; the site's for the site feed."""
    return topic.description if topic.key else topic.description or site.description


# Shows the copy buttons (hidden without JavaScript) and copies a feed's address; where
# the clipboard is refused (an insecure origin, no permission) it selects the address
# for Ctrl+C instead. No inline handler: the CSP allows this text alone, by its hash.
COPY_SCRIPT = """
for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.getAttribute("data-copy"));
  const done = (state, label) => {
    button.setAttribute("data-state", state);
    button.textContent = label;
  };
  const select = () => {
    field.focus();
    field.select();
    done("selected", "Press Ctrl+C");
  };
  button.hidden = false;
  button.addEventListener("click", () => {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(() => done("copied", "Copied"), select);
    } else {
      select();
    }
  });
}
""".strip("\n")

_CSS = (
    BASE_CSS
    + """
nav{margin-bottom:1rem;font-size:.95rem}
.hero{display:flex;flex-wrap:wrap;gap:1rem 1.25rem;align-items:flex-start}
.hero .topic-image{width:8rem;height:8rem;object-fit:cover;border-radius:.75rem;border:1px solid var(--line);flex:none}
.hero div{flex:1 1 16rem;min-width:0}
h2{font-size:1.2rem;margin:0 0 .75rem}
.subscribe{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1rem 1.1rem;margin-bottom:1.5rem}
.subscribe p{margin:0 0 .6rem}
.feeds{list-style:none;margin:0;padding:0;display:grid;gap:.5rem}
.feeds li{display:grid;grid-template-columns:minmax(0,1fr) auto;align-items:center;gap:.3rem .6rem}
.feeds a{font-weight:600;grid-column:1/-1}
@media (min-width:40rem){.feeds li{grid-template-columns:6.5rem minmax(0,1fr) auto}.feeds a{grid-column:auto}}
.feeds input{width:100%;min-width:0;font:inherit;font-size:.9rem;padding:.3rem .5rem;
border:1px solid var(--line);border-radius:.4rem;background:var(--bg);color:var(--text)}
.feeds button{font:inherit;font-size:.9rem;padding:.3rem .8rem;border-radius:999px;
border:1px solid var(--accent);background:none;color:var(--accent);cursor:pointer;min-height:2rem}
.more{margin:.75rem 0 0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.items{list-style:none;margin:0;padding:0;display:grid;gap:1rem}
.item{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1rem 1.1rem;
display:grid;grid-template-columns:minmax(0,1fr);gap:.4rem;min-width:0}
.item .lead{width:100%;max-height:16rem;object-fit:cover;border-radius:.5rem}
@media (min-width:40rem){.item.has-image{grid-template-columns:12rem minmax(0,1fr);column-gap:1rem}
.item.has-image .lead{grid-row:1/span 4;height:100%;max-height:10rem}}
.item h3{font-size:1.1rem;line-height:1.3;margin:0;overflow-wrap:anywhere}
.excerpt{margin:0;overflow-wrap:anywhere}
details{font-size:.95rem}
summary{cursor:pointer;color:var(--muted)}
details ul{margin:.4rem 0 0;padding-left:1.2rem}
details li{overflow-wrap:anywhere}
""".rstrip()
)


def _item(article: Article) -> str:
    lead = img_tag(article.images[0], "lead", alt=article.images[0].title or "", lazy=True) if article.images else ""
    parts = [f'<li class="item{" has-image" if lead else ""}">']
    if lead:
        parts.append(lead)
    href = external(article.url)
    title = text(article.title)
    parts.append(f'<h3><a href="{href}">{title}</a></h3>' if href else f"<h3>{title}</h3>")
    who = text(article.provider.name) + " · " if article.provider and article.provider.name else ""
    parts.append(f'<p class="meta">{who}{time_tag(article.published_at)}</p>')
    if article.excerpt:
        parts.append(f'<p class="excerpt">{text(article.excerpt)}</p>')
    related = []
    for rel in article.related[:MAX_RELATED_SHOWN]:
        link = external(rel.url)
        if link is None:
            continue
        by = f" ({text(rel.provider.name)})" if rel.provider and rel.provider.name else ""
        related.append(f'<li><a href="{link}">{text(rel.title)}</a>{by}</li>')
    if related:
        summary = f"<summary>Related coverage ({len(related)})</summary>"
        parts.append(f"<details>{summary}<ul>\n" + "\n".join(related) + "\n</ul></details>")
    parts.append("</li>")
    return "\n".join(parts)


def render_page(
    sel: Selection,
    site: Site,
    formats: Sequence[str],
    *,
    more: Sequence[PageLink] = (),
    held: HeldBack | None = None,
    index_page: bool = True,
) -> bytes:
    """The topic page of one feed, UTF-8.

    ``more``: the topic's other files to list (top stories, archives); ``held`` says
    why an empty feed is empty; ``index_page``: link back to ``index.html``.
    """
    topic = sel.topic
    slug = topic.slug
    name = text(topic.name)
    description = topic_description(topic, site)
    feeds = [(f, slug + f.extension) for f in FEEDS if f.key in formats]
    head = [
        "<!doctype html>",
        f'<html lang="{text(site.language)}">',
        "<head>",
        '<meta charset="utf-8">',
        csp(styles=[_CSS], scripts=[COPY_SCRIPT]),
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{name} · {text(site.title)}</title>",
    ]
    if description:
        head.append(f'<meta name="description" content="{text(description)}">')
    head += [
        f'<link rel="alternate" type="{f.media_type}" title="{text(f"{topic.name} ({f.label})")}" href="{local(file)}">'
        for f, file in feeds
    ]
    head += [f"<style>{_CSS}</style>", "</head>"]

    body = ["<body>", '<div class="wrap">']
    if index_page:
        body.append(f'<nav><a href="{local("index.html")}">← {text(site.title)}: all feeds</a></nav>')
    body.append('<header class="hero">')
    image = topic_image(topic, site)
    if image is not None:
        body.append(img_tag(image, "topic-image", alt=""))
    body.append("<div>")
    body.append(f"<h1>{name}</h1>")
    if description:
        body.append(f'<p class="lede">{text(description)}</p>')
    if sel.items:
        count = "1 article" if len(sel.items) == 1 else f"{len(sel.items):,} articles"
        body.append(f'<p class="meta">{count} · newest {time_tag(sel.items[0].published_at)}</p>')
    body += ["</div>", "</header>"]

    if feeds:
        body += [
            '<section class="subscribe" aria-labelledby="subscribe">',
            '<h2 id="subscribe">Subscribe</h2>',
            "<p>Copy a feed address into your feed reader.</p>",
            '<ul class="feeds">',
        ]
        for f, file in feeds:
            field = f"url-{f.key}"
            body.append(
                f'<li><a class="{f.key}" href="{local(file)}" type="{f.media_type}">{text(f.label)}</a>'
                f'<input id="{field}" type="url" readonly value="{text(site.feeds_url() + file)}" '
                f'aria-label="{text(f.label)} feed address">'
                f'<button type="button" data-copy="{field}" hidden>Copy</button></li>'
            )
        body.append("</ul>")
        if more:
            body.append('<ul class="more">')
            body += [f'<li><a href="{local(m.name)}" type="{text(m.media_type)}">{text(m.label)}</a></li>' for m in more]
            body.append("</ul>")
        body.append("</section>")

    body += ["<main>", '<h2 id="latest">Latest articles</h2>']
    if sel.items:
        body.append('<ol class="items" aria-labelledby="latest">')
        body += [_item(a) for a in sel.items]
        body.append("</ol>")
    else:
        body.append(f'<p class="empty">{text(empty_reason(held or HeldBack()))}</p>')
    body.append("</main>")

    footer = [f"Updated {time_tag(sel.updated)}"]
    footer.append(f'<a href="{local("index.opml")}" type="{OPML.media_type}">OPML</a>')
    home = external(site.home())
    if home is not None:
        footer.append(f'<a href="{home}">{text(site.title)}</a>')
    body += [
        "<footer>",
        "<p>" + " · ".join(footer) + "</p>",
        "</footer>",
        "</div>",
        f"<script>{COPY_SCRIPT}</script>",
        "</body>",
        "</html>",
    ]
    return ("\n".join(head + body) + "\n").encode("utf-8", "replace")


def render_topic_page(
    sel: Selection,
    site: Site,
    formats: Sequence[str],
    *,
    more: Sequence[PageLink] = (),
    held: HeldBack | None = None,
) -> OutputFile:
    """``<slug>.html`` as an OutputFile, uploaded with the indexes (after the feeds it links to)."""
    data = render_page(sel, site, formats, more=more, held=held)
    return OutputFile(name=page_name(sel.topic.slug), data=data, content_type=HTML.content_type, group=1)
