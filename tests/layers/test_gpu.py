"""GPU hygiene and CUDA consistency: what the GPU set is, and a family's CUDA against its locked wheels."""

from __future__ import annotations

from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from depmin.layers.gpu import cuda_of_image, cuda_warnings, in_gpu_set, locked_cuda, torch_index
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

CU13 = {"torch": "2.15.0", "nvidia-cuda-runtime": "13.2.86", "nvidia-cudnn-cu13": "9.26.0.51", "numpy": "2.0"}
CU121 = {"torch": "2.5.1+cu121", "nvidia-cuda-runtime-cu12": "12.1.105", "nvidia-cudnn-cu12": "9.1.0.70"}
CPU_TORCH = {"torch": "2.5.1+cpu", "sympy": "1.13", "networkx": "3.3"}


def _fleet(tmp_path: Path, families: dict[str, str]) -> Fleet:
    (tmp_path / "e.py").write_text("")
    agents = "".join(
        f'[agents.{a}]\nentrypoint = "e.py"\nmachines = ["A"]\nfamily = "{f}"\n' for a, f in families.items()
    )
    return parse_fleet(FLEET.format(agents=agents).encode(), path=tmp_path / "agents.toml")


def _names(pins: dict[str, str]) -> dict[NormalizedName, str]:
    return {canonicalize_name(n): v for n, v in pins.items()}


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


def test_cuda_versions_from_images_and_wheels() -> None:
    assert cuda_of_image("nvidia/cuda:12.3.2-runtime-ubuntu22.04") == (12, 3)
    assert cuda_of_image("python:3.11-slim") is None
    assert locked_cuda(_names(CU13)) == {
        (13, 2): ["nvidia-cuda-runtime==13.2.86"],
        (13, None): ["nvidia-cudnn-cu13==9.26.0.51"],
    }
    assert set(locked_cuda(_names(CU121))) == {(12, 1), (12, None)}
    assert torch_index((12, 3)) == "https://download.pytorch.org/whl/cu121"
    assert torch_index((12, 8)) == "https://download.pytorch.org/whl/cu128"
    assert torch_index((10, 2)) is None


def test_cuda_13_wheels_on_a_12_3_base_are_a_warning_naming_the_family_and_index(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, {"g1": "gpu", "g2": "gpu"})
    [mismatch, duplicate] = cuda_warnings(fleet, {"g1": _names(CU13), "g2": _names(CU13)})
    assert mismatch.startswith("CUDA mismatch in family gpu: it runs on registry.example/nvidia/cuda:12.3.2")
    assert "lock CUDA 13.2 wheels (nvidia-cudnn-cu13==9.26.0.51, nvidia-cuda-runtime==13.2.86)" in mismatch
    assert mismatch.endswith(
        'set indexes = ["https://download.pytorch.org/whl/cu121"] on [families.gpu] and run `depmin lock --all`'
    )
    assert "nvidia/cuda:12.3.2-base-ubuntu22.04 would save it" in duplicate


def test_matching_cuda_wheels_warn_only_about_the_duplicate_runtime(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, {"g1": "gpu"})
    [duplicate] = cuda_warnings(fleet, {"g1": _names(CU121)})
    assert duplicate.startswith("family gpu: registry.example/nvidia/cuda:12.3.2-runtime-ubuntu22.04 carries")
    assert cuda_warnings(fleet, {"g1": _names({"numpy": "2.0"})}) == []


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
