"""The layer stage's edges on disk: the planner's input from the locks, and the plan's files.

:func:`lock_packages` turns the committed locks into each agent's distributions with sizes and requirements.

Sizes are those of the wheel the target installs (:func:`depmin.locking.wheels.target_wheel` over the
release in ``pylock.toml``; 0 when none fits); what a distribution requires comes from pylock.toml's
dependencies, or else from the ``# via`` lines of ``requirements.lock``.

:func:`write_plan` writes the family locks, each agent's ``service.lock``, ``plan.json`` and ``plan.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag
from packaging.utils import NormalizedName, canonicalize_name

from depmin import _files
from depmin.errors import DepminError
from depmin.layers.plan import Package, Plan, plan_layers
from depmin.layers.render import render_all
from depmin.layout import Layout
from depmin.locking.files import Pinned
from depmin.locking.store import Locked, read_locks
from depmin.locking.wheels import ranks, target_tags, target_wheel
from depmin.manifest import Fleet

__all__ = ["PlanResult", "lock_packages", "plan_from_locks", "read_committed_plan", "write_plan"]


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanResult:
    """The layer plan and the locks it was made from (to write family and delta locks, to explain)."""

    plan: Plan
    entries: Mapping[str, Mapping[NormalizedName, Pinned]]  # agent -> its hashed lock entries
    packages: Mapping[str, Mapping[NormalizedName, Package]]  # agent -> sizes and requirements


def plan_from_locks(layout: Layout, fleet: Fleet) -> PlanResult:
    """Decide the family layers from every agent's committed lock; DepminError names agents without one."""
    locked = read_locks(layout, fleet.agents)
    packages = lock_packages(fleet, locked)
    entries = {agent: lock.pins for agent, lock in locked.items()}
    return PlanResult(plan=plan_layers(fleet, packages), entries=entries, packages=packages)


def lock_packages(fleet: Fleet, locked: Mapping[str, Locked]) -> dict[str, dict[NormalizedName, Package]]:
    """``{agent: {distribution: Package}}`` for the fleet's target platform."""
    rank = ranks(target_tags(fleet.project.python, fleet.project.platform))
    return {agent: _packages(lock, rank) for agent, lock in locked.items()}


def _packages(lock: Locked, rank: Mapping[Tag, int]) -> dict[NormalizedName, Package]:
    requires: dict[NormalizedName, set[NormalizedName]] = {name: set() for name in lock.pins}
    for name, pin in lock.pins.items():
        release = lock.releases.get(name)
        if release is not None:
            requires[name].update(d for d in release.dependencies if d in lock.pins)
        for parent in pin.via:
            parent_name = canonicalize_name(parent)
            if parent_name in requires:
                requires[parent_name].add(name)
    return {
        name: Package(
            name=name, version=str(pin.version), size=_size(lock, name, rank), requires=frozenset(requires[name])
        )
        for name, pin in lock.pins.items()
    }


def _size(lock: Locked, name: NormalizedName, rank: Mapping[Tag, int]) -> int:
    release = lock.releases.get(name)
    wheel = None if release is None else target_wheel(release, rank)
    return 0 if wheel is None or wheel.size is None else wheel.size


def write_plan(
    layout: Layout,
    fleet: Fleet,
    plan: Plan,
    entries: Mapping[str, Mapping[NormalizedName, Pinned]],
    *,
    force: bool = False,
) -> dict[Path, bool]:
    """Write the plan's files under ``locks/``; refuses (before writing anything) to replace a file
    depmin did not write, unless ``force``. ``{path: changed}``."""
    files = {layout.locks / rel: text for rel, text in sorted(render_all(fleet, plan, entries).items())}
    return _files.write_all(files, base=layout.base, force=force)


def read_committed_plan(layout: Layout) -> Mapping[str, object]:
    """The committed ``locks/plan.json``, for the size-drift gate; DepminError when there is none."""
    try:
        document = json.loads(layout.plan_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DepminError(
            f"{layout.plan_json}: cannot read the committed plan ({exc}); run `depmin plan` first"
        ) from None
    if not isinstance(document, dict):
        raise DepminError(f"{layout.plan_json}: not a plan; run `depmin plan` to write it again")
    return document
