"""A hostile scanned tree neither hangs the scan, nor exhausts its memory, nor leads it out of the root.

FIFOs, a symlink to /dev/zero, directories of self-symlinks, symlinks out of the root, oversized files
and control characters in names: each is skipped and reported (an error of the agent whose closure
needs it, and ``FleetScan.skipped``), never silently dropped. The cases that would block or grow
without bound run the scan in a child process with a timeout and a memory limit, so a regression
fails instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from depmin import api
from depmin.scanning import Tree, source_files

CONFIG = """\
[project]
root = "repo"
max_file_mb = {mb}

[machines.Box]

[families.cpu]
from = "python:3.11-slim"

[agents.Main]
entrypoint = "app/main.py"
machines = ["Box"]
family = "cpu"
ports = [9000]

[agents.Side]
entrypoint = "app/side.py"
machines = ["Box"]
family = "cpu"
ports = [9001]
"""

# The scan in a child: what the parent asserts on, as JSON.
CHILD = """\
import json, sys
from depmin import api
fleet = api.load_fleet(sys.argv[1])
scan = api.scan(fleet, use_cache=False)
agents = {
    a.agent: {"errors": list(a.errors), "files": list(a.files), "third_party": [e.module for e in a.third_party]}
    for a in scan.agents
}
print(json.dumps({"agents": agents, "skipped": list(scan.skipped)}))
"""
TIMEOUT = 60
MEMORY = 4 << 30  # the scan of these trees needs far less; reading /dev/zero would need far more


def _fleet(tmp_path: Path, main: str, *, mb: float = 10.0) -> Path:
    """Two agents (so the whole tree is listed and checked as well as walked); Main's entrypoint is ``main``."""
    app = tmp_path / "repo" / "app"
    app.mkdir(parents=True)
    (app / "main.py").write_text(textwrap.dedent(main), encoding="utf-8")
    (app / "side.py").write_text("import helper\n", encoding="utf-8")
    (app / "helper.py").write_text("import redis\n", encoding="utf-8")
    config = tmp_path / "agents.toml"
    config.write_text(CONFIG.format(mb=mb), encoding="utf-8")
    return config


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _child(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEPMIN_CACHE_DIR": str(cwd / "cache")}
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_limit_memory,
        cwd=cwd,
        env=env,
        check=False,
    )


