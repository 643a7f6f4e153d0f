"""The mutable accumulator of one agent's walk, and how it is frozen into an ``AgentScan``.

Private to ``depmin.scanning.walk``: every import site the walk classifies is recorded here
(``record``, ``missing``, ``unresolved``, ``external``); ``freeze`` sorts it all into the frozen,
deterministic result, with one shadow warning per third-party import site whose name a first-party
file off the agent's ``sys.path`` has.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from pathlib import Path

from depmin.manifest import Agent
from depmin.scanning.cache import Sources
from depmin.scanning.finder import Finder
from depmin.scanning.kinds import IMPORT_KINDS
from depmin.scanning.results import AgentScan, Hop, ImportCategory, ImportRecord, RecoveredFile, RunMode, Unresolved
from depmin.scanning.sightings import Sighting, ThirdParty
from depmin.scanning.sites import UNEVALUABLE_EDIT, ImportSite

__all__ = ["UNSEEN", "State", "Walk", "external", "freeze", "missing", "record", "unresolved"]
UNSEEN = len(IMPORT_KINDS)  # a rank weaker than any kind: not reached yet


class State:
    """A file as the walk reaches it: its dotted name (``"__main__"`` for a script entrypoint) and
    ``sys.path`` when it starts running. Immutable; hashed once, as the walk looks states up often.

    The hash takes of ``roots`` only its length and first entry (each ``Path`` hashes in Python, and
    the walk makes a state per import): two states of a file whose paths differ there and nowhere
    else are told apart by ``==``."""

    __slots__ = ("_hash", "file", "module", "roots")

    def __init__(self, *, file: Path, module: str, roots: tuple[Path, ...]) -> None:
        self.file = file
        self.module = module
        self.roots = roots
        self._hash = hash((file, module, len(roots), roots[0] if roots else None))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, State):
            return NotImplemented
        return (
            self._hash == other._hash
            and (self.file is other.file or self.file == other.file)
            and self.module == other.module
            and self.roots == other.roots  # a tuple compares its items by identity first
        )

    def __repr__(self) -> str:
        return f"State(file={self.file!r}, module={self.module!r}, roots={self.roots!r})"


@dataclass(kw_only=True, slots=True)
class Walk:
    """Mutable accumulator of one agent's walk; frozen into an AgentScan at the end."""

    root: Path
    stdlib: frozenset[str]
    finder: Finder
    sources: Sources
    entry: Path
    mode: RunMode
    seq: int = 0
    heap: list[tuple[int, int, State]] = field(default_factory=list)
    best: dict[State, int] = field(default_factory=dict)
    done: set[State] = field(default_factory=set)
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
    visited: set[Path] = field(default_factory=set)  # the files visited so far
    shadows: dict[Hop, str] = field(default_factory=dict)  # third-party import site -> same-named file
    run_problems: list[str] = field(default_factory=list)
    first_party_names: set[str] = field(default_factory=set)
    edits: set[Path] = field(default_factory=set)  # every str directory the closure puts on sys.path
    base_roots: tuple[Path, ...] = ()  # the search path the entrypoint starts with
    rels: dict[Path, str] = field(default_factory=dict)
    # Set on the scratch walk that records one visit (depmin.scanning.walk_memo): pushes are only
    # logged, with the number of the file's path edits above the import site that pushed them.
    pushed: list[tuple[State, int, Hop | None, int]] | None = None
    site_edits: int = 0
    # Set on an agent's walk while its sys.path may still grow (depmin.scanning.walk): every push, with
    # the state being visited (None: the start) and the number of its path edits above the import site;
    # and every first-party name a visit looked for and did not find.
    trace: list[tuple[State | None, int, State]] | None = None
    current: State | None = None
    absent: set[str] = field(default_factory=set)
    # Each state reached through ``reach``, by the identity of its search path (which the state
    # holds, so the id stays its own), its file's rel and its name: a replayed visit pushes states
    # the walk mostly has already, and finds them here instead of making and hashing new ones.
    reached: dict[tuple[int, str, str], State] = field(default_factory=dict)

    def rel(self, path: Path) -> str:
        known = self.rels.get(path)
        if known is None:
            try:
                known = path.relative_to(self.root).as_posix()
            except ValueError:
                known = path.as_posix()
            self.rels[path] = known
        return known

    def push(self, state: State, rank: int, hop: Hop | None, rel: str | None = None) -> None:
        """Queue ``state`` at ``rank``, reached through ``hop`` (``rel``: its file's, when known)."""
        if self.pushed is not None:
            self.pushed.append((state, rank, hop, self.site_edits))
            return
        if self.trace is not None:
            self.trace.append((self.current, self.site_edits, state))
        if state in self.done or self.best.get(state, UNSEEN) <= rank:
            return
        self.best[state] = rank
        if rel is None:
            rel = self.rel(state.file)
        if rank < self.file_rank.get(rel, UNSEEN):
            self.file_rank[rel] = rank
            if hop is not None:
                self.via[rel] = hop
        self.seq += 1
        heapq.heappush(self.heap, (rank, self.seq, state))

    def reach(self, file: Path, rel: str, module: str, roots: tuple[Path, ...], rank: int, hop: Hop | None) -> None:
        """:meth:`push` the state of ``file`` (whose rel is ``rel``) as ``module`` with ``roots``."""
        key = (id(roots), rel, module)
        state = self.reached.get(key)
        if state is None:
            state = self.reached[key] = State(file=file, module=module, roots=roots)
        self.push(state, rank, hop, rel)

    def put_on_path(self, directories: tuple[Path, ...]) -> None:
        """Remember directories a ``sys.path`` edit adds: their top-level names become first-party."""
        for directory in directories:
            self.edits.add(directory)
            self.first_party_names.update(self.finder.top_names(directory))


