"""Problems in topic definition files that were reported already, so each is told once.

An article file's rejection is old news when the parse cache gives it (the file is
unchanged since the run that rejected it). Topic definitions are read afresh every run,
so the problems of the last run are kept here, each with its file's size and mtime:
a problem is new when its file changed or its reason is not one reported last time.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from feedpub.cache.codec import pack, read_file
from feedpub.files import write_atomic
from feedpub.records import Rejection

FILE_NAME = "topic-problems.bin"
"""The file in the cache folder that keeps the topic-definition problems already reported."""

_Key = tuple[str, int, int, str]  # path, size, mtime_ns, reason


def _key(problem: Rejection) -> _Key:
    try:
        st = os.stat(problem.path)
    except OSError:
        return (problem.path, -1, -1, problem.reason)
    return (problem.path, st.st_size, st.st_mtime_ns, problem.reason)


class ReportedProblems:
    """The topic definition problems of the last run, kept in the cache folder."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / FILE_NAME

    def _load(self) -> set[_Key]:
        payload = read_file(self.path)
        try:
            return {tuple(k) for k in payload} if isinstance(payload, list) else set()
        except TypeError:
            return set()  # not a list of entries: nothing counts as reported

    def mark(self, problems: Sequence[Rejection]) -> list[Rejection]:
        """``problems`` with those the last run reported marked ``known``; remembers them for the next run.

        Call it once the run will report them. Failing to remember only means they are
        reported again next run, so a cache folder that cannot be written is not an error here.
        """
        before = self._load()
        keys = [_key(p) for p in problems]
        marked = [Rejection(p.path, p.reason, known=k in before) for p, k in zip(problems, keys, strict=True)]
        if set(keys) != before:
            try:
                if keys:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    write_atomic(self.path, pack(keys), durable=False)
                else:
                    self.path.unlink(missing_ok=True)
            except OSError:
                pass  # reported again next run: the worst outcome
        return marked
