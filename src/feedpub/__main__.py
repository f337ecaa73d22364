"""Allow ``python -m feedpub``."""

from feedpub.entry import main

raise SystemExit(main())