def _scan_in_child(config: Path) -> Any:
    run = _child([sys.executable, "-c", CHILD, str(config)], config.parent)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _depmin(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _child([sys.executable, "-m", "depmin", "--config", str(config), *args], config.parent)


FIFO_ERROR = (
    "app/main.py:2: imports app/piped.py, which is not read: a FIFO (named pipe), not a regular file; "
    "remove it or replace it with a regular file"
)


@pytest.mark.integration
def test_a_fifo_anywhere_under_the_root_is_reported_and_never_opened_blocking(tmp_path: Path) -> None:
    config = _fleet(tmp_path, "import zmq\nimport piped\nimport helper\n")
    os.mkfifo(tmp_path / "repo" / "app" / "piped.py")  # imported by Main
    (tmp_path / "repo" / "tools").mkdir()
    os.mkfifo(tmp_path / "repo" / "tools" / "stray.py")  # imported by nobody: only checked, never parsed
    result = _scan_in_child(config)
    assert result["agents"] == {
        "Main": {"errors": [FIFO_ERROR], "files": ["app/helper.py", "app/main.py"], "third_party": ["redis", "zmq"]},
        "Side": {"errors": [], "files": ["app/helper.py", "app/side.py"], "third_party": ["redis"]},
    }
    fifo = "skipped: a FIFO (named pipe), not a regular file; remove it or replace it with a regular file"
    assert result["skipped"] == [f"app/piped.py: {fifo}", f"tools/stray.py: {fifo}"]


@pytest.mark.integration
def test_a_fifo_does_not_hang_scan_generate_or_needs(tmp_path: Path) -> None:
    config = _fleet(tmp_path, "import zmq\nimport piped\nimport helper\n")
    os.mkfifo(tmp_path / "repo" / "app" / "piped.py")
    scan = _depmin(config, "scan", "--agent", "Main")
    assert scan.returncode == 1, scan.stderr
    assert f"  error: {FIFO_ERROR}\n" in scan.stdout
    generate = _depmin(config, "generate")
    assert generate.returncode == 1, generate.stderr
    written = (tmp_path / "locks" / "Main" / "requirements.generated.txt").read_text(encoding="utf-8")
    assert [line.split()[0] for line in written.splitlines() if line and not line.startswith("#")] == ["pyzmq", "redis"]
    needs = _depmin(config, "needs", "--agent", "Main")
    assert needs.returncode == 0, needs.stderr


@pytest.mark.integration
def test_a_symlink_to_dev_zero_is_not_read(tmp_path: Path) -> None:
    config = _fleet(tmp_path, "import zmq\nimport zero\n")
    (tmp_path / "repo" / "app" / "zero.py").symlink_to("/dev/zero")
    result = _scan_in_child(config)
    why = (
        "it resolves to /dev/zero, outside the project root; copy what it points to into the project, "
        "or remove the symlink"
    )
    assert result["agents"]["Main"] == {
        "errors": [f"app/main.py:2: imports app/zero.py, which is not read: {why}"],
        "files": ["app/main.py"],
        "third_party": ["zmq"],
    }
    assert result["skipped"] == [f"app/zero.py: skipped: {why}"]


@pytest.mark.integration
def test_directories_of_self_symlinks_are_walked_once_and_reported(tmp_path: Path) -> None:
    """Each of these links multiplies the paths a naive walk takes; the walk enters each directory once."""
    config = _fleet(tmp_path, "import zmq\n")
    data = tmp_path / "repo" / "data"  # no Python file anywhere: every path below is explored
    (data / "a" / "b").mkdir(parents=True)
    for name in ("l1", "l2", "l3", "l4"):
        (data / name).symlink_to(".")
    (data / "a" / "loop").symlink_to(".")
    (data / "a" / "b" / "loop").symlink_to("..")
    (data / "a" / "b" / "top").symlink_to("../..")
    result = _scan_in_child(config)
    assert result["agents"]["Main"]["third_party"] == ["zmq"]
    links = ["a/b/loop", "a/b/top", "a/loop", "l1", "l2", "l3", "l4"]
    assert result["skipped"] == [f"data/{link}: skipped: a symlink loop; remove the symlink" for link in links]


def test_symlinks_out_of_the_root_are_not_followed(tmp_path: Path) -> None:
    config = _fleet(tmp_path, "import zmq\nimport secret\nimport vendor\n")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "pkg").mkdir(parents=True)
    (elsewhere / "secret.py").write_text("import leaked_from_a_file\n", encoding="utf-8")
    (elsewhere / "pkg" / "__init__.py").write_text("import leaked_from_a_package\n", encoding="utf-8")
    app = tmp_path / "repo" / "app"
    (app / "secret.py").symlink_to(elsewhere / "secret.py")
    (app / "vendor").symlink_to(elsewhere / "pkg")
    scan = api.scan(api.load_fleet(config), use_cache=False)
    fix = "copy what it points to into the project, or remove the symlink"
    file_why = f"it resolves to {elsewhere / 'secret.py'}, outside the project root; {fix}"
    dir_why = f"it resolves to {elsewhere / 'pkg'}, outside the project root; {fix}"
    main = scan.agent("Main")
    assert main.errors == (
        f"app/main.py:2: imports app/secret.py, which is not read: {file_why}",
        f"app/main.py:3: imports app/vendor, which is not read: {dir_why}",
    )
    assert main.files == ("app/main.py",)
    assert [e.module for e in main.third_party] == ["zmq"]
    assert scan.skipped == (f"app/secret.py: skipped: {file_why}", f"app/vendor: skipped: {dir_why}")


def test_a_file_over_max_file_mb_is_skipped_and_one_at_the_cap_is_read(tmp_path: Path) -> None:
    config = _fleet(tmp_path, "import zmq\nimport big\nimport fits\n", mb=0.001)  # 1000 bytes
    app = tmp_path / "repo" / "app"
    (app / "big.py").write_text("import leaked\n" + "#" * 1000 + "\n", encoding="utf-8")
    (app / "fits.py").write_text("import yaml\n" + "#" * (1000 - 13) + "\n", encoding="utf-8")
    assert (app / "fits.py").stat().st_size == 1000
    scan = api.scan(api.load_fleet(config), use_cache=False)
    why = "1,015 bytes, over project.max_file_mb = 0.001; raise project.max_file_mb in agents.toml, or make the file smaller"
    main = scan.agent("Main")
    assert main.errors == (f"app/main.py:2: imports app/big.py, which is not read: {why}",)
    assert main.files == ("app/fits.py", "app/main.py")
    assert [e.module for e in main.third_party] == ["yaml", "zmq"]
    assert scan.skipped == (f"app/big.py: skipped: {why}",)


