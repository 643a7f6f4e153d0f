"""``python -m depmin``: the same as the ``depmin`` command."""

from depmin.cli.entry import main

raise SystemExit(main())
