"""Each agent's first-party source graph, walked from its entrypoint the way Python imports.

The input is the fleet (``agents.toml``), one agent and the ``Sources`` that hand over each file's
import sites. From the entrypoint (and, for ``python -m pkg.app``, the parent packages ``pkg``
imports first) every first-party module an import reaches is visited once per search path it can
be reached with; ``depmin.scanning.finder`` decides where each import resolves, and every parent
package's ``__init__.py`` runs on import, so its imports count, and ``from pkg import name`` follows
``name`` when it is a submodule.

Everything that does not resolve is stdlib (for the agent's *target* Python), missing first-party
(its top-level name is first-party), unresolved (found only where Python does not look: a
``pathlib.Path`` entry, or a same-named file beside the importing file, as generated gRPC code
imports its ``*_pb2``) or third-party. A same-named file anywhere else in the tree is not on this
agent's ``sys.path``, so it never hides a dependency: the import stays third-party and
``AgentScan.shadow_warnings`` names both (and a ``sys.path`` edit of the closure that depmin cannot
evaluate, which could put that file on the path). Problems in the sources (unreadable files; those
``depmin.scanning.tree`` refuses, which are then not among its ``files``; syntax errors, imports that
only work as a script or as a module) are reported in the ``AgentScan``, never raised.

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
from pathlib import Path

from depmin.manifest import Agent, Fleet
from depmin.scanning.cache import Sources
from depmin.scanning.finder import (
    STARTUP_MODULES,
    Finder,
    Module,
    absolute_name,
    edits_above,
    entry_roots,
    module_of,
    roots_at,
    run_mode,
    stdlib_modules,
    unique,
)
from depmin.scanning.kinds import kind_rank
from depmin.scanning.plugins import expand
from depmin.scanning.results import AgentScan, Hop, RecoveredFile
from depmin.scanning.sites import ImportSite
from depmin.scanning.tree import NotReadError, Tree, not_read, printable
from depmin.scanning.walk_memo import VisitMemo
from depmin.scanning.walk_state import State, Walk, external, freeze, missing, record, unresolved

__all__ = ["scan_agent"]


def scan_agent(
    fleet: Fleet,
    agent: Agent,
    sources: Sources,
    *,
    finder: Finder | None = None,
    memo: VisitMemo | None = None,
) -> AgentScan:
    """Walk ``agent``'s imports from its entrypoint; never raises for problems in the sources.

    ``sys.path`` is global in a running program: once a module has inserted a directory, later
    imports anywhere can find modules there. The walk therefore runs again with every ``str``
    directory the closure adds appended to the search path, until no new directory appears.
    With a ``memo`` (one per scan, with one ``finder``), visits recorded for earlier agents are
    replayed where they decide the same (:mod:`depmin.scanning.walk_memo`), and a walk again with the
    added directories is not made when every lookup of the walk would find the same with them
    (``VisitMemo.same_again``: an edit's directory answers only the imports below the edit); the
    result is the same.
    """
    finder = finder or Finder(Tree.of(fleet.project))
    extra: tuple[Path, ...] = ()
    for _ in range(4):
        walk = _walk(fleet, agent, sources, finder, extra, memo)
        added = tuple(sorted(walk.edits - set(extra) - set(walk.base_roots)))
        if not added:
            break
        extra = (*extra, *added)
        if memo is not None and _same_again(walk, agent, memo, extra, added):
            break
    return freeze(walk, agent, fleet.target_python(agent))


def _same_again(walk: Walk, agent: Agent, memo: VisitMemo, extra: tuple[Path, ...], added: tuple[Path, ...]) -> bool:
    """Whether walking with ``extra`` on the path would give ``walk`` again, so need not run: as where
    the added directories answer no lookup but those after the edit that added them."""
    _, module_name = run_mode(agent)
    looked_up = {module_name.split(".")[0]} if module_name else set()
    for pattern in agent.entry_modules:
        top = pattern.split(".")[0]
        if not top.isidentifier():
            return False  # a wildcard lists every directory of the path
        looked_up.add(top)
    names = frozenset(name for directory in added for name in walk.finder.top_names(directory))
    return memo.same_again(walk, unique((*walk.base_roots, *extra)), names, frozenset(looked_up))


def _walk(
    fleet: Fleet, agent: Agent, sources: Sources, finder: Finder, extra: tuple[Path, ...], memo: VisitMemo | None
) -> Walk:
    mode, module_name = run_mode(agent)
    walk = Walk(
        root=fleet.project.root,
        stdlib=stdlib_modules(fleet.target_python(agent)),
        finder=finder,
        sources=sources,
        entry=finder.interned(fleet.project.root / agent.entrypoint),
        mode=mode,
        base_roots=tuple(finder.interned(directory) for directory in entry_roots(fleet, agent, mode)),
        rels=finder.rels,
    )
    roots = unique((*walk.base_roots, *extra))
    if memo is not None:
        walk.trace = []  # for _same_again
    for directory in roots:
        walk.first_party_names.update(finder.top_names(directory))
    if os.path.lexists(walk.entry) and not walk.entry.is_dir():  # a FIFO too: reading it says why not
        _start(walk, module_name, roots)
        for pattern in agent.entry_modules:
            _entry_modules(walk, pattern, roots)
    else:
        walk.errors.append(f"entrypoint {printable(agent.entrypoint)} does not exist under {walk.root}")
    while walk.heap:
        rank, _, state = heapq.heappop(walk.heap)
        if state not in walk.done:
            if not sources.known(state.file):  # parse what the walk is about to reach in one batch
                sources.frontier((state.file, *(s.file for _, _, s in walk.heap if s not in walk.done)))
            walk.done.add(state)
            is_entry = state.file is walk.entry or state.file == walk.entry
            if memo is None or is_entry or state.module == "__main__":
                _visit(walk, state, rank, is_entry=is_entry)
            else:
                memo.visit(walk, state, rank, _visit_shared)
            walk.visited.add(state.file)
    return walk


def _start(walk: Walk, module_name: str | None, roots: tuple[Path, ...]) -> None:
    """Queue the entrypoint; ``python -m pkg.app`` imports the packages above it first. ``python -m
    pkg`` runs ``pkg/__main__.py`` as ``pkg.__main__`` (its relative imports are relative to ``pkg``)
    after importing ``pkg``."""
    if module_name and walk.entry.name == "__main__.py" and module_name.rpartition(".")[2] != "__main__":
        module_name = f"{module_name}.__main__"
    walk.push(State(file=walk.entry, module=module_name or "__main__", roots=roots), 0, None)
    if module_name and "." in module_name:
        parents, _ = walk.finder.resolve(module_name.rpartition(".")[0], roots)
        for parent in parents:
            if parent.file is not None:
                walk.push(State(file=parent.file, module=parent.name, roots=roots), 0, None)


def _entry_modules(walk: Walk, pattern: str, roots: tuple[Path, ...]) -> None:
    """``agents.<Name>.entry_modules``: what a host loads by name, walked as lazily imported."""
    chains = expand(walk.finder, pattern, roots)
    if not chains:
        walk.errors.append(f"entry_modules {printable(pattern)!r} names no module on this agent's sys.path")
    for module in (module for chain in chains for module in chain):
        if module.file is not None:  # a namespace package has no file to run
            walk.push(State(file=module.file, module=module.name, roots=roots), kind_rank("lazy"), None)


def _visit_shared(walk: Walk, state: State, rank: int) -> None:
    _visit(walk, state, rank, is_entry=False)


def _visit(walk: Walk, state: State, rank: int, *, is_entry: bool) -> None:
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
    walk.current = state
    for site in found.sites:
        path = roots_at(state.file, state.roots, found.path_edits, site.line)
        walk.put_on_path(path.added)
        if walk.pushed is not None or walk.trace is not None:  # which of the file's edits this site's path has
            walk.site_edits = edits_above(found.path_edits, site.line)
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
    walk: Walk,
    state: State,
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
        record(walk, site, hop, eff, "stdlib")
        walk.stdlib_used.add(top)
    else:
        _not_found(walk, eff, site, hop, top, ignored, here=state.file.parent, is_entry=is_entry)


def _not_found(
    walk: Walk,
    eff: int,
    site: ImportSite,
    hop: Hop,
    top: str,
    ignored: tuple[Path, ...],
    *,
    here: Path,
    is_entry: bool,
) -> None:
    """An absolute import found nowhere on ``sys.path``: third-party, unless it looks first-party."""
    if any(walk.finder.find(top, top, (d,)) for d in ignored):
        reason = "resolves only through a sys.path entry that is a pathlib.Path, which Python ignores; wrap it in str()"
        unresolved(walk, site, hop, eff, reason)
    elif is_entry and walk.mode == "module" and walk.finder.find(top, top, (walk.entry.parent,)):
        walk.run_problems.append(
            f"{hop.file}:{site.line}: `import {site.module}` finds a sibling file only when the "
            "entrypoint runs as a script (its directory is sys.path[0]); "
            "import it by its package path"
        )
        missing(walk, site, hop, eff, "not on sys.path when run as a module")
    elif _first_party_name(walk, top):
        missing(walk, site, hop, eff, f"{top} is first-party but {site.module} does not exist")
    elif (
        (sibling := walk.finder.find(top, top, (here,))) is not None
        and sibling.file is not None
        and walk.rel(sibling.file) != hop.file
    ):
        # Beside the importing file (generated gRPC code's `import x_pb2`): meant first-party, not a dependency.
        # A file that imports its own name (`import yaml` in utils/yaml.py, a wrapper) means the dependency.
        reason = (
            f"not on this agent's sys.path, but first-party {walk.rel(sibling.file)} has that name; "
            "add its directory to project.source_roots or fix the sys.path edit"
        )
        unresolved(walk, site, hop, eff, reason)
    else:
        if elsewhere := walk.finder.elsewhere(walk.root, top):  # elsewhere in the tree: not on sys.path
            walk.shadows.setdefault(hop, elsewhere)
        external(walk, site, hop, eff, top)


def _first_party_name(walk: Walk, top: str) -> bool:
    if top in walk.first_party_names:
        return True
    walk.absent.add(top)  # a directory put on sys.path later that has this name would change the answer
    return False


def _first_party(
    walk: Walk,
    eff: int,
    site: ImportSite,
    hop: Hop,
    modules: list[Module],
    failed: str | None,
    roots: tuple[Path, ...],
) -> None:
    target = _follow(walk, eff, site, hop, modules, roots, complete=failed is None)
    if failed is not None:  # the parent packages ran, then the import failed: one category, missing
        missing(walk, site, hop, eff, f"{failed} does not exist")
    else:
        record(walk, site, hop, eff, "first-party", target)


def _follow(
    walk: Walk,
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
            walk.push(State(file=module.file, module=module.name, roots=roots), eff, hop)
            target = walk.rel(module.file)
    if not complete or not modules:
        return target
    last = modules[-1]
    for name in site.names:
        if name == "*" or not last.search:
            continue
        child = walk.finder.find(f"{last.name}.{name}", name, last.search)
        if child is not None and child.file is not None:
            walk.push(State(file=child.file, module=child.name, roots=roots), eff, hop)
            target = walk.rel(child.file)
        elif child is None and last.file is None:
            missing(walk, site, hop, eff, f"{last.name}.{name} does not exist")
    return target


def _relative(
    walk: Walk,
    state: State,
    eff: int,
    site: ImportSite,
    hop: Hop,
    roots: tuple[Path, ...],
    *,
    is_entry: bool,
) -> None:
    dotted = absolute_name(_package_of(walk, state, site, hop), site.level, site.module)
    if dotted is None:
        unresolved(walk, site, hop, eff, "relative import beyond the top-level package")
        return
    search = unique((walk.root, *roots)) if is_entry else roots
    modules, failed = walk.finder.resolve(dotted, search)
    if failed is not None:
        missing(walk, site, hop, eff, f"{failed} does not exist")
    target = _follow(walk, eff, site, hop, modules, search, complete=failed is None)
    record(walk, site, hop, eff, "first-party" if failed is None else "missing", target)


def _package_of(walk: Walk, state: State, site: ImportSite, hop: Hop) -> str:
    """The package a relative import in ``state`` is relative to; a script has none (a run problem),
    so the one it would have under ``python -m`` is used."""
    module = state.module
    if module == "__main__":
        module = module_of(walk.rel(state.file))
        runs = ""
        if state.file.name == "__init__.py" and "__main__.py" not in walk.finder.listing(state.file.parent)[0]:
            runs = f" (which runs {module.replace('.', '/')}/__main__.py: add one that imports the package)"
        walk.run_problems.append(
            f"{hop.file}:{site.line}: relative import `from {hop.module} import ...` works only "
            f'with `python -m {module}`; set cmd = ["python", "-m", "{module}"] in agents.toml{runs}'
        )
    return module if state.file.name == "__init__.py" else module.rpartition(".")[0]
