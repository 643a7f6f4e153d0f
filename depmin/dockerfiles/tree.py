"""The build tree from the plan and the scans: the inputs rendering needs, and the writer.

:func:`build_tree` gathers what :func:`depmin.dockerfiles.render.render_tree` needs besides the fleet and
the plan (each agent's first-party files, each family's run-time apt packages, the project root inside
the build context) and renders; :func:`write_tree` writes it under ``dockerfiles/`` beside agents.toml.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from depmin import _files
from depmin.dockerfiles.render import DEFAULT_REGISTRY, BuildInputs, render_tree
from depmin.errors import ConfigError, Problem
from depmin.layers import Plan
from depmin.layers.derive import planned_fleet
from depmin.layout import Layout
from depmin.locking.listing import parse_files
from depmin.manifest import Fleet
from depmin.requirements.tables import apt_packages

__all__ = ["build_tree", "context_root", "no_wheel_warnings", "write_tree"]


def no_wheel_warnings(layout: Layout, fleet: Fleet) -> list[str]:
    """One line per locked release that has no wheel for the target (its lock lists only the sdist):
    the image build would compile it, and no family image carries a compiler. Agents without a
    lock yet are passed over (``depmin lock`` reports them)."""
    found: dict[str, list[str]] = {}
    for name in sorted(fleet.agents):
        path = layout.pylock(name)
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for release in parse_files(text, base=path.parent, where=str(path)).values():
            if not any(f.is_wheel for f in release.files):
                found.setdefault(f"{release.name} {release.version}", []).append(name)
    return [
        f"{what} has no wheel for the target in the lock of {', '.join(agents)}: the image build builds it "
        "from the sdist, and no family image has a compiler (a C extension fails with 'gcc: No such file'); "
        "build the wheel once into a find_links wheelhouse (pip wheel), or lock a release with wheels"
        for what, agents in sorted(found.items())
    ]


def context_root(fleet: Fleet) -> str:
    """The project root relative to the build context (the directory of agents.toml), ``""`` when they
    are one; a ConfigError (exit 2) naming ``project.root`` when the root is outside the context, where
    no build can read it."""
    context = fleet.path.parent.resolve()
    try:
        root = fleet.project.root.relative_to(context).as_posix()
    except ValueError:
        where = f"{fleet.path.name}: project.root"
        message = (
            f"{fleet.project.root} is outside {context}, the directory of {fleet.path.name} and the build "
            f"context of the generated Dockerfiles; move {fleet.path.name} into a directory that contains the "
            "monorepo and set root relative to it"
        )
        raise ConfigError([Problem(where, message)]) from None
    return "" if root == "." else root


def build_tree(
    fleet: Fleet, plan: Plan, files: Mapping[str, tuple[str, ...]], *, registry: str = DEFAULT_REGISTRY
) -> dict[str, str]:
    """``{path relative to dockerfiles/: text}``; ``files`` maps each agent to its first-party closure."""
    fleet = planned_fleet(fleet, plan)  # the plan's derived layers are built like declared families
    apt: dict[str, tuple[str, ...]] = {}
    for layer in plan.families:
        deltas = [n for s in plan.services if s.family == layer.family for n in s.delta]
        apt[layer.family] = apt_packages([*layer.packages, *deltas])
    root = context_root(fleet)
    inputs = BuildInputs(files=files, apt=apt, root=root, registry=registry)
    return render_tree(fleet, plan, inputs)


def write_tree(layout: Layout, tree: Mapping[str, str], *, force: bool = False) -> dict[Path, bool]:
    """Write the tree under ``dockerfiles/`` atomically; ``{path: changed}``."""
    return _files.write_all(
        {Path(os.path.normpath(layout.dockerfiles / rel)): text for rel, text in sorted(tree.items())},
        base=layout.base,
        force=force,
    )