def record(
    walk: Walk, site: ImportSite, hop: Hop, eff: int, category: ImportCategory, target: str | None = None
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


def missing(walk: Walk, site: ImportSite, hop: Hop, eff: int, reason: str) -> None:
    walk.missing.setdefault(
        (hop.module, hop.file, site.line),
        Unresolved(module=hop.module, kind=IMPORT_KINDS[eff], site=hop, reason=reason),
    )
    record(walk, site, hop, eff, "missing")


def unresolved(walk: Walk, site: ImportSite, hop: Hop, eff: int, reason: str) -> None:
    walk.unresolved.setdefault(
        (hop.module, hop.file, site.line),
        Unresolved(module=hop.module, kind=IMPORT_KINDS[eff], site=hop, reason=reason),
    )
    record(walk, site, hop, eff, "unresolved")


def external(walk: Walk, site: ImportSite, hop: Hop, eff: int, top: str) -> None:
    record(walk, site, hop, eff, "third-party")
    ext = walk.externals.get(top)
    if ext is None:
        best = Sighting(rank=eff, marker=site.marker, dynamic=site.dynamic, first=hop)
        ext = walk.externals[top] = ThirdParty(module=top, best=best)
    ext.see(site, hop, eff)


def freeze(walk: Walk, agent: Agent, python: str) -> AgentScan:
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
        imports=tuple(map(walk.records.__getitem__, sorted(walk.records))),  # keys: file, line, module, category
        via=dict(sorted(walk.via.items())),
        shadow_warnings=shadow_warnings(walk),
    )


def shadow_warnings(walk: Walk) -> tuple[str, ...]:
    """One line per third-party import site whose name a first-party file off this agent's path has."""
    unevaluable = sorted(n.replace(": line ", ":", 1) for n in walk.notes if n.endswith(f": {UNEVALUABLE_EDIT}"))
    could = ""
    if unevaluable:
        where = unevaluable[0].removesuffix(f": {UNEVALUABLE_EDIT}")
        could = f"; the sys.path edit at {where} cannot be evaluated and could put it there: the requirement is kept"
    return tuple(
        f"{hop.file}:{hop.line}: `import {hop.module}` is third-party: first-party {stray} has that name "
        f"but is not on this agent's sys.path{could}"
        for hop, stray in sorted(walk.shadows.items())
    )
