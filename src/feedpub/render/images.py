"""What an enclosure is: an image's media type and length, and the type guessed from its URL;
and which image stands for a topic (:func:`topic_image`).

Kept apart from :mod:`feedpub.render.probe`, which needs requests (~0.1 s to import), so that
rendering with probing off never loads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from feedpub.config import Site
from feedpub.records import Image, Topic

_IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".jfif": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
    ".bmp": "image/bmp",
    ".ico": "image/vnd.microsoft.icon",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".heic": "image/heic",
}


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """An image's MIME type and size in bytes; length 0 means unknown."""

    type: str
    length: int


@lru_cache(maxsize=4096)  # asked for the same images in every format of every feed they are in
def guess_image_type(url: str) -> str:
    """The MIME type of an image URL from its path's extension, ``image/jpeg`` when unknown.

    A fixed table rather than :mod:`mimetypes`, whose answers depend on the machine's
    ``/etc/mime.types`` and would make feeds differ between hosts.
    """
    try:
        path = urlsplit(url).path
    except ValueError:
        return "image/jpeg"
    return _IMAGE_TYPES.get(PurePosixPath(path).suffix.lower(), "image/jpeg")


def topic_image(topic: Topic, site: Site) -> Image | None:
    """The image that stands for a topic wherever one is shown (feed logo, topic page, index card).

    The first usable entry of the definition's ``images`` (already checked: http(s)
    only), else ``site.logo``, else None. The one place this choice is made.
    """
    if topic.images:
        return topic.images[0]
    return Image(url=site.logo) if site.logo else None
