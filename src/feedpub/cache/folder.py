"""Opening the cache folder: used when it can be written, else the run goes without caches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from feedpub.cache.parsed import ParseCache
from feedpub.files import sweep_temps, usable_folder


def open_cache(folder: Path, warn: Callable[[str], None]) -> ParseCache | None:
    """The parse cache kept in ``folder``, or None (and one warning) when the folder cannot be written.

    A file at its name, an unwritable parent (``/var/www`` read-only, ``/var/www/feeds``
    writable) or a read-only mount leaves the run without caches: slower, never wrong.
    What a killed run left in the folder is swept first (a live run's files are flock()ed
    and left alone). Anything else wrong inside the folder is rebuilt by the caches.
    """
    problem = usable_folder(folder)
    if problem is not None:
        warn(f"{folder}: cannot use the cache folder ({problem}); this run goes without the cache")
        return None
    sweep_temps(folder)
    return ParseCache(folder, warn=warn)
