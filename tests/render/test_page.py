"""Topic pages (``<slug>.html``) and the index cards: content, escaping, CSP; and in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from feedpub.cli import main
from feedpub.config import Site
from feedpub.records import Article, ExtraFiles, HeldBack, Image, Provider, Related, Selection, Topic
from feedpub.render.directory import render_index_page
from feedpub.render.page import COPY_SCRIPT, PageLink, page_links, render_page, render_topic_page

from ..browser import ARTIFACTS, chromium_run, console_messages, fetch_status, needs_chromium, png_size, web_server

WHEN = datetime(2025, 3, 2, 8, 30, tzinfo=UTC)
SITE = Site(title="Test News", link="https://site.test/", base_url="https://feeds.test/news/", logo="https://site.test/logo.png")
FORMATS = ("rss", "atom", "json")

ARM = Article(
    path="arm.md",
    title="Robot arm folds laundry & towels",
    url="https://news.test/arm?a=1&b=2",
    published_at=WHEN,
    excerpt="A research arm folds a towel in 40 seconds.",
    images=(Image(url="https://img.test/arm.png", width=640, height=480),),
    provider=Provider(name="Test Wire", domain="wire.test"),
    related=(
        Related(title="Folding, explained", url="https://blog.test/folding", provider=Provider(name="Test Blog")),
        Related(title="Second take", url="https://other.test/take"),
    ),
)
PLAIN = Article(
    path="plain.md", title="No picture here", url="https://news.test/plain", published_at=datetime(2025, 3, 1, tzinfo=UTC)
)
TOPIC = Topic(
    key="robots",
    name="Robots",
    slug="robots",
    description="Machines that move",
    images=(Image(url="https://img.test/topics/robots.jpg"),),
)


def page(sel: Selection | None = None, site: Site = SITE, **kw: object) -> str:
    sel = sel or Selection(TOPIC, (ARM, PLAIN), 2, WHEN)
    return render_page(sel, site, FORMATS, **kw).decode("utf-8")  # type: ignore[arg-type]


class Page(HTMLParser):
    """Every element with its attributes, the text of each <script> and <style>, and the text shown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.texts: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag in ("script", "style"):
            self._in = tag
            (self.scripts if tag == "script" else self.styles).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "style":
            self.styles[-1] += data
        else:
            self.texts.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag]

    def urls(self) -> list[str]:
        return [a[k] for _, a in self.elements for k in ("href", "src") if k in a]


def parsed(text: str) -> Page:
    p = Page()
    p.feed(text)
    return p


