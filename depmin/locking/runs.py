"""One ``depmin lock`` run on disk: the mutex, the refusal to overwrite hand-written locks (checked for
every target before the first write), the writes.

:func:`run_lock` is the edge around the pure engine (:func:`depmin.locking.engine.lock_fleet`): it holds
``locks/.depmin.lock`` while it reads the current locks and resolves, and writes each agent's
``requirements.lock`` and ``pylock.toml`` atomically the moment that agent is done, so a run killed at
any point keeps every lock it finished and leaves the others as they were.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)

from depmin import _backend, _files
from depmin._backend.index import DEFAULT_INDEX, IndexNames
from depmin.layout import GENERATED_NAME, LOCK_NAME, PYLOCK_NAME, Layout
from depmin.locking import releases
from depmin.locking.engine import Exists, lock_fleet, staleness
from depmin.locking.files import Target
from depmin.locking.model import AgentLock, FleetLock, LockInput, Options
from depmin.locking.store import WheelContents, locked, read_existing
from depmin.scanning import default_cache_dir

__all__ = ["LockRun", "check_targets", "exists_on", "lock_status", "run_lock", "wheelhouses"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, kw_only=True, slots=True)
class LockRun:
    """What one run did: per-agent outcomes, conflicts, divergences, and the files it wrote."""

    result: FleetLock
    written: Mapping[Path, bool]  # file -> changed

    @property
    def ok(self) -> bool:
        return self.result.ok


def run_lock(
    layout: Layout,
    inputs: Mapping[str, LockInput],
    selected: Sequence[str],
    resolver: _backend.Backend,
    *,
    options: Options,
    houses: Sequence[Path],
    force: bool = False,
    progress: Progress | None = None,
) -> LockRun:
    """Lock the stale agents of ``selected`` (``inputs`` holds the whole fleet: its union fixes versions).

    Every lock file of ``selected`` is checked (:func:`check_targets`) before anything resolves."""
    check_targets(layout, selected, force=force, generated=False)
    written: dict[Path, bool] = {}
    finished: list[str] = []

    def sink(result: AgentLock) -> None:
        for file, text in result.texts.items():
            path = layout.agent_dir(result.agent) / file
            written[path] = _files.write_generated(path, text, base=layout.base, force=force)
        finished.append(result.agent)
        if progress is not None:
            progress(result.agent, len(finished), len(selected))

    cache = default_cache_dir()
    names = IndexNames(cache)
    exists = exists_on(names, houses)
    credentials = [url for item in inputs.values() for url in item.target.indexes]
    fetching, search = releases.edges(cache, names, DEFAULT_INDEX, credentials)
    fetched = {c.distribution for item in inputs.values() for c in item.checks if c.guessed or c.ambiguous}
    base = WheelContents(houses, _backend.uv_cache_dir)
    contents = base if options.offline else fetching(base, fetched)
    with locked(layout):
        result = lock_fleet(
            inputs,
            selected,
            resolver,
            read_existing(layout, inputs),
            options=options,
            contents=contents,
            root=layout.base,
            directory=layout.agent_dir,
            sink=sink,
            exists=exists,
            others=None if options.offline else search,
        )
    names.save()
    if names.unreachable:
        shown = "; ".join(f"{url}: {why}" for url, why in sorted(names.unreachable.items()))
        result = replace(result, notes=(*result.notes, f"note: index not reachable for name lookups ({shown})"))
    return LockRun(result=result, written=written)


def exists_on(names: IndexNames, houses: Sequence[Path], default: str | None = DEFAULT_INDEX) -> Exists:
    """Is a distribution available to a target: in one of the wheelhouses on disk, or on one of
    the target's indexes (the families' ``indexes``, then ``default``, the resolvers' default index)?"""
    local: set[str] = set()
    for house in houses:
        with contextlib.suppress(OSError):
            local.update(name for path in house.iterdir() if (name := _file_name(path.name)))

    def exists(name: NormalizedName, target: Target) -> tuple[bool | None, tuple[str, ...]]:
        indexes = (*target.indexes, *([default] if default else []))
        return (True if name in local else names.exists(name, indexes)), indexes

    return exists


def _file_name(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[0]
        if filename.endswith((".tar.gz", ".zip")):
            return parse_sdist_filename(filename)[0]
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def check_targets(layout: Layout, selected: Iterable[str], *, force: bool = False, generated: bool = True) -> None:
    """Raise before the first write of ``depmin lock`` unless every file it may write for the
    ``selected`` agents can be replaced: their ``requirements.lock`` and ``pylock.toml`` (and, with
    ``generated``, the ``requirements.generated.txt`` written first) must lie inside the directory of
    agents.toml and, unless ``force``, be absent or depmin's (:func:`depmin._files.check_replaceable`)."""
    names = (GENERATED_NAME, LOCK_NAME, PYLOCK_NAME) if generated else (LOCK_NAME, PYLOCK_NAME)
    targets = [layout.agent_dir(agent) / name for agent in selected for name in names]
    _files.check_all(targets, base=layout.base, force=force)


def lock_status(
    layout: Layout, inputs: Mapping[str, LockInput], selected: Sequence[str], identity: str
) -> dict[str, str]:
    """Offline staleness of each selected lock under the backend ``identity`` (``"uv 0.13.9"``):
    ``""`` when current, else why (``"no lock yet"``)."""
    return staleness(inputs, selected, identity, read_existing(layout, selected))


def wheelhouses(layout: Layout, find_links: Sequence[str]) -> list[Path]:
    """Wheelhouse directories on disk: the families' local ``find_links`` and those ``depmin wheelhouse`` made."""
    found = [layout.base / link for link in find_links if "://" not in link]
    if layout.wheelhouses.is_dir():
        found.extend(sorted(path for path in layout.wheelhouses.iterdir() if path.is_dir()))
    return found
