"""The build tree from the plan and the scans: the inputs rendering needs, and the writer.

:func:`build_tree` gathers what :func:`depmin.dockerfiles.render.render_tree` needs besides the fleet and
the plan (each agent's first-party files, each family's run-time apt packages, the project root inside
the build context) and renders; :func:`write_tree` writes it under ``dockerfiles/`` beside agents.toml.
:func:`tree_inputs` is the digest of all of that, which ``dockerfiles/tree.sha256`` records with the
sha256 of each file (:func:`tree_sums`), so that ``depmin check`` knows the tree current without a plan.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from depmin import _files
from depmin._digest import canonical, digest, render_sums, sha256
from depmin._version import __version__
from depmin.dockerfiles.inputs import DEFAULT_REGISTRY
from depmin.errors import ConfigError, Problem
from depmin.layout import Layout
from depmin.locking.listing import parse_files
from depmin.manifest import Fleet
from depmin.requirements.tables import apt_packages

if TYPE_CHECKING:  # the renderers and the plan are imported by build_tree, which alone uses them
    from depmin.layers import Plan

__all__ = ["build_tree", "context_root", "no_wheel_warnings", "sdist_only", "tree_inputs", "tree_sums", "write_tree"]

TREE_REVISION = 1
"""Bumped whenever the renderers write another tree for the same inputs (see :func:`tree_inputs`)."""


def sdist_only(layout: Layout, fleet: Fleet) -> dict[str, tuple[str, ...]]:
    """``{agent: (name==version, ...)}``: the locked releases of each agent that have no wheel for
    the target (its pylock lists only the sdist). Agents without a lock yet are passed over
    (``depmin lock`` reports them)."""
    found: dict[str, tuple[str, ...]] = {}
    for name in sorted(fleet.agents):
        path = layout.pylock(name)
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        releases = parse_files(text, base=path.parent, where=str(path)).values()
        pins = sorted(f"{r.name}=={r.version}" for r in releases if not any(f.is_wheel for f in r.files))
        if pins:
            found[name] = tuple(pins)
    return found


def _service_sdists(
    layout: Layout, fleet: Fleet, sdists: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, tuple[str, ...]]:
    """The sdist-only pins of :func:`sdist_only` (``sdists``: as the plan read them from the locks;
    None: read them now) that are in each agent's service lock (its delta over the family image),
    which its Dockerfile's ``build-wheels`` stage compiles."""
    found: dict[str, tuple[str, ...]] = {}
    for name, pins in (sdist_only(layout, fleet) if sdists is None else sdists).items():
        path = layout.locks / name / "service.lock"
        if not path.is_file():
            continue
        lines = {line.split()[0] for line in path.read_text(encoding="utf-8").splitlines() if line[:1].isalnum()}
        inside = tuple(pin for pin in pins if pin in lines)
        if inside:
            found[name] = inside
    return found


def no_wheel_warnings(layout: Layout, fleet: Fleet, sdists: Mapping[str, tuple[str, ...]] | None = None) -> list[str]:
    """One line per locked release that has no wheel for the target and that no ``build-wheels``
    stage compiles (it is in a family lock, whose image carries no compiler); ``sdists`` as
    :func:`_service_sdists` takes them."""
    sdists = sdist_only(layout, fleet) if sdists is None else sdists
    built = _service_sdists(layout, fleet, sdists)
    found: dict[str, list[str]] = {}
    for name, pins in sdists.items():
        for pin in pins:
            if pin not in built.get(name, ()):
                found.setdefault(pin.replace("==", " "), []).append(name)
    return [
        f"{what} has no wheel for the target in the lock of {', '.join(agents)}: the family image build "
        "builds it from the sdist, and no family image has a compiler (a C extension fails with 'gcc: No "
        "such file'); build the wheel once into a find_links wheelhouse (pip wheel), or lock a release with wheels"
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
    fleet: Fleet,
    plan: Plan,
    files: Mapping[str, tuple[str, ...]],
    *,
    registry: str = DEFAULT_REGISTRY,
    sdists: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, str]:
    """``{path relative to dockerfiles/: text}``; ``files`` maps each agent to its first-party closure,
    ``sdists`` each agent to its locked releases without a wheel (``PlanResult.sdists``; None: read
    from the locks). The renderers are imported here: ``depmin check`` imports this module for
    :func:`tree_inputs` and renders nothing while ``dockerfiles/tree.sha256`` vouches for the tree."""
    from depmin.dockerfiles.render import BuildInputs, render_tree  # noqa: PLC0415 - see above
    from depmin.layers.derive import planned_fleet  # noqa: PLC0415

    fleet = planned_fleet(fleet, plan)  # the plan's derived layers are built like declared families
    apt: dict[str, tuple[str, ...]] = {}
    for layer in plan.families:
        deltas = [n for s in plan.services if s.family == layer.family for n in s.delta]
        apt[layer.family] = apt_packages([*layer.packages, *deltas])
    root = context_root(fleet)
    built = _service_sdists(Layout.beside(fleet.path), fleet, sdists)
    inputs = BuildInputs(files=files, apt=apt, root=root, registry=registry, sdists=built)
    return render_tree(fleet, plan, inputs)


def tree_inputs(
    layout: Layout, fleet: Fleet, plan: str | None, files: Mapping[str, tuple[str, ...]], registry: str
) -> str | None:
    """The digest of everything :func:`build_tree` renders from: the plan's inputs (``plan``, of
    :func:`depmin.layers.inputs.plan_inputs`; the plan and the sdist-only releases follow from them), the
    whole of agents.toml as loaded (paths relative to its directory), each agent's first-party files,
    its ``service.lock`` as committed, the registry, depmin's version and :data:`TREE_REVISION`. None
    when ``plan`` is None."""
    if plan is None:
        return None
    service: dict[str, str | None] = {}
    for agent in sorted(fleet.agents):
        try:
            service[agent] = sha256((layout.locks / agent / "service.lock").read_bytes())
        except OSError:
            service[agent] = None
    document = {
        "depmin": [__version__, TREE_REVISION],
        "plan": plan,
        "fleet": canonical(fleet, layout.base),
        "files": {agent: list(names) for agent, names in sorted(files.items())},
        "service_locks": service,
        "registry": registry,
    }
    return digest(document)


def tree_sums(inputs: str | None, tree: Mapping[str, str]) -> str:
    """``dockerfiles/tree.sha256``: ``inputs`` (:func:`tree_inputs`) and the sha256 of each file of ``tree``."""
    return render_sums("depmin dockerfiles", inputs or "none", tree)


# The files of the tree named after a family, an agent or a machine: one that is gone leaves its file.
_NAMED = ("base/*.Dockerfile", "agents/*.Dockerfile", "compose/*.yaml")


def write_tree(layout: Layout, tree: Mapping[str, str], *, force: bool = False) -> dict[Path, bool]:
    """Write the tree under ``dockerfiles/`` atomically and remove the generated Dockerfiles and
    compose files of families (derived layers included), agents and machines it no longer has;
    ``{path: changed}``, a removed file changed and no longer there."""
    files = {Path(os.path.normpath(layout.dockerfiles / rel)): text for rel, text in sorted(tree.items())}
    written = _files.write_all(files, base=layout.base, force=force)
    removed = _files.remove_outdated(layout.dockerfiles, _NAMED, files, base=layout.base)
    return {**written, **dict.fromkeys(removed, True)}
