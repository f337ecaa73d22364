"""The feed directory page: its HTML, and how a real headless Chromium renders it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from feedpub.records import HeldBack
from feedpub.render.directory import DirectoryEntry, render_directory
from feedpub.render.html import empty_reason

from ..browser import ARTIFACTS, chromium, fetch_status, needs_chromium, parse, png_size, web_server

UTC = UTC
GENERATED = datetime(2024, 5, 9, 7, 45, tzinfo=UTC)

ENTRIES = (
    DirectoryEntry(
        name="Computer Vision",
        slug="computer-vision",
        description="Machines that see: image recognition, video analysis and the cameras behind them.",
        items=15,
        newest=datetime(2024, 5, 9, 7, 45, tzinfo=UTC),
        files=("computer-vision.xml", "computer-vision.atom", "computer-vision.json"),
    ),
    DirectoryEntry(
        name="Artificial Intelligence",
        slug="artificial-intelligence",
        description="Research, products and policy from across the field.",
        items=1204,
        newest=datetime(2024, 5, 8, 22, 10, tzinfo=UTC),
        files=("artificial-intelligence.xml", "artificial-intelligence.atom", "artificial-intelligence.json"),
    ),
    DirectoryEntry(
        name="AWS AI",
        slug="aws-ai",
        description=None,
        items=1,
        newest=datetime(2023, 12, 31, 23, 0, tzinfo=UTC),
        files=("aws-ai.xml", "aws-ai.atom"),
    ),
    DirectoryEntry(
        name='Power Apps & <Flows> "Low-code"',
        slug="power-apps",
        description="Apps & automation <b>without</b> code.",
        items=0,
        newest=None,
        files=("power-apps.xml", "power-apps.atom", "power-apps.json"),
    ),
)


def render(entries: tuple[DirectoryEntry, ...] = ENTRIES, **kw: object) -> str:
    args: dict[str, object] = {"site_title": "Example News", "site_link": "https://example.org/", "generated": GENERATED}
    args.update(kw)
    return render_directory(entries, **args).decode("utf-8")  # type: ignore[arg-type]


def test_every_feed_is_linked_and_autodiscoverable() -> None:
    links = parse(render())
    assert [(x["type"], x["href"]) for x in links.alternates] == [
        ("application/rss+xml", "computer-vision.xml"),
        ("application/atom+xml", "computer-vision.atom"),
        ("application/feed+json", "computer-vision.json"),
        ("application/rss+xml", "artificial-intelligence.xml"),
        ("application/atom+xml", "artificial-intelligence.atom"),
        ("application/feed+json", "artificial-intelligence.json"),
        ("application/rss+xml", "aws-ai.xml"),
        ("application/atom+xml", "aws-ai.atom"),
        ("application/rss+xml", "power-apps.xml"),
        ("application/atom+xml", "power-apps.atom"),
        ("application/feed+json", "power-apps.json"),
    ]
    assert all(x["in_head"] == "yes" and x["title"] for x in links.alternates)
    assert links.alternates[0]["title"] == "Computer Vision (RSS)"
    feeds = [h for h in links.anchors if h.endswith((".xml", ".atom", ".json"))]
    assert feeds == [x["href"] for x in links.alternates]
    assert links.anchors.count("index.opml") == 2
    assert "aws-ai.json" not in links.anchors, "a format not published is not linked"


def test_counts_dates_and_descriptions_are_shown() -> None:
    page = render()
    assert '15 articles · newest <time datetime="2024-05-09T07:45:00Z">9 May 2024</time>' in page
    assert "1,204 articles" in page
    assert "1 article · newest" in page
    assert "No articles yet" in page
    assert "Machines that see" in page
    assert 'Updated <time datetime="2024-05-09T07:45:00Z">9 May 2024</time>' in page


@pytest.mark.parametrize(
    ("held", "text"),
    [
        (HeldBack(), "No articles yet"),
        (HeldBack(too_old=120, max_age=timedelta(days=7)), "No articles in the last 7 days"),
        (HeldBack(too_old=1, max_age=timedelta(days=1)), "No articles in the last 1 day"),
        (HeldBack(too_old=1, max_age=timedelta(hours=36)), "No articles in the last 36 hours"),
        (HeldBack(below_quality=3, min_quality=50), "No articles with quality ≥ 50 yet"),
        (HeldBack(below_quality=3, min_quality=72.5), "No articles with quality ≥ 72.5 yet"),
        (
            HeldBack(too_old=120, below_quality=3, min_quality=50, max_age=timedelta(days=7)),
            "No articles with quality ≥ 50 in the last 7 days",
        ),
        (HeldBack(future=2, unpublished=1), "No articles due yet"),
        (HeldBack(unpublished=4, future=1), "No published articles yet"),
    ],
)
def test_an_empty_topic_says_why(held: HeldBack, text: str) -> None:
    assert empty_reason(held) == text
    entry = DirectoryEntry(name="Empty", slug="empty", description=None, items=0, newest=None, files=("empty.xml",), held=held)
    page = render_directory([entry], site_title="T", site_link="https://t.test/", generated=GENERATED).decode()
    assert f'<p class="meta">{text}</p>' in page


def test_everything_from_the_data_is_escaped() -> None:
    page = render(site_title="<script>alert(1)</script>", site_link="javascript:alert(2)")
    links = parse(page)
    assert "script" not in links.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Power Apps &amp; &lt;Flows&gt; &quot;Low-code&quot;" in page
    assert "Apps &amp; automation &lt;b&gt;without&lt;/b&gt; code." in page
    assert 'title="Power Apps &amp; &lt;Flows&gt; &quot;Low-code&quot; (RSS)"' in page
    assert not any(h.lower().startswith("javascript:") for h in links.anchors)


def test_self_contained_and_deterministic() -> None:
    page = render()
    links = parse(page)
    assert links.srcs == [], "no images, scripts or frames"
    assert not {"script", "iframe", "img"} & links.tags
    assert '<link rel="stylesheet"' not in page and "@import" not in page and "url(" not in page
    external = [h for h in links.anchors if urlsplit(h).scheme]
    assert external == ["https://example.org/"], "only the site link leaves the page"
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert render() == page


def test_no_topics() -> None:
    page = render(())
    assert "No topics yet." in page
    assert parse(page).alternates == []


# -- in a real browser ---------------------------------------------------------------

# Measures the page at a narrow phone width inside a same-origin frame (the page
# itself has no JavaScript) and writes the answer into the DOM for --dump-dom.
HARNESS = """<!doctype html><html><body>
<iframe id="f" src="index.html" style="width:360px;height:740px;border:0"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument.documentElement;
  document.body.setAttribute("data-overflow", String(d.scrollWidth - d.clientWidth));
});
</script></body></html>
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """A local web server on 127.0.0.1 serving the page, dummy feeds and the OPML file."""
    root = tmp_path / "site"
    root.mkdir()
    for entry in ENTRIES:
        for name in entry.files:
            (root / name).write_text("<feed/>\n", encoding="utf-8")
    (root / "index.opml").write_text('<opml version="2.0"/>\n', encoding="utf-8")
    (root / "harness.html").write_text(HARNESS, encoding="utf-8")
    with web_server(root) as base:
        (root / "index.html").write_bytes(
            render_directory(ENTRIES, site_title="Example News", site_link=base, generated=GENERATED)
        )
        yield base


