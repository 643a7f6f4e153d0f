"""The scan of a fleet: every chosen agent walked from its entrypoint, sharing one parse cache.

Each file is parsed at most once per scan however many agents reach it, when a walk first reaches
it (a large frontier of unparsed files is parsed on ``workers`` processes); parse results persist
across runs in a content-keyed cache (:mod:`depmin.scanning.cache`). Files no agent reaches are never
parsed; with more than one agent they are listed and checked without being read
(:meth:`~depmin.scanning.cache.Sources.probe`), so a FIFO, an oversized file or a symlink out of the
root that nobody imports is still in ``skipped``.

A scan of an unchanged tree does not walk: the last scans are kept with what they read of the tree
(:mod:`depmin.scanning.scan_record`), and one asked the same question is used again when all of that
reads the same (``FleetScan.walked`` is then False).

The tree is read through :class:`~depmin.scanning.tree.Tree`: what it does not read or follow (a FIFO,
a file over ``project.max_file_mb``, a symlink out of the root or in a loop, a control character in a
name) is in ``FleetScan.skipped``, and in the errors of each agent whose closure needs it; a parse
cache that was bad or unusable, and each agent's ``shadow_warnings`` (a third-party import whose
name a first-party file off that agent's ``sys.path`` has), are in ``FleetScan.warnings``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from depmin._gc import paused
from depmin.errors import DepminError
from depmin.manifest import Fleet
from depmin.scanning.cache import NO_CACHE_DIR, Sources, default_cache_dir
from depmin.scanning.finder import Finder
from depmin.scanning.results import AgentScan
from depmin.scanning.scan_record import Kept, decode, decode_reads, encode, question, reads_of
from depmin.scanning.tree import Tree, source_files
from depmin.scanning.walk import scan_agent
from depmin.scanning.walk_memo import VisitMemo

__all__ = ["FleetScan", "scan_fleet"]

# Called as progress(name, done, total) after each agent, for a progress bar; never required.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, kw_only=True, slots=True)
class FleetScan:
    """The scan of some or all agents of a fleet."""

    agents: tuple[AgentScan, ...]
    files_parsed: int
    cache_hits: int
    seconds: float
    skipped: tuple[str, ...] = ()  # each path of the tree not read or not followed, and why (sorted)
    # One line each, for stderr: the parse cache was bad or unusable; each agent's shadow warnings.
    warnings: tuple[str, ...] = ()
    # False when the agents' scans are the ones the last run kept, as nothing they read has changed.
    walked: bool = True

    @property
    def ok(self) -> bool:
        return all(agent.ok for agent in self.agents)

    def agent(self, name: str) -> AgentScan:
        for result in self.agents:
            if result.agent == name:
                return result
        raise DepminError(f"agent {name!r} was not part of this scan; scan it first")


def scan_fleet(
    fleet: Fleet,
    agents: Iterable[str] | None = None,
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
    _share_visits: bool = True,
) -> FleetScan:
    """Walk each agent's import graph (all agents when ``agents`` is None).

    The agents share one finder and one record of visits (:mod:`depmin.scanning.walk_memo`);
    ``_share_visits=False`` walks each agent without the records, for the test that the shared
    walk gives the same scan.
    """
    started = time.perf_counter()
    chosen = [fleet.agent(name) for name in (fleet.agents if agents is None else agents)]
    tree = Tree.of(fleet.project)
    directory = (cache_dir or default_cache_dir()) if use_cache else None
    warnings = [NO_CACHE_DIR] if use_cache and directory is None else []
    sources = Sources(directory, tree=tree, workers=workers)
    skipped: list[str] = []
    memo = VisitMemo() if _share_visits else None
    with paused(), contextlib.closing(sources):  # a scan makes no reference cycles: see depmin._gc
        key = question(fleet, chosen) if directory is not None and _share_visits else None
        listed = source_files(tree) if len(chosen) > 1 else None  # for the probe, and the finder's index
        finder = Finder(tree, listed=listed)
        kept = _kept(sources, finder, key)
        if kept is not None:
            scanned = list(kept.agents)
            skipped.extend(kept.skipped)
            hits = len({read for read in sources.verified.values() if not read.startswith("!")})
            for done, agent in enumerate(chosen, 1):
                if progress is not None:
                    progress(agent.name, done, len(chosen))
        else:
            scanned = []
            for agent in chosen:
                scanned.append(scan_agent(fleet, agent, sources, finder=finder, memo=memo))
                if progress is not None:
                    progress(agent.name, len(scanned), len(chosen))
            skipped.extend(finder.skipped)
            hits = sources.hits
            if key is not None:
                sources.keep(key, encode(Kept(tuple(scanned), finder.skipped, reads_of(finder, sources))))
        if listed is not None:  # more than one agent: what none reached is checked, not parsed (see the docstring)
            skipped.extend(listed.skipped)
            sources.probe(listed.files)
    return FleetScan(
        agents=tuple(scanned),
        files_parsed=sources.parsed,
        cache_hits=hits,
        seconds=time.perf_counter() - started,
        skipped=tuple(sorted({*skipped, *sources.skipped})),
        warnings=(*warnings, *sources.warnings, *_shadows(scanned)),
        walked=kept is None,
    )


def _kept(sources: Sources, finder: Finder, key: str | None) -> Kept | None:
    """The scan kept under ``key`` when all it read reads the same now (:mod:`depmin.scanning.scan_record`)."""
    text = None if key is None else sources.recall(key)
    if text is None:
        return None
    try:
        if not decode_reads(text).hold(finder, sources):
            return None
        return decode(text)
    except ValueError as exc:
        sources.refuse(f"holds a kept scan of the wrong shape ({exc})")
        return None


def _shadows(scanned: Iterable[AgentScan]) -> list[str]:
    """Each agent's shadow warnings, named by agent: a dependency kept despite a same-named file."""
    return [f"{scan.agent}: {line}" for scan in scanned for line in scan.shadow_warnings]
