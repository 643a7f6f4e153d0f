"""Checks that a lock can serve its agent: every third-party import comes from a locked wheel.

A wheel's modules are read from its file list (``RECORD``, or the zip's members) and its
``top_level.txt``; an import is provided when a wheel has it as a module or regular package, going
through namespace directories (``google`` → ``google.cloud`` → ``google.cloud.storage``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from depmin._names import NormalizedName, canonicalize_name
from depmin.locking.files import Release

__all__ = ["Check", "Contents", "Provides", "extras_from_metadata", "provides_from_paths", "verify"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Check:
    """A third-party import to find in the locked wheels: ``yaml`` mapped to ``pyyaml``."""

    module: str  # the dotted module the code imports
    distribution: NormalizedName
    source: str
    key: str = ""  # its [mapping] key (the name the mapping matched); "" when it is ``module``
    ambiguous: bool = False  # several distributions provide the name
    # every site is `from parent import name`: the name may be an attribute of the parent, not a submodule
    attribute: bool = False

    @property
    def guessed(self) -> bool:
        """Named by a rule rather than known: a guess, or a family rule's ``google-cloud-<x>``, either of
        which may not exist on the index or may not provide the module."""
        return self.source in ("guessed", "family")

    @property
    def mapping_key(self) -> str:
        return self.key or self.module


@dataclass(frozen=True, slots=True)
class Provides:
    """The modules a wheel installs: regular modules and packages, namespace directories, and
    ``opaque`` modules whose submodules cannot be listed (an extension module, a ``top_level.txt``
    name without files): anything under them counts as provided."""

    regular: frozenset[str]
    namespaces: frozenset[str]
    opaque: frozenset[str] = frozenset()
    # (extra, distribution it requires), from the wheel's METADATA: ("asyncio", "greenlet")
    extras: tuple[tuple[str, NormalizedName], ...] = ()

    def __contains__(self, module: object) -> bool:
        """``a.b.c`` is provided when the wheel has the module itself (a file, a package or a
        namespace directory), reached through packages or namespace directories, or lies under an
        opaque module: ``plugp100`` in the wheel does not make ``plugp100.new.device_factory`` so."""
        parts = str(module).split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            if prefix in self.opaque:
                return True
            if prefix not in self.regular and prefix not in self.namespaces:
                return False
        return True

    def shipped(self) -> tuple[str, ...]:
        return tuple(sorted(name for name in self.regular | self.opaque if "." not in name))


def provides_from_paths(paths: Iterable[str], top_level: Iterable[str] = ()) -> Provides:
    """Modules from a wheel's file list (``RECORD`` or its zip members) and ``top_level.txt``."""
    regular: set[str] = set()
    opaque: set[str] = set()
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
            # A plain module (six.py) or an extension module has no submodule files: what is
            # imported under it (six.moves) is made at run time.
            opaque.add(".".join([*folders, name.split(".")[0]]))
    listed = regular | opaque | directories
    opaque.update(name for name in top_level if name.isidentifier() and name not in listed)
    return Provides(frozenset(regular), frozenset(directories - regular - opaque), frozenset(opaque))


def extras_from_metadata(text: str) -> tuple[tuple[str, NormalizedName], ...]:
    """Each extra of a wheel's ``METADATA`` with the distributions it adds, sorted. email.parser (with
    the rest of the email package) is imported here, when a wheel is read, not by every command that
    reads a lock's input hash (``depmin check``)."""
    import email.parser  # noqa: PLC0415 - see above

    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415 - imports packaging.tags (depmin._names)

    message = email.parser.HeaderParser().parsestr(text)
    found: set[tuple[str, NormalizedName]] = set()
    for extra in message.get_all("Provides-Extra") or []:
        for line in message.get_all("Requires-Dist") or []:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            marker = requirement.marker
            if marker is None or "extra" not in str(marker):
                continue
            with contextlib.suppress(Exception):  # a marker that cannot be evaluated adds nothing
                if marker.evaluate({"extra": extra}) and not marker.evaluate({"extra": ""}):
                    found.add((extra, canonicalize_name(requirement.name)))
    return tuple(sorted(found))


Contents = Callable[[Release], "Provides | None"]
# The other releases of a distribution that provide a module: (versions found, releases searched),
# newest first; None when they cannot be searched (offline, no index).
Others = Callable[[NormalizedName, str], "tuple[tuple[str, ...], int] | None"]


