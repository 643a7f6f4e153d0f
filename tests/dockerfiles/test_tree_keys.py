"""The build tree a real tool accepts: compose files valid against the compose-spec JSON schema, the
bake file as python-hcl2 reads it, and the agents.toml keys users needed (workdir, env, network,
gRPC health, files that keep their directories, .dockerignore at the context root)."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import hcl2
import jsonschema
import pytest
import yaml
from dockerfile_parse import DockerfileParser
from hcl2.utils import SerializationOptions

from depmin.cli.entry import main
from depmin.dockerfiles import render
from depmin.manifest import Resources
from tests.conftest import EXAMPLE_CONFIG, REPO
from tests.dockerfiles.hostile import (
    INPUTS,
    example_fleet,
    refused,
    rename_machine,
    render_fleet,
    with_agent,
    with_family,
    with_machine,
)

SCHEMA = json.loads((REPO / "tests" / "data" / "compose-spec" / "compose-spec.json").read_text(encoding="utf-8"))


def _validate(text: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(text)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    return document


def _instructions(text: str) -> list[tuple[str, str]]:
    parsed = DockerfileParser(fileobj=io.BytesIO(text.encode()))
    return [(i["instruction"], i["value"]) for i in parsed.structure]


def _bridge_fleet() -> Any:
    fleet = example_fleet()
    for machine in fleet.machines:
        fleet = with_machine(fleet, machine, network="bridge")
    return fleet


# -- compose ------------------------------------------------------------------------------------


def test_every_compose_file_of_the_example_is_valid_against_the_compose_spec() -> None:
    tree = render_fleet(example_fleet())
    composes = [rel for rel in tree if rel.startswith("compose/")]
    assert composes == ["compose/MainPC.yaml", "compose/PC2.yaml"]
    for rel in composes:
        _validate(tree[rel])
    for rel in [r for r in render_fleet(_bridge_fleet()) if r.startswith("compose/")]:
        _validate(render_fleet(_bridge_fleet())[rel])


def test_the_schema_check_can_fail() -> None:
    text = render_fleet(example_fleet())["compose/MainPC.yaml"]
    # a named volume used but not declared is what compose rejects; the schema rejects unknown keys
    with pytest.raises(jsonschema.ValidationError):
        _validate(text.replace("    restart: unless-stopped", "    restart: unless-stopped\n    privileges: true", 1))
    with pytest.raises(jsonschema.ValidationError):
        _validate(text.replace("    cap_drop: [ALL]", "    cap_drop: {ALL: 1}", 1))


def test_every_named_volume_is_declared_and_each_service_has_its_own_data_volume() -> None:
    document = _validate(render_fleet(example_fleet())["compose/MainPC.yaml"])
    declared = set(document["volumes"])
    used = set()
    for name, service in document["services"].items():
        named = [v.split(":")[0] for v in service["volumes"] if not v.startswith("/")]
        used.update(named)
        assert [v for v in service["volumes"] if v.split(":")[:2] == [f"data-{name}", "/app/data"]]
        assert "models:/app/models:ro" in service["volumes"]
    assert used == declared
    assert "data" not in declared  # no one writable volume shared by every service
    assert len([v for v in declared if v.startswith("data-")]) == len(document["services"])


def test_data_is_read_only_unless_the_agent_declares_it_writable() -> None:
    fleet = example_fleet()
    writable = {name for name, agent in fleet.agents.items() if agent.data_writable and "MainPC" in agent.machines}
    assert "MemoryFusionHub" in writable and "NLUAgent" not in writable
    document = _validate(render_fleet(fleet)["compose/MainPC.yaml"])
    by_access = {
        name: next(v for v in service["volumes"] if ":/app/data" in v).removeprefix(f"data-{name}:/app/data")
        for name, service in document["services"].items()
    }
    assert {name for name, access in by_access.items() if access == ""} == {n.lower() for n in writable}
    assert {access for name, access in by_access.items() if name not in {n.lower() for n in writable}} == {":ro"}
    flipped = _validate(render_fleet(with_agent(fleet, "NLUAgent", data_writable=True))["compose/MainPC.yaml"])
    assert "data-nluagent:/app/data" in flipped["services"]["nluagent"]["volumes"]


def test_resources_become_compose_limits_and_the_gpu_count() -> None:
    fleet = example_fleet()
    gpu_agent = next(n for n, a in fleet.agents.items() if fleet.has_gpu(a.family) and "MainPC" in a.machines)
    fleet = with_agent(fleet, "NLUAgent", resources=Resources(cpus="1.5", memory="512m"))
    fleet = with_agent(fleet, gpu_agent, resources=Resources(memory="8g", gpus="1"))
    document = _validate(render_fleet(fleet)["compose/MainPC.yaml"])
    services = document["services"]
    assert services["nluagent"]["deploy"] == {"resources": {"limits": {"cpus": "1.5", "memory": "512m"}}}
    gpu = services[gpu_agent.lower()]["deploy"]["resources"]
    assert gpu["limits"] == {"memory": "8g"}
    assert gpu["reservations"]["devices"] == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    others = [s for n, s in services.items() if n not in ("nluagent", gpu_agent.lower())]
    assert all("limits" not in s.get("deploy", {}).get("resources", {}) for s in others)
    assert any(s.get("deploy", {}).get("resources", {}).get("reservations") for s in others)  # count: all stays
    with pytest.raises(jsonschema.ValidationError):  # the schema does check the limits' types
        _validate(render_fleet(fleet)["compose/MainPC.yaml"].replace('cpus: "1.5"', "cpus: [1]"))


def test_the_docker_socket_agent_gets_the_sockets_group_and_no_one_else() -> None:
    document = _validate(render_fleet(example_fleet())["compose/MainPC.yaml"])
    with_socket = {
        n for n, s in document["services"].items() if "/var/run/docker.sock:/var/run/docker.sock" in s["volumes"]
    }
    with_group = {n for n, s in document["services"].items() if "group_add" in s}
    assert with_socket == with_group == {"selfhealingsupervisor"}
    [group] = document["services"]["selfhealingsupervisor"]["group_add"]
    assert group.startswith("${DOCKER_GID:?")


def test_agent_env_lands_in_compose_escaped_and_wins_over_the_machine() -> None:
    env = {"RECOMMENDATION_PORT": "7211", "OMP_NUM_THREADS": "1", "PRICE": "$5 ${HOME}"}
    tree = render_fleet(with_agent(example_fleet(), "NLUAgent", env=env))
    document = _validate(tree["compose/MainPC.yaml"])
    environment = document["services"]["nluagent"]["environment"]
    assert environment["RECOMMENDATION_PORT"] == "7211"
    assert environment["OMP_NUM_THREADS"] == "1"  # the machine says 8
    assert environment["PRICE"] == "$$5 $${HOME}"  # compose reads "$5 ${HOME}": no interpolation
    assert document["services"]["memoryfusionhub"]["environment"]["OMP_NUM_THREADS"] == "8"
    assert "RECOMMENDATION_PORT" not in tree["agents/NLUAgent.Dockerfile"]  # a service setting, not baked in


def test_host_network_by_default_bridge_publishes_the_ports() -> None:
    host = _validate(render_fleet(example_fleet())["compose/MainPC.yaml"])
    nlu = host["services"]["nluagent"]
    assert nlu["network_mode"] == "host" and "ports" not in nlu
    assert nlu["environment"]["PORT_OFFSET"] == "${PORT_OFFSET:-0}"
    bridge = _validate(render_fleet(_bridge_fleet())["compose/MainPC.yaml"])
    nlu = bridge["services"]["nluagent"]
    assert "network_mode" not in nlu
    assert nlu["ports"] == [f"{p}:{p}" for p in example_fleet().agents["NLUAgent"].ports]
    assert nlu["environment"]["PORT_OFFSET"] == "0"


def test_compose_project_is_named_after_the_project_not_the_example() -> None:
    fleet = example_fleet()
    renamed = type(fleet.project)(
        **{**{f: getattr(fleet.project, f) for f in fleet.project.__slots__}, "name": "Acme Robots!"}
    )
    tree = render_fleet(type(fleet)(**{**{f: getattr(fleet, f) for f in fleet.__slots__}, "project": renamed}))
    assert _validate(tree["compose/PC2.yaml"])["name"] == "acme-robots-pc2"
    bake = tree["docker-bake.hcl"]
    assert "ai-base" not in bake and "${REGISTRY}/acme-robots-base:" in bake


# -- bake ------------------------------------------------------------------------------------------


def test_bake_contexts_are_the_context_variable_and_dockerfiles_relative_to_it() -> None:
    bake = render_fleet(example_fleet())["docker-bake.hcl"]
    document = hcl2.loads(bake, serialization_options=SerializationOptions(with_comments=False))
    variables = {name.strip('"'): body for block in document["variable"] for name, body in block.items()}
    assert variables["CONTEXT"]["default"] == '"."'
    targets = {name.strip('"'): body for block in document["target"] for name, body in block.items()}
    for name, body in targets.items():
        assert body["context"] == '"${CONTEXT}"', name
        dockerfile = body["dockerfile"].strip('"')
        # relative to the context, the agents.toml directory: the file exists there in the repository
        assert (EXAMPLE_CONFIG.parent / dockerfile).is_file() or not dockerfile.startswith("dockerfiles/base"), name
    assert "#   docker buildx bake -f dockerfiles/docker-bake.hcl MainPC\n" in bake  # the fleet's first machine
    renamed = render_fleet(rename_machine(example_fleet(), "MainPC", "Alpha"))["docker-bake.hcl"]
    assert "#   docker buildx bake -f dockerfiles/docker-bake.hcl Alpha\n" in renamed and "MainPC" not in renamed


def test_committed_bake_file_dockerfiles_exist_relative_to_the_documented_context() -> None:
    text = (REPO / "dockerfiles" / "docker-bake.hcl").read_text(encoding="utf-8")
    document = hcl2.loads(text, serialization_options=SerializationOptions(with_comments=False))
    missing = [
        body["dockerfile"]
        for block in document["target"]
        for body in block.values()
        if not (REPO / body["dockerfile"].strip('"')).is_file()
    ]
    assert missing == []


# -- Dockerfiles ------------------------------------------------------------------------------------


def test_workdir_is_the_images_copy_of_the_directory() -> None:
    text = render_fleet(with_agent(example_fleet(), "NLUAgent", workdir="main_pc_code/agents"))[
        "agents/NLUAgent.Dockerfile"
    ]
    workdirs = [value for instruction, value in _instructions(text) if instruction == "WORKDIR"]
    assert workdirs == ["/app", "/app/main_pc_code/agents"]
    plain = render_fleet(example_fleet())["agents/NLUAgent.Dockerfile"]
    assert [v for i, v in _instructions(plain) if i == "WORKDIR"] == ["/app"]


@pytest.mark.parametrize("workdir", ["a b", "x$HOME", 'q"uote'])
def test_a_workdir_docker_would_read_specially_is_refused(workdir: str) -> None:
    message = refused(with_agent(example_fleet(), "NLUAgent", workdir=workdir))
    assert "agents.NLUAgent.workdir" in message and "WORKDIR would read specially" in message


def test_files_keep_their_directories() -> None:
    fleet = with_agent(example_fleet(), "NLUAgent", files=("templates", "templates/x.html", "config/app.yaml"))
    text = render_fleet(fleet)["agents/NLUAgent.Dockerfile"]
    copies = [json.loads(v) for i, v in _instructions(text) if i == "COPY" and v.startswith("[")]
    assert ["examples/ai_system/templates", "/app/templates"] in copies  # a directory: its name is kept
    assert ["examples/ai_system/templates/x.html", "/app/templates/x.html"] in copies
    assert ["examples/ai_system/config/app.yaml", "/app/config/app.yaml"] in copies


def test_grpc_health_renders_the_grpc_probe_and_health_port_may_be_a_service_port() -> None:
    agent = example_fleet().agents["NLUAgent"]
    fleet = with_agent(example_fleet(), "NLUAgent", health="grpc", health_port=agent.ports[0])
    text = render_fleet(fleet)["agents/NLUAgent.Dockerfile"]
    [check] = [v for i, v in _instructions(text) if i == "HEALTHCHECK"]
    assert json.loads(check.split(" CMD ", 1)[1])[2:] == ["grpc", str(agent.ports[0])]


# -- .dockerignore ------------------------------------------------------------------------------------


def test_dockerignore_is_at_the_context_root_and_lets_needed_files_back_in() -> None:
    fleet = with_agent(example_fleet(), "NLUAgent", files=("data/vocab.txt",))
    inputs = render.BuildInputs(
        files={"NLUAgent": (*INPUTS.files["NLUAgent"], "build/gen.py")}, apt=INPUTS.apt, root=INPUTS.root
    )
    tree = render_fleet(fleet, inputs)
    assert ".dockerignore" not in tree and render.CONTEXT_IGNORE == "../.dockerignore"
    lines = tree["../.dockerignore"].splitlines()
    assert "**/data" in lines and "**/build" in lines
    assert "!examples/ai_system/data/vocab.txt" in lines and "!examples/ai_system/build/gen.py" in lines
    assert lines.index("!examples/ai_system/data/vocab.txt") > lines.index("**/data")  # later lines win
    assert "!examples/ai_system/common/config.py" not in lines  # nothing to let back in


def _example_copy(tmp_path: Path) -> Path:
    for name in ("examples", "locks", "dockerfiles"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", ".depmin.lock"))
    shutil.copy(REPO / "agents.toml", tmp_path / "agents.toml")
    return tmp_path / "agents.toml"


def test_a_hand_written_dockerignore_is_not_overwritten_without_force(tmp_path: Path) -> None:
    config = _example_copy(tmp_path)
    mine = tmp_path / ".dockerignore"
    mine.write_text("secret-stuff\n", encoding="utf-8")
    out = io.StringIO()
    assert main(["--config", str(config), "dockerfiles"], out=out) == 1
    assert mine.read_text(encoding="utf-8") == "secret-stuff\n"
    assert main(["--config", str(config), "dockerfiles", "--force"], out=out) == 0
    assert mine.read_text(encoding="utf-8").startswith("# Generated by depmin")
    assert not (tmp_path / "dockerfiles" / ".dockerignore").exists()


def test_a_root_outside_the_agents_toml_directory_fails_at_once_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    (repo / "agents").mkdir(parents=True)
    (repo / "agents" / "nlu.py").write_text("import os\n", encoding="utf-8")
    conf = tmp_path / "conf"
    conf.mkdir()
    config = conf / "agents.toml"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    minimal = re.sub(r"(?s)\[agents\..*", "", text).replace('root = "examples/ai_system"', 'root = "../repo"')
    minimal += '\n[agents.NLUAgent]\nentrypoint = "agents/nlu.py"\nmachines = ["MainPC"]\nfamily = "cpu"\n'
    config.write_text(minimal, encoding="utf-8")
    assert main(["--config", str(config), "dockerfiles"]) == 2
    err = capsys.readouterr().err
    assert "agents.toml: project.root" in err and "is outside" in err and "move agents.toml into a directory" in err
    assert "Traceback" not in err
    assert not (conf / "dockerfiles").exists()
    # check agrees (a build tree written before the root moved is not "stale": no command can fix it)
    (conf / "dockerfiles").mkdir()
    (conf / "dockerfiles" / "docker-bake.hcl").write_text("# Generated by depmin\n", encoding="utf-8")
    assert main(["--config", str(config), "check", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "agents.toml: project.root" in err and "move agents.toml into a directory" in err


# -- index-aware installs -----------------------------------------------------------------------------


def _pip_runs(text: str) -> list[str]:
    return [v for i, v in _instructions(text) if i == "RUN" and "pip install" in v]


def test_pip_install_passes_the_familys_public_indexes_and_find_links() -> None:
    fleet = with_family(
        example_fleet(),
        "cpu",
        indexes=("https://download.pytorch.org/whl/cpu",),
        find_links=("wheelhouse/local", "https://wheels.example/links/"),
    )
    tree = render_fleet(fleet)
    [family] = _pip_runs(tree["base/cpu.Dockerfile"])
    assert "--extra-index-url=https://download.pytorch.org/whl/cpu" in family
    assert "--mount=type=bind,source=wheelhouse/local,target=/tmp/find-links/0" in family
    assert "--find-links=/tmp/find-links/0" in family and "--find-links=https://wheels.example/links/" in family
    assert "--mount=type=secret" not in family  # nothing secret: no pip.conf needed
    [service] = _pip_runs(tree["agents/NLUAgent.Dockerfile"])  # a cpu agent with a delta
    assert "--extra-index-url=https://download.pytorch.org/whl/cpu" in service
    assert "secret" not in tree["docker-bake.hcl"]


def test_an_index_with_credentials_stays_in_the_secret_and_others_are_passed() -> None:
    secret = "https://deploy:s3cr3t@pypi.example/simple"
    fleet = with_family(example_fleet(), "cpu", indexes=(secret, "https://public.example/simple"))
    tree = render_fleet(fleet)
    [family] = _pip_runs(tree["base/cpu.Dockerfile"])
    assert "--mount=type=secret,id=pip-conf,target=/etc/pip.conf,required=true" in family
    assert "--extra-index-url=https://public.example/simple" in family
    assert [p for p, t in tree.items() if "s3cr3t" in t or "pypi.example" in t] == []


def test_a_wheelhouse_path_a_mount_cannot_take_is_refused() -> None:
    message = refused(with_family(example_fleet(), "cpu", find_links=("wheel,house=x",)))
    assert "find_links" in message and "a build mount cannot take" in message


# -- distributions without a wheel ----------------------------------------------------------------------


def test_dockerfiles_warns_of_a_family_distribution_without_a_wheel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _example_copy(tmp_path)
    shutil.copy(REPO / ".dockerignore", tmp_path / ".dockerignore")
    assert main(["--config", str(config), "dockerfiles"]) == 0
    before = capsys.readouterr().err
    # dlib (sdist only) is in FaceRecognitionAgent's delta: its Dockerfile compiles it, no warning
    assert "dlib" not in before
    assert "FROM base AS build-wheels" in (tmp_path / "dockerfiles/agents/FaceRecognitionAgent.Dockerfile").read_text()
    # langdetect (sdist only) is in the service layer of the three agents that import it, not in a family lock
    assert "langdetect" not in before
    assert "FROM base AS build-wheels" in (tmp_path / "dockerfiles/agents/NLUAgent.Dockerfile").read_text()
    assert "click 8.5.1 has no wheel" not in before
    lock = tmp_path / "locks" / "NLUAgent" / "pylock.toml"
    text = lock.read_text(encoding="utf-8")
    # drop click's wheels: the lock then offers only its sdist, as for a release without a wheel
    cut = re.sub(r'(name = "click"\nversion = "[^"]+"\nsdist = [^\n]+\n)wheels = \[\n[^\]]*\]\n', r"\1", text)
    assert cut != text
    lock.write_text(cut, encoding="utf-8")
    assert main(["--config", str(config), "dockerfiles"]) == 0
    err = capsys.readouterr().err
    assert "click 8.5.1 has no wheel for the target in the lock of NLUAgent" in err
    assert "find_links wheelhouse" in err
