"""The visits of one scan shared across its agents: each file's classification recorded once and
replayed for every agent whose search path answers that file's imports the same way.

Private to ``depmin.scanning.walk``. Visiting a file (``State``: file, dotted name, ``sys.path`` at
its first line) at a rank classifies each of its import sites. What that does to the walk depends on
the file, its name, the rank, the target Python's standard library, the agent's first-party names
(read for imports found nowhere) and, of the search path, only the directories whose contents can
answer one of the file's lookups: a directory that holds none of the top-level names the file
imports (``Finder.names_at``) answers every lookup with "not here", however long the path is. Run as
scripts, agents start from their own directory (``sys.path[0]``), so no two of them share a search
path, but a shared ``common`` file's lookups never stop in a service's own directory; keyed by the
deciding directories, the first agent's visit serves every later one.

A visit is recorded on a scratch ``Walk`` (empty, pushes only logged) and applied by merging, which
gives the same walk as the visit itself: records, missing and unresolved imports and shadow sites
keep their first entry; a third-party module's sightings aggregate in order
(:meth:`~depmin.scanning.sightings.ThirdParty.merge`); pushes are replayed in order onto the agent's
own queue, with the search path each import site had (the agent's path changed by the file's own
edits above the site), so the order of the walk, its best chains, first sites and ``via`` hops are
exactly those of an unshared walk. A recorded visit is reused only when the agent's first-party names
give the answers it saw, and never when it reported an error or a run problem (an entrypoint, a file
imported as ``__main__``, a file that cannot be read are always visited afresh), nor when listing a
directory of the agent's path would still report a skipped path (only a real search reports it).

The import cycles of a closure need no special case: a visit covers one file, never what the files it
pushes reach, so a record is complete when it is made; the walk's own ``done`` set breaks the cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from depmin.scanning.finder import absolute_name, roots_at
from depmin.scanning.results import Hop, ImportRecord, RecoveredFile, Unresolved
from depmin.scanning.sightings import ThirdParty
from depmin.scanning.sites import FileImports, PathEdit
from depmin.scanning.walk_state import State, Walk

__all__ = ["VisitMemo"]

_VARIANTS = 4  # recorded visits kept per key (agents whose first-party names answer differently)
_Key = tuple[Path, str, int, frozenset[str], tuple[Path, ...]]
Visit = Callable[[Walk, State, int], None]
_K = TypeVar("_K")
_V = TypeVar("_V")


class _Reads(set[str]):
    """A scratch walk's first-party names: those its own visit adds, over the agent's, with each
    answer the agent's names gave logged (a recorded visit holds only while they answer the same)."""

    def __init__(self, base: set[str]) -> None:
        super().__init__()
        self.base = base
        self.log: list[tuple[str, bool]] = []

    def __contains__(self, name: object) -> bool:
        if set.__contains__(self, name):
            return True
        found = name in self.base
        self.log.append((str(name), found))
        return found


@dataclass(frozen=True, kw_only=True, slots=True)
class _Outcome:
    """What one visit did to a walk, to be applied to an agent's walk as the visit itself would."""

    present: frozenset[str]  # what the visit asked of the agent's first-party names: found,
    absent: frozenset[str]  # and not found
    # Keyed by the visited file's sites (each key names the file): never changed once recorded.
    records: Mapping[tuple[str, int, str, str], ImportRecord]
    missing: Mapping[tuple[str, str, int], Unresolved]
    unresolved: Mapping[tuple[str, str, int], Unresolved]
    shadows: Mapping[Hop, str]
    externals: tuple[ThirdParty, ...]
    stdlib_used: frozenset[str]
    recovered: tuple[tuple[str, RecoveredFile], ...]
    notes: frozenset[str]
    added: tuple[Path, ...]  # the str directories the file's edits put on sys.path
    pushes: tuple[tuple[Path, str, str, int, Hop | None, int], ...]  # file, its rel, module, rank, hop, edits above
    exact: tuple[tuple[State, int, Hop | None], ...]  # the pushes as made, for a record not reused
    path_edits: tuple[PathEdit, ...]
    errors: tuple[str, ...]
    unread: frozenset[str]
    run_problems: tuple[str, ...]
    reusable: bool

    def holds(self, names: set[str]) -> bool:
        return self.present <= names and self.absent.isdisjoint(names)

    def apply(self, walk: Walk, state: State) -> None:
        if state.file in walk.visited:  # visited before (by another name or path): first entries stay
            _keep(walk.records, self.records)
            _keep(walk.missing, self.missing)
            _keep(walk.unresolved, self.unresolved)
            _keep(walk.shadows, self.shadows)
        else:  # no key of this file's sites is in the walk yet
            walk.records.update(self.records)
            walk.missing.update(self.missing)
            walk.unresolved.update(self.unresolved)
            walk.shadows.update(self.shadows)
        for later in self.externals:
            known = walk.externals.get(later.module)
            if known is None:
                walk.externals[later.module] = later.copy()
            else:
                known.merge(later)
        if self.stdlib_used:
            walk.stdlib_used.update(self.stdlib_used)
        if self.recovered or self.notes:
            walk.recovered.update(self.recovered)
            walk.notes.update(self.notes)
        if self.errors or self.unread or self.run_problems:
            walk.errors.extend(self.errors)
            walk.unread.update(self.unread)
            walk.run_problems.extend(self.run_problems)
        if self.added:
            walk.put_on_path(self.added)
        if not self.reusable:
            for pushed, rank, via in self.exact:
                walk.push(pushed, rank, via)
            return
        paths: dict[int, tuple[Path, ...]] = {0: state.roots}
        for file, rel, module, rank, via, above in self.pushes:
            roots = paths.get(above)
            if roots is None:
                roots = paths[above] = roots_at(state.file, state.roots, self.path_edits[:above], 1 << 30).roots
            walk.push(State(file=file, module=module, roots=roots), rank, via, rel)


