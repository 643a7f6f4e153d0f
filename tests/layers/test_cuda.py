"""CUDA consistency: a family's CUDA (declared, or guessed from its image) against its locked wheels,
and the base image's CUDA libraries that the wheels install again."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import NormalizedName, canonicalize_name

from depmin.errors import ConfigError
from depmin.layers.cuda import (
    base_duplicates,
    cuda_checks,
    cuda_of_image,
    image_libraries,
    locked_cuda,
    torch_index,
)
from depmin.layers.plan import Package, plan_layers
from depmin.layers.render import plan_json, report
from depmin.manifest import Fleet, parse_fleet

FLEET = """\
[project]
root = "."
[machines.A]
[machines.B]
[families.cpu]
from = "python:3.11-slim"
[families.cuda]
from = "registry.example/nvidia/cuda:12.3.2-runtime-ubuntu22.04"
gpu = true
{cuda}
[families.gpu]
extends = "cuda"
{gpu}
{agents}
"""

CU13 = {"torch": "2.15.0", "nvidia-cuda-runtime": "13.2.86", "nvidia-cudnn-cu13": "9.26.0.51", "numpy": "2.0"}
CU121 = {
    "torch": "2.5.1+cu121",
    "nvidia-cuda-runtime-cu12": "12.1.105",
    "nvidia-cudnn-cu12": "9.1.0.70",
    "nvidia-cublas-cu12": "12.1.3.1",
}


def _fleet(tmp_path: Path, families: dict[str, str], *, cuda: str = "", gpu: str = "") -> Fleet:
    (tmp_path / "e.py").write_text("")
    agents = "".join(
        f'[agents.{a}]\nentrypoint = "e.py"\nmachines = ["A", "B"]\nfamily = "{f}"\n' for a, f in families.items()
    )
    text = FLEET.format(cuda=cuda, gpu=gpu, agents=agents)
    return parse_fleet(text.encode(), path=tmp_path / "agents.toml")


def _names(pins: dict[str, str]) -> dict[NormalizedName, str]:
    return {canonicalize_name(n): v for n, v in pins.items()}


def _packages(pins: dict[str, str], size: int = 10_000_000) -> dict[NormalizedName, Package]:
    return {
        canonicalize_name(n): Package(name=canonicalize_name(n), version=v, size=size // 2, installed=size)
        for n, v in pins.items()
    }


def test_cuda_versions_from_images_and_wheels() -> None:
    assert cuda_of_image("nvidia/cuda:12.3.2-runtime-ubuntu22.04") == (12, 3)
    assert cuda_of_image("python:3.11-slim") is None
    assert locked_cuda(_names(CU13)) == {
        (13, 2): ["nvidia-cuda-runtime==13.2.86"],
        (13, None): ["nvidia-cudnn-cu13==9.26.0.51"],
    }
    assert locked_cuda(_names({"nvidia-cuda-runtime-cu13": "13.0.48"})) == {
        (13, 0): ["nvidia-cuda-runtime-cu13==13.0.48"]
    }
    assert set(locked_cuda(_names(CU121))) == {(12, 1), (12, None)}
    assert torch_index((12, 3)) == "https://download.pytorch.org/whl/cu121"
    assert torch_index((12, 8)) == "https://download.pytorch.org/whl/cu128"
    assert torch_index((10, 2)) is None


def test_a_declared_cuda_with_its_wheels_agrees(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, {"g1": "gpu"}, cuda='cuda = "12.1"')
    [check] = cuda_checks(fleet, {"g1": _names(CU121)})
    assert (check.status, check.cuda, check.source, check.owner) == ("ok", "12.1", "families.cuda.cuda", "cuda")
    assert check.wheels == {
        "12.x": ("nvidia-cublas-cu12==12.1.3.1", "nvidia-cudnn-cu12==9.1.0.70"),
        "12.1": ("nvidia-cuda-runtime-cu12==12.1.105", "torch==2.5.1+cu121"),
    }


def test_cuda_13_wheels_on_a_guessed_12_3_family_are_an_error_with_the_fix(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, {"g1": "gpu", "g2": "gpu"})
    [check] = cuda_checks(fleet, {"g1": _names(CU13), "g2": _names(CU13)})
    assert check.status == "mismatch"
    assert check.message == (
        "CUDA mismatch in family gpu: its CUDA is 12.3 (guessed from registry.example/nvidia/cuda:12.3.2-runtime-"
        "ubuntu22.04; declare it with families.cuda.cuda) but its agents lock CUDA 13.2 wheels "
        "(nvidia-cuda-runtime==13.2.86, nvidia-cudnn-cu13==9.26.0.51), which need another driver; "
        'set indexes = ["https://download.pytorch.org/whl/cu121"] on [families.cuda] (PyTorch\'s CUDA 12.1 wheels) '
        'and run `depmin lock --all`; or, if CUDA 13.2 is meant, set cuda = "13.2" on [families.cuda] (and a from '
        'image of that CUDA); or accept it with accept_cuda_mismatch = "<reason>" on [families.cuda]'
    )


def test_the_nearest_declared_cuda_wins_over_the_image(tmp_path: Path) -> None:
    # The image says 12.3 (cu121 wheels would agree), but the family declares 11.8: CUDA 12 wheels disagree.
    fleet = _fleet(tmp_path, {"g1": "gpu"}, cuda='cuda = "12.4"', gpu='cuda = "11.8"')
    [check] = cuda_checks(fleet, {"g1": _names(CU121)})
    assert (check.status, check.cuda, check.owner) == ("mismatch", "11.8", "gpu")
    assert 'set indexes = ["https://download.pytorch.org/whl/cu118"] on [families.gpu]' in check.message
    # a newer minor than the family's disagrees too; an older one runs
    fleet = _fleet(tmp_path, {"g1": "gpu"}, cuda='cuda = "12.0"')
    assert cuda_checks(fleet, {"g1": _names(CU121)})[0].wrong == (
        "nvidia-cuda-runtime-cu12==12.1.105",
        "torch==2.5.1+cu121",
    )


def test_the_acknowledging_key_turns_the_error_into_a_warning_with_its_reason(tmp_path: Path) -> None:
    reason = "the cu121 index is not reachable from the build network"
    fleet = _fleet(tmp_path, {"g1": "gpu", "g2": "gpu"}, cuda=f'accept_cuda_mismatch = "{reason}"')
    locks = {a: _packages(CU13) for a in ("g1", "g2")}
    plan = plan_layers(fleet, locks)
    [check] = plan.cuda
    assert check.status == "accepted"
    assert not any("CUDA mismatch" in str(p) for p in plan.problems)
    [warning] = [w for w in plan.warnings if w.startswith("CUDA mismatch")]
    assert warning.endswith(f"which need another driver; accepted by families.cuda.accept_cuda_mismatch: {reason}")
    # without the key the same locks are a plan error
    plan = plan_layers(_fleet(tmp_path, {"g1": "gpu", "g2": "gpu"}), locks)
    assert [p.message for p in plan.problems] == [plan.cuda[0].message]
    assert plan_json(plan)["cuda"] == {
        "gpu": {
            "cuda": "12.3",
            "source": "guessed from registry.example/nvidia/cuda:12.3.2-runtime-ubuntu22.04; declare it with "
            "families.cuda.cuda",
            "status": "mismatch",
            "wheels": {"13.x": ["nvidia-cudnn-cu13==9.26.0.51"], "13.2": ["nvidia-cuda-runtime==13.2.86"]},
            "disagreeing": ["nvidia-cuda-runtime==13.2.86", "nvidia-cudnn-cu13==9.26.0.51"],
            "index": "https://download.pytorch.org/whl/cu121",
            "accepted": None,
        }
    }
    assert "| gpu | 12.3 | guessed from registry.example/nvidia/cuda:12.3.2-runtime" in report(plan)


def test_a_gpu_family_without_a_known_cuda_is_asked_to_declare_it(tmp_path: Path) -> None:
    text = FLEET.replace('from = "registry.example/nvidia/cuda:12.3.2-runtime-ubuntu22.04"', 'from = "python:3.11"')
    (tmp_path / "e.py").write_text("")
    agents = '[agents.g1]\nentrypoint = "e.py"\nmachines = ["A"]\nfamily = "gpu"\n'
    fleet = parse_fleet(text.format(cuda="", gpu="", agents=agents).encode(), path=tmp_path / "agents.toml")
    plan = plan_layers(fleet, {"g1": _packages(CU121)})
    assert plan.cuda[0].status == "undeclared"
    assert plan.problems == ()
    assert any('set cuda = "MAJOR.MINOR" on [families.cuda]' in note for note in plan.notes)
    assert cuda_checks(fleet, {"g1": _names({"numpy": "2.0"})}) == ()


def test_image_flavours_and_the_libraries_they_ship() -> None:
    flavours, libraries = image_libraries("nvidia/cuda:12.3.2-cudnn9-runtime-ubuntu22.04")
    assert flavours == ("base", "cudnn", "runtime")
    assert {"nvidia-cudnn", "nvidia-cublas", "nvidia-cuda-runtime"} <= libraries
    assert image_libraries("nvidia/cuda:12.3.2-base-ubuntu22.04") == (("base",), frozenset({"nvidia-cuda-runtime"}))
    assert "nvidia-cublas" in image_libraries("nvidia/cuda:12.3.2-devel-ubuntu22.04@sha256:" + "a" * 64)[1]
    assert image_libraries("python:3.11-slim") == ((), frozenset())


def test_the_base_image_copy_of_the_wheels_libraries_and_what_base_saves(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, {"g1": "gpu", "g2": "gpu", "c1": "cpu"})
    locks = {"g1": _packages(CU121), "g2": _packages(CU121), "c1": _packages({"numpy": "2.0"})}
    [duplicate] = base_duplicates(fleet, locks)
    assert duplicate.family == "cuda"
    assert duplicate.duplicated == (
        "nvidia-cublas-cu12==12.1.3.1",
        "nvidia-cuda-runtime-cu12==12.1.105",
    )  # cuDNN is not in a -runtime image; torch is no library of the image
    assert duplicate.duplicated_bytes == 20_000_000  # each version once, installed bytes
    assert duplicate.slimmer == "registry.example/nvidia/cuda:12.3.2-base-ubuntu22.04"
    assert duplicate.saving_bytes == 10_000_000  # -base still ships the runtime: only cuBLAS is saved
    assert duplicate.machines == ("A", "B")
    assert duplicate.message.endswith("would save about 10.0 MB per machine (A, B)")
    plan = plan_layers(fleet, locks)
    assert plan_json(plan)["base_duplicates"]["cuda"]["saving_bytes"] == 10_000_000  # type: ignore[index]
    assert duplicate.message in plan.warnings
    # at most the base image's own size, when agents.toml gives it
    capped = _fleet(tmp_path, {"g1": "gpu"}, cuda="base_mb = 4")
    assert base_duplicates(capped, {"g1": _packages(CU121)})[0].saving_bytes == 4_000_000
    # a -base image duplicates the runtime only, and has no slimmer flavour
    agents = '[agents.g1]\nentrypoint = "e.py"\nmachines = ["A"]\nfamily = "gpu"\n'
    text = FLEET.replace("-runtime-", "-base-").format(cuda="", gpu="", agents=agents)
    slim = parse_fleet(text.encode(), path=tmp_path / "agents.toml")
    [only] = base_duplicates(slim, {"g1": _packages(CU121)})
    assert (only.duplicated, only.slimmer, only.saving_bytes) == (("nvidia-cuda-runtime-cu12==12.1.105",), None, 0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('cuda = "12"', "families.cuda.cuda: '12' is not a CUDA version; write MAJOR.MINOR, e.g. \"12.1\""),
        ('cuda = "12.1\\n"', "families.cuda.cuda: "),
        ("cuda = 12.1", "families.cuda.cuda: expected a string, got a number"),
        ('accept_cuda_mismatch = " "', "families.cuda.accept_cuda_mismatch: is empty; say why"),
        ('accept_cuda_mismatch = "a\\u001b[2Jb"', "families.cuda.accept_cuda_mismatch: "),
    ],
)
def test_bad_cuda_settings_are_one_line_errors_naming_the_key(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _fleet(tmp_path, {"g1": "gpu"}, cuda=line)
    [problem] = caught.value.problems
    assert message in str(problem)
    assert "\n" not in str(problem) and "\x1b" not in str(problem)


def test_one_acknowledgement_is_one_warning_for_the_families_it_covers(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, {"r1": "cuda", "g1": "gpu"}, cuda='accept_cuda_mismatch = "no cu121 index here"')
    plan = plan_layers(fleet, {"r1": _packages(CU13), "g1": _packages(CU13)})
    assert [c.status for c in plan.cuda] == ["accepted", "accepted"]
    [warning] = [w for w in plan.warnings if "CUDA mismatch" in w]
    assert warning.startswith("CUDA mismatch in families cuda, gpu: their CUDA is 12.3 (guessed from ")
    assert warning.endswith("accepted by families.cuda.accept_cuda_mismatch: no cu121 index here")
