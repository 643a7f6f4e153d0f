"""GPU hygiene: what the GPU set is, and that nothing of it reaches a family without a GPU."""

from __future__ import annotations

from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from depmin.layers.gpu import in_gpu_set
from depmin.layers.plan import Package, plan_layers
from depmin.manifest import Fleet, parse_fleet

FLEET = """\
[project]
root = "."
[machines.A]
[families.cpu]
from = "python:3.11-slim"
[families.gpu]
from = "registry.example/nvidia/cuda:12.3.2-runtime-ubuntu22.04"
gpu = true
{agents}
"""

CPU_TORCH = {"torch": "2.5.1+cpu", "sympy": "1.13", "networkx": "3.3"}


def _fleet(tmp_path: Path, families: dict[str, str]) -> Fleet:
    (tmp_path / "e.py").write_text("")
    agents = "".join(
        f'[agents.{a}]\nentrypoint = "e.py"\nmachines = ["A"]\nfamily = "{f}"\n' for a, f in families.items()
    )
    return parse_fleet(FLEET.format(agents=agents).encode(), path=tmp_path / "agents.toml")


def test_the_gpu_set() -> None:
    for name, version in [
        ("nvidia-cublas", "13.1"),
        ("cuda-bindings", "13.0"),
        ("triton", "3.1"),
        ("torch", "2.15.0"),
        ("torch", "2.5.1+cu121"),
        ("cuda-pathfinder", "1.0"),
    ]:
        assert in_gpu_set(canonicalize_name(name), version), name
    for name, version in [("torch", "2.5.1+cpu"), ("sympy", "1.13"), ("networkx", "3.3"), ("numpy", "2.0")]:
        assert not in_gpu_set(canonicalize_name(name), version), name


def _packages(pins: dict[str, str], requires: dict[str, set[str]]) -> dict[NormalizedName, Package]:
    return {
        canonicalize_name(n): Package(
            name=canonicalize_name(n),
            version=v,
            size=10_000_000,
            requires=frozenset(canonicalize_name(r) for r in requires.get(n, ())),
        )
        for n, v in pins.items()
    }


def test_cpu_agents_locking_torch_leak_nothing_of_the_gpu_set_into_cpu(tmp_path: Path) -> None:
    gpu_torch = {"torch": "2.15.0", "cuda-bindings": "13.0", "cuda-pathfinder": "1.0", "sympy": "1.13"}
    requires = {"torch": {"cuda-bindings", "sympy"}, "cuda-bindings": {"cuda-pathfinder"}}
    fleet = _fleet(tmp_path, {"c1": "cpu", "c2": "cpu", "c3": "cpu"})
    plan = plan_layers(fleet, {a: _packages(gpu_torch, requires) for a in ("c1", "c2", "c3")})
    assert not any(in_gpu_set(n, gpu_torch[n]) for n in plan.family_set("cpu"))
    assert plan.family_set("cpu") == ("sympy",)
    assert len(plan.problems) == 3
    assert str(plan.problems[0]) == (
        "c1: family cpu has no GPU, but its lock holds cuda-bindings, cuda-pathfinder, torch; lock the CPU "
        'build: set indexes = ["https://download.pytorch.org/whl/cpu"] on [families.cpu] and run `depmin lock --all`'
    )
    # The CPU build of torch is no GPU library: the cpu family may carry it, and nothing is an error.
    plan = plan_layers(fleet, {a: _packages(CPU_TORCH, {"torch": {"sympy", "networkx"}}) for a in ("c1", "c2", "c3")})
    assert plan.problems == ()
    assert plan.family_set("cpu") == ("networkx", "sympy", "torch")


def test_cpu_torch_and_cuda_torch_each_go_into_their_own_family(tmp_path: Path) -> None:
    cuda = {"torch": "2.5.1+cu121", "nvidia-cublas-cu12": "12.1.3.1"}
    fleet = _fleet(tmp_path, {"c1": "cpu", "c2": "cpu", "g1": "gpu", "g2": "gpu"})
    locks = {
        **{a: _packages(CPU_TORCH, {"torch": {"sympy", "networkx"}}) for a in ("c1", "c2")},
        **{a: _packages(cuda, {"torch": {"nvidia-cublas-cu12"}}) for a in ("g1", "g2")},
    }
    plan = plan_layers(fleet, locks)
    assert plan.family_set("cpu") == ("networkx", "sympy", "torch")
    assert plan.family_set("gpu") == ("nvidia-cublas-cu12", "torch")
    assert all(image.delta == () for image in plan.services)
    [machine] = plan.machines
    assert machine.floor_installed == 5 * 10_000_000  # torch counted once per version