def _keep(into: dict[_K, _V], entries: Mapping[_K, _V]) -> None:
    """Add ``entries`` to ``into`` where their key is new: the first entry of a key stays, as
    ``record`` and the other accumulators keep it."""
    for key, value in entries.items():
        into.setdefault(key, value)


class VisitMemo:
    """Recorded visits of one scan, keyed by what decides them (see the module docstring)."""

    def __init__(self) -> None:
        self._tops: dict[tuple[Path, str], frozenset[str]] = {}
        self._outcomes: dict[_Key, list[_Outcome]] = {}
        self._deciding: dict[tuple[frozenset[str], tuple[Path, ...]], tuple[Path, ...]] = {}
        self.replayed = 0  # visits served by a record, and visits recorded: for the benchmarks
        self.recorded = 0

    def visit(self, walk: Walk, state: State, rank: int, live: Visit) -> None:
        """Visit ``state`` at ``rank`` on ``walk`` (``live`` visits it the ordinary way)."""
        key = self._key(walk, state, rank)
        if key is None:
            live(walk, state, rank)
            return
        known = self._outcomes.setdefault(key, [])
        for outcome in known:
            if outcome.holds(walk.first_party_names):
                self.replayed += 1
                outcome.apply(walk, state)
                return
        outcome = _record(walk, state, rank, live)
        self.recorded += 1
        if outcome.reusable and len(known) < _VARIANTS:
            known.append(outcome)
        outcome.apply(walk, state)

    def _key(self, walk: Walk, state: State, rank: int) -> _Key | None:
        tops = self._tops.get((state.file, state.module))
        if tops is None:
            try:
                found = walk.sources.get(walk.finder.checked(state.file))
            except OSError:
                return None
            tops = self._tops[(state.file, state.module)] = _looked_up(found, state)
        deciding = self._deciding.get((tops, state.roots))
        if deciding is None:
            kept: list[Path] = []
            for directory in state.roots:
                names = walk.finder.names_at(directory)
                if names is None:
                    return None  # not kept: once a search has listed it, the directory can decide
                if not names.isdisjoint(tops):
                    kept.append(directory)
            deciding = self._deciding[(tops, state.roots)] = tuple(kept)
        return (state.file, state.module, rank, walk.stdlib, deciding)


def _looked_up(found: FileImports, state: State) -> frozenset[str]:
    """The top-level names the file's imports look up on ``sys.path`` (relative ones through the
    package ``state`` is in)."""
    package = state.module if state.file.name == "__init__.py" else state.module.rpartition(".")[0]
    names: set[str] = set()
    for site in found.sites:
        dotted = absolute_name(package, site.level, site.module) if site.level else site.module
        if dotted:
            names.add(dotted.split(".")[0])
    return frozenset(names)


def _record(walk: Walk, state: State, rank: int, live: Visit) -> _Outcome:
    reads = _Reads(walk.first_party_names)
    scratch = Walk(
        root=walk.root,
        stdlib=walk.stdlib,
        finder=walk.finder,
        sources=walk.sources,
        entry=walk.entry,
        mode=walk.mode,
        base_roots=walk.base_roots,
        rels=walk.rels,
        first_party_names=reads,
        pushed=[],
    )
    live(scratch, state, rank)
    try:
        path_edits = walk.sources.get(state.file).path_edits
    except OSError:
        path_edits = ()
    pushed = scratch.pushed or []
    # Every push carries the site's search path: the state's, changed by the edits above the site.
    faithful = all(
        pushed_state.roots == roots_at(state.file, state.roots, path_edits[:above], 1 << 30).roots
        for pushed_state, _, _, above in pushed
    )
    return _Outcome(
        present=frozenset(name for name, found in reads.log if found),
        absent=frozenset(name for name, found in reads.log if not found),
        records=scratch.records,
        missing=scratch.missing,
        unresolved=scratch.unresolved,
        shadows=scratch.shadows,
        externals=tuple(scratch.externals.values()),
        stdlib_used=frozenset(scratch.stdlib_used),
        recovered=tuple(scratch.recovered.items()),
        notes=frozenset(scratch.notes),
        added=tuple(sorted(scratch.edits)),
        pushes=tuple((s.file, walk.rel(s.file), s.module, r, hop, above) for s, r, hop, above in pushed),
        exact=tuple((s, r, hop) for s, r, hop, _ in pushed),
        path_edits=path_edits,
        errors=tuple(scratch.errors),
        unread=frozenset(scratch.unread),
        run_problems=tuple(scratch.run_problems),
        reusable=faithful and not (scratch.errors or scratch.unread or scratch.run_problems),
    )
