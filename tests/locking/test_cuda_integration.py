"""Each family locks torch's variant from its own index, and its CUDA is checked against the wheels:
the real uv, ``depmin lock``, ``plan`` and ``check`` from the CLI, and pip installing a lock with a
local version tag.

Three package indexes on loopback (:mod:`tests.locking.local_index`) serve small stand-in wheels
with the names, versions and dependencies of the real ones:

    cu121 index   torch 2.5.1+cu121 and 2.6.0+cu121 -> nvidia-cuda-runtime-cu12 12.1.105, nvidia-cublas-cu12 12.1.3.1
    cpu index     torch 2.5.1+cpu (no CUDA library)
    cu13 index    torch 2.5.1 -> nvidia-cuda-runtime 13.2.86, nvidia-cudnn-cu13 9.26.0.51 (what PyPI serves)

Every index also serves filelock, which every torch requires (as PyTorch's indexes do). A request
that would leave the machine (the default index, PyPI) meets a closed proxy port and fails the run.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from depmin.cli.entry import main
from depmin.locking import files as _pylock
from tests.locking.local_index import Index, serve
from tests.wheelhouse import Wheel

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.integration

BINARY = "cp311-cp311-manylinux_2_28_x86_64"
LIBRARY = "py3-none-manylinux_2_28_x86_64"
FILELOCK = Wheel("filelock", "3.16.1", modules={"filelock/__init__.py": ""})


def _torch(version: str, *requires: str) -> Wheel:
    return Wheel("torch", version, tag=BINARY, requires=("filelock", *requires), modules={"torch/__init__.py": ""})


def _library(name: str, version: str) -> Wheel:
    return Wheel(name, version, tag=LIBRARY, modules={f"{name.replace('-', '_')}/__init__.py": ""})


INDEXES = {
    "cu121": (
        _torch("2.5.1+cu121", "nvidia-cuda-runtime-cu12==12.1.105", "nvidia-cublas-cu12==12.1.3.1"),
        _torch("2.6.0+cu121", "nvidia-cuda-runtime-cu12==12.1.105", "nvidia-cublas-cu12==12.1.3.1"),
        _library("nvidia-cuda-runtime-cu12", "12.1.105"),
        _library("nvidia-cublas-cu12", "12.1.3.1"),
        FILELOCK,
    ),
    "cpu": (_torch("2.5.1+cpu"), FILELOCK),
    "cu13": (
        _torch("2.5.1", "nvidia-cuda-runtime==13.2.86", "nvidia-cudnn-cu13==9.26.0.51"),
        _library("nvidia-cuda-runtime", "13.2.86"),
        _library("nvidia-cudnn-cu13", "9.26.0.51"),
        FILELOCK,
    ),
}

FLEET = """\
[project]
root = "repo"
python = "3.11"
platform = "x86_64-manylinux_2_28"

[mapping]
torch = "torch"

[machines.M]

[families.cpu]
from = "python:3.11-slim"
indexes = ["{cpu}"]

[families.cuda]
from = "nvidia/cuda:12.3.2-runtime-ubuntu22.04"
gpu = true
cuda = "12.1"
indexes = ["{cu121}"]

