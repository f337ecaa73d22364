"""The parse cache's second pass at save: drop the entries of damaged records and, when
the record files hold mostly dead records, copy the live ones into a fresh file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from feedpub.cache.index import Entry, _IndexReader, _IndexWriter
from feedpub.cache.segments import RecordFiles


def rewrite(written: _IndexWriter, folder: Path, records: RecordFiles, bad: Mapping[str, Entry | None]) -> _IndexWriter:
    """A new index from this run's ``written`` one: entries in ``bad`` replaced (None: dropped),
    records copied into a fresh file when compaction is due. ``written`` is removed."""
    compact = records.compact_due(written.live)
    written.commit(written.path)  # finished, still under its temporary name
    records.start_new()
    out = _IndexWriter(folder, records.next_segment + 1)
    reader = _IndexReader(written.path)
    try:
        for entry in reader:
            kept = bad.get(entry[0], entry)
            if kept is None:
                continue
            rec = kept[3]
            if compact and len(rec) > 1:
                blob = records.read(*rec[5:])
                if blob is None:
                    continue  # a damaged record: parsed again next run
                segment, offset = records.append(blob)
                kept = (kept[0], kept[1], kept[2], (*rec[:5], segment, offset, *rec[7:]))
            out.add(kept)
    except BaseException:
        out.abort()
        raise
    finally:
        reader.close()
        written.path.unlink(missing_ok=True)
    return out
