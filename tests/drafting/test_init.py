"""`depmin init` on one fixture repository per source kind, run through the CLI: the draft is written,
then `depmin fleet` and `depmin scan` must accept it unedited, and each agent's entrypoint, ports,
health and command must be the fixture's (its expected.json, written from the fixture's files)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from depmin import _toml
from depmin.cli import main
from depmin.manifest import load_fleet
from tests.conftest import EXAMPLE_CONFIG, REPO

FIXTURES = REPO / "tests" / "fixtures"
KINDS = sorted(path.name for path in FIXTURES.glob("init-*"))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    target = tmp_path / request.param
    shutil.copytree(FIXTURES / request.param, target, ignore=shutil.ignore_patterns("expected.json", "__pycache__"))
    return target


def test_every_source_kind_has_a_fixture() -> None:
    assert KINDS == ["init-compose", "init-dockerfile", "init-k8s", "init-main", "init-procfile", "init-startup"]


@pytest.mark.parametrize("repo", KINDS, indirect=True)
def test_the_draft_passes_fleet_and_scan_and_matches_the_fixture(repo: Path) -> None:
    config = repo / "agents.toml"
    code, _, err = run("--root", str(repo), "--config", str(config), "init")
    assert code == 0, err
    assert run("--config", str(config), "fleet")[0] == 0
    code, out, err = run("--config", str(config), "scan", "--no-cache", "--format", "json")
    assert code == 0, out + err
    scanned = {agent["agent"] for agent in json.loads(out)["agents"]}
    expected = json.loads((FIXTURES / repo.name / "expected.json").read_text(encoding="utf-8"))
    fleet = load_fleet(config)
    assert scanned == set(fleet.agents)
    assert sorted(fleet.agents) == sorted(expected)
    for name, want in expected.items():
        agent = fleet.agents[name]
        assert agent.entrypoint == want["entrypoint"], name
        assert list(agent.ports) == want["ports"], name
        assert agent.health == want["health"], name
        assert agent.health_port == want["health_port"], name
        assert (None if agent.cmd is None else list(agent.cmd)) == want["cmd"], name
        if "env" in want:
            assert dict(agent.env) == want["env"], name
        if "workdir" in want:
            assert agent.workdir == want["workdir"], name
        if "files" in want:
            assert list(agent.files) == want["files"], name
        if "network" in want:
            assert {fleet.machines[m].network for m in agent.machines} == {want["network"]}, name


@pytest.mark.parametrize("repo", ["init-dockerfile", "init-compose"], indirect=True)
def test_every_inferred_value_cites_its_source(repo: Path) -> None:
    code, out, _ = run("--root", str(repo), "--config", str(repo / "agents.toml"), "init", "--stdout")
    assert code == 0
    for line in out.splitlines():
        if line.startswith(("entrypoint =", "ports =", "health_port =", "health =")):
            assert "  # from " in line, line
    if repo.name == "init-dockerfile":
        assert "ports = [8080]  # from src/cart/Dockerfile:10 EXPOSE 8080/tcp" in out


@pytest.mark.parametrize("repo", ["init-compose"], indirect=True)
def test_secrets_and_unset_variables_stay_out_of_the_draft(repo: Path) -> None:
    code, out, _ = run("--root", str(repo), "--config", str(repo / "agents.toml"), "init", "--stdout")
    assert code == 0
    assert "hunter2" not in out
    web = _toml.loads(out)["agents"]["web"]
    assert "DB_PASSWORD" in web["uncertain"]["env"] and "FROM_HOST" in web["uncertain"]["env"]


@pytest.mark.parametrize("repo", ["init-startup"], indirect=True)
def test_the_draft_is_deterministic_and_never_replaces_agents_toml(repo: Path) -> None:
    config = repo / "agents.toml"
    assert run("--root", str(repo), "--config", str(config), "init")[0] == 0
    first = config.read_bytes()
    code, _, err = run("--root", str(repo), "--config", str(config), "init")
    assert code == 1 and "--force" in err and config.read_bytes() == first
    code, out, _ = run("--root", str(repo), "--config", str(config), "init", "--stdout")
    assert code == 0 and out.encode() == first
    config.write_text("# mine\n", encoding="utf-8")
    assert run("--root", str(repo), "--config", str(config), "init", "--force")[0] == 0
    assert config.read_bytes() == first


@pytest.mark.parametrize("repo", ["init-startup"], indirect=True)
def test_a_missing_script_is_reported_not_drafted(repo: Path) -> None:
    code, out, _ = run("--root", str(repo), "--config", str(repo / "agents.toml"), "init", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["schema"] == "depmin.init/1"
    assert [line for line in document["skipped"] if "Missing" in line and "not_here.py" in line]
    ports = {agent["name"]: [p["value"] for p in agent["ports"]] for agent in document["agents"]}
    assert ports == {"Registry": [7200], "Planner": [7201], "PlannerShadow": [7301]}
    registry = next(agent for agent in document["agents"] if agent["name"] == "Registry")
    assert registry["entrypoint"]["source"] == {
        "file": "config/startup_config.yaml",
        "line": 4,
        "text": "script_path agents/registry.py",
    }


@pytest.mark.parametrize("repo", ["init-compose"], indirect=True)
def test_yaml_without_pyyaml_is_exit_2_with_the_fix(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # `import yaml` now raises ImportError
    code, _, err = run("--root", str(repo), "--config", str(repo / "agents.toml"), "init")
    assert code == 2
    assert "pip install 'depmin[init]'" in err and "compose.yaml" in err
    assert not (repo / "agents.toml").exists()
    code, _, _ = run("--root", str(repo), "--config", str(repo / "agents.toml"), "init", "--source", "dockerfile")
    assert code == 0


def test_an_unknown_source_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run("--root", str(tmp_path), "--config", str(tmp_path / "agents.toml"), "init", "--source", "helm")
    assert code == 2 and "unknown source 'helm'" in err


def test_the_example_monorepo_gives_every_agent_of_its_startup_configuration(tmp_path: Path) -> None:
    """Each agent the example's config/startup_config.yaml lists, with the entrypoint and ports of the
    bundled agents.toml."""
    root = REPO / "examples" / "ai_system"
    config = tmp_path / "agents.toml"
    code, _, err = run("--root", str(root), "--config", str(config), "init", "--no-needs")
    assert code == 0, err
    drafted = load_fleet(config)
    bundled = load_fleet(EXAMPLE_CONFIG)
    startup = yaml.safe_load((root / "config" / "startup_config.yaml").read_text(encoding="utf-8"))
    names = [name for group in startup["agent_groups"].values() for name in group]
    assert len(names) == 5
    for name in names:
        assert drafted.agents[name].entrypoint == bundled.agents[name].entrypoint, name
        assert drafted.agents[name].ports == bundled.agents[name].ports, name
        assert drafted.agents[name].health_port == bundled.agents[name].health_port, name


@pytest.mark.integration
@pytest.mark.parametrize("repo", ["init-k8s"], indirect=True)
def test_the_installed_command_drafts_and_validates(repo: Path) -> None:
    init = subprocess.run(
        [sys.executable, "-m", "depmin", "init"], cwd=repo, capture_output=True, text=True, check=False
    )
    assert init.returncode == 0, init.stderr
    fleet = subprocess.run(
        [sys.executable, "-m", "depmin", "fleet"], cwd=repo, capture_output=True, text=True, check=False
    )
    assert fleet.returncode == 0, fleet.stderr
    assert "api" in fleet.stdout and "grpc" in fleet.stdout