[families.cuda13]
from = "nvidia/cuda:12.3.2-runtime-ubuntu22.04"
gpu = true
indexes = ["{cu13}"]
{accept}
"""

AGENTS = {"C1": "cpu", "C2": "cpu", "G1": "cuda", "G2": "cuda", "N1": "cuda13", "N2": "cuda13"}
REASON = "download.pytorch.org is not reachable from the build network"
FIX = (
    'set indexes = ["https://download.pytorch.org/whl/cu121"] on [families.cuda13] (PyTorch\'s CUDA 12.1 wheels) '
    "and run `depmin lock --all`"
)


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("DEPMIN_CACHE_DIR", str(tmp_path / "depmin-cache"))
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")  # nothing leaves the machine
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@contextlib.contextmanager
def _indexes(root: Path) -> Iterator[dict[str, Index]]:
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(serve(root / name, wheels)) for name, wheels in INDEXES.items()}


def _write(root: Path, indexes: dict[str, Index], *, accept: bool = False) -> Path:
    text = FLEET.format(
        **{name: index.url for name, index in indexes.items()},
        accept=f'accept_cuda_mismatch = "{REASON}"' if accept else "",
    )
    for agent, family in AGENTS.items():
        (root / "repo").mkdir(parents=True, exist_ok=True)
        (root / "repo" / f"{agent.lower()}.py").write_text("import torch\n", encoding="utf-8")
        text += f'\n[agents.{agent}]\nentrypoint = "{agent.lower()}.py"\nmachines = ["M"]\nfamily = "{family}"\n'
    (root / "agents.toml").write_text(text, encoding="utf-8")
    return root / "agents.toml"


def _run(config: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(config), *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _pins(root: Path, agent: str) -> dict[str, str]:
    lock = root / "locks" / agent / "requirements.lock"
    return {p.name: str(p.version) for p in _pylock.parse_requirements(lock.read_text(encoding="utf-8"))}


def _errors(err: str, kind: str = "error") -> list[str]:
    return [line for line in err.splitlines() if line.startswith(f"{kind}:")]


def test_each_family_locks_its_torch_variant_and_a_cuda_13_family_is_an_error(tmp_path: Path) -> None:
    with _indexes(tmp_path / "indexes") as indexes:
        config = _write(tmp_path, indexes)
        code, out, err = _run(config, "lock", "--all", "--format", "json")
        document = json.loads(out)
        assert {a["agent"]: a["state"] for a in document["agents"]} == dict.fromkeys(AGENTS, "locked"), err
        asked = {name: index.asked() for name, index in indexes.items()}
        installed = _pip_install(tmp_path, tmp_path / "locks" / "G1" / "requirements.lock", indexes["cu121"].url)
    assert _pins(tmp_path, "G1") == {
        "filelock": "3.16.1",
        "nvidia-cublas-cu12": "12.1.3.1",
        "nvidia-cuda-runtime-cu12": "12.1.105",
        "torch": "2.5.1+cu121",
    }
    assert _pins(tmp_path, "C1") == {"filelock": "3.16.1", "torch": "2.5.1+cpu"}
    assert _pins(tmp_path, "N1") == {
        "filelock": "3.16.1",
        "nvidia-cuda-runtime": "13.2.86",
        "nvidia-cudnn-cu13": "9.26.0.51",
        "torch": "2.5.1",
    }
    assert "/simple/torch/" in asked["cpu"] and "/simple/torch/" in asked["cu13"]
    # One release built for three targets is no divergence: its local tags differ by index. The cpu
    # index has no 2.6.0: the cu121 family takes the release the cpu family locked, not its newest.
    assert document["divergences"] == {}
    assert code == 1
    [error] = _errors(err)
    assert error.startswith(
        "error: CUDA mismatch in family cuda13: its CUDA is 12.3 (guessed from nvidia/cuda:12.3.2-runtime-ubuntu22.04; "
        "declare it with families.cuda13.cuda) but its agents lock CUDA 13.2 wheels (nvidia-cuda-runtime==13.2.86, "
        "nvidia-cudnn-cu13==9.26.0.51), which need another driver; " + FIX
    )
    assert [c["family"] for c in document["cuda"]] == ["cuda13"]
    # The local version is in the pins, the hashes and pylock.toml: the wheel's own sha256, its file name.
    wheel = next((tmp_path / "indexes" / "cu121" / "files").glob("torch-2.5.1+cu121-*.whl"))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock = (tmp_path / "locks" / "G1" / "requirements.lock").read_text(encoding="utf-8")
    assert f"torch==2.5.1+cu121 \\\n    --hash=sha256:{digest}" in lock
    pylock = tomllib.loads((tmp_path / "locks" / "G1" / "pylock.toml").read_text(encoding="utf-8"))
    [torch] = [p for p in pylock["packages"] if p["name"] == "torch"]
    assert torch["version"] == "2.5.1+cu121"
    assert [w["hashes"]["sha256"] for w in torch["wheels"]] == [digest]
    assert torch["wheels"][0]["name"] == wheel.name
    assert installed == ["filelock", "nvidia_cublas_cu12", "nvidia_cuda_runtime_cu12", "torch"]


def _pip_install(root: Path, lock: Path, index: str) -> list[str]:
    """pip installs the lock, hash-checked, from the index: the local version tag is valid to pip too."""
    target = root / "installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--require-hashes", "--disable-pip-version-check"]
    command += ["--index-url", index, "--target", str(target), "--platform", "manylinux_2_28_x86_64"]
    command += ["--python-version", "3.11", "--only-binary=:all:", "-r", str(lock)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return sorted(path.name for path in target.iterdir() if not path.name.endswith(".dist-info"))


def test_plan_and_check_fail_on_the_mismatch_and_the_acknowledging_key_makes_it_a_warning(tmp_path: Path) -> None:
    with _indexes(tmp_path / "indexes") as indexes:
        config = _write(tmp_path, indexes)
        assert _run(config, "lock", "--all")[0] == 1
        code, _, err = _run(config, "plan")
        assert code == 1
        [error] = _errors(err)
        assert error.startswith("error: CUDA mismatch in family cuda13: its CUDA is 12.3") and FIX in error
        plan = json.loads((tmp_path / "locks" / "plan.json").read_text(encoding="utf-8"))
        assert plan["cuda"]["cuda"]["status"] == "ok"
        assert plan["cuda"]["cuda13"]["status"] == "mismatch"
        assert plan["cuda"]["cuda13"]["disagreeing"] == ["nvidia-cuda-runtime==13.2.86", "nvidia-cudnn-cu13==9.26.0.51"]
        # the CPU family's agents lock torch's CPU build and no GPU library: no GPU error
        assert [problem.split(":")[0] for problem in plan["problems"]] == ["CUDA mismatch in family cuda13"]
        code, out, err = _run(config, "check")
        assert code == 1
        assert "all generated files are current" in out  # nothing is stale: the CUDA is what fails
        assert [line.split(":")[1] for line in _errors(err)] == [" CUDA mismatch in family cuda13"]

        config = _write(tmp_path, indexes, accept=True)
        code, _, err = _run(config, "lock", "--all")
        assert code == 0, err  # the acknowledgement is no input of the locks: they stay as they are
        assert _errors(err) == []
        [warning] = [w for w in _errors(err, "warning") if "CUDA mismatch" in w]
        assert warning.endswith(
            f"which need another driver; accepted by families.cuda13.accept_cuda_mismatch: {REASON}"
        )
        assert _run(config, "plan")[0] == 0
        code, out, err = _run(config, "check")
    plan = json.loads((tmp_path / "locks" / "plan.json").read_text(encoding="utf-8"))
    assert plan["cuda"]["cuda13"]["status"] == "accepted"
    assert plan["cuda"]["cuda13"]["accepted"] == REASON
    assert plan["problems"] == []
    assert code == 0, out + err