@needs_chromium
def test_page_renders_in_chromium_and_every_link_resolves(site: str, tmp_path: Path) -> None:
    page = site + "index.html"
    dom = chromium(tmp_path, "--dump-dom", page)
    links = parse(dom)
    assert len(links.alternates) == 11 and all(x["in_head"] == "yes" for x in links.alternates)
    hrefs = sorted({urljoin(page, h) for h in links.anchors} | {urljoin(page, x["href"] or "") for x in links.alternates})
    assert len(hrefs) == 13  # 11 feeds, the OPML file, the site link
    for href in hrefs:
        assert href.startswith(site), href
        assert fetch_status(href) == 200, href


@needs_chromium
def test_page_fits_a_phone_screen_and_screenshots_are_kept(site: str, tmp_path: Path) -> None:
    dom = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", site + "harness.html")
    assert 'data-overflow="0"' in dom, "the page scrolls sideways at 360 px"

    ARTIFACTS.mkdir(exist_ok=True)
    shots = {
        "directory-phone.png": ("390,1250", "2", (780, 2500)),
        "directory-desktop.png": ("1280,900", "1", (1280, 900)),
    }
    for name, (window, scale, size) in shots.items():
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        chromium(
            tmp_path,
            f"--window-size={window}",
            f"--force-device-scale-factor={scale}",
            f"--screenshot={shot}",
            site + "index.html",
        )
        assert png_size(shot) == size
