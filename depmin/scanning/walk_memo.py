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

The same record of what decides a visit tells when an agent's walk again with the directories its
``sys.path`` edits added would be the same walk (:meth:`VisitMemo.same_again`), which then is not made.

The import cycles of a closure need no special case: a visit covers one file, never what the files it
pushes reach, so a record is complete when it is made; the walk's own ``done`` set breaks the cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from depmin.scanning.finder import STARTUP_MODULES, absolute_name, edits_above, roots_at
from depmin.scanning.results import Hop, ImportRecord, RecoveredFile, Unresolved
from depmin.scanning.sightings import ThirdParty
from depmin.scanning.sites import FileImports, ImportSite, PathEdit
from depmin.scanning.walk_state import State, Walk

__all__ = ["VisitMemo"]

_VARIANTS = 4  # recorded visits kept per key (agents whose first-party names answer differently)
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
        if self.absent:
            walk.absent.update(self.absent)
        walk.current = state
        if not self.reusable:
            for (pushed, rank, via), (*_, above) in zip(self.exact, self.pushes, strict=True):
                walk.site_edits = above
                walk.push(pushed, rank, via)
            return
        paths: dict[int, tuple[Path, ...]] = {0: state.roots}
        for file, rel, module, rank, via, above in self.pushes:
            roots = paths.get(above)
            if roots is None:
                roots = paths[above] = roots_at(state.file, state.roots, self.path_edits[:above], 1 << 30).roots
            walk.site_edits = above
            walk.reach(file, rel, module, roots, rank, via)


def _keep(into: dict[_K, _V], entries: Mapping[_K, _V]) -> None:
    """Add ``entries`` to ``into`` where their key is new: the first entry of a key stays, as
    ``record`` and the other accumulators keep it."""
    for key, value in entries.items():
        into.setdefault(key, value)


