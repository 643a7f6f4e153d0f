"""depmin check on the committed example tree: current now, stale (with the right command) after edits."""

from __future__ import annotations

import io
import os
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


# The sums files (locks/plan.sha256, dockerfiles/tree.sha256): check trusts them, and only them.


def _no_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("planned although the sums files vouch for the plan and the tree")

    monkeypatch.setattr("depmin.layers.store.plan_layers", refuse)


def test_sums_files_vouch_for_plan_and_tree_without_planning(example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_planning(monkeypatch)
    assert depmin.check(depmin.load_fleet(example)) == ()
    with pytest.raises(AssertionError, match="planned although"):  # --no-cache renders everything again
        depmin.check(depmin.load_fleet(example), use_cache=False)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


PLAN_INPUTS = {
    "a lock pin": ("locks/NLUAgent/requirements.lock", "click==8.5.1 \\", "click==8.5.0 \\"),
    "a [layers] setting": ("agents.toml", "[families.cpu]\n", "[layers]\nmax_unused_mb = 0\n\n[families.cpu]\n"),
    "a family key": ("agents.toml", "[families.cpu]\n", '[families.cpu]\nnever = ["numpy"]\n'),
    "base_mb": ("agents.toml", "[families.cpu]\n", "[families.cpu]\nbase_mb = 125.5\n"),
    "installed-sizes.json": ("locks/installed-sizes.json", ": ", ": 1"),
}


@pytest.mark.parametrize("what", sorted(PLAN_INPUTS))
def test_each_plan_input_changes_the_digest_and_makes_the_plan_stale(example: Path, what: str) -> None:
    from depmin.layers.inputs import plan_inputs  # noqa: PLC0415
    from depmin.layout import Layout  # noqa: PLC0415

    layout = Layout.beside(example)
    before = plan_inputs(layout, depmin.load_fleet(example))
    rel, old, new = PLAN_INPUTS[what]
    _edit(example.parent / rel, old, new)
    fleet = depmin.load_fleet(example)
    assert plan_inputs(layout, fleet) != before
    stale = depmin.check(fleet)
    assert any(s.command == "depmin plan" for s in stale), stale


def test_keys_only_the_dockerfiles_read_leave_the_plan_vouched_for(example: Path) -> None:
    from depmin.dockerfiles import tree_inputs  # noqa: PLC0415
    from depmin.layers.inputs import plan_inputs  # noqa: PLC0415
    from depmin.layout import Layout  # noqa: PLC0415

    layout = Layout.beside(example)
    fleet = depmin.load_fleet(example)
    before = plan_inputs(layout, fleet), tree_inputs(layout, fleet, "p", {}, "r")
    _edit(example, 'tag = "cpu-py311"', 'tag = "cpu-py3"')
    fleet = depmin.load_fleet(example)
    after = plan_inputs(layout, fleet), tree_inputs(layout, fleet, "p", {}, "r")
    assert after[0] == before[0]
    assert after[1] != before[1]
    [stale] = {s.command for s in depmin.check(fleet)}
    assert stale == "depmin dockerfiles"


@pytest.mark.parametrize(
    ("rel", "old", "new"),
    [
        ("locks/plan.json", '"schema": "depmin.plan/1"', '"schema": "depmin.plan/2"'),
        ("locks/plan.md", "# Layer plan", "# Layer plan (edited)"),
        ("dockerfiles/agents/NLUAgent.Dockerfile", "FROM ", "# a comment\nFROM "),
    ],
)
def test_hand_edits_of_vouched_files_are_caught(example: Path, rel: str, old: str, new: str) -> None:
    _edit(example.parent / rel, old, new)
    stale = depmin.check(depmin.load_fleet(example))
    assert [str(s.path.relative_to(example.parent)) for s in stale] == [rel]


def test_a_sums_file_edited_or_missing_only_makes_check_render_again(example: Path) -> None:
    sums = example.parent / "locks" / "plan.sha256"
    _edit(sums, "inputs sha256:", "inputs sha256:0")
    (example.parent / "dockerfiles" / "tree.sha256").unlink()
    assert depmin.check(depmin.load_fleet(example)) == ()


def test_a_sums_file_that_lists_a_fifo_is_not_read(example: Path) -> None:
    """A committed sums file is data: a path it names that is no regular file makes check render again."""
    fifo = example.parent / "dockerfiles" / "pipe"
    os.mkfifo(fifo)
    sums = example.parent / "dockerfiles" / "tree.sha256"
    sums.write_text(sums.read_text(encoding="utf-8") + f"{'0' * 64}  pipe\n", encoding="utf-8")
    assert depmin.check(depmin.load_fleet(example)) == ()
