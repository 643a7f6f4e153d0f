"""The pre-commit hook, run by the real pre-commit package against a throwaway git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.integration

FLEET = """\
[project]
root = "."

[machines.Box]

[families.cpu]
from = "python:3.11-slim-bookworm"

[agents.Worker]
entrypoint = "worker/main.py"
machines = ["Box"]
family = "cpu"
ports = [9000]
"""


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    work = tmp_path / "project"
    (work / "worker").mkdir(parents=True)
    (work / "agents.toml").write_text(FLEET)
    (work / "worker" / "main.py").write_text("import zmq\n")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
        "DEPMIN_CACHE_DIR": str(tmp_path / "depmin-cache"),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    assert _run([sys.executable, "-m", "depmin", "generate"], work, env).returncode == 0
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "init"]):
        assert _run(cmd, work, env).returncode == 0
    return work, env


def _try_repo(work: Path, env: dict[str, str], hook: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), hook, "--all-files"], work, env)


@pytest.mark.slow
def test_hook_fails_on_a_new_import_and_passes_after_generate(project: tuple[Path, dict[str, str]]) -> None:
    work, env = project
    first = _try_repo(work, env, "depmin-check")
    assert first.returncode == 0, first.stdout + first.stderr

    (work / "worker" / "main.py").write_text("import zmq\nimport yaml\n")
    stale = _try_repo(work, env, "depmin-check")
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert (
        "stale: locks/Worker/requirements.generated.txt: +pyyaml; run `depmin generate --agent Worker`" in stale.stdout
    )

    fixed = _try_repo(work, env, "depmin-generate")  # rewrites the file: pre-commit reports the change
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr
    assert "pyyaml" in (work / "locks" / "Worker" / "requirements.generated.txt").read_text()
    again = _try_repo(work, env, "depmin-check")
    assert again.returncode == 0, again.stdout + again.stderr
