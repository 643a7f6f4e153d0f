"""``python -m depmin``: the same as the ``depmin`` command."""

from depmin.cli import main

raise SystemExit(main())
