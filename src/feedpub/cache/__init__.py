"""The persistent caches that make reruns cheap: parsed articles and rendered feeds.

Layout of the cache folder (safe to delete at any time; it is rebuilt):

- ``index.bin`` (:mod:`~feedpub.cache.index`, read by :mod:`~feedpub.cache.parsed`):
  one entry per article file, keyed by path, valid while the file's (size, mtime_ns)
  are unchanged: a rejection reason, or the few fields selection needs plus where the
  full record is stored and its BLAKE2 digest (an :class:`~feedpub.records.ArticleRef`
  once read). The entries are in the scan's newest-first order, in CRC-checked blocks
  of 1,024, and are read and written as a stream beside the scan: a run holds one
  block, not the whole index.
- ``records-<n>.bin`` (:mod:`~feedpub.cache.segments`): full article records, appended
  by the run that parsed them and never rewritten in place; files no index refers to
  are deleted.
- ``feeds/`` and ``feeds.bin`` (:mod:`~feedpub.cache.rendered`): the last rendered bytes
  of each feed file with the digest of everything its rendering read, so an unchanged
  topic is not rendered again.
- ``selection.bin`` (:mod:`~feedpub.cache.selection`): the last run's selection, reused
  while the files, the index and the rules are unchanged.

Everything is stored with :mod:`marshal` (plain tuples, strings and numbers: the fastest
format to load that measured here, and it never runs code as pickle can); records are
converted to and from those plain values where they are read and written. Every file
carries a format version and the code stamp (:mod:`~feedpub.cache.stamp`: feedpub's
version and modules, Python, the output-shaping libraries), the index CRCs, each
record a digest; anything that does not check out is ignored and rebuilt, never
trusted. Anything at a cache file's name that is not a regular file (a folder, a
link, a FIFO) is removed and rebuilt, and files are opened without blocking; when the
folder cannot be written at all, the run goes without caches
(:func:`~feedpub.cache.folder.open_cache`). Temporary files are flock()ed while
written, so a run sweeps only what killed runs left. Marshal is still not meant for data from strangers: the folder is the user's
own, do not share it.
"""