def _elsewhere(check: Check, release: Release, others: Others | None) -> str:
    found = others(release.name, check.module) if others is not None else None
    if found is None:
        return ""
    versions, searched = found
    if versions:
        return f" (releases that provide it: {', '.join(f'{release.name} {v}' for v in versions)})"
    return f" (nor do the {searched} newest releases searched)"


def _extras_needed(
    agent: str, check: Check, known: Mapping[NormalizedName, Provides | None], reported: set[str]
) -> list[str]:
    """An imported submodule named like an extra of its distribution (``sqlalchemy.ext.asyncio``,
    extra ``asyncio``) needs what the extra requires: an error for each such extra whose
    requirements the lock lacks, from the wheel's METADATA."""
    modules = known.get(check.distribution)
    if modules is None or not modules.extras:
        return []
    parts = {canonicalize_name(part) for part in check.module.split(".")[1:]}
    wanted: dict[str, list[str]] = {}
    for extra, requirement in modules.extras:
        if canonicalize_name(extra) in parts and requirement not in known:
            wanted.setdefault(extra, []).append(requirement)
    errors = []
    for extra, requirements in sorted(wanted.items()):
        named = f"{check.distribution}[{extra}]"
        if named in reported:
            continue
        reported.add(named)
        errors.append(
            f"{agent}: import {check.module} needs the extra {named}: its METADATA makes the extra require "
            f"{', '.join(requirements)}, which the lock lacks; add {json.dumps(named)} to "
            f"agents.{agent}.extra_requirements (or name the module in agents.{agent}.ignore_imports)"
        )
    return errors


def verify(
    agent: str,
    checks: Iterable[Check],
    releases: Iterable[Release],
    contents: Contents,
    others: Others | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(errors, unverified imports, uncertain imports): every import must come from a locked wheel.

    An import is unverified when none of the locked wheels that could provide it is on disk. It is
    uncertain when the code reads ``from pkg import x``, the wheel has the package ``pkg`` but no
    submodule ``pkg.x``: ``x`` may be a name that ``pkg/__init__.py`` defines, which only running
    it would tell; ``import pkg.x`` (or ``from pkg.x import y``) in the same case is an error.
    """
    releases_seen = list(releases)
    known = {release.name: contents(release) for release in releases_seen}
    errors, unverified, uncertain = [], [], []
    reported: set[str] = set()  # missing submodules already named
    for check in checks:
        if check.distribution not in known:
            continue  # left out by its marker for this target
        if any(modules is not None and check.module in modules for modules in known.values()):
            errors.extend(_extras_needed(agent, check, known, reported))
            continue
        modules = known[check.distribution]
        if modules is None:
            unverified.append(check.module)
            continue
        key = check.mapping_key if check.mapping_key.isidentifier() else json.dumps(check.mapping_key)
        shipped = ", ".join(modules.shipped()) or "no modules"
        parts = check.module.split(".")
        end = next((end for end in range(len(parts) - 1, 0, -1) if ".".join(parts[:end]) in modules), 0)
        if end:
            parent, missing = ".".join(parts[:end]), ".".join(parts[: end + 1])
            release = next(r for r in releases_seen if r.name == check.distribution)
            if missing == check.module and parent in modules.regular and check.attribute:
                name = missing.rpartition(".")[2]
                uncertain.append(
                    f"{agent}: `from {parent} import {name}`: the locked {release.name} {release.version} has no "
                    f"module {missing}, so {name} must be a name {parent}/__init__.py defines; if it is a submodule, "
                    f"pin a release that has it (agents.{agent}.extra_requirements)"
                )
                continue
            if missing in reported:
                continue
            reported.add(missing)
            errors.append(
                f"{agent}: import {check.module} needs {missing}, which the locked {release.name} "
                f"{release.version} does not have (it has {parent}){_elsewhere(check, release, others)}; pin a "
                f"release that has it (agents.{agent}.extra_requirements), or name the module in "
                f"agents.{agent}.ignore_imports if the package makes it at run time"
            )
            continue
        errors.append(
            f"{agent}: import {check.module} is not provided by any locked distribution (depmin mapped it "
            f"to {check.distribution} [{check.source}], which provides {shipped}); set the right distribution "
            f'with [mapping] {key} = "<distribution>" in agents.toml (or agents.{agent}.mapping)'
        )
    return tuple(errors), tuple(unverified), tuple(uncertain)
