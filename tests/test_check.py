"""depmin check on the committed example tree: current now, stale (with the right command) after edits."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

import depmin
from depmin.cli.entry import main
from tests.conftest import REPO


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the committed example: agents.toml, the sources, locks/, dockerfiles/ and .dockerignore."""
    for name in ("examples", "locks", "dockerfiles"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", ".depmin.lock"))
    shutil.copy(REPO / "agents.toml", tmp_path / "agents.toml")
    shutil.copy(REPO / ".dockerignore", tmp_path / ".dockerignore")  # generated at the build context's root
    return tmp_path / "agents.toml"


def test_committed_tree_is_current(example: Path) -> None:
    out = io.StringIO()
    assert main(["--config", str(example), "check", "--no-cache"], out=out) == 0, out.getvalue()
    assert out.getvalue() == "all generated files are current\n"


def test_new_import_makes_requirements_and_lock_stale_not_yet_the_plan(example: Path) -> None:
    """The plan is made from the locks, which the edit leaves as they are: until `depmin lock` runs,
    the plan (plan.json, plan.md, the family locks) and the Dockerfiles are current."""
    entry = example.parent / "examples" / "ai_system" / "pc2_code" / "agents" / "tiered_responder.py"
    entry.write_text(entry.read_text() + "\nimport xmltodict\n")
    stale = {
        str(s.path.relative_to(example.parent)): s for s in depmin.check(depmin.load_fleet(example), use_cache=False)
    }
    assert sorted(stale) == [
        "locks/TieredResponder/requirements.generated.txt",
        "locks/TieredResponder/requirements.lock",
    ]
    assert stale["locks/TieredResponder/requirements.generated.txt"].reason == "+xmltodict"
    assert (
        stale["locks/TieredResponder/requirements.generated.txt"].command == "depmin generate --agent TieredResponder"
    )
    assert stale["locks/TieredResponder/requirements.lock"].reason == "inputs changed"
    assert stale["locks/TieredResponder/requirements.lock"].command == "depmin lock --agent TieredResponder"


def test_a_new_submodule_of_a_locked_import_makes_only_the_lock_stale(example: Path) -> None:
    """`import zmq.asyncio` beside `import zmq`: the same requirement and [mapping] key, but a module the
    lock has not verified in the locked pyzmq."""
    entry = example.parent / "examples" / "ai_system" / "pc2_code" / "agents" / "tiered_responder.py"
    entry.write_text(entry.read_text() + "\nimport zmq.asyncio\n")
    stale = depmin.check(depmin.load_fleet(example), use_cache=False)
    assert [(str(s.path.relative_to(example.parent)), s.reason, s.command) for s in stale] == [
        ("locks/TieredResponder/requirements.lock", "inputs changed", "depmin lock --agent TieredResponder")
    ]


def test_machine_setting_makes_dockerfiles_stale(example: Path) -> None:
    text = example.read_text().replace('OMP_NUM_THREADS = "2"', 'OMP_NUM_THREADS = "3"')
    example.write_text(text)
    stale = depmin.check(depmin.load_fleet(example), use_cache=False)
    paths = {str(s.path.relative_to(example.parent)) for s in stale}
    assert "dockerfiles/agents/TieredResponder.Dockerfile" in paths
    assert "dockerfiles/compose/PC2.yaml" in paths
    assert "dockerfiles/compose/MainPC.yaml" not in paths
    assert {s.command for s in stale} == {"depmin dockerfiles"}


def test_hand_edit_of_a_family_lock_is_caught(example: Path) -> None:
    lock = example.parent / "locks" / "_families" / "cpu" / "requirements.lock"
    lock.write_text(lock.read_text() + "extra==1.0\n")
    [stale] = depmin.check(depmin.load_fleet(example), use_cache=False)
    assert stale.path == lock
    assert stale.reason == "-extra==1.0"
    assert stale.command == "depmin plan"
