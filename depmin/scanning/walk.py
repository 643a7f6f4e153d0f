"""Each agent's first-party source graph, walked from its entrypoint the way Python imports.

The input is the fleet (``agents.toml``), one agent and the ``Sources`` that hand over each file's
import sites. From the entrypoint (and, for ``python -m pkg.app``, the parent packages ``pkg``
imports first) every first-party module an import reaches is visited once per search path it can
be reached with; ``depmin.scanning.finder`` decides where each import resolves, and every parent
package's ``__init__.py`` runs on import, so its imports count, and ``from pkg import name`` follows
``name`` when it is a submodule.

Everything that does not resolve is stdlib (for the agent's *target* Python), missing first-party
(its top-level name is first-party), unresolved (found only where Python does not look) or
third-party. Problems in the sources (unreadable files; those ``depmin.scanning.tree`` refuses,
which are then not among its ``files``; syntax errors, imports that only work as a script or as a
module) are reported in the ``AgentScan``, never raised.

Kinds propagate as the weakest link of the best chain (``depmin.scanning.kinds``): a third-party
import is ``required`` only if a chain of required edges reaches it from the entrypoint; reached
only through a function body it is ``lazy``; only through a guarded import, ``optional``; only
under ``TYPE_CHECKING``, ``type_only``. Files are visited strongest first, so the first chain that
reaches a module is its best. Conditional markers are those of the import site itself;
``depmin.scanning.sightings`` keeps the best sighting of each third-party module.
"""

from __future__ import annotations

import heapq
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from depmin.manifest import Agent, Fleet
from depmin.scanning.cache import Sources
from depmin.scanning.finder import (
    STARTUP_MODULES,
    Finder,
    Module,
    absolute_name,
    entry_roots,
    roots_at,
    run_mode,
    stdlib_modules,
    unique,
)
from depmin.scanning.kinds import IMPORT_KINDS, kind_rank
from depmin.scanning.results import AgentScan, Hop, ImportCategory, ImportRecord, RecoveredFile, RunMode, Unresolved
from depmin.scanning.sightings import Sighting, ThirdParty
from depmin.scanning.sites import ImportSite
from depmin.scanning.tree import NotReadError, Tree, not_read, printable

__all__ = ["scan_agent"]

_UNSEEN = len(IMPORT_KINDS)  # a rank weaker than any kind: not reached yet


@dataclass(frozen=True, kw_only=True, slots=True, order=True)
class _State:
    file: Path
    module: str  # dotted name it was imported as ("__main__" for a script entrypoint)
    roots: tuple[Path, ...]


@dataclass(kw_only=True, slots=True)
class _Walk:
    """Mutable accumulator of one agent's walk; frozen into an AgentScan at the end."""

    root: Path
    stdlib: frozenset[str]
    finder: Finder
    sources: Sources
    entry: Path
    mode: RunMode
    seq: int = 0
    heap: list[tuple[int, int, _State]] = field(default_factory=list)
    best: dict[_State, int] = field(default_factory=dict)
    done: set[_State] = field(default_factory=set)
    via: dict[str, Hop] = field(default_factory=dict)
    file_rank: dict[str, int] = field(default_factory=dict)
    externals: dict[str, ThirdParty] = field(default_factory=dict)
    stdlib_used: set[str] = field(default_factory=set)
    missing: dict[tuple[str, str, int], Unresolved] = field(default_factory=dict)
    unresolved: dict[tuple[str, str, int], Unresolved] = field(default_factory=dict)
    recovered: dict[str, RecoveredFile] = field(default_factory=dict)
    notes: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    unread: set[str] = field(default_factory=set)  # files of the closure the tree refuses
    records: dict[tuple[str, int, str, str], ImportRecord] = field(default_factory=dict)
    run_problems: list[str] = field(default_factory=list)
    first_party_names: set[str] = field(default_factory=set)
    edits: set[Path] = field(default_factory=set)  # every str directory the closure puts on sys.path
    base_roots: tuple[Path, ...] = ()  # the search path the entrypoint starts with
    rels: dict[Path, str] = field(default_factory=dict)

    def rel(self, path: Path) -> str:
        known = self.rels.get(path)
        if known is None:
            try:
                known = path.relative_to(self.root).as_posix()
            except ValueError:
                known = path.as_posix()
            self.rels[path] = known
        return known

    def push(self, state: _State, rank: int, hop: Hop | None) -> None:
        if state in self.done or self.best.get(state, _UNSEEN) <= rank:
            return
        self.best[state] = rank
        rel = self.rel(state.file)
        if hop is not None and rank < self.file_rank.get(rel, _UNSEEN):
            self.via[rel] = hop
        self.file_rank[rel] = min(rank, self.file_rank.get(rel, _UNSEEN))
        self.seq += 1
        heapq.heappush(self.heap, (rank, self.seq, state))

    def put_on_path(self, directories: tuple[Path, ...]) -> None:
        """Remember directories a ``sys.path`` edit adds: their top-level names become first-party."""
        for directory in directories:
            self.edits.add(directory)
            self.first_party_names.update(self.finder.top_names(directory))