def test_a_file_whose_path_holds_a_control_character_is_reported_not_walked(tmp_path: Path) -> None:
    main = """\
    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib\\n--extra-index-url https:"))
    import mod
    """
    config = _fleet(tmp_path, main)
    hostile = tmp_path / "repo" / "app" / "lib\n--extra-index-url https:"
    hostile.mkdir()
    (hostile / "mod.py").write_text("import leaked\n", encoding="utf-8")
    (tmp_path / "repo" / "app" / "odd\x1b.py").write_text("import leaked_too\n", encoding="utf-8")
    scan = api.scan(api.load_fleet(config), use_cache=False)
    why = "its path holds a control character; rename it"
    shown = "app/lib\\n--extra-index-url https:"
    assert scan.agent("Main").errors == (f"app/main.py:3: imports {shown}/mod.py, which is not read: {why}",)
    assert scan.agent("Main").files == ("app/main.py",)
    assert [e.module for a in scan.agents for e in a.third_party] == ["redis"]
    assert scan.skipped == (f"{shown}: skipped: {why}", f"app/odd\\x1b.py: skipped: {why}")


def test_source_files_lists_without_entering_symlinked_directories(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("", encoding="utf-8")
    (tmp_path / "again").symlink_to("pkg")  # inside the root: listed where it really is
    (tmp_path / "out").symlink_to("/usr")
    listed = source_files(Tree.at(tmp_path))
    assert listed.files == (tmp_path / "pkg" / "a.py",)
    usr = os.path.realpath("/usr")
    why = f"it resolves to {usr}, outside the project root; copy what it points to into the project, or remove the symlink"
    assert listed.skipped == (f"out: skipped: {why}",)


# The needs evidence reads the closure's files again: through the same tree, even when handed a scan
# that lists a FIFO and a file over the cap (here by replacing the scan's files).
CHILD_NEEDS = """\
import dataclasses, sys
from depmin import api
from depmin.requirements.fleetwide import fleet_needs
fleet = api.load_fleet(sys.argv[1])
scan = api.scan(fleet, ["Main"], use_cache=False)
main = dataclasses.replace(scan.agents[0], files=("app/big.py", "app/main.py", "app/piped.py"))
report = fleet_needs(fleet, [main], api.generate(fleet, scan))[0]
print(sorted(report.inferred))
"""


@pytest.mark.integration
def test_needs_evidence_reads_only_what_the_tree_reads(tmp_path: Path) -> None:
    config = _fleet(tmp_path, "import zmq\n", mb=0.001)
    app = tmp_path / "repo" / "app"
    os.mkfifo(app / "piped.py")
    (app / "big.py").write_text('x.to("cuda")\n' + "#" * 1000 + "\n", encoding="utf-8")  # read, it says gpu
    run = _child([sys.executable, "-c", CHILD_NEEDS, str(config)], tmp_path)
    assert (run.returncode, run.stdout) == (0, "[]\n"), run.stderr


def test_a_sys_path_edit_out_of_the_root_is_not_searched(tmp_path: Path) -> None:
    main = """\
    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "elsewhere"))
    import zmq
    import secret
    """
    config = _fleet(tmp_path, main)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.py").write_text("import leaked\n", encoding="utf-8")
    scan = api.scan(api.load_fleet(config), ["Main"], use_cache=False)
    assert scan.agent("Main").files == ("app/main.py",)
    assert "leaked" not in [e.module for e in scan.agent("Main").third_party]
    where = tmp_path / "elsewhere"
    assert scan.skipped == (
        f"{where}: skipped: a sys.path directory outside the project root ({where}), not searched; "
        "move the code it holds into the project, or fix the sys.path edit",
    )
