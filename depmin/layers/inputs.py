"""The digest of the layer plan's inputs, which ``locks/plan.sha256`` records (:mod:`depmin._digest`).

Apart from the planner (:mod:`depmin.layers.store`) because ``depmin check`` hashes the inputs on every
run and plans only when the digest or a file's sha256 differs: this module imports neither the planner
nor the renderer, so a current plan costs check the hashing alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from depmin._digest import canonical, digest, sha256
from depmin._version import __version__
from depmin.layout import Layout
from depmin.locking.installed import SIZES_NAME
from depmin.manifest import Fleet

__all__ = ["PLAN_REVISION", "plan_inputs"]

PLAN_REVISION = 1
"""Bumped whenever the planner or its renderer writes other files for the same inputs (with depmin's
version, part of :func:`plan_inputs`): committed plans then no longer count as current unchecked."""

# A lock that names a wheel on this machine (a file: URL, a relative path): its installed size is read
# from the file, which no digest of the lock's text covers, so such a fleet is always planned again.
_LOCAL = re.compile(rb"file:|path[\"']?\s*=")

# Family keys the planner never reads (only the Dockerfiles do): editing them leaves the plan current.
_NOT_PLANNED = frozenset(("apt", "build_apt", "display", "find_links", "description", "notes", "uncertain", "tag"))


def plan_inputs(layout: Layout, fleet: Fleet, *, sizes: str | None = None) -> str | None:
    """The digest of everything the plan's files are made from: each agent's ``requirements.lock`` and
    ``pylock.toml`` (their bytes), ``installed-sizes.json`` (``sizes``: the text the plan writes there;
    None: the file as it is), the agents.toml settings the planner reads (target, ``[layers]``
    max_unused_mb and max_derived, machines, every family key but those of :data:`_NOT_PLANNED`, each
    agent's family and machines) and depmin's version with :data:`PLAN_REVISION`. None when a lock
    names a local wheel file (see :data:`_LOCAL`). Hashing the locks costs milliseconds; planning, seconds."""
    locks: dict[str, list[str | None]] = {}
    for agent in sorted(fleet.agents):
        lock, pylock = _bytes(layout.lock(agent)), _bytes(layout.pylock(agent))
        if pylock is not None and _LOCAL.search(pylock):
            return None
        locks[agent] = [None if text is None else sha256(text) for text in (lock, pylock)]
    sizes_text = _bytes(layout.locks / SIZES_NAME) if sizes is None else sizes.encode("utf-8")
    base = fleet.path.parent
    document = {
        "depmin": [__version__, PLAN_REVISION],
        "target": [fleet.project.python, fleet.project.platform],
        "layers": [fleet.layers.max_unused_mb, fleet.layers.max_derived],
        "machines": sorted(fleet.machines),
        "families": {name: _planned_keys(canonical(family, base)) for name, family in sorted(fleet.families.items())},
        "agents": {name: [a.family, list(a.machines)] for name, a in sorted(fleet.agents.items())},
        "locks": locks,
        "sizes": None if sizes_text is None else sha256(sizes_text),
    }
    return digest(document)


def _planned_keys(family: object) -> dict[str, object]:
    assert isinstance(family, dict)
    return {key: value for key, value in family.items() if key not in _NOT_PLANNED}


def _bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None
