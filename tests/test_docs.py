"""Every depmin command shown in the README and docs/ runs, on a copy of the example tree.

Commands in ```sh blocks must exit 0; in ```console blocks the output shown must be what depmin
prints, except where it names times or counts that depend on the run (those only must exit 0).
`depmin wheelhouse` downloads wheels and is left to the lock integration tests.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.auditing.osv_server import osv_service
from tests.conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SKIP = ("depmin wheelhouse",)  # downloads: covered by tests/locking/test_lock_integration.py
EXACT = {("README.md", "depmin why NLUAgent zmq")}  # outputs that must match to the letter


def _commands() -> list[tuple[str, str, list[str]]]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for kind, body in re.findall(r"```(sh|console)\n(.*?)```", text, re.S):
            lines = body.splitlines()
            for index, line in enumerate(lines):
                command = line.strip().removeprefix("$ ")
                if kind == "console" and not line.startswith("$ "):
                    continue
                if command.startswith("depmin ") and not command.startswith(SKIP):
                    output = []
                    for rest in lines[index + 1 :]:
                        if rest.startswith("$ ") or kind == "sh":
                            break
                        output.append(rest)
                    found.append((doc.name, command.split("  #")[0].strip(), output))
    return found


COMMANDS = _commands()


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    for name in ("examples", "locks", "dockerfiles"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", ".depmin.lock"))
    for name in ("agents.toml", ".dockerignore"):  # the build context root's ignore file is generated too
        shutil.copy(REPO / name, root / name)
    return root


def test_the_docs_show_commands() -> None:
    shown = {command.split()[1] for _, command, _ in COMMANDS}
    assert {"scan", "why", "generate", "lock", "plan", "dockerfiles", "check", "fleet", "needs"} <= shown


@pytest.mark.integration
@pytest.mark.parametrize(("doc", "command", "output"), COMMANDS, ids=[f"{d}:{c}" for d, c, _ in COMMANDS])
def test_documented_command_runs(example: Path, doc: str, command: str, output: list[str]) -> None:
    env = {**os.environ, "DEPMIN_CACHE_DIR": str(example / ".cache")}
    argv = [sys.executable, "-m", "depmin", *shlex.split(command)[1:]]
    if command.startswith("depmin audit"):  # the network is not the test's: a local OSV service, no advisories
        with osv_service([]) as (url, log):
            run = subprocess.run(
                [*argv, "--url", url], cwd=example, env=env, capture_output=True, text=True, check=False
            )
        assert log, "the audit asked the service nothing"
    else:
        run = subprocess.run(argv, cwd=example, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, f"{doc}: `{command}` exited {run.returncode}: {run.stderr}"
    if (doc, command) in EXACT:
        assert run.stdout.splitlines() == output


def test_every_json_schema_is_documented() -> None:
    """Each `schema` name the CLI prints is in docs/json.md."""
    cli = "".join(path.read_text(encoding="utf-8") for path in sorted((REPO / "depmin").rglob("*.py")))
    printed = set(re.findall(r'"schema": "(depmin\.[a-z-]+/\d+)"', cli)) | set(
        re.findall(r'"schema":"(depmin\.[a-z-]+/\d+)"', cli)
    )
    documented = (REPO / "docs" / "json.md").read_text(encoding="utf-8")
    assert printed
    assert sorted(name for name in printed if name not in documented) == []
