"""The command line's shape: which command takes which option, and where the JSON documents are built."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest

from depmin.cli.entry import main
from tests.conftest import WriteFleet

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "fixtures" / "mini"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(MINI / "agents.toml"), *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_lock_needs_exactly_one_choice_of_agents() -> None:
    for choice in ([], ["--agent", "Main", "--all"], ["--family", "cpu", "--agent", "Main"]):
        code, out, err = _run("lock", "--check", *choice)
        assert (code, out) == (2, "")
        assert err == "error: depmin lock: choose the agents: --agent NAME, --family F or --all\n"


@pytest.mark.integration
def test_lock_check_with_one_choice_reports_each_agent() -> None:
    code, out, _ = _run("lock", "--check", "--agent", "Main", "--agent", "Tool")
    assert code == 1  # the fixture commits no locks: both are stale
    lines = out.splitlines()
    assert [line.split(":")[1].strip() for line in lines[:-1]] == ["Main", "Tool"]
    assert lines[-1] == "2 locks: 2 stale"


def test_dest_is_a_wheelhouse_option_and_all_a_lock_option() -> None:
    code, _, err = _run("lock", "--all", "--dest", "somewhere")
    assert code == 2
    assert "unrecognized arguments: --dest somewhere" in err
    code, _, err = _run("wheelhouse", "--all")
    assert code == 2
    assert "unrecognized arguments: --all" in err


def test_every_json_schema_is_built_in_documents() -> None:
    cli = REPO / "depmin" / "cli"
    named = {path.name: re.findall(r'"schema"', path.read_text(encoding="utf-8")) for path in cli.glob("*.py")}
    assert named.pop("documents.py")
    assert {name: found for name, found in named.items() if found} == {}


def test_scan_reports_every_path_it_did_not_read_on_stderr_and_in_json(write_fleet: WriteFleet, tmp_path: Path) -> None:
    config = write_fleet()
    os.mkfifo(tmp_path / "repo" / "agents" / "piped.py")
    (tmp_path / "repo" / "agents" / "nlu.py").write_text("import piped\n")
    out, err = io.StringIO(), io.StringIO()
    assert main(["--config", str(config), "scan", "--no-cache"], out=out, err=err) == 1  # the agent needs it
    [warning] = [line for line in err.getvalue().splitlines() if "piped.py" in line]
    assert warning.startswith("warning: agents/piped.py: skipped: ")
    out = io.StringIO()
    assert main(["--config", str(config), "scan", "--no-cache", "--format", "json"], out=out, err=io.StringIO()) == 1
    [skipped] = json.loads(out.getvalue())["skipped"]
    assert skipped == warning.removeprefix("warning: ")
