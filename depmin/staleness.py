"""``depmin check``: every generated file that no longer matches its sources; writes nothing.

Checked, in pipeline order: each agent's ``requirements.generated.txt`` (against a fresh scan); once the
fleet has locks, each ``requirements.lock`` by its input hash (offline, under the backend version its
header names, so a newer uv alone does not make committed locks stale); once a plan was made, the
family and delta locks, ``plan.json`` and ``plan.md``; once a build tree was written, every file under
``dockerfiles/``. Each finding names the file, why, and the command that regenerates it.

The plan and the build tree are rendered again only when their sums files (``locks/plan.sha256``,
``dockerfiles/tree.sha256``, :mod:`depmin._digest`) do not vouch for them: when the digest of their
inputs (computed from the locks' bytes and agents.toml, in milliseconds) and the sha256 of every file
are as recorded, rendering would write the same bytes. Otherwise (or with ``use_cache=False``) they
are planned and rendered and compared file by file, as if there were no sums file; a sums file that
merely lags (an input changed, the files did not) is not itself stale. The planner and the renderers
are imported only then: a check of a current fleet loads neither (``tests/cli/test_startup.py``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from depmin import _backend
from depmin._digest import current
from depmin._files import is_generated
from depmin.dockerfiles.inputs import DEFAULT_REGISTRY
from depmin.dockerfiles.tree import build_tree, context_root, tree_inputs
from depmin.errors import ConfigError, DepminError
from depmin.layers.inputs import plan_inputs
from depmin.layout import Layout
from depmin.locking.engine import lock_inputs, staleness
from depmin.locking.store import read_existing
from depmin.manifest import Fleet
from depmin.requirements.constraints import read_constraints
from depmin.requirements.fleetwide import Generated, generate_fleet
from depmin.requirements.generated import render
from depmin.requirements.mapping import Mapper
from depmin.scanning import FleetScan, scan_fleet

if TYPE_CHECKING:  # the planner is imported when the sums file does not vouch for the plan (_plan_if_made)
    from depmin.layers.store import PlanResult

__all__ = ["Stale", "find_stale"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Stale:
    """A generated file that no longer matches its sources, why, and the command that fixes it."""

    path: Path
    reason: str
    command: str


def find_stale(fleet: Fleet, *, use_cache: bool = True, scanned: FleetScan | None = None) -> tuple[Stale, ...]:
    """Every stale generated file of ``fleet``, in pipeline order; ``scanned`` (of every agent) saves a scan."""
    layout = Layout.beside(fleet.path)
    scanned = scanned if scanned is not None else scan_fleet(fleet, use_cache=use_cache)
    constraints = read_constraints(fleet.project.constraints)
    generated = generate_fleet(fleet, scanned.agents, Mapper(mapping=fleet.mapping), constraints)
    found = _stale_requirements(layout, generated, fleet.path.name)
    found += _stale_locks(layout, fleet, generated, constraints.lines)
    made = layout.plan_json.exists()
    digest = plan_inputs(layout, fleet) if made else None
    planned = _Planned(layout, fleet, made)
    if not (use_cache and current(layout.plan_sums, digest)):
        found += _stale_plan(layout, fleet, planned.get())
    found += _stale_dockerfiles(layout, fleet, scanned, planned, digest if use_cache else None)
    found += _stale_workflow(layout, fleet)
    return tuple(found)


class _Planned:
    """The plan from the locks, made the first time a check needs it (at most once)."""

    def __init__(self, layout: Layout, fleet: Fleet, made: bool) -> None:
        self.layout, self.fleet, self.made = layout, fleet, made
        self.result: PlanResult | DepminError | None = None
        self.done = False

    def get(self) -> PlanResult | DepminError | None:
        if not self.done:
            self.result, self.done = _plan_if_made(self.layout, self.fleet) if self.made else None, True
        return self.result


def _stale_requirements(layout: Layout, generated: Generated, config_name: str) -> list[Stale]:
    found = []
    for result in generated.agents:
        path = layout.generated(result.agent)
        reason = _differs(path, render(result, config_name=config_name))
        if reason is not None:
            found.append(Stale(path=path, reason=reason, command=f"depmin generate --agent {result.agent}"))
    return found


def _stale_locks(layout: Layout, fleet: Fleet, generated: Generated, constraints: tuple[str, ...]) -> list[Stale]:
    """Locks whose input hash no longer matches, once the fleet has any lock at all."""
    existing = read_existing(layout, fleet.agents)
    if not existing:
        return []
    inputs = lock_inputs(fleet, generated.agents, constraints)
    current = _backend.backend("uv")
    found = []
    for name in sorted(inputs):
        recorded = existing[name].backend if name in existing else None
        identity = recorded or f"{current.name} {current.version}"
        reason = staleness(inputs, [name], identity, existing)[name]
        if reason:
            found.append(Stale(path=layout.lock(name), reason=reason, command=f"depmin lock --agent {name}"))
    return found


def _plan_if_made(layout: Layout, fleet: Fleet) -> PlanResult | DepminError:
    """The plan (made once for both checks), or the error making it."""
    from depmin.layers.store import plan_from_locks  # noqa: PLC0415 - see the module docstring

    try:
        return plan_from_locks(layout, fleet)
    except DepminError as exc:
        return exc


def _stale_plan(layout: Layout, fleet: Fleet, planned: PlanResult | DepminError | None) -> list[Stale]:
    if planned is None:
        return []
    if isinstance(planned, DepminError):
        return [Stale(path=layout.plan_json, reason=str(planned), command="depmin lock --all && depmin plan")]
    from depmin.layers.render import render_all  # noqa: PLC0415 - see the module docstring

    return _stale_files(layout.locks, render_all(fleet, planned.plan, planned.entries), "depmin plan")


def _stale_dockerfiles(
    layout: Layout, fleet: Fleet, scanned: FleetScan, plan: _Planned, digest: str | None
) -> list[Stale]:
    """The build tree's stale files; ``digest`` (the plan's inputs; None: render regardless) with the
    tree's other inputs may vouch for it (``dockerfiles/tree.sha256``)."""
    if not layout.bake.exists():
        return []
    context_root(fleet)  # a root outside the build context: exit 2 with the fix, as `depmin dockerfiles` says
    files = {s.agent: s.files for s in scanned.agents}
    registry = bake_registry(layout)
    if current(layout.tree_sums, tree_inputs(layout, fleet, digest, files, registry)):
        return []
    command = "depmin plan && depmin dockerfiles"
    planned = plan.get()
    if planned is None or isinstance(planned, DepminError):
        reason = str(planned) if planned is not None else "no plan (locks/plan.json) to render from"
        return [Stale(path=layout.dockerfiles, reason=reason, command=command)]
    try:
        tree = build_tree(fleet, planned.plan, files, registry=registry, sdists=planned.sdists)
    except ConfigError:
        raise  # agents.toml must change (a root outside the build context): exit 2, as `dockerfiles` does
    except DepminError as exc:
        return [Stale(path=layout.dockerfiles, reason=str(exc), command=command)]
    return _stale_files(layout.dockerfiles, tree, "depmin dockerfiles")


