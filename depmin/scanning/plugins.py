"""``agents.<Name>.entry_modules``: the first-party modules a plugin host loads by computed name.

A host such as keyring (``entry_points(group="keyring.backends")``) or pytest
(``importlib.import_module(f"_pytest.{name}")``) imports modules no import statement names, so the
walk cannot reach them. A pattern names them: dotted parts, where ``*`` stands for every module or
package at that level (``keyring.backends.*``, ``app.components.*.config_flow``). :func:`expand`
turns it into modules on the agent's ``sys.path`` through the walk's own
:class:`~depmin.scanning.finder.Finder`, so the same files resolve, and the same tree rules apply,
as for an import; directories are listed, nothing is run.
"""

from __future__ import annotations

from pathlib import Path

from depmin.scanning.finder import Finder, Module

__all__ = ["expand"]


def expand(finder: Finder, pattern: str, roots: tuple[Path, ...]) -> list[tuple[Module, ...]]:
    """Each module ``pattern`` names, as the chain of modules from its top-level package down (the
    packages a host imports first), sorted by name; empty when it names none."""
    layer: list[tuple[str, tuple[Path, ...], tuple[Module, ...]]] = [("", roots, ())]
    for part in pattern.split("."):
        found = []
        for prefix, search, chain in layer:
            for child in _children(finder, search) if part == "*" else [part]:
                name = f"{prefix}.{child}" if prefix else child
                module = finder.find(name, child, search)
                if module is not None:
                    found.append((name, module.search, (*chain, module)))
        layer = found
    return [chain for _, _, chain in sorted(layer, key=lambda item: item[0])]


def _children(finder: Finder, search: tuple[Path, ...]) -> list[str]:
    """The module and package names in ``search``, as the finder lists it: ``x.py`` files and
    directories named as identifiers (``__init__`` and ``__main__`` are not plugins)."""
    names: set[str] = set()
    for directory in search:
        files, dirs = finder.listing(directory)
        names.update(name[:-3] for name in files if name.endswith(".py"))
        names.update(dirs)
    return sorted(name for name in names if name.isidentifier() and name not in ("__init__", "__main__"))
