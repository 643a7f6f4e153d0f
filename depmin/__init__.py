"""depmin: minimal, reproducible container builds for a Python monorepo of services.

The stages (manifest → imports → graph → mapping → requirements → lock → layers → dockerfiles)
are importable; ``depmin`` on the command line drives the same functions.
"""

from __future__ import annotations

__version__ = "0.1.0"
