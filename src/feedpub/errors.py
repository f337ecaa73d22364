"""The exception tree: every error feedpub raises on purpose derives from FeedpubError.

The CLI turns each family into one line on stderr and an exit status; messages name
the file, key, bucket or endpoint concerned and never carry a secret.
"""


class FeedpubError(Exception):
    """Root of all feedpub errors."""

    exit_status = 1


class ConfigError(FeedpubError, ValueError):
    """The configuration file or a command-line value is unusable (exit 2)."""

    exit_status = 2


class ArticleError(FeedpubError, ValueError):
    """One article file cannot be used; the pipeline records it and goes on."""


class PublishError(FeedpubError):
    """Writing to the target (a folder or an object store) failed (exit 3)."""

    exit_status = 3


class LockError(FeedpubError):
    """Another feedpub run holds the lock on the same target (exit 4)."""

    exit_status = 4


class Stopped(FeedpubError):
    """The run was stopped by SIGTERM and cleaned up after itself (exit 143, as a shell reports SIGTERM)."""

    exit_status = 143
