"""A command imports only the modules it runs (issue 14: start-up is most of a warm ``depmin scan``).

Each case runs the command line in a fresh interpreter and lists the depmin modules loaded once it
returned; a module a command does not run must not be among them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # starts an interpreter

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "fixtures" / "mini" / "agents.toml"

_LOADED = """
import contextlib, io, json, sys
from depmin.cli import main
code = None  # --help exits
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    code = main(sys.argv[1:], err=io.StringIO())
print(json.dumps([code, sorted(sys.modules)]))
"""

# What no scan runs: the later stages, the init drafts, the other commands' modules, and the parts of
# the requirements stage that generate a fleet (a scan maps imports, it writes no requirements).
NOT_IN_SCAN = (
    "depmin.drafting",
    "depmin.locking",
    "depmin.layers",
    "depmin.dockerfiles",
    "depmin.verification",
    "depmin.auditing",
    "depmin.staleness",
    "depmin._backend",
    "depmin.cli.init_commands",
    "depmin.cli.build_commands",
    "depmin.cli.lock_commands",
    "depmin.cli.ci_commands",
    "depmin.cli.verify_commands",
    "depmin.requirements.fleetwide",
    "depmin.requirements.declared",
    "depmin.requirements.entry_points",
    "depmin.requirements.needs",
    "depmin.requirements.constraints",
)
# What a file's extraction runs: a warm scan, every file in the cache, needs none of it.
PARSER = (
    "depmin.scanning.extraction",
    "depmin.scanning.collector",
    "depmin.scanning.recover",
    "depmin.scanning.lexer",
    "depmin.scanning.skeleton",
    "depmin.scanning.sanitize",
    "depmin.scanning.parsing",
)


def _run(tmp_path: Path, *argv: str) -> tuple[int | None, list[str]]:
    """The command's exit code and every module loaded once it returned (depmin's and the rest)."""
    env = {**os.environ, "DEPMIN_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", _LOADED, *argv], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    code, loaded = json.loads(done.stdout.splitlines()[-1])
    return code, loaded


def _loaded(tmp_path: Path, *argv: str) -> list[str]:
    return [name for name in _run(tmp_path, *argv)[1] if name.split(".")[0] == "depmin"]


def _under(loaded: list[str], packages: tuple[str, ...]) -> list[str]:
    return [name for name in loaded if any(name == p or name.startswith(p + ".") for p in packages)]


def test_scan_imports_no_stage_it_does_not_run(tmp_path: Path) -> None:
    scan = ("--config", str(REPO / "agents.toml"), "scan", "--format", "json")
    cold = _loaded(tmp_path, *scan)
    warm = _loaded(tmp_path, *scan)  # reads the cache the first run filled
    assert "depmin.scanning.fleet_scan" in cold
    assert "depmin.scanning.fleet_scan" in warm
    assert (_under(cold, NOT_IN_SCAN), _under(warm, NOT_IN_SCAN)) == ([], [])
    # A warm scan answers every file from the cache: the parser is not even imported.
    assert "depmin.scanning.extraction" in cold
    assert _under(warm, PARSER) == []


def test_help_imports_no_command_module(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path, "--help")
    assert [name for name in loaded if name.endswith("_commands")] == []
    assert _under(loaded, ("depmin.api", "depmin.manifest", "depmin.scanning", "depmin.requirements")) == []


def test_check_imports_neither_init_audit_nor_verify(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path, "--config", str(MINI), "check")
    assert "depmin.staleness" in loaded
    not_run = ("depmin.drafting", "depmin.auditing", "depmin.verification", "depmin.cli.init_commands")
    assert _under(loaded, (*not_run, "depmin.cli.lock_commands", "depmin.cli.verify_commands")) == []


# What a check of a current fleet does not run: while locks/plan.sha256 and dockerfiles/tree.sha256
# vouch for the plan and the build tree, it digests their inputs but neither plans nor renders; it
# reads the locks but fetches nothing (no wheel, no resolver's metadata).
NOT_IN_A_CURRENT_CHECK = (
    "depmin.layers.store",
    "depmin.layers.plan",
    "depmin.layers.render",
    "depmin.layers.explain",
    "depmin.layers.suggest",
    "depmin.layers.derive",
    "depmin.dockerfiles.render",
    "depmin.dockerfiles.dockerfile",
    "depmin.dockerfiles.bake",
    "depmin.dockerfiles.compose",
    "depmin.dockerfiles.workflow",
    "depmin._backend.downloads",
    "urllib.request",
    "http",
    "ssl",
    "email",
    "importlib.metadata",
)


# What generating requirements from a warm cache runs not: the needs report parses code, and
# configparser reads only a setup.cfg (the bundled fleet has none).
NOT_IN_A_WARM_CHECK = (*PARSER, "depmin.requirements.needs", "configparser")


def test_check_of_a_current_fleet_neither_plans_renders_nor_fetches(tmp_path: Path) -> None:
    check = ("--config", str(REPO / "agents.toml"), "check")
    cold = _run(tmp_path, *check)
    code, warm = _run(tmp_path, *check)  # reads the cache the first run filled
    assert (cold[0], code) == (0, 0)  # the bundled fleet's generated files are current: the sums files vouch
    assert "depmin.layers.inputs" in warm  # the plan's inputs were digested ...
    assert "depmin.dockerfiles.tree" in warm  # ... and the tree's
    assert (_under(cold[1], NOT_IN_A_CURRENT_CHECK), _under(warm, NOT_IN_A_CURRENT_CHECK)) == ([], [])
    assert _under(warm, NOT_IN_A_WARM_CHECK) == []


# packaging's readers of requirements, specifiers and markers import packaging.utils and through it
# packaging.tags (platform, subprocess, sysconfig, logging): more than a tenth of a warm scan. The
# bundled fleet's requirements are bare names (its hand-written requirements.txt, extras.toml,
# uvicorn[standard]), its locks name==version lines and its markers as the scan writes them, which
# depmin reads itself (tests/test_names.py checks that packaging would read them the same way).
PACKAGING_PARSERS = (
    "packaging.requirements",
    "packaging.specifiers",
    "packaging.markers",
    "packaging.utils",
    "packaging.tags",
)


def test_a_warm_scan_and_check_of_the_bundled_fleet_need_no_packaging_parser(tmp_path: Path) -> None:
    config = ("--config", str(REPO / "agents.toml"))
    _run(tmp_path, *config, "scan")  # fills the cache
    scan_code, scan = _run(tmp_path, *config, "scan")
    check_code, check = _run(tmp_path, *config, "check")
    assert (scan_code, check_code) == (0, 0)
    assert "depmin.requirements.hints" in scan  # the repository's requirements.txt was read ...
    assert "depmin.scanning.markers" in check  # ... and the scan's markers checked
    assert (_under(scan, PACKAGING_PARSERS), _under(check, PACKAGING_PARSERS)) == ([], [])