def scan_agent(fleet: Fleet, agent: Agent, sources: Sources, *, finder: Finder | None = None) -> AgentScan:
    """Walk ``agent``'s imports from its entrypoint; never raises for problems in the sources.

    ``sys.path`` is global in a running program: once a module has inserted a directory, later
    imports anywhere can find modules there. The walk therefore runs again with every ``str``
    directory the closure adds appended to the search path, until no new directory appears.
    """
    finder = finder or Finder(Tree.of(fleet.project))
    extra: tuple[Path, ...] = ()
    for _ in range(4):
        walk = _walk(fleet, agent, sources, finder, extra)
        added = tuple(sorted(walk.edits - set(extra) - set(walk.base_roots)))
        if not added:
            break
        extra = (*extra, *added)
    return _freeze(walk, agent, fleet.target_python(agent))


def _walk(fleet: Fleet, agent: Agent, sources: Sources, finder: Finder, extra: tuple[Path, ...]) -> _Walk:
    mode, module_name = run_mode(agent)
    walk = _Walk(
        root=fleet.project.root,
        stdlib=stdlib_modules(fleet.target_python(agent)),
        finder=finder,
        sources=sources,
        entry=fleet.project.root / agent.entrypoint,
        mode=mode,
        base_roots=entry_roots(fleet, agent, mode),
        rels=finder.rels,
    )
    roots = unique((*walk.base_roots, *extra))
    for directory in roots:
        walk.first_party_names.update(finder.top_names(directory))
    if os.path.lexists(walk.entry) and not walk.entry.is_dir():  # a FIFO too: reading it says why not
        _start(walk, module_name, roots)
    else:
        walk.errors.append(f"entrypoint {printable(agent.entrypoint)} does not exist under {walk.root}")
    while walk.heap:
        rank, _, state = heapq.heappop(walk.heap)
        if state not in walk.done:
            walk.done.add(state)
            _visit(walk, state, rank, is_entry=state.file == walk.entry)
    return walk


def _start(walk: _Walk, module_name: str | None, roots: tuple[Path, ...]) -> None:
    """Queue the entrypoint; ``python -m pkg.app`` imports the packages above it first."""
    walk.push(_State(file=walk.entry, module=module_name or "__main__", roots=roots), 0, None)
    if module_name and "." in module_name:
        parents, _ = walk.finder.resolve(module_name.rpartition(".")[0], roots)
        for parent in parents:
            if parent.file is not None:
                walk.push(_State(file=parent.file, module=parent.name, roots=roots), 0, None)


def _visit(walk: _Walk, state: _State, rank: int, *, is_entry: bool) -> None:
    rel = walk.rel(state.file)
    try:  # the finder's tree refuses a path out of the root, whatever tree the Sources were given
        found = walk.sources.get(walk.finder.checked(state.file))
    except OSError as exc:
        walk.unread.update((rel,) if isinstance(exc, NotReadError) else ())
        walk.errors.append(not_read(rel, exc, walk.via.get(rel)))
        return
    if found.syntax_error is not None:
        error = found.syntax_error
        walk.recovered[rel] = RecoveredFile(file=rel, error=error.message, line=error.line)
    walk.notes.update(f"{rel}: {note}" for note in found.notes)
    for site in found.sites:
        path = roots_at(state.file, state.roots, found.path_edits, site.line)
        walk.put_on_path(path.added)
        _classify(walk, state, rank, site, path.roots, path.ignored, is_entry=is_entry)
    # Edits after the last import still change sys.path for what the closure imports later.
    walk.put_on_path(roots_at(state.file, state.roots, found.path_edits, 1 << 30).added)


