"""depmin never runs the scanned monorepo's code, and never lets it stand in for its own imports.

Two ways the monorepo could get in. ``python -m depmin`` puts the working directory first on
``sys.path`` (often the monorepo's root): a ``packaging/`` directory there would be imported instead of
the real library, and its code would run. :func:`drop_working_directory` (called by ``depmin/__init__.py``
while ``-m`` locates the package, before any dependency is imported) removes that entry. And
``PYTHONPATH`` or a ``.pth`` file can still point into the monorepo: :func:`check_imports_outside` refuses
to go on when one of depmin's own dependencies was imported from inside the root it is about to scan.
"""

from __future__ import annotations

import sys
from pathlib import Path

from depmin.errors import ConfigError, Problem

__all__ = ["DEPENDENCIES", "check_imports_outside", "drop_working_directory"]

# The top-level modules of depmin's runtime dependencies (pyproject.toml [project] dependencies).
DEPENDENCIES = ("packaging", "networkx", "stdlib_list", "tomli")


def drop_working_directory() -> None:
    """Under ``python -m depmin``, remove the working directory that ``-m`` put first on ``sys.path``."""
    # While -m locates the package, sys.argv[0] is "-m" (runpy sets the real path only afterwards).
    if sys.argv[:1] == ["-m"] and sys.path and sys.path[0] in ("", str(Path.cwd())):
        del sys.path[0]


def check_imports_outside(root: Path) -> None:
    """Raise ConfigError when a dependency of depmin was imported from inside ``root``."""
    inside = []
    for name in DEPENDENCIES:
        module = sys.modules.get(name)
        location = getattr(module, "__file__", None)
        if location and Path(location).resolve().is_relative_to(root):
            inside.append(f"{name} from {Path(location).resolve()}")
    if inside:
        fix = "unset PYTHONPATH (or remove the .pth file) that puts the monorepo on sys.path, and run `depmin`"
        problems = [
            Problem("sys.path", f"depmin's dependency {item} is inside the scanned root; {fix}") for item in inside
        ]
        raise ConfigError(problems)
