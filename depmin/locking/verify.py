"""Checks that a lock can serve its agent: every third-party import comes from a locked wheel.

A wheel's modules are read from its file list (``RECORD``, or the zip's members) and its
``top_level.txt``; an import is provided when a wheel has it as a module or regular package, going
through namespace directories (``google`` → ``google.cloud`` → ``google.cloud.storage``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from packaging.utils import NormalizedName

from depmin.locking.files import Release

__all__ = ["Check", "Contents", "Provides", "provides_from_paths", "verify"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Check:
    """A third-party import to find in the locked wheels: ``yaml`` mapped to ``pyyaml``."""

    module: str
    distribution: NormalizedName
    source: str


@dataclass(frozen=True, slots=True)
class Provides:
    """The modules a wheel installs: regular modules and packages, and namespace directories."""

    regular: frozenset[str]
    namespaces: frozenset[str]

    def __contains__(self, module: object) -> bool:
        parts = str(module).split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            if prefix in self.regular:
                return True
            if prefix not in self.namespaces:
                return False
        return True


def provides_from_paths(paths: Iterable[str], top_level: Iterable[str] = ()) -> Provides:
    """Modules from a wheel's file list (``RECORD`` or its zip members) and ``top_level.txt``."""
    regular = {name for name in top_level if name.isidentifier()}
    directories: set[str] = set()
    for path in paths:
        *folders, name = path.split("/")
        if not folders and not name.endswith((".py", ".so", ".pyd")):
            continue
        if (folders and folders[0].endswith((".dist-info", ".data"))) or "__pycache__" in folders:
            continue
        directories.update(".".join(folders[:end]) for end in range(1, len(folders) + 1))
        if name == "__init__.py":
            regular.add(".".join(folders))
        elif name.endswith((".py", ".so", ".pyd")):
            regular.add(".".join([*folders, name.split(".")[0]]))
    return Provides(frozenset(regular), frozenset(directories - regular))


Contents = Callable[[Release], "Provides | None"]


def verify(
    agent: str, checks: Iterable[Check], releases: Iterable[Release], contents: Contents
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(errors, unverified imports): every import must come from a locked wheel.

    An import is unverified when none of the locked wheels that could provide it is on disk.
    """
    known = {release.name: contents(release) for release in releases}
    errors, unverified = [], []
    for check in checks:
        if check.distribution not in known:
            continue  # left out by its marker for this target
        if any(modules is not None and check.module in modules for modules in known.values()):
            continue
        modules = known[check.distribution]
        if modules is None:
            unverified.append(check.module)
            continue
        key = check.module if check.module.isidentifier() else json.dumps(check.module)
        shipped = ", ".join(sorted(name for name in modules.regular if "." not in name)) or "no modules"
        errors.append(
            f"{agent}: import {check.module} is not provided by any locked distribution (depmin mapped it "
            f"to {check.distribution} [{check.source}], which provides {shipped}); set the right distribution "
            f'with [mapping] {key} = "<distribution>" in agents.toml (or agents.{agent}.mapping)'
        )
    return tuple(errors), tuple(unverified)