def _site_rank(site: ImportSite) -> int:
    if site.type_only:
        return kind_rank("type_only")
    if site.optional:
        return kind_rank("optional")
    return kind_rank("lazy" if site.lazy else "required")


def _classify(
    walk: _Walk,
    state: _State,
    rank: int,
    site: ImportSite,
    roots: tuple[Path, ...],
    ignored: tuple[Path, ...],
    *,
    is_entry: bool,
) -> None:
    eff = max(rank, _site_rank(site))
    hop = Hop(file=walk.rel(state.file), line=site.line, module=("." * site.level) + site.module)
    if site.level:
        _relative(walk, state, eff, site, hop, roots, is_entry=is_entry)
        return
    top = site.module.split(".")[0]
    # A start-up module is imported before any sys.path edit, so nothing first-party shadows it;
    # the stdlib list holds it.
    modules, failed = ([], None) if top in STARTUP_MODULES else walk.finder.resolve(site.module, roots)
    if modules:
        _first_party(walk, eff, site, hop, modules, failed, roots)
    elif top in walk.stdlib:
        _record(walk, site, hop, eff, "stdlib")
        walk.stdlib_used.add(top)
    else:
        _not_found(walk, eff, site, hop, top, ignored, is_entry=is_entry)


def _not_found(
    walk: _Walk, eff: int, site: ImportSite, hop: Hop, top: str, ignored: tuple[Path, ...], *, is_entry: bool
) -> None:
    """An absolute import found nowhere on ``sys.path``: third-party, unless it looks first-party."""
    if any(walk.finder.find(top, top, (d,)) for d in ignored):
        reason = "resolves only through a sys.path entry that is a pathlib.Path, which Python ignores; wrap it in str()"
        _unresolved(walk, site, hop, eff, reason)
    elif is_entry and walk.mode == "module" and walk.finder.find(top, top, (walk.entry.parent,)):
        walk.run_problems.append(
            f"{hop.file}:{site.line}: `import {site.module}` finds a sibling file only when the "
            "entrypoint runs as a script (its directory is sys.path[0]); "
            "import it by its package path"
        )
        _missing(walk, site, hop, eff, "not on sys.path when run as a module")
    elif top in walk.first_party_names:
        _missing(walk, site, hop, eff, f"{top} is first-party but {site.module} does not exist")
    elif elsewhere := walk.finder.elsewhere(walk.root, top):
        reason = (
            f"not on this agent's sys.path, but first-party {elsewhere} has that name; "
            "add its directory to project.source_roots or fix the sys.path edit"
        )
        _unresolved(walk, site, hop, eff, reason)
    else:
        _external(walk, site, hop, eff, top)


def _first_party(
    walk: _Walk,
    eff: int,
    site: ImportSite,
    hop: Hop,
    modules: list[Module],
    failed: str | None,
    roots: tuple[Path, ...],
) -> None:
    target = _follow(walk, eff, site, hop, modules, roots, complete=failed is None)
    if failed is not None:  # the parent packages ran, then the import failed: one category, missing
        _missing(walk, site, hop, eff, f"{failed} does not exist")
    else:
        _record(walk, site, hop, eff, "first-party", target)


def _follow(
    walk: _Walk,
    eff: int,
    site: ImportSite,
    hop: Hop,
    modules: list[Module],
    roots: tuple[Path, ...],
    *,
    complete: bool,
) -> str | None:
    """Push every module file along the import, and submodules named by ``from m import name``."""
    target: str | None = None
    for module in modules:
        if module.file is not None:
            walk.push(_State(file=module.file, module=module.name, roots=roots), eff, hop)
            target = walk.rel(module.file)
    if not complete or not modules:
        return target
    last = modules[-1]
    for name in site.names:
        if name == "*" or not last.search:
            continue
        child = walk.finder.find(f"{last.name}.{name}", name, last.search)
        if child is not None and child.file is not None:
            walk.push(_State(file=child.file, module=child.name, roots=roots), eff, hop)
            target = walk.rel(child.file)
        elif child is None and last.file is None:
            _missing(walk, site, hop, eff, f"{last.name}.{name} does not exist")
    return target


