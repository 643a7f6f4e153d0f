"""First-party means "resolves on this agent's sys.path", on a fixture monorepo written down in expected.toml.

A same-named file elsewhere in the tree (``tools/x/zmq.py``, ``util/yaml/``) never hides a dependency;
a package's ``__init__.py`` as entrypoint is module ``pkg``.
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest

from depmin import api
from depmin.cli.entry import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SHADOWS = Path(__file__).parent.parent / "fixtures" / "shadows"
EXPECTED = tomllib.loads((SHADOWS / "expected.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scanned() -> api.FleetScan:
    return api.scan(api.load_fleet(SHADOWS / "agents.toml"), use_cache=False)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_scan_matches_expected(scanned: api.FleetScan, name: str) -> None:
    want = EXPECTED[name]
    got = scanned.agent(name)
    assert got.run_mode == want["run_mode"]
    assert list(got.files) == want["files"]
    assert [m.module for m in got.missing] == want["missing"]
    assert [u.module for u in got.unresolved] == want["unresolved"]
    assert list(got.run_problems) == want["run_problems"]
    assert list(got.stdlib) == want["stdlib"]
    assert list(got.shadow_warnings) == want["shadow_warnings"]
    assert {e.module: e.kind for e in got.third_party} == want["third_party"]


def test_fleet_warnings_name_each_agent_and_stray_file(scanned: api.FleetScan) -> None:
    assert [w for w in scanned.warnings if "`import zmq`" in w] == [
        f"Edgy: {EXPECTED['Edgy']['shadow_warnings'][0]}",
        f"NLU: {EXPECTED['NLU']['shadow_warnings'][1]}",
    ]


def test_package_entrypoint_relative_import_reaches_the_sibling(scanned: api.FleetScan) -> None:
    chain = api.why(scanned.agent("Pkg"), "svc/core.py")
    assert chain == (api.Hop(file="svc/__init__.py", line=1, module="."),)


def test_generate_keeps_the_shadowed_dependencies_and_warns(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(SHADOWS, tree)
    err = io.StringIO()
    code = main(["--config", str(tree / "agents.toml"), "generate", "--no-cache"], out=io.StringIO(), err=err)
    assert code == 0
    nlu = (tree / "locks" / "NLU" / "requirements.generated.txt").read_text(encoding="utf-8")
    names = [line.split("==")[0].split(" ")[0] for line in nlu.splitlines() if line and not line.startswith("#")]
    assert names == ["pyyaml", "pyzmq"]
    warnings = [line for line in err.getvalue().splitlines() if "NLU:" in line]
    assert len(warnings) == 2
    assert "tools/x/zmq.py" in warnings[1]
    assert "services/nlu/main.py:4" in warnings[1]
    assert "util/yaml/__init__.py" in warnings[0]


def test_scan_json_carries_each_agents_shadow_warnings(scanned: api.FleetScan) -> None:
    import json  # noqa: PLC0415

    out = io.StringIO()
    main(
        ["--config", str(SHADOWS / "agents.toml"), "scan", "--no-cache", "--format", "json"], out=out, err=io.StringIO()
    )
    document = {agent["agent"]: agent["shadow_warnings"] for agent in json.loads(out.getvalue())["agents"]}
    assert document == {agent.agent: list(agent.shadow_warnings) for agent in scanned.agents}
    assert any(document.values())
