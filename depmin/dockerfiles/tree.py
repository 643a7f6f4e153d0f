"""The build tree from the plan and the scans: the inputs rendering needs, and the writer.

:func:`build_tree` gathers what :func:`depmin.dockerfiles.render.render_tree` needs besides the fleet and
the plan (each agent's first-party files, each family's run-time apt packages, the project root inside
the build context) and renders; :func:`write_tree` writes it under ``dockerfiles/`` beside agents.toml.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from depmin import _files
from depmin.dockerfiles.render import DEFAULT_REGISTRY, BuildInputs, render_tree
from depmin.errors import DepminError
from depmin.layers import Plan
from depmin.layers.derive import planned_fleet
from depmin.layout import Layout
from depmin.manifest import Fleet
from depmin.requirements.tables import apt_packages

__all__ = ["build_tree", "write_tree"]


def build_tree(
    fleet: Fleet, plan: Plan, files: Mapping[str, tuple[str, ...]], *, registry: str = DEFAULT_REGISTRY
) -> dict[str, str]:
    """``{path relative to dockerfiles/: text}``; ``files`` maps each agent to its first-party closure."""
    fleet = planned_fleet(fleet, plan)  # the plan's derived layers are built like declared families
    apt: dict[str, tuple[str, ...]] = {}
    for layer in plan.families:
        deltas = [n for s in plan.services if s.family == layer.family for n in s.delta]
        apt[layer.family] = apt_packages([*layer.packages, *deltas])
    context = fleet.path.parent.resolve()
    try:
        root = fleet.project.root.relative_to(context).as_posix()
    except ValueError:
        raise DepminError(
            f"project.root {fleet.project.root} is outside {fleet.path.parent}, the build context; "
            "move agents.toml up to a directory that contains the monorepo"
        ) from None
    inputs = BuildInputs(files=files, apt=apt, root="" if root == "." else root, registry=registry)
    return render_tree(fleet, plan, inputs)


def write_tree(layout: Layout, tree: Mapping[str, str], *, force: bool = False) -> dict[Path, bool]:
    """Write the tree under ``dockerfiles/`` atomically; ``{path: changed}``."""
    return _files.write_all(
        {layout.dockerfiles / rel: text for rel, text in sorted(tree.items())}, base=layout.base, force=force
    )