def _relative(
    walk: _Walk,
    state: _State,
    eff: int,
    site: ImportSite,
    hop: Hop,
    roots: tuple[Path, ...],
    *,
    is_entry: bool,
) -> None:
    dotted = absolute_name(_package_of(walk, state, site, hop), site.level, site.module)
    if dotted is None:
        _unresolved(walk, site, hop, eff, "relative import beyond the top-level package")
        return
    search = unique((walk.root, *roots)) if is_entry else roots
    modules, failed = walk.finder.resolve(dotted, search)
    if failed is not None:
        _missing(walk, site, hop, eff, f"{failed} does not exist")
    target = _follow(walk, eff, site, hop, modules, search, complete=failed is None)
    _record(walk, site, hop, eff, "first-party" if failed is None else "missing", target)


def _package_of(walk: _Walk, state: _State, site: ImportSite, hop: Hop) -> str:
    """The package a relative import in ``state`` is relative to; a script has none (a run problem),
    so the one it would have under ``python -m`` is used."""
    module = state.module
    if module == "__main__":
        module = posixpath.splitext(walk.rel(state.file))[0].replace("/", ".")
        walk.run_problems.append(
            f"{hop.file}:{site.line}: relative import `from {hop.module} import ...` works only "
            f'with `python -m {module}`; set cmd = ["python", "-m", "{module}"] in agents.toml'
        )
    return module if state.file.name == "__init__.py" else module.rpartition(".")[0]


def _record(
    walk: _Walk, site: ImportSite, hop: Hop, eff: int, category: ImportCategory, target: str | None = None
) -> None:
    key = (hop.file, site.line, hop.module, category)
    if key not in walk.records:
        walk.records[key] = ImportRecord(
            file=hop.file,
            line=site.line,
            module=hop.module,
            level=site.level,
            kind=IMPORT_KINDS[eff],
            category=category,
            recovered=site.recovered,
            target=target,
        )


def _missing(walk: _Walk, site: ImportSite, hop: Hop, eff: int, reason: str) -> None:
    walk.missing.setdefault(
        (hop.module, hop.file, site.line),
        Unresolved(module=hop.module, kind=IMPORT_KINDS[eff], site=hop, reason=reason),
    )
    _record(walk, site, hop, eff, "missing")


def _unresolved(walk: _Walk, site: ImportSite, hop: Hop, eff: int, reason: str) -> None:
    walk.unresolved.setdefault(
        (hop.module, hop.file, site.line),
        Unresolved(module=hop.module, kind=IMPORT_KINDS[eff], site=hop, reason=reason),
    )
    _record(walk, site, hop, eff, "unresolved")


def _external(walk: _Walk, site: ImportSite, hop: Hop, eff: int, top: str) -> None:
    _record(walk, site, hop, eff, "third-party")
    ext = walk.externals.get(top)
    if ext is None:
        best = Sighting(rank=eff, marker=site.marker, dynamic=site.dynamic, first=hop)
        ext = walk.externals[top] = ThirdParty(module=top, best=best)
    ext.see(site, hop, eff)


def _freeze(walk: _Walk, agent: Agent, python: str) -> AgentScan:
    return AgentScan(
        agent=agent.name,
        entrypoint=agent.entrypoint,
        python=python,
        run_mode=walk.mode,
        run_problems=tuple(dict.fromkeys(walk.run_problems)),
        files=tuple(sorted(set(walk.file_rank) - walk.unread)),
        third_party=tuple(ext.freeze() for _, ext in sorted(walk.externals.items())),
        stdlib=tuple(sorted(walk.stdlib_used)),
        missing=tuple(sorted(walk.missing.values(), key=lambda u: (u.module, u.site))),
        unresolved=tuple(sorted(walk.unresolved.values(), key=lambda u: (u.module, u.site))),
        recovered=tuple(sorted(walk.recovered.values(), key=lambda r: r.file)),
        notes=tuple(sorted(walk.notes)),
        errors=tuple(walk.errors),
        imports=tuple(sorted(walk.records.values(), key=lambda r: (r.file, r.line, r.module, r.category))),
        via=dict(sorted(walk.via.items())),
    )
