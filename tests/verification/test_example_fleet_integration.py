"""`depmin verify --skip-heavy` on the example fleet's committed locks: the CI gate the docs describe.

Every agent's locks are installed (hash-checked, from the package index) into cached environments
shared between identical locks, and every required and lazy module its scan found is imported.
GPU agents leave out depmin's ``gpu`` stack (torch and the CUDA wheels, several GB) and say which
modules were therefore not imported. FaceRecognitionAgent is left out: dlib has no wheel, and pip
would compile it on this machine (a quarter of an hour on two cores); its image compiles it in the
build-wheels stage instead. The audio agents import sounddevice, which needs the host's
libportaudio2 (tests/run.sh installs it, as the cpu image does).

Cold (empty cache) it takes about ten minutes, mostly downloads; warm about a minute. The cache is
``verify-fleet/`` in the test cache directory of tests/buildenv.py, kept between runs.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from tests import buildenv
from tests.conftest import EXAMPLE_CONFIG, REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        sys.platform != "linux" or platform.machine() != "x86_64" or sys.version_info[:2] != (3, 11),
        reason="the example's locks are for CPython 3.11 on x86_64 Linux",
    ),
]

LEFT_OUT = "FaceRecognitionAgent"


def test_every_agent_of_the_example_fleet_verifies_with_the_gpu_stack_skipped() -> None:
    fleet = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    agents = [name for name in fleet["agents"] if name != LEFT_OUT]
    argv = [sys.executable, "-m", "depmin", "--config", str(EXAMPLE_CONFIG), "verify", "--skip-heavy"]
    argv += [word for name in agents for word in ("--agent", name)] + ["--format", "json"]
    env = {**os.environ, "DEPMIN_CACHE_DIR": str(buildenv.cache_dir() / "verify-fleet")}
    with buildenv.timed("verify the example fleet"):
        done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=env, check=False, timeout=3600)
    assert done.stdout, done.stderr
    results = {agent["agent"]: agent for agent in json.loads(done.stdout)["agents"]}
    failed = {name: (a["failures"], a["install_error"], a["pip_check"]) for name, a in results.items() if not a["ok"]}
    assert failed == {}, done.stderr[-4000:]
    assert done.returncode == 0
    families = {name: fleet["agents"][name]["family"] for name in agents}
    for name, agent in results.items():
        gpu = _has_gpu(fleet["families"], families[name])
        if not gpu:
            assert agent["heavy_skipped"] == [] and agent["unchecked"] == [], name
        if agent["heavy_skipped"]:
            assert gpu, f"{name} is not a GPU agent but had {agent['heavy_skipped']} skipped"
            assert any(pin.startswith("torch==") for pin in agent["heavy_skipped"])
            assert "torch" in agent["unchecked"] or not any(m == "torch" for m in agent["modules"])
    assert sum(len(agent["modules"]) for agent in results.values()) > 300  # the imports were really tried


def _has_gpu(families: dict[str, dict[str, object]], name: str | None) -> bool:
    while name is not None:
        if families[name].get("gpu"):
            return True
        extends = families[name].get("extends")
        name = extends if isinstance(extends, str) else None
    return False
