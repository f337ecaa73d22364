"""Topic names, slugs and definitions: which feed file each topic gets.

A topic's identity is its name with Unicode form, case and spacing folded (``key``):
``AI Ethics`` and ``ai  ethics`` are one topic, and so are ``Café`` typed with a
precomposed é and ``Café`` with e plus a combining accent. Its display name is the
NFC form of its definition's name, else of its most frequent spelling. Its feed file
name is its slug: the ``_id`` of its definition when a source defines it, else
:func:`slugify` of the name.

Slug collisions (distinct topics, same slug — ``AI-Ethics`` vs ``AI Ethics`` with no
definition, or a topic named ``Index``) are settled by a stable rule documented in the
README: reserved names (``index``, the site feed's slug) and defined topics keep their
slug; among the rest, the key that sorts first keeps it and every other topic gets
``<slug>-<8 hex digits of the SHA-256 of its key>``, which never changes as long as
its name does not. Nothing ever shares or overwrites a feed file.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from feedpub.records import Topic, TopicDef

MAX_SLUG = 80
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Symbols that carry meaning in topic names: C++ and C# must not both become "c".
_SYMBOLS = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at "}
# Names Windows will not create as files, whatever the extension.
_DEVICE_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def topic_key(name: str) -> str:
    """The identity of a topic name: NFKC-normalized, case-folded, whitespace collapsed.

    Names that are the same text to a reader must be one topic, else they get two
    feeds with the same title. NFKC rather than NFC: besides canonical equivalents
    (precomposed é and e + U+0301, which NFC already unites) it unites compatibility
    forms people paste or type without seeing the difference (fullwidth ＡＩ from CJK
    input methods, the ﬁ ligature from PDFs), which :func:`slugify` already folds to the
    same slug; under NFC they would stay two topics fighting for one file name. The
    cost: names differing only in such a form (``H₂O``, ``H2O``) are one topic too,
    as they already shared a slug.
    Casefolding can leave text unnormalized and NFKC can make spaces, so normalization
    comes before and after it and whitespace is collapsed last. ASCII names skip all
    of that (they are already normalized), so their keys and slugs are as before.
    """
    if name.isascii():
        return " ".join(name.split()).casefold()
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def display_name(name: str) -> str:
    """A topic name as shown: NFC, so canonically equal spellings show (and count) as one."""
    return name if name.isascii() else unicodedata.normalize("NFC", name)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def slugify(name: str) -> str:
    """A file-name-safe slug: ``Computer Vision`` -> ``computer-vision``, ``C++`` -> ``c-plus-plus``.

    Accents fold to ASCII; a name with no ASCII letters or digits left (``人工知能``)
    gets ``topic-<hash>`` so that it still has a stable, safe file name.
    """
    text = "".join(_SYMBOLS.get(ch, ch) for ch in name)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rstrip("-")
    if not slug:
        return f"topic-{_digest(topic_key(name))}"
    if slug in _DEVICE_NAMES:
        slug = f"{slug}-topic"
    return slug


def valid_slug(slug: object) -> bool:
    """Whether a definition's ``_id`` can be used as a feed file name as it is."""
    return isinstance(slug, str) and len(slug) <= MAX_SLUG and bool(SLUG_RE.match(slug)) and slug not in _DEVICE_NAMES


@dataclass
class TopicIndex:
    """The resolved topics of one build by key (:func:`topic_key` of any spelling); iterates in slug order."""

    by_key: dict[str, Topic] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Topic]:
        """The topics in slug order (the order feeds are listed and built in)."""
        return iter(sorted(self.by_key.values(), key=lambda t: t.slug))


def resolve_topics(
    spellings: Mapping[str, Counter[str]],
    definitions: Iterable[TopicDef],
    *,
    reserved: Iterable[str] = (),
) -> TopicIndex:
    """Resolve every defined or used topic to a display name and a unique slug.

    ``spellings`` maps a topic key to the count of each spelling seen in articles.
    The display name is the definition's name, else the most frequent spelling (ties:
    the one that sorts first, so the result does not depend on file order).
    """
    defs: dict[str, TopicDef] = {}
    for definition in definitions:
        defs.setdefault(topic_key(definition.name), definition)
    # Spellings counted by their NFC form: "Café" in two byte forms is one spelling,
    # so the two add up when the display name is chosen.
    spellings = {key: _by_display(counts) for key, counts in spellings.items()}
    keys = set(spellings) | set(defs)
    wanted: dict[str, str] = {}
    for key in keys:
        d = defs.get(key)
        wanted[key] = d.slug if d is not None and valid_slug(d.slug) else slugify(d.name if d else _display(spellings[key]))
    taken = set(reserved)
    slugs: dict[str, str] = {}
    # Defined topics first, then by key: the first to ask for a slug keeps it.
    for key in sorted(keys, key=lambda k: (k not in defs, k)):
        slug = _free_slug(wanted[key], key, taken)
        taken.add(slug)
        slugs[key] = slug
    index = TopicIndex()
    for key in keys:
        d = defs.get(key)
        counts = spellings.get(key, Counter())
        index.by_key[key] = Topic(
            key=key,
            name=display_name(d.name) if d else _display(counts),
            slug=slugs[key],
            description=d.description if d else None,
            parent=d.parent if d else None,
            images=d.images if d else (),
        )
    return index


def _free_slug(slug: str, key: str, taken: set[str]) -> str:
    """``slug`` if free, else ``<slug>-<8 hex of SHA-256(key)>``; a crafted name that
    already holds that form pushes to longer digests, then a counter, so two topics
    can never share a file."""
    if slug not in taken:
        return slug
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    for size in (8, 16, 32, 64):
        candidate = f"{slug[: MAX_SLUG - size - 1].rstrip('-')}-{digest[:size]}"
        if candidate not in taken:
            return candidate
    n = 2
    while f"{digest[: MAX_SLUG - 12]}-{n}" in taken:
        n += 1
    return f"{digest[: MAX_SLUG - 12]}-{n}"


def _by_display(counts: Mapping[str, int]) -> Counter[str]:
    """``counts`` with canonically equal spellings added up under their NFC form."""
    if all(name.isascii() for name in counts):
        return counts if isinstance(counts, Counter) else Counter(counts)
    merged: Counter[str] = Counter()
    for name, n in counts.items():
        merged[display_name(name)] += n
    return merged


def _display(counts: Counter[str]) -> str:
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
