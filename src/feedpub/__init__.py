"""feedpub: per-topic RSS 2.0 and Atom 1.0 feeds from news-article files."""

__version__ = "0.1.0"
