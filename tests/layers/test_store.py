"""The plan's input from the committed locks: installed sizes from locks/installed-sizes.json, else download sizes."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Mapping
from pathlib import Path

from depmin import api
from depmin.layers.plan import plan_layers
from depmin.locking.installed import SIZES_NAME, parse_sizes
from depmin.manifest import Fleet, load_fleet
from tests.layers.shaped_fleet import shaped_fleet, shaped_locks

ROOT = Path(__file__).resolve().parents[2]


def test_committed_installed_sizes_are_what_the_plan_counts(tmp_path: Path) -> None:
    shutil.copy(ROOT / "agents.toml", tmp_path / "agents.toml")
    shutil.copytree(ROOT / "locks", tmp_path / "locks")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    fleet = load_fleet(tmp_path / "agents.toml")
    measured = parse_sizes((tmp_path / "locks" / SIZES_NAME).read_text(encoding="utf-8"))
    result = api.plan(fleet)
    torches = [lock["torch"] for lock in result.packages.values() if "torch" in lock]
    sized = [p for lock in result.packages.values() for p in lock.values() if p.size]
    assert sized and all(p.installed is not None for p in sized)
    assert sum(p.installed or 0 for p in sized) > sum(p.size for p in sized)  # wheels are compressed
    assert set(result.installed) <= set(measured)
    assert not any("not measured" in note for note in result.plan.notes)
    assert torches and all(t.installed is not None and t.installed > 2 * t.size for t in torches)
    # Without the measurements (offline, never measured): download sizes, and the plan says so.
    (tmp_path / "locks" / SIZES_NAME).unlink()
    offline = api.plan(fleet)
    assert all(p.installed is None for lock in offline.packages.values() for p in lock.values() if p.size)
    assert any(f"installed sizes of {len({p.name for p in sized})} distributions are not measured" in n
               for n in offline.plan.notes)  # fmt: skip
    assert offline.plan.machines[0].planned_installed < result.plan.machines[0].planned_installed


# plan_inputs leaves out what the planner does not read: each such value, changed, must leave the plan as it was.


def _other(value: object) -> object:
    """A different value of the same shape (the planner must not read it, so its type hardly matters)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, tuple):
        return (*value, "x")
    if isinstance(value, Mapping):
        return {**value, "x": "y"}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        first = dataclasses.fields(value)[0].name
        return dataclasses.replace(value, **{first: "1"})
    return "x"  # None


def _unread(fleet: Fleet) -> list[tuple[str, Fleet]]:
    """``(what, fleet with it changed)`` for every value of agents.toml that plan_inputs leaves out."""
    from depmin.layers.inputs import _NOT_PLANNED  # noqa: PLC0415

    variants: list[tuple[str, Fleet]] = []
    family = fleet.families["cpu"]
    for key in sorted(_NOT_PLANNED):
        changed = dataclasses.replace(family, **{key: _other(getattr(family, key))})
        variants.append(
            (f"families.cpu.{key}", dataclasses.replace(fleet, families={**fleet.families, "cpu": changed}))
        )
    agent = next(iter(fleet.agents.values()))
    for f in dataclasses.fields(agent):
        if f.name not in ("name", "family", "machines"):
            changed_agent = dataclasses.replace(agent, **{f.name: _other(getattr(agent, f.name))})
            agents = {**fleet.agents, agent.name: changed_agent}
            variants.append((f"agents.{agent.name}.{f.name}", dataclasses.replace(fleet, agents=agents)))
    machine = fleet.machines["MainPC"]
    for f in dataclasses.fields(machine):
        if f.name != "name":
            machines = {
                **fleet.machines,
                "MainPC": dataclasses.replace(machine, **{f.name: _other(getattr(machine, f.name))}),
            }
            variants.append((f"machines.MainPC.{f.name}", dataclasses.replace(fleet, machines=machines)))
    for f in dataclasses.fields(fleet.project):
        if f.name not in ("python", "platform"):
            project = dataclasses.replace(fleet.project, **{f.name: _other(getattr(fleet.project, f.name))})
            variants.append((f"project.{f.name}", dataclasses.replace(fleet, project=project)))
    layers = dataclasses.replace(fleet.layers, size_tolerance=0.5)
    variants.append(("layers.size_tolerance", dataclasses.replace(fleet, layers=layers)))
    for name in ("policy", "mapping", "audit", "ci"):
        variants.append((name, dataclasses.replace(fleet, **{name: _other(getattr(fleet, name))})))
    return variants


def test_what_plan_inputs_leaves_out_does_not_change_the_plan(tmp_path: Path) -> None:
    agents = {"A": ("MainPC", "cpu"), "B": ("MainPC", "cpu"), "C": ("PC2", "cpu-web"), "G": ("MainPC", "gpu-ada")}
    fleet = shaped_fleet(tmp_path, agents)
    shared = {"numpy": ("2.0", 60), "pyzmq": ("26.0", 8), "pydantic": ("2.9", 12)}
    locks = shaped_locks(
        {
            "A": {**shared, "scipy": ("1.14", 110)},
            "B": {**shared, "scipy": ("1.14", 110)},
            "C": {**shared, "fastapi": ("0.115", 4)},
            "G": {**shared, "torch": ("2.5.1", 1500)},
        },
        {"scipy": ["numpy"], "torch": ["numpy"]},
    )
    plan = plan_layers(fleet, locks)
    assert plan.families and any(f.packages for f in plan.families)  # a plan with layers to change
    variants = _unread(fleet)
    assert len(variants) > 30
    for what, changed in variants:
        assert plan_layers(changed, locks) == plan, what


def test_the_plan_reads_the_sdist_only_releases_the_build_tree_needs(tmp_path: Path) -> None:
    """Read once with the locks, they are what dockerfiles.sdist_only reads from the files again."""
    import re  # noqa: PLC0415

    from depmin.dockerfiles.tree import sdist_only  # noqa: PLC0415
    from depmin.layout import Layout  # noqa: PLC0415

    shutil.copy(ROOT / "agents.toml", tmp_path / "agents.toml")
    shutil.copytree(ROOT / "locks", tmp_path / "locks")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    pylock = tmp_path / "locks" / "NLUAgent" / "pylock.toml"
    text, count = re.subn(r'(name = "click"\nversion = "[^"]+"\nsdist = [^\n]+\n)wheels = \[\n[^\]]*\]\n', r"\1",
                          pylock.read_text(encoding="utf-8"))  # fmt: skip
    assert count == 1
    pylock.write_text(text, encoding="utf-8")
    fleet = load_fleet(tmp_path / "agents.toml")
    planned = api.plan(fleet)
    assert planned.sdists == sdist_only(Layout.beside(fleet.path), fleet)
    assert planned.sdists["NLUAgent"] == ("click==8.5.1", "langdetect==1.0.9")  # langdetect: sdist only already
