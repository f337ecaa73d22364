"""The publish step: push rendered files to a target (a local folder or an object store).

A target takes the complete set of files of one build and makes the destination hold
exactly those bytes, writing only what changed, topic feeds before the indexes that
list them, and never leaving a partly written file at its final name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from feedpub.records import OutputFile, PublishResult

Progress = Callable[[int, int], None]
"""Called with (done, total) as files are handled; the CLI draws it on a terminal."""


class Target(Protocol):
    """Where feeds go: :class:`~feedpub.publish.folder.FolderTarget`, :class:`~feedpub.publish.s3.S3Target`
    or :class:`~feedpub.publish.azure.AzureTarget`."""

    def describe(self) -> str:
        """A human name for messages, never containing a secret."""
        ...

    def lock_key(self) -> str:
        """What the run lock is keyed by: the place written, however the target was typed."""
        ...

    def fields(self) -> dict[str, str]:
        """Where the files go, as ``--json`` reports it: ``kind`` and its parts, never a secret."""
        ...

    def location(self, name: str) -> str:
        """Where the file ``name`` goes, as a dry run shows it: ``s3://BUCKET/KEY`` or a path."""
        ...

    def publish(
        self,
        files: Sequence[OutputFile],
        *,
        dry_run: bool = False,
        force: bool = False,
        progress: Progress | None = None,
    ) -> PublishResult:
        """Make the target hold ``files``; return what was uploaded, unchanged, deleted, failed.

        With ``force`` every file is written again, changed or not.
        """
        ...
