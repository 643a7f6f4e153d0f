"""The layer stage's edges on disk: the planner's input from the locks, and the plan's files.

:func:`lock_packages` turns the committed locks into each agent's distributions with sizes and requirements.

Sizes are those of the wheel the target installs (:func:`depmin.locking.wheels.target_wheel` over the
release in ``pylock.toml``; 0 when none fits): its download size, and its installed size from
``locks/installed-sizes.json``, from the wheel itself when it is a local file, or (``measure``) from
its central directory read with HTTP Range requests (:mod:`depmin.locking.installed`). What a
distribution requires comes from pylock.toml's dependencies, or else from the ``# via`` lines of
``requirements.lock``.

:func:`write_plan` writes the family locks, each agent's ``service.lock``, ``plan.json`` and ``plan.md``,
and ``plan.sha256``: the digest of :func:`~depmin.layers.inputs.plan_inputs` and the sha256 of each of
those files, so that ``depmin check`` knows the plan current without planning again (:mod:`depmin._digest`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.tags import Tag

from depmin import _files
from depmin._digest import render_sums
from depmin._names import NormalizedName, canonicalize_name
from depmin.errors import DepminError
from depmin.layers.inputs import plan_inputs
from depmin.layers.plan import Package, Plan, plan_layers
from depmin.layers.render import render_all
from depmin.layout import PLAN_SUMS, Layout
from depmin.locking.files import File, Pinned
from depmin.locking.installed import SIZES_NAME, measure, parse_sizes, render_sizes
from depmin.locking.store import Locked, read_locks
from depmin.locking.wheels import ranks, target_tags, target_wheel
from depmin.manifest import Fleet

__all__ = [
    "PlanResult",
    "lock_packages",
    "plan_from_locks",
    "read_committed_plan",
    "write_plan",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanResult:
    """The layer plan and the locks it was made from (to write family and delta locks, to explain)."""

    plan: Plan
    entries: Mapping[str, Mapping[NormalizedName, Pinned]]  # agent -> its hashed lock entries
    packages: Mapping[str, Mapping[NormalizedName, Package]]  # agent -> sizes and requirements
    installed: Mapping[str, int] = field(default_factory=dict)  # wheel sha256 -> installed bytes measured
    digest: str | None = None  # plan_inputs() of what the plan was made from, as write_plan leaves them
    # agent -> its locked releases without a wheel for the target, as read with the locks (None: not read)
    sdists: Mapping[str, tuple[str, ...]] | None = None


def plan_from_locks(layout: Layout, fleet: Fleet, *, fetch: bool = False) -> PlanResult:
    """Decide the family layers from every agent's committed lock; DepminError names agents without one.

    Installed sizes come from ``locks/installed-sizes.json`` and local wheels; ``fetch`` measures the
    others from their indexes (two small Range requests per wheel)."""
    locked = read_locks(layout, fleet.agents)
    rank = ranks(target_tags(fleet.project.python, fleet.project.platform))
    wheels = {w.sha256: (w.url, w.size) for lock in locked.values() for w in _wheels(lock, rank) if w.size}
    known = parse_sizes(_read(layout.locks / SIZES_NAME))
    installed = measure(wheels, {d: known[d] for d in wheels if d in known}, fetch=fetch)
    packages = lock_packages(fleet, locked, installed)
    entries = {agent: lock.pins for agent, lock in locked.items()}
    inputs = plan_inputs(layout, fleet, sizes=render_sizes(installed) if installed else None)
    plan = plan_layers(fleet, packages)
    sdists = {agent: locked[agent].sdist_only for agent in sorted(locked) if locked[agent].sdist_only}
    return PlanResult(plan=plan, entries=entries, packages=packages, installed=installed, digest=inputs, sdists=sdists)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _wheels(lock: Locked, rank: Mapping[Tag, int]) -> list[File]:
    found = (target_wheel(release, rank) for release in lock.releases.values())
    return [wheel for wheel in found if wheel is not None]


def lock_packages(
    fleet: Fleet, locked: Mapping[str, Locked], installed: Mapping[str, int] | None = None
) -> dict[str, dict[NormalizedName, Package]]:
    """``{agent: {distribution: Package}}`` for the fleet's target platform; ``installed`` maps a
    wheel's sha256 to its installed bytes."""
    rank = ranks(target_tags(fleet.project.python, fleet.project.platform))
    return {agent: _packages(lock, rank, installed or {}) for agent, lock in locked.items()}


def _packages(lock: Locked, rank: Mapping[Tag, int], installed: Mapping[str, int]) -> dict[NormalizedName, Package]:
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
            name=name,
            version=str(pin.version),
            size=0 if wheel is None or wheel.size is None else wheel.size,
            requires=frozenset(requires[name]),
            installed=None if wheel is None else installed.get(wheel.sha256),
        )
        for name, pin in lock.pins.items()
        for wheel in [_wheel(lock, name, rank)]
    }


def _wheel(lock: Locked, name: NormalizedName, rank: Mapping[Tag, int]) -> File | None:
    release = lock.releases.get(name)
    return None if release is None else target_wheel(release, rank)


def write_plan(
    layout: Layout,
    fleet: Fleet,
    plan: Plan,
    entries: Mapping[str, Mapping[NormalizedName, Pinned]],
    *,
    force: bool = False,
    installed: Mapping[str, int] | None = None,
    digest: str | None = None,
) -> dict[Path, bool]:
    """Write the plan's files under ``locks/`` (with ``installed-sizes.json`` when sizes were measured)
    and ``plan.sha256`` (``digest``: :func:`~depmin.layers.inputs.plan_inputs`, as :func:`plan_from_locks` returns it);
    refuses (before writing anything) to replace a file depmin did not write, unless ``force``;
    removes the generated lock of a family layer the plan no longer has. ``{path: changed}``, a
    removed file changed and no longer there."""
    rendered = render_all(fleet, plan, entries)
    files = {layout.locks / rel: text for rel, text in sorted(rendered.items())}
    files[layout.locks / PLAN_SUMS] = render_sums("depmin plan", digest or "none", rendered)
    if installed:
        files[layout.locks / SIZES_NAME] = render_sizes(installed)
    written = _files.write_all(files, base=layout.base, force=force)
    # A layer the plan no longer makes (a derived layer, a copy, a family gone from agents.toml).
    removed = _files.remove_outdated(layout.locks, ("_families/*/requirements.lock",), files, base=layout.base)
    return {**written, **dict.fromkeys(removed, True)}


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
