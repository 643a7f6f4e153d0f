"""`depmin lock` and `depmin wheelhouse` with the real uv and pip-compile, against a local
wheelhouse of tiny real wheels (tests/wheelhouse.py), never the network: every run is --offline
with an empty uv cache, and proxies point at a closed local port so nothing can leave the machine.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from depmin.locking import files as _pylock
from depmin.locking.engine import parse_existing
from tests.offline import run, seal, write_fleet
from tests.wheelhouse import build_simple_index, build_wheelhouse

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.integration

FLEET = """\
[project]
root = "repo"
python = "3.11"
platform = "{platform}"
{constraints}

[mapping]
widget = "py-widget"
alpha = "alpha"
beta = "beta"
gamma = "gamma"
torchish = "torchish"

[machines.M]

[families.cpu]
from = "python:3.11-slim"
find_links = ["wheels"]

[families.legacy]
extends = "cpu"

[families.gpu]
from = "nvidia/cuda:12.3.2-runtime-ubuntu22.04"
indexes = ["{cuda_index}"]
find_links = ["wheels"]
"""

SOURCES = {
    "A": ("cpu", "import alpha\nimport widget.parts\n"),
    "B": ("cpu", "import alpha\n"),
    "G": ("gpu", "import torchish\nimport alpha\n"),
}


def make_fleet(
    root: Path,
    agents: dict[str, tuple[str, str]] | None = None,
    *,
    extra: dict[str, str] | None = None,
    platform: str = "x86_64-manylinux_2_28",
    constraints: str | None = None,
) -> Path:
    build_wheelhouse(root / "wheels")
    header = FLEET.format(
        platform=platform,
        cuda_index=build_simple_index(root / "index-cu121"),
        constraints='constraints = "constraints.txt"' if constraints is not None else "",
    )
    if constraints is not None:
        (root / "constraints.txt").write_text(constraints)
    return write_fleet(root, header, agents or SOURCES, extra=extra)


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seal(monkeypatch, tmp_path)


def lock_json(config: Path, *args: str) -> tuple[int, dict[str, object]]:
    code, out, err = run(config, "lock", "--offline", "--format", "json", *args)
    assert out, err
    return code, json.loads(out)


def states(document: dict[str, object]) -> dict[str, str]:
    return {a["agent"]: a["state"] for a in document["agents"]}  # type: ignore[index, union-attr]


def body(path: Path) -> str:
    return "".join(line for line in path.read_text().splitlines(keepends=True) if not line.startswith("#"))


def pins(path: Path) -> dict[str, str]:
    return {p.name: str(p.version) for p in _pylock.parse_requirements(path.read_text())}


def _clean_pip_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


@pytest.mark.skipif(
    sys.platform != "linux" or platform.machine() != "x86_64", reason="installs the manylinux x86_64 wheel"
)
def test_uv_lock_installs_with_require_hashes_and_imports(tmp_path: Path) -> None:
    config = make_fleet(tmp_path)
    code, document = lock_json(config, "--all")
    assert code == 0, document
    assert states(document) == {"A": "locked", "B": "locked", "G": "locked"}
    lock = tmp_path / "locks" / "A" / "requirements.lock"
    assert pins(lock) == {"alpha": "1.0", "beta": "2.0", "gamma": "1.0", "py-widget": "1.0"}
    text = lock.read_text()
    assert "# inputs: sha256=" in text and "--hash=sha256:" in text
    assert "macosx" not in (tmp_path / "locks" / "A" / "pylock.toml").read_text()  # the target's wheel only
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--require-hashes", "--no-deps", "--no-index"]
    install += ["--find-links", str(tmp_path / "wheels"), "-r", str(lock)]
    subprocess.run(install, check=True, env=_clean_pip_env(), capture_output=True)
    done = subprocess.run(
        [str(python), "-c", "import alpha, beta, gamma, widget.parts; print(widget.parts.PARTS)"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == "3"


def test_pip_tools_backend_writes_the_same_locks(tmp_path: Path) -> None:
    config = make_fleet(tmp_path)
    assert lock_json(config, "--all")[0] == 0
    uv_locks = {
        p: body(p)
        for p in sorted((tmp_path / "locks").glob("*/*.lock")) + sorted((tmp_path / "locks").glob("*/pylock.toml"))
    }
    code, document = lock_json(config, "--all", "--backend", "pip-tools")
    assert code == 0, document
    assert set(states(document).values()) == {"locked"}  # the backend is an input
    assert {p: body(p) for p in uv_locks} == uv_locks
    assert "backend: pip-tools" in (tmp_path / "locks" / "A" / "requirements.lock").read_text()


def test_fleet_consistency_and_cuda_variant(tmp_path: Path) -> None:
    config = make_fleet(tmp_path)
    lock_json(config, "--all")
    locks = tmp_path / "locks"
    assert pins(locks / "A" / "requirements.lock")["beta"] == pins(locks / "B" / "requirements.lock")["beta"]
    gpu = pins(locks / "G" / "requirements.lock")
    assert gpu["torchish"] == "2.0.0+cu121"  # the family's index wins: its local version
    assert pins(locks / "A" / "requirements.lock").keys().isdisjoint({"torchish"})
    assert gpu["beta"] == pins(locks / "A" / "requirements.lock")["beta"]  # aligned across index sets


def test_conflict_names_agents_and_requirements_then_falls_back_per_family(tmp_path: Path) -> None:
    agents = {**SOURCES, "D": ("legacy", "import os\n"), "E": ("cpu", "import os\n")}
    extra = {"D": 'extra_requirements = ["delta"]', "E": 'extra_requirements = ["beta>=2"]'}
    config = make_fleet(tmp_path, agents, extra=extra)
    code, document = lock_json(config, "--all")
    assert code == 1  # divergent versions are a finding
    (conflict,) = document["conflicts"]  # type: ignore[misc]
    assert conflict["requirements"] == {"beta>=2": ["E"], "delta": ["D"]}
    assert "beta<2" in conflict["explanation"]
    assert set(states(document).values()) == {"locked"}
    # G (the gpu family's index: a target of its own) resolves after the cpu target and prefers its
    # pins; legacy's are taken after cpu's (families go by name), so G gets legacy's beta 1.0.
    assert document["divergences"] == {"beta": {"1.0": ["D", "G"], "2.0": ["A", "B", "E"]}}
    assert "pins: family legacy" in (tmp_path / "locks" / "D" / "requirements.lock").read_text()
    code, out, _ = run(config, "lock", "--offline", "--all", "--allow-divergence")
    assert code == 0 and "divergent: beta" in out


def test_lock_warns_about_guessed_distributions_as_generate_does(tmp_path: Path) -> None:
    config = make_fleet(tmp_path, {"B": ("cpu", "import alpha\n")})
    config.write_text(config.read_text().replace('alpha = "alpha"\n', ""))  # alpha is now a guess
    code, _, generated = run(config, "generate")
    assert code == 0 and "alpha -> alpha" in generated and generated.startswith("warning: ")
    code, _, locked = run(config, "lock", "--offline", "--agent", "B")
    assert code == 0 and pins(tmp_path / "locks" / "B" / "requirements.lock") == {"alpha": "1.0", "beta": "2.0"}
    assert [line for line in locked.splitlines() if line.startswith("warning: ")] == generated.splitlines()


def test_changing_one_agent_makes_exactly_that_lock_stale(tmp_path: Path) -> None:
    config = make_fleet(tmp_path)
    lock_json(config, "--all")
    before = {p: p.read_text() for p in (tmp_path / "locks").glob("[AG]/*")}
    (tmp_path / "repo" / "agents" / "b.py").write_text("import alpha\nimport gamma\n")
    code, out, _ = run(config, "lock", "--check", "--all")
    assert code == 1 and out.splitlines()[0].startswith("stale: B: inputs changed") and "3 locks: 1 stale" in out
    code, document = lock_json(config, "--all")
    assert code == 0 and states(document) == {"A": "fresh", "B": "locked", "G": "fresh"}
    assert {p: p.read_text() for p in before} == before
    assert "gamma" in pins(tmp_path / "locks" / "B" / "requirements.lock")
    started = time.perf_counter()
    code, out, _ = run(config, "lock", "--all", "--offline")
    assert code == 0 and "re-resolved" not in out
    assert time.perf_counter() - started < 1.0


def test_cross_target_lock_for_macos_arm64(tmp_path: Path) -> None:
    config = make_fleet(tmp_path, {"A": ("cpu", "import widget\n")}, platform="aarch64-apple-darwin")
    assert lock_json(config, "--all")[0] == 0
    pylock = (tmp_path / "locks" / "A" / "pylock.toml").read_text()
    assert "gamma-1.0-py3-none-macosx_11_0_arm64.whl" in pylock and "manylinux" not in pylock
    assert 'sys_platform == \\"darwin\\"' in pylock


def test_an_import_no_locked_wheel_provides_is_an_error(tmp_path: Path) -> None:
    config = make_fleet(tmp_path, {"A": ("cpu", "import widget\n")})
    config.write_text(config.read_text().replace('widget = "py-widget"', 'widget = "alpha"'))
    code, _, err = run(config, "lock", "--offline", "--all")
    assert code == 1
    assert "import widget is not provided by any locked distribution" in err
    assert "alpha [mapping]" in err and '[mapping] widget = "<distribution>"' in err
    assert not (tmp_path / "locks" / "A" / "requirements.lock").exists()


def test_unhashable_requirement_is_an_error(tmp_path: Path) -> None:
    extra = {"A": 'extra_requirements = ["beta @ git+https://example.invalid/beta.git"]'}
    config = make_fleet(tmp_path, {"A": ("cpu", "import alpha\n")}, extra=extra)
    code, _, err = run(config, "lock", "--offline", "--all")
    # Refused at load (agents.toml's check) before the engine's own (test_lock.py): one located line.
    assert code == 2 and err.count("\n") == 1
    assert "agents.A.extra_requirements" in err and "wheelhouse" in err


def test_unreachable_index_is_one_line_suggesting_offline(tmp_path: Path) -> None:
    config = make_fleet(tmp_path, {"A": ("cpu", "import alpha\n")})
    code, _, err = run(config, "lock", "--all")  # not offline: the (proxied, closed) default index
    assert code == 3
    assert err.count("\n") == 1 and "cannot reach the package index" in err and "--offline" in err


def test_wheelhouse_copies_and_verifies_every_locked_file(tmp_path: Path) -> None:
    config = make_fleet(tmp_path)
    lock_json(config, "--all")
    code, out, err = run(config, "wheelhouse", "--family", "cpu", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    house = Path(document["directory"])
    assert house.parent == tmp_path / "wheelhouse" and house.name.startswith("cpu-")
    assert sorted(document["files"]) == [
        "alpha-1.0-py3-none-any.whl",
        "beta-2.0-py3-none-any.whl",
        "gamma-1.0-py3-none-manylinux_2_28_x86_64.whl",
        "py_widget-1.0-py3-none-any.whl",
    ]
    assert document["problems"] == [] and document["unverified_imports"] == []
    code, out, _ = run(config, "wheelhouse", "--family", "cpu", "--format", "json")
    assert json.loads(out)["fetched"] == []  # already there, hashes checked


def _lock_files(locks: Path) -> list[Path]:
    return sorted([*locks.glob("*/requirements.lock"), *locks.glob("*/pylock.toml")])


def _digest(path: Path) -> str | None:
    text = path.read_text()
    if path.name == "pylock.toml":
        return parse_existing(None, text).pylock_digest
    return parse_existing(text, None).digest


def _assert_whole(locks: Path, digests: set[str | None]) -> None:
    for path in _lock_files(locks):
        text = path.read_text()
        assert text.endswith("\n"), path
        assert _digest(path) in digests, path
        if path.name == "pylock.toml":
            tomllib.loads(text)
        else:
            assert all(pin.hashes for pin in _pylock.parse_requirements(text)), path


@pytest.mark.slow
def test_sigkill_during_lock_all_leaves_no_torn_file(tmp_path: Path) -> None:
    agents = {
        f"Agent{i:02}": ("cpu" if i % 3 else "gpu", SOURCES["A"][1] if i % 2 else "import alpha\n") for i in range(24)
    }
    config = make_fleet(tmp_path, agents, constraints="")
    command = [sys.executable, "-m", "depmin", "--config", str(config), "lock", "--all", "--offline"]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    whole = time.perf_counter() - started  # kill at fractions of a whole run: before, during, near the end
    locks = tmp_path / "locks"
    old = {_digest(p) for p in _lock_files(locks)}
    (tmp_path / "constraints.txt").write_text("beta<2\n")  # every lock changes
    seen_new = False
    for fraction in (0.3, 0.5, 0.7, 0.85, 0.95):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(whole * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        digests = {_digest(p) for p in _lock_files(locks)} - old
        seen_new = seen_new or bool(digests)
        _assert_whole(locks, old | digests)
    assert seen_new, "no kill landed after the first new lock was written"
    subprocess.run(command, check=True, capture_output=True)
    final = {_digest(p) for p in _lock_files(locks)}
    _assert_whole(locks, final)
    assert final.isdisjoint(old)
    assert all(pins(p)["beta"] == "1.0" for p in locks.glob("*/requirements.lock"))


@pytest.mark.slow
def test_two_concurrent_runs_do_not_corrupt_each_other(tmp_path: Path) -> None:
    agents = {f"Agent{i:02}": ("cpu", "import alpha\nimport widget\n") for i in range(12)}
    config = make_fleet(tmp_path, agents)
    command = [sys.executable, "-m", "depmin", "--config", str(config), "lock", "--all", "--offline"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert first.wait() == 0 and second.wait() == 0
    outputs = [first.communicate()[0].decode(), second.communicate()[0].decode()]
    assert sum("re-resolved 12" in out for out in outputs) == 1  # the second run found them current
    digests = {_digest(p) for p in _lock_files(tmp_path / "locks")}
    _assert_whole(tmp_path / "locks", digests)
    assert not list((tmp_path / "locks").rglob("*.tmp"))
    shutil.rmtree(tmp_path / "locks")
