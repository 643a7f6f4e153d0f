"""Derived layers: a heavy stack shared by some agents of a family gets a layer only they build on."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from depmin.cli.documents import dockerfiles_document
from depmin.dockerfiles import build_tree, write_tree
from depmin.layers.derive import planned_fleet
from depmin.layers.plan import Package, plan_layers, plan_tree
from depmin.layers.render import render_all, report
from depmin.layers.store import write_plan
from depmin.layout import Layout
from depmin.locking.files import Pinned
from depmin.manifest import Fleet, parse_fleet
from tests.layers.shaped_fleet import shaped_fleet, shaped_locks

FLEET = """\
[project]
root = "."
[layers]
max_unused_mb = 100
max_derived = {budget}
[machines.A]
[families.gpu]
from = "nvidia/cuda:12.3.2-runtime-ubuntu22.04"
gpu = true
machine = "A"
base_mb = 1500
{agents}
"""
MB = 1_000_000
SIZES = {"torch": 900 * MB, "nvidia-cublas-cu12": 600 * MB, "pyzmq": 5 * MB, "numpy": 40 * MB}
REQUIRES = {"torch": {"nvidia-cublas-cu12"}}
# Seven agents of gpu do not import torch; three do (the real fleet's shape).
LOCKS = {
    **{f"plain{i}": {"pyzmq", "numpy"} for i in range(7)},
    **{f"torch{i}": {"pyzmq", "numpy", "torch", "nvidia-cublas-cu12"} for i in range(3)},
}


def _fleet(tmp_path: Path, budget: int = 4) -> Fleet:
    (tmp_path / "e.py").write_text("")
    agents = "".join(f'[agents.{a}]\nentrypoint = "e.py"\nmachines = ["A"]\nfamily = "gpu"\n' for a in LOCKS)
    return parse_fleet(FLEET.format(budget=budget, agents=agents).encode(), path=tmp_path / "agents.toml")


def _locks() -> dict[str, dict[NormalizedName, Package]]:
    def package(name: str) -> Package:
        requires = frozenset(canonicalize_name(r) for r in REQUIRES.get(name, ()))
        return Package(
            name=canonicalize_name(name), version="1.0", size=SIZES[name] // 3, requires=requires, installed=SIZES[name]
        )

    return {agent: {canonicalize_name(n): package(n) for n in names} for agent, names in LOCKS.items()}


def test_torch_shared_by_three_of_ten_agents_gets_a_derived_layer(tmp_path: Path) -> None:
    fleet, locks = _fleet(tmp_path), _locks()
    fixed = plan_tree(fleet, locks)
    assert "torch" not in fixed.family_set("gpu")  # seven agents would carry 1.5 GB unused
    plan = plan_layers(fleet, locks)
    [derived] = [f for f in plan.families if f.derived]
    assert (derived.family, derived.extends, derived.agents) == ("gpu-torch", "gpu", ("torch0", "torch1", "torch2"))
    assert derived.packages == ("nvidia-cublas-cu12", "torch")
    assert plan.family_set("gpu") == ("numpy", "pyzmq")
    # Stored on A: base + shared layer + the torch stack once, every delta empty.
    [machine] = plan.machines
    assert machine.planned_installed == 1500 * MB + 45 * MB + 1500 * MB
    assert machine.planned_installed == machine.floor_installed
    assert machine.planned_installed < fixed.machines[0].planned_installed - 2 * 1500 * MB + 1
    for image in plan.services:
        assert image.delta == ()
        assert image.family == ("gpu-torch" if image.agent.startswith("torch") else "gpu")
        assert image.unused_bytes == 0
    assert any("derived layer gpu-torch on top of gpu" in note for note in plan.notes)


def test_budget_zero_keeps_the_declared_tree(tmp_path: Path) -> None:
    fleet, locks = _fleet(tmp_path, budget=0), _locks()
    plan = plan_layers(fleet, locks)
    tree = plan_tree(fleet, locks)
    assert replace(plan, warnings=(), cuda=(), bases=()) == tree  # the CUDA report is made once, on the result
    assert not any(f.derived for f in plan.families)
    # Without a derived layer the proposal's families (torch baked in gpu) store less, but they would
    # bake torch unused into 2 images beyond [layers].max_unused_mb: the plan keeps its layers and says so.
    [machine] = plan.machines
    assert machine.planned_installed > machine.seed_families_installed
    assert any("would exceed [layers].max_unused_mb" in w for w in plan.warnings)


def test_derived_layer_files_say_what_a_renderer_builds(tmp_path: Path) -> None:
    fleet, locks = _fleet(tmp_path), _locks()
    plan = plan_layers(fleet, locks)
    entries = {
        agent: {
            name: Pinned(name=name, version=Version(package.version), hashes=("sha256:" + "0" * 64,))
            for name, package in lock.items()
        }
        for agent, lock in locks.items()
    }
    files = render_all(fleet, plan, entries)
    lock = files["_families/gpu-torch/requirements.lock"]
    assert "derived layer gpu-torch (on top of family gpu)" in lock
    assert "torch==1.0" in lock and "numpy" not in lock
    text = report(plan)
    assert "gpu-torch | gpu (derived by the plan)" in text
    assert "| gpu | torch | out | plain0 on A would carry 1500.0 MB unused" in text
    assert "| gpu-torch | torch | in | shared by 3 services | 3 | 4,500.0 MB | 1,500.0 MB |" in text
    built = planned_fleet(fleet, plan)
    assert built.agents["torch1"].family == "gpu-torch" and built.agents["plain1"].family == "gpu"
    assert [f.name for f in built.family_chain("gpu-torch")] == ["gpu", "gpu-torch"]
    assert built.has_gpu("gpu-torch")


def test_a_stack_shared_by_more_agents_than_a_derived_layer_goes_in_a_layer_below_it(tmp_path: Path) -> None:
    # torch for g0 and g1 gets gpu-ada-torch; pyzmq (21 MB, above the 20 MB bound for g2, which locks
    # nothing) is locked by g0, g1 and g3: a layer gpu-ada-pyzmq between gpu-ada and gpu-ada-torch stores
    # it once, where a layer beside gpu-ada-torch would store it twice (and (b) bakes it in for g2 too).
    stack = {"torch": ("2.5.1+cu121", 1600), "nvidia-cublas-cu12": ("1.0", 700)}
    zmq = {"pyzmq": ("1.0", 21)}
    agents = {"g0": zmq | stack, "g1": zmq | stack, "g2": {}, "g3": dict(zmq)}
    fleet = shaped_fleet(
        tmp_path,
        dict.fromkeys(agents, ("MainPC", "gpu-ada")),
        layers="max_unused_mb = 20\n",
        cuda_base_mb=None,
        gpu_families={"gpu-ada": "MainPC"},
    )
    plan = plan_layers(fleet, shaped_locks(agents, {"torch": {"nvidia-cublas-cu12"}}))
    layers = {f.family: f for f in plan.families}
    assert (layers["gpu-ada-pyzmq"].extends, layers["gpu-ada-pyzmq"].packages) == ("gpu-ada", ("pyzmq",))
    assert layers["gpu-ada-pyzmq"].agents == ("g3",)
    assert layers["gpu-ada-torch"].extends == "gpu-ada-pyzmq" and "pyzmq" not in layers["gpu-ada-torch"].packages
    (machine,) = (m for m in plan.machines if m.machine == "MainPC")
    assert machine.planned_installed == machine.floor_installed  # every distribution stored once
    built = planned_fleet(fleet, plan)
    assert [f.name for f in built.family_chain(built.agents["g0"].family)] == [
        "cuda-runtime",
        "gpu-ada",
        "gpu-ada-pyzmq",
        "gpu-ada-torch",
    ]


def test_a_layer_the_plan_no_longer_makes_loses_its_generated_files(tmp_path: Path) -> None:
    locks = _locks()
    entries = {
        agent: {n: Pinned(name=n, version=Version(p.version), hashes=("sha256:" + "0" * 64,)) for n, p in lock.items()}
        for agent, lock in locks.items()
    }
    layout = Layout.beside(_fleet(tmp_path).path)
    mine = layout.locks / "_families" / "mine" / "requirements.lock"  # a person's file: never removed
    mine.parent.mkdir(parents=True)
    mine.write_text("torch==1.0\n")
    mine_dockerfile = layout.dockerfiles / "base" / "mine.Dockerfile"
    mine_dockerfile.parent.mkdir(parents=True)
    mine_dockerfile.write_text("FROM scratch\n")
    derived_lock = layout.locks / "_families" / "gpu-torch" / "requirements.lock"
    derived_dockerfile = layout.dockerfiles / "base" / "gpu-torch.Dockerfile"
    for budget, present in ((4, True), (0, False)):
        fleet = _fleet(tmp_path, budget)
        plan = plan_layers(fleet, locks)
        written = write_plan(layout, fleet, plan, entries)
        tree = write_tree(layout, build_tree(fleet, plan, dict.fromkeys(fleet.agents, ()), sdists={}))
        assert derived_lock.is_file() is present and derived_dockerfile.is_file() is present
        assert written[derived_lock] and tree[derived_dockerfile]  # written, then removed
    assert not derived_lock.parent.exists()
    items = {item["path"]: item for item in dockerfiles_document(tree)["files"]}  # type: ignore[attr-defined]
    assert items[str(derived_dockerfile)] == {"path": str(derived_dockerfile), "changed": True, "removed": True}
    assert mine.read_text() == "torch==1.0\n" and mine_dockerfile.read_text() == "FROM scratch\n"
