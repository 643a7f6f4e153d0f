"""Properties on generated fleets of the real fleet's shape: GPU families where only some agents use
torch, CPU agents that import torch (its +cpu build), many small shared distributions, among them the
seed's own stacks, so that both baselines are real competitors."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depmin.layers.derive import planned_fleet
from depmin.layers.gpu import in_gpu_set
from depmin.layers.plan import plan_layers
from tests.layers.shaped_fleet import shaped_fleet, shaped_locks

TORCH = {"torch": 1600, "triton": 420, "sympy": 75, "nvidia-cudnn-cu12": 1000, "nvidia-cublas-cu12": 700}
TRANSFORMERS = {"transformers": 45, "tokenizers": 9}
SMALL = ["pyzmq", "redis", "pydantic", "orjson", "fastapi", "uvicorn", "numpy", "requests", "pyyaml", "grpcio"]
SMALL += [f"lib{i}" for i in range(10)]


@st.composite
def shaped(draw: st.DrawFn) -> tuple[dict[str, tuple[str, str, dict[str, tuple[str, int]]]], float]:
    sizes = {n: draw(st.integers(1, 60)) for n in SMALL}
    agents: dict[str, tuple[str, str, dict[str, tuple[str, int]]]] = {}
    gpu_count = draw(st.integers(3, 8))
    torch_users = draw(st.integers(0, gpu_count))
    for i in range(gpu_count):
        lock = {n: ("1.0", sizes[n]) for n in draw(st.sets(st.sampled_from(SMALL), max_size=8))}
        if i < torch_users:
            lock |= {n: ("2.5.1+cu121" if n == "torch" else "1.0", s) for n, s in TORCH.items()}
            if draw(st.booleans()):
                lock |= {n: ("1.0", s) for n, s in TRANSFORMERS.items()}
        agents[f"g{i}"] = ("MainPC", "gpu-ada", lock)
    for i in range(draw(st.integers(2, 8))):
        lock = {n: ("1.0", sizes[n]) for n in draw(st.sets(st.sampled_from(SMALL), max_size=8))}
        if draw(st.integers(0, 4)) == 0:
            lock |= {"torch": ("2.5.1+cpu", 700), "sympy": ("1.0", 75)}
        agents[f"c{i}"] = (draw(st.sampled_from(["MainPC", "PC2"])), draw(st.sampled_from(["cpu", "cpu-web"])), lock)
    return agents, draw(st.sampled_from([20.0, 100.0, 500.0]))


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(shaped())
def test_planned_never_above_either_baseline_and_no_gpu_in_cpu(
    tmp_path: Path, drawn: tuple[dict[str, tuple[str, str, dict[str, tuple[str, int]]]], float]
) -> None:
    agents, bound = drawn
    layers = f"max_unused_mb = {bound}\n"
    machines = {a: (m, f) for a, (m, f, _) in agents.items()}
    fleet = shaped_fleet(tmp_path, machines, layers=layers, cuda_base_mb=None, gpu_families={"gpu-ada": "MainPC"})
    locks = shaped_locks({a: lock for a, (_, _, lock) in agents.items()}, {"torch": set(TORCH) - {"torch"}})
    plan = plan_layers(fleet, locks)
    # docs/layers.md: the plan keeps its layers where only the proposal's families (b) store less and
    # they would bake more than [layers].max_unused_mb into an image; a warning names the machine.
    kept = {w.split(":")[0] for w in plan.warnings if "would exceed [layers].max_unused_mb" in w}
    for machine in plan.machines:
        assert machine.planned_installed <= machine.no_families_installed
        if f"machine {machine.machine}" not in kept:
            assert machine.planned_installed <= machine.seed_families_installed
        assert machine.floor_installed <= machine.planned_installed
    built = planned_fleet(fleet, plan)
    for layer in plan.families:
        if not built.has_gpu(layer.family):
            versions = {n: p.version for lock in locks.values() for n, p in lock.items() if "+cu" not in p.version}
            assert not any(in_gpu_set(n, versions.get(n, "1.0")) for n in layer.packages), layer
    for image in plan.services:
        assert image.unused_bytes <= fleet.layers.max_unused_bytes
        chain = set().union(*(plan.family_set(f.name) for f in built.family_chain(image.family)))
        assert (chain & set(locks[image.agent])) | set(image.delta) == set(locks[image.agent])