def policy(p: Page) -> dict[str, list[str]]:
    (meta,) = [m for m in p.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    out = {}
    for part in meta["content"].split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def test_the_page_shows_the_topic_its_items_and_its_feeds() -> None:
    text = page()
    p = parsed(text)
    assert "<h1>Robots</h1>" in text
    assert '<p class="lede">Machines that move</p>' in text
    assert p.all("img")[0] == {
        "class": "topic-image",
        "src": "https://img.test/topics/robots.jpg",
        "alt": "",
        "decoding": "async",
    }
    assert '<a href="https://news.test/arm?a=1&amp;b=2">Robot arm folds laundry &amp; towels</a>' in text
    assert '<img class="lead" src="https://img.test/arm.png" width="640" height="480"' in text
    assert 'Test Wire · <time datetime="2025-03-02T08:30:00Z">2 Mar 2025</time>' in text
    assert "A research arm folds a towel in 40 seconds." in text
    assert "<summary>Related coverage (2)</summary>" in text
    assert '<li><a href="https://blog.test/folding">Folding, explained</a> (Test Blog)</li>' in text
    assert text.index("Robot arm folds") < text.index("No picture here"), "newest first"
    assert '<li class="item">' in text, "an item without an image has no empty image box"
    # Every format: a relative link, the absolute address to copy, a copy button hidden until the script runs.
    alternates = [(a["type"], a["href"]) for a in p.all("link") if a.get("rel") == "alternate"]
    assert alternates == [
        ("application/rss+xml", "robots.xml"),
        ("application/atom+xml", "robots.atom"),
        ("application/feed+json", "robots.json"),
    ]
    assert [a["value"] for a in p.all("input")] == [
        "https://feeds.test/news/robots.xml",
        "https://feeds.test/news/robots.atom",
        "https://feeds.test/news/robots.json",
    ]
    buttons = p.all("button")
    assert len(buttons) == 3 and all("hidden" in b for b in buttons)
    assert [b["data-copy"] for b in buttons] == [a["id"] for a in p.all("input")]
    assert {"index.html", "index.opml", "https://site.test/"} <= set(p.urls())


def test_only_the_formats_written_are_offered() -> None:
    text = render_page(Selection(TOPIC, (ARM,), 1, WHEN), SITE, ("atom",)).decode()
    assert [a["value"] for a in parsed(text).all("input")] == ["https://feeds.test/news/robots.atom"]
    assert "robots.xml" not in text and "robots.json" not in text


def test_the_csp_allows_the_pages_own_style_and_script_and_nothing_else() -> None:
    p = parsed(page())
    rules = policy(p)
    assert rules["default-src"] == ["'none'"]
    assert rules["img-src"] == ["http:", "https:"]
    assert rules["base-uri"] == ["'none'"] and rules["form-action"] == ["'none'"]
    # The hashes, recomputed from the texts the page carries, allow exactly those texts.
    assert p.scripts == [COPY_SCRIPT]
    assert rules["script-src"] == [sha256_source(p.scripts[0])]
    assert len(p.styles) == 1 and rules["style-src"] == [sha256_source(p.styles[0])]
    assert not [a for _, attrs in p.elements for a in attrs if a.startswith("on") or a == "style"], "no inline handler or style"


def test_the_index_has_a_csp_with_no_script_at_all() -> None:
    sel = Selection(TOPIC, (ARM, PLAIN), 2, WHEN)
    text = render_index_page([sel], SITE, FORMATS, WHEN, headlines={"robots": (ARM, PLAIN)}).data.decode()
    p = parsed(text)
    rules = policy(p)
    assert rules["script-src"] == ["'none'"] and p.scripts == []
    assert rules["style-src"] == [sha256_source(p.styles[0])]
    # The card: the topic's image and page, its description and newest headlines.
    assert '<img class="topic-image" src="https://img.test/topics/robots.jpg"' in text
    assert '<h2><a href="robots.html">Robots</a></h2>' in text
    assert '<p class="desc">Machines that move</p>' in text
    assert (
        '<ul class="headlines"><li><a href="https://news.test/arm?a=1&amp;b=2">Robot arm folds laundry &amp; towels</a></li>'
        '<li><a href="https://news.test/plain">No picture here</a></li></ul>'
    ) in text


def test_a_topic_without_images_shows_the_site_logo_or_nothing() -> None:
    bare = Topic(key="t", name="T", slug="t")
    sel = Selection(bare, (PLAIN,), 1, WHEN)
    assert '<img class="topic-image" src="https://site.test/logo.png"' in page(sel)
    assert parsed(page(sel, Site(title="No logo"))).all("img") == []


HOSTILE_TITLE = '<script>alert("title")</script>'
HOSTILE = Article(
    path="evil.md",
    title=HOSTILE_TITLE,
    url="javascript:alert('link')",
    published_at=WHEN,
    excerpt='"><img src=x onerror=alert(1)>',
    images=(Image(url="javascript:alert('img')", title='" onload="alert(2)'),),
    provider=Provider(name="<b>Evil</b> Corp"),
    related=(
        Related(title="<i>rel</i>", url="javascript:alert('related')"),
        Related(title="data", url="data:text/html,<script>alert(3)</script>"),
        Related(title="relative", url="/local/path"),
        Related(title="fine", url="https://ok.test/fine"),
    ),
)
HOSTILE_TOPIC = Topic(
    key="evil",
    name='Evil "topic" <script>',
    slug="evil",
    description="He said \"hi\" & left <b>bold</b> 'quotes'",
    images=(Image(url="javascript:alert('topic')"),),
)


def assert_nothing_hostile(text: str) -> None:
    p = parsed(text)
    assert len(p.scripts) <= 1 and all(s == COPY_SCRIPT for s in p.scripts), "no script but the copy script"
    for url in p.urls():
        scheme = urlsplit(url).scheme
        assert scheme in ("", "http", "https"), url
        if not scheme:
            assert re.fullmatch(r"[a-z0-9-]+\.(html|xml|atom|json|opml)", url), url
    assert not [a for _, attrs in p.elements for a in attrs if a.startswith("on")], "no event handler attribute"
    assert "alert(" not in "".join(p.urls())
    assert {t for t, _ in p.elements} <= {
        *("html", "head", "meta", "title", "link", "style", "body", "div", "nav", "header", "section"),
        *("h1", "h2", "h3", "p", "ul", "ol", "li", "a", "img", "input", "button", "main", "time"),
        *("details", "summary", "footer", "script"),
    }


def test_hostile_records_leave_no_script_and_no_unsafe_link() -> None:
    site = Site(title="<script>alert('site')</script>", link="javascript:alert('home')", logo=None)
    text = page(Selection(HOSTILE_TOPIC, (HOSTILE,), 1, WHEN), site)
    assert_nothing_hostile(text)
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in text
    assert "He said &quot;hi&quot; &amp; left &lt;b&gt;bold&lt;/b&gt; &#x27;quotes&#x27;" in text
    assert '<meta name="description" content="He said &quot;hi&quot; &amp; left' in text
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<h3>&lt;script&gt;" in text, "a title whose link is unsafe is shown without a link"
    assert "<summary>Related coverage (1)</summary>" in text, "only the http(s) related link is listed"
    assert parsed(text).all("img") == []
    index = render_index_page(
        [Selection(HOSTILE_TOPIC, (HOSTILE,), 1, WHEN)], site, FORMATS, WHEN, headlines={"evil": (HOSTILE,)}
    ).data.decode()
    assert_nothing_hostile(index)
    assert "<li>&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;</li>" in index


def test_hostile_files_built_end_to_end(tmp_path: Path) -> None:
    """Article and topic files with script, javascript: URLs and quotes: the built pages carry none of it."""
    src = tmp_path / "site"
    (src / "_data" / "topics").mkdir(parents=True)
    (src / "_news").mkdir()
    (src / "_data" / "topics" / "01-evil.yaml").write_text(
        "_id: evil\n"
        "name: 'Evil <script>alert(1)</script>'\n"
        "description: 'Quotes \" and '' and <img src=x onerror=alert(2)>'\n"
        "images: ['javascript:alert(3)', 'JAVASCRIPT:alert(4)', ' java\tscript:alert(5)']\n",
        encoding="utf-8",
    )
    (src / "_news" / "2025-03-01-evil.md").write_text(
        "---\n"
        "title: '<script>alert(6)</script>Title \"quoted\"'\n"
        "publishedDateTime: 2025-03-01T10:00:00Z\n"
        "webUrl: https://news.test/evil\n"
        "excerpt: '<iframe src=javascript:alert(7)></iframe>'\n"
        "topics: ['Evil <script>alert(1)</script>']\n"
        "images: [{url: 'javascript:alert(8)'}, {url: 'https://img.test/ok.png', title: '\" onerror=\"alert(9)'}]\n"
        "related:\n"
        "  - {title: 'bad', webUrl: 'javascript:alert(10)'}\n"
        "  - {title: '<b>good</b>', webUrl: 'https://rel.test/good'}\n"
        "---\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["build", "--source", str(src), "--output", str(out), "--quiet", "--no-cache"]) == 0
    for name in ("evil.html", "all.html", "index.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert_nothing_hostile(text)
        assert "javascript:" not in text.lower() and "<iframe" not in text and "<script>alert" not in text, name
    evil = (out / "evil.html").read_text(encoding="utf-8")
    assert 'alt="&quot; onerror=&quot;alert(9)"' in evil
    assert '<a href="https://rel.test/good">&lt;b&gt;good&lt;/b&gt;</a>' not in evil  # markup removed when collected
    assert '<a href="https://rel.test/good">good</a>' in evil


def test_more_files_are_listed_and_an_empty_topic_says_why() -> None:
    more = (PageLink("Top stories (RSS)", "top/robots.xml", "application/rss+xml"),)
    text = page(Selection(TOPIC, (), 0, WHEN), more=more, held=HeldBack(unpublished=3))
    assert '<ul class="more">\n<li><a href="top/robots.xml" type="application/rss+xml">Top stories (RSS)</a></li>' in text
    assert '<p class="empty">No published articles yet</p>' in text


def test_the_page_links_each_top_feed_and_the_newest_archive_document() -> None:
    files = ExtraFiles(
        archive=("archive/robots/1.xml", "archive/robots/1.atom", "archive/robots/2.xml", "archive/robots/2.atom"),
        top=("top/robots.xml", "top/robots.json"),
    )
    assert page_links(files) == (
        PageLink("Top stories (RSS)", "top/robots.xml", "application/rss+xml"),
        PageLink("Top stories (JSON Feed)", "top/robots.json", "application/feed+json"),
        PageLink("Full archive (RSS)", "archive/robots/2.xml", "application/rss+xml"),
        PageLink("Full archive (Atom)", "archive/robots/2.atom", "application/atom+xml"),
    )
    assert page_links(ExtraFiles()) == ()


def test_the_page_is_deterministic_and_an_output_file() -> None:
    sel = Selection(TOPIC, (ARM, PLAIN), 2, WHEN)
    out = render_topic_page(sel, SITE, FORMATS)
    assert out.name == "robots.html"
    assert out.content_type == "text/html; charset=utf-8"
    assert out.group == 1, "uploaded after the feeds it links to"
    assert render_topic_page(sel, SITE, FORMATS) == out


# -- a built site in headless Chromium ----------------------------------------------

# Loads one page in a same-origin frame of a given width, then reports (for --dump-dom)
# how far it scrolls sideways, whether the copy script showed the buttons, and what a
# click on the first button did ("copied", or "selected" where the clipboard is refused).
HARNESS = """<!doctype html><html><body>
<iframe id="f" src="PAGE" width="WIDTH" height="800"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {
  var w = this.contentWindow, d = w.document, b = d.querySelector("button[data-copy]");
  document.body.setAttribute("data-overflow", String(d.documentElement.scrollWidth - w.innerWidth));
  document.body.setAttribute("data-buttons", b ? String(!b.hidden) : "none");
  if (b) { b.click(); }
  setTimeout(function () {
    document.body.setAttribute("data-state", b ? b.getAttribute("data-state") || "nothing" : "none");
  }, 500);
});
</script></body></html>
"""

NO_SCRIPT_HARNESS = """<!doctype html><html><body>
<iframe id="f" src="robots.html" sandbox="allow-same-origin" width="390" height="800"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument, shown = function (e) { return e.getClientRects().length > 0; };
  document.body.setAttribute("data-addresses", String([].filter.call(d.querySelectorAll("input"), shown).length));
  document.body.setAttribute("data-buttons", String([].filter.call(d.querySelectorAll("button"), shown).length));
});
</script></body></html>
"""

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}"><rect width="100%" height="100%" fill="{c}"/></svg>\n'


def _site(root: Path, base: str, tmp_path: Path) -> None:
    """A small source whose every image is on the local server, built into ``root``."""
    src = tmp_path / "src"
    (src / "_data" / "topics").mkdir(parents=True)
    (src / "_news").mkdir()
    (root / "img").mkdir(parents=True)
    for name, (w, h, colour) in {"robots": (400, 400, "#2b6cb0"), "a": (640, 480, "#c05621"), "b": (800, 450, "#2f855a")}.items():
        (root / "img" / f"{name}.svg").write_text(SVG.format(w=w, h=h, c=colour), encoding="utf-8")
    (root / "img" / "logo.svg").write_text(SVG.format(w=64, h=64, c="#553c9a"), encoding="utf-8")
    (src / "_data" / "topics" / "01-robots.yaml").write_text(
        f"_id: robots\nname: Robots\ndescription: Machines that move, sense and learn.\nimages: ['{base}img/robots.svg']\n",
        encoding="utf-8",
    )
    long_word = "Supercalifragilistic" * 6
    articles = [
        ("a", 3, "Robot arm learns to fold laundry & towels in under a minute", "a", 3),
        ("b", 2, f"A title with one very long word {long_word}", "b", 2),
        ("c", 1, "No picture for this one: short excerpt only", None, 0),
    ]
    for slug, day, title, image, related in articles:
        lines = [
            "---",
            f"title: '{title}'",
            f"publishedDateTime: 2025-03-0{day}T10:00:00Z",
            f"webUrl: https://news.test/{slug}",
            "excerpt: 'A research team reports progress; the story has the details and the numbers.'",
            "provider: {name: Test Wire, domain: wire.test}",
            "topics: [Robots]",
        ]
        if image:
            lines.append(f"images: [{{url: '{base}img/{image}.svg', width: 640, height: 480}}]")
        if related:
            lines.append("related:")
            lines += [f"  - {{title: 'Related story {i}', webUrl: 'https://rel.test/{slug}/{i}'}}" for i in range(related)]
        lines.append("---")
        (src / "_news" / f"2025-03-0{day}-{slug}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "feedpub.yaml"
    config.write_text(
        f"site: {{title: Test News, base_url: '{base}', link: '{base}', logo: '{base}img/logo.svg'}}\n"
        f"sources: ['{src}']\n"
        "archive: {enabled: true, page_size: 2}\n"
        "digest: {enabled: true, days: 3660, items: 2}\n",
        encoding="utf-8",
    )
    assert main(["build", "--config", str(config), "--output", str(root), "--quiet", "--no-cache"]) == 0


def _same_site_urls(text: str, page_url: str) -> tuple[set[str], set[str]]:
    p = parsed(text)
    urls = {urljoin(page_url, u) for u in p.urls()}
    local = {u for u in urls if u.startswith(page_url.rsplit("/", 1)[0] + "/")}
    return local, urls - local


@needs_chromium
def test_built_pages_in_chromium(tmp_path: Path) -> None:
    root = tmp_path / "www"
    root.mkdir()
    with web_server(root) as base:
        _site(root, base, tmp_path)
        # Every same-site link and image of both pages answers 200; article links are not fetched.
        checked: set[str] = set()
        for name in ("index.html", "robots.html"):
            local, elsewhere = _same_site_urls((root / name).read_text(encoding="utf-8"), base + name)
            assert all(u.startswith(("https://news.test/", "https://rel.test/")) for u in elsewhere), elsewhere
            for url in sorted(local - checked):
                assert fetch_status(url) == 200, url
            checked |= local
        assert {base + "robots.html", base + "robots.xml", base + "img/robots.svg", base + "index.opml"} <= checked
        assert {base + "top/robots.atom", base + "archive/robots/2.xml", base + "archive/robots/2.atom"} <= checked

        # At phone and desktop widths: no sideways scrolling; the copy script runs under the CSP.
        for name in ("index.html", "robots.html"):
            for width in (390, 1280):
                (root / "harness.html").write_text(HARNESS.replace("PAGE", name).replace("WIDTH", str(width)), encoding="utf-8")
                run = chromium_run(tmp_path, "--virtual-time-budget=5000", "--dump-dom", base + "harness.html")
                body = re.search(r"<body[^>]*>", run.stdout)
                assert body is not None, run.stdout[:500]
                overflow = re.search(r'data-overflow="(-?\d+)"', body.group(0))
                assert overflow is not None and int(overflow.group(1)) <= 0, f"{name} scrolls sideways at {width} px"
                if name == "robots.html":
                    assert 'data-buttons="true"' in body.group(0), "the copy script did not run"
                    assert re.search(r'data-state="(copied|selected)"', body.group(0)), body.group(0)
                else:
                    assert 'data-buttons="none"' in body.group(0)
                assert console_messages(run.stderr) == [], f"{name}: console messages"

        # Without JavaScript (a frame sandboxed without scripts): the addresses are shown to
        # select, and the buttons that could not work stay hidden.
        (root / "harness.html").write_text(NO_SCRIPT_HARNESS, encoding="utf-8")
        run = chromium_run(tmp_path, "--virtual-time-budget=5000", "--dump-dom", base + "harness.html")
        assert 'data-addresses="3"' in run.stdout and 'data-buttons="0"' in run.stdout, run.stdout[-300:]

        # Loaded on their own (no frame): no console message, no CSP violation; screenshots kept.
        ARTIFACTS.mkdir(exist_ok=True)
        shots = {"phone": ("390,1250", "2", (780, 2500)), "desktop": ("1280,900", "1", (1280, 900))}
        for name, stem in (("index.html", "site-index"), ("robots.html", "topic-page")):
            for label, (window, scale, size) in shots.items():
                shot = ARTIFACTS / f"{stem}-{label}.png"
                shot.unlink(missing_ok=True)
                run = chromium_run(
                    tmp_path,
                    f"--window-size={window}",
                    f"--force-device-scale-factor={scale}",
                    "--virtual-time-budget=3000",
                    f"--screenshot={shot}",
                    base + name,
                )
                assert png_size(shot) == size
                assert console_messages(run.stderr) == [], f"{name} at {label} width: console messages"
