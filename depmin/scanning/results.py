"""What ``depmin scan`` knows about one agent: frozen values, and the chain that explains an import.

Built by ``depmin.scanning.walk.scan_agent``; read by the requirements stage, the CLI and the API.
Files are paths relative to the project root, written with ``/``; a ``Hop`` is one import on a
chain from the entrypoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from depmin.scanning.kinds import ImportKind, kind_rank

__all__ = [
    "AgentScan",
    "ExternalImport",
    "Hop",
    "ImportCategory",
    "ImportRecord",
    "ModuleUse",
    "RecoveredFile",
    "RunMode",
    "Unresolved",
    "why",
]

# How the agent starts: "script" (python path/to/file.py) or "module" (python -m, uvicorn pkg.mod:app).
RunMode: TypeAlias = Literal["script", "module"]
# Where an import site led. "missing": first-party by its name, but the module does not exist (or
# not on sys.path the way the agent runs); "unresolved": it could only be found where Python does
# not look (a pathlib.Path sys.path entry, a directory off this agent's sys.path, a relative import
# beyond the top-level package).
ImportCategory: TypeAlias = Literal["first-party", "stdlib", "third-party", "missing", "unresolved"]


@dataclass(frozen=True, kw_only=True, slots=True, order=True)
class Hop:
    """One import on a chain: ``file:line`` imports ``module``; hops sort by file, line, module."""

    file: str
    line: int
    module: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} imports {self.module}"


@dataclass(frozen=True, kw_only=True, slots=True)
class ModuleUse:
    """One dotted name under a third-party top-level (``google.cloud.storage``) and its own kind:
    namespace packages map each dotted name to its own distribution. ``attribute`` is true when
    every site names it as ``from parent import name``: ``name`` may be defined in the parent's
    ``__init__.py`` rather than be a submodule (``from flask import Flask``)."""

    module: str
    kind: ImportKind
    marker: str | None
    dynamic: bool
    first: Hop
    attribute: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class ExternalImport:
    """A third-party top-level module an agent reaches, with its propagated kind (the best of
    its dotted names)."""

    module: str
    kind: ImportKind
    marker: str | None
    dynamic: bool
    first: Hop
    modules: tuple[str, ...]
    # Compared, not hashed: an agent has one ExternalImport per module, and the requirements stage
    # and the documents look each one up by it; hashing every site each time cost more than the rest.
    sites: tuple[Hop, ...] = field(hash=False)
    uses: tuple[ModuleUse, ...] = field(default=(), hash=False)

    def use(self, dotted: str) -> ModuleUse:
        """The use of ``dotted`` (one of ``modules``), or the top-level's own summary."""
        found = next((u for u in self.uses if u.module == dotted), None)
        if found is not None:
            return found
        return ModuleUse(module=dotted, kind=self.kind, marker=self.marker, dynamic=self.dynamic, first=self.first)


@dataclass(frozen=True, kw_only=True, slots=True)
class Unresolved:
    """An import that should be first-party but does not resolve, and why."""

    module: str
    kind: ImportKind
    site: Hop
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class RecoveredFile:
    """A file of the closure that does not parse: the parser's message and line. Its imports were
    recovered from the text."""

    file: str
    error: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportRecord:
    """Every import site in the closure, classified."""

    file: str
    line: int
    module: str
    level: int
    kind: ImportKind
    category: ImportCategory
    recovered: bool
    target: str | None = None  # the first-party file it resolved to


@dataclass(frozen=True, kw_only=True, slots=True)
class AgentScan:
    """What ``depmin scan`` knows about one agent."""

    agent: str
    entrypoint: str
    python: str
    run_mode: RunMode
    run_problems: tuple[str, ...]
    files: tuple[str, ...]
    third_party: tuple[ExternalImport, ...]
    stdlib: tuple[str, ...]
    missing: tuple[Unresolved, ...]
    unresolved: tuple[Unresolved, ...]
    recovered: tuple[RecoveredFile, ...]
    notes: tuple[str, ...]
    errors: tuple[str, ...]
    imports: tuple[ImportRecord, ...]
    via: Mapping[str, Hop] = field(repr=False)  # first-party file -> the import that brought it in
    # One line per third-party import site whose name a first-party file off this agent's sys.path has
    # (``file:line: `import zmq` is third-party: first-party tools/x/zmq.py has that name ...``).
    shadow_warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def why(scan: AgentScan, module: str) -> tuple[Hop, ...] | None:
    """The chain of imports from the entrypoint that brings ``module`` (a third-party or
    first-party module, or a first-party file) into the agent; None when it is not reachable."""
    for external in scan.third_party:
        site = _dotted_site(external, module)
        if site is not None:
            return (*_chain(scan, site.file), site)
    if module in scan.files:
        return _chain(scan, module)
    for record in scan.imports:  # a module name: the file it resolved to, by its best chain
        if record.category == "first-party" and record.module == module and record.target is not None:
            return _chain(scan, record.target)
    return None


def _dotted_site(external: ExternalImport, module: str) -> Hop | None:
    """The first site that imports ``module`` itself or a module under it (``google.auth`` is
    reached by ``import google.auth.transport.requests``); a sibling under the same top-level
    (``google.api_core`` for ``google.protobuf``) is not that import."""
    if module == external.module:
        return external.first
    uses = [external.use(dotted) for dotted in external.modules if dotted == module or dotted.startswith(module + ".")]
    if not uses:
        return None
    best = min(uses, key=lambda use: (kind_rank(use.kind), use.first.file, use.first.line))
    return best.first


def _chain(scan: AgentScan, file: str) -> tuple[Hop, ...]:
    hops: list[Hop] = []
    seen = {file}
    while file in scan.via:
        hop = scan.via[file]
        hops.append(hop)
        if hop.file in seen:
            break
        seen.add(hop.file)
        file = hop.file
    return tuple(reversed(hops))