def _stale_workflow(layout: Layout, fleet: Fleet) -> list[Stale]:
    """``.github/workflows/depmin.yml`` when ``depmin workflow`` wrote it (a hand-written one is not ours)."""
    path = layout.workflow
    try:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return []
    if current is None or not is_generated(current):
        return []
    from depmin.dockerfiles.workflow import render_workflow  # noqa: PLC0415 - only for a workflow depmin wrote

    registry = bake_registry(layout) if layout.bake.is_file() else DEFAULT_REGISTRY
    try:
        text = render_workflow(fleet, registry=registry)
    except DepminError as exc:
        return [Stale(path=path, reason=str(exc), command="depmin workflow")]
    return [] if text == current else [Stale(path=path, reason="differs from agents.toml", command="depmin workflow")]


def bake_registry(layout: Layout) -> str:
    """The registry the committed bake file was rendered for (its ``variable "REGISTRY"``)."""
    text = layout.bake.read_text(encoding="utf-8")
    found = re.search(r'variable "REGISTRY" \{\n  default = "([^"]*)"', text)
    return found.group(1) if found else DEFAULT_REGISTRY


def _stale_files(directory: Path, files: Mapping[str, str], command: str) -> list[Stale]:
    """The files under ``directory`` whose text differs from ``files`` (relative path -> text)."""
    found = []
    for rel, text in sorted(files.items()):
        path = Path(os.path.normpath(directory / rel))  # "../.dockerignore": the build context's root
        reason = _differs(path, text)
        if reason is not None:
            found.append(Stale(path=path, reason=reason, command=command))
    return found


def _differs(path: Path, text: str) -> str | None:
    """None when ``path`` holds ``text``; else which requirement lines were added or removed."""
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return "missing"
    except (OSError, UnicodeDecodeError) as exc:
        return f"unreadable ({exc})"
    if current == text:
        return None
    old = {line.split("  #", 1)[0] for line in current.splitlines() if line and not line.startswith("#")}
    new = {line.split("  #", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}
    changes = [f"+{line}" for line in sorted(new - old)] + [f"-{line}" for line in sorted(old - new)]
    return ", ".join(changes[:6]) + (" …" if len(changes) > 6 else "") if changes else "comments or sites changed"
