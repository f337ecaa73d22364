"""The ``feedpub`` command's entry point: an up-to-date build is answered here, cheaply.

Everything else goes to :mod:`feedpub.cli`, which loads the whole pipeline. See
:mod:`feedpub.cache.uptodate` for when a build counts as up to date.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``feedpub`` with ``argv`` (default: the process's arguments); returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["build"] and "--no-cache" not in args:
        from feedpub.cache import uptodate

        try:
            found = uptodate.find(args)
        except Exception:  # noqa: BLE001 - a failed shortcut only means a normal build
            found = None
        if found is not None:
            try:
                return uptodate.replay(*found)
            except BrokenPipeError:
                sys.stderr.close()  # stdout closed early, as in cli.main
                return 0
    from feedpub.cli import main as cli_main

    return cli_main(args)