class VisitMemo:
    """Recorded visits of one scan, keyed by what decides them (see the module docstring)."""

    def __init__(self) -> None:
        self._lookups: dict[tuple[Path, str], _Lookups] = {}
        # Per search path (by identity; the entry holds it): the deciding directories of each set
        # of looked-up names, as an index into _deciding_dirs, each distinct tuple once.
        self._per_roots: dict[int, tuple[tuple[Path, ...], dict[frozenset[str], int]]] = {}
        self._deciding_ids: dict[tuple[Path, ...], int] = {}
        self._deciding_dirs: list[tuple[Path, ...]] = []
        self.replayed = 0  # visits served by a record, and visits recorded: for the benchmarks
        self.recorded = 0
        self.walks_saved = 0  # walks again with a longer sys.path that same_again found would be the same

    def visit(self, walk: Walk, state: State, rank: int, live: Visit) -> None:
        """Visit ``state`` at ``rank`` on ``walk`` (``live`` visits it the ordinary way)."""
        lookups = self._looked_up(walk, state)
        deciding = None if lookups is None else self._deciding_id(walk, lookups.tops, state.roots)
        if lookups is None or deciding is None:
            live(walk, state, rank)
            return
        # The rest of the key (the file and its dotted name) is the record's: see _Lookups.
        known = lookups.outcomes.setdefault((rank, walk.stdlib, deciding), [])
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

    def same_again(self, walk: Walk, start: tuple[Path, ...], names: frozenset[str], looked_up: frozenset[str]) -> bool:
        """Whether the walk that starts with the search path ``start`` (``walk``'s with the directories
        its edits added, whose top-level ``names`` become first-party from the start) would visit what
        ``walk`` visited, in the same order and with the same outcomes: then it is the same scan.
        ``looked_up``: the names the start looks up (the entrypoint's packages, entry modules).

        Each state of ``walk`` is given the path it would start with on the new walk: the start's, or
        its pusher's changed by the pusher's edits above the site; the same from every push, and no two
        states the same. A visit's outcome follows from its key (the module docstring) and the
        first-party names it asked for, and of the key's directories only those a lookup reaches (up
        to the first that holds a module or a regular package of the name) answer: when they are the
        same on both paths, and no name the visit did not find becomes first-party, so is the outcome."""
        if walk.trace is None or not walk.trace or not names.isdisjoint(walk.absent):
            return False
        first = walk.trace[0][2].roots
        if not self._answers_alike(walk, looked_up, first, start):
            return False
        again: dict[State, tuple[Path, ...]] = {}
        for pusher, above, state in walk.trace:
            if pusher is None:
                roots = start if state.roots == first else None
            elif (base := again.get(pusher)) is None:
                return False
            elif above:
                if (pushed_from := self._looked_up(walk, pusher)) is None:
                    return False
                roots = roots_at(pusher.file, base, pushed_from.edits[:above], 1 << 30).roots
            else:
                roots = base
            if roots is None or again.setdefault(state, roots) != roots:
                return False
        if len({(state.file, state.module, roots) for state, roots in again.items()}) != len(again):
            return False
        for state in walk.done:
            lookups = self._looked_up(walk, state)
            if lookups is None:
                return False
            for above, tops in lookups.by_edits.items():
                one, other = state.roots, again[state]
                if above:
                    one = roots_at(state.file, one, lookups.edits[:above], 1 << 30).roots
                    other = roots_at(state.file, other, lookups.edits[:above], 1 << 30).roots
                if not self._answers_alike(walk, tops, one, other):
                    return False
        self.walks_saved += 1
        return True

    def _answers_alike(self, walk: Walk, tops: frozenset[str], one: tuple[Path, ...], other: tuple[Path, ...]) -> bool:
        """Whether every lookup of a name in ``tops`` finds the same on the paths ``one`` and ``other``."""
        if one is other:
            return True
        first, second = self._deciding_id(walk, tops, one), self._deciding_id(walk, tops, other)
        if first is None or second is None:
            return False
        if first == second:
            return True
        reached, dirs = self._reached, self._deciding_dirs
        return all(reached(walk, top, dirs[first]) == reached(walk, top, dirs[second]) for top in tops)

    @staticmethod
    def _reached(walk: Walk, top: str, deciding: tuple[Path, ...]) -> tuple[Path, ...]:
        """The directories a lookup of ``top`` reads, in order: up to the first where it finds a module,
        a regular package or an entry depmin refuses (``Finder._find_in``), which ends the search."""
        reached: list[Path] = []
        for directory in deciding:
            found = walk.finder.find(top, top, (directory,))
            if found is not None:
                reached.append(directory)
                if found.file is not None:
                    break
        return tuple(reached)

    def _looked_up(self, walk: Walk, state: State) -> _Lookups | None:
        lookups = self._lookups.get((state.file, state.module))
        if lookups is None:
            try:
                found = walk.sources.get(walk.finder.checked(state.file))
            except OSError:
                return None
            lookups = self._lookups[(state.file, state.module)] = _Lookups.of(found, state)
        return lookups

    def _deciding_id(self, walk: Walk, tops: frozenset[str], roots: tuple[Path, ...]) -> int | None:
        """The directories of ``roots`` that can answer a lookup of ``tops``, in order, as their
        index in ``_deciding_dirs``; None while one of them is not listed yet (not kept: once a
        search has listed it, the directory can decide). Kept per ``roots`` object, which every
        state of a walk shares until an edit changes it, so a lookup hashes no ``Path``."""
        per_roots = self._per_roots.get(id(roots))
        if per_roots is None:  # the entry holds roots, so no other object has its id while it is kept
            per_roots = self._per_roots[id(roots)] = (roots, {})
        known = per_roots[1].get(tops)
        if known is None:
            kept: list[Path] = []
            for directory in roots:
                names = walk.finder.names_at(directory)
                if names is None:
                    return None
                if not names.isdisjoint(tops):
                    kept.append(directory)
            deciding = tuple(kept)
            known = self._deciding_ids.get(deciding)
            if known is None:
                known = self._deciding_ids[deciding] = len(self._deciding_dirs)
                self._deciding_dirs.append(deciding)
            per_roots[1][tops] = known
        return known


@dataclass(frozen=True, kw_only=True, slots=True)
class _Lookups:
    """The top-level names a file's imports look up on ``sys.path`` (relative ones through the package
    its state is in; a start-up module is never looked up there, see ``walk._classify``): all of them,
    and by the number of the file's path edits above the site (each site's path is the state's changed
    by them)."""

    tops: frozenset[str]
    by_edits: Mapping[int, frozenset[str]]
    edits: tuple[PathEdit, ...]
    # The recorded visits of the file under this name, by rank, standard library and deciding
    # directories (VisitMemo._deciding_id): at most _VARIANTS each.
    outcomes: dict[tuple[int, frozenset[str], int], list[_Outcome]] = field(default_factory=dict)

    @classmethod
    def of(cls, found: FileImports, state: State) -> _Lookups:
        package = state.module if state.file.name == "__init__.py" else state.module.rpartition(".")[0]
        groups: dict[int, set[str]] = {}
        for site in found.sites:
            top = _path_name(package, site)
            if top is not None:
                groups.setdefault(edits_above(found.path_edits, site.line), set()).add(top)
        by_edits = {above: frozenset(tops) for above, tops in groups.items()}
        return cls(tops=frozenset().union(*by_edits.values()), by_edits=by_edits, edits=found.path_edits)


def _path_name(package: str, site: ImportSite) -> str | None:
    if not site.level:
        top = site.module.split(".")[0]
        return None if top in STARTUP_MODULES else top
    dotted = absolute_name(package, site.level, site.module)
    return dotted.split(".")[0] if dotted else None


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
