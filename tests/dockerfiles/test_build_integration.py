"""Real builds of the generated Dockerfiles: the cpu family image and three runnable agents' images.

A three-agent fleet goes through the real CLI (``depmin generate``, ``lock --offline``, ``plan``,
``dockerfiles``, ``check``); its family's ``from`` image is a debootstrapped Debian with python3
(tests/buildenv.py), and the locks come from a local wheelhouse of PyPI wheels: PyYAML for the
family, orjson and PyJWT as two agents' deltas, nothing for the third, installed with
``--require-hashes``. The tests check from the image metadata that the family image is the base plus
one layer with the venv and that a service image is the family's layers plus one layer that holds
its delta and its files and none of the family's packages; they run each agent in its image and
check its health port and its protocol. Layer sizes, the plan's estimates and step timings go to
``build-report.json`` in the cache directory.

Cold (nothing cached) the module takes a few minutes, most of it debootstrap; warm it only runs the
containers. ``DEPMIN_TEST_REBUILD=1`` rebuilds the images.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from depmin.dockerfiles.render import IMAGE_PREFIX, IMAGE_TAG
from tests import buildenv
from tests.conftest import EXAMPLE_CONFIG, REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

AGENTS = ("ServiceRegistry", "AuthenticationAgent", "TaskScheduler")
# The module of each agent's delta: an optional accelerator it uses when present (opted in); none for TaskScheduler.
DELTA_MODULES = {"ServiceRegistry": "orjson", "AuthenticationAgent": "jwt"}
# Files a build must not leave behind: mount points of buildah run and of the test's volumes.
MOUNT_LEFTOVERS = ("etc/pip.conf", "etc/resolv.conf", "etc/hostname", "etc/hosts", "mnt", "wheels")


# The generated flow: role in the report -> the plan's estimate in bytes (locks/plan.json).
PLAN_ESTIMATES: dict[str, int] = {}


@dataclass(frozen=True)
class Agent:
    name: str
    entrypoint: str
    files: tuple[str, ...]
    ports: tuple[int, ...]
    health_port: int


# --------------------------------------------------------------------------------------------
# fixtures: tools, base, agents, report


@pytest.fixture(scope="module")
def buildah() -> buildenv.Buildah:
    buildenv.require_tools("buildah")
    buildenv.require_root("buildah with chroot isolation and vfs storage")
    return buildenv.Buildah()


@pytest.fixture(scope="module")
def base_image(buildah: buildenv.Buildah) -> str:
    name = buildenv.ensure_base_image(buildah)
    python = (buildah.config(name).get("Labels") or {}).get("io.depmin.test.python")
    if python != "3.11":
        pytest.skip(f"{name} has python3 {python}; the wheelhouse and locks are for CPython 3.11")
    return name


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Agent]:
    """The three runnable agents: closure from ``depmin scan``, ports from agents.toml."""
    fleet = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    argv = [sys.executable, "-m", "depmin", "scan", "--config", str(EXAMPLE_CONFIG)]
    argv += ["--format", "json", "--no-cache", *(arg for name in AGENTS for arg in ("--agent", name))]
    env = {"DEPMIN_CACHE_DIR": str(tmp_path_factory.mktemp("depmin-cache"))}
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, check=False, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = {}
    for entry in json.loads(proc.stdout)["agents"]:
        declared = fleet["agents"][entry["agent"]]
        result[entry["agent"]] = Agent(
            entry["agent"],
            entry["entrypoint"],
            tuple(entry["files"]),
            tuple(declared.get("ports", ())),
            declared["health_port"],
        )
    assert set(result) == set(AGENTS)
    return result


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[dict[str, buildenv.Layer]]:
    """Collect layers by role; at the end write their sizes and the step timings to build-report.json."""
    layers: dict[str, buildenv.Layer] = {}
    yield layers
    if not buildenv.STEPS:
        return
    data: dict[str, Any] = {
        "layers": {
            role: {
                "diff_id": layer.diff_id,
                "bytes": layer.size,
                "gzip_bytes": layer.gzip_size,
                "files": len(layer.files),
            }
            for role, layer in layers.items()
        },
        "steps": [{"step": step.name, "seconds": step.seconds, "cached": step.cached} for step in buildenv.STEPS],
    }
    if PLAN_ESTIMATES:
        data["plan_estimates"] = {
            role: {"plan_bytes": estimate, "layer_bytes": layers[role].size, "layer_gzip_bytes": layers[role].gzip_size}
            for role, estimate in PLAN_ESTIMATES.items()
            if role in layers
        }
    path = buildenv.cache_dir() / "build-report.json"
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    lines = [f"{s.name:<45} {s.seconds:>8.2f}s{'  (cached)' if s.cached else ''}" for s in buildenv.STEPS]
    lines += [
        f"layer {role:<39} {layer.size / 1e6:>8.2f} MB ({layer.gzip_size / 1e6:.2f} MB gzip)"
        + (f", plan {PLAN_ESTIMATES[role] / 1e6:.2f} MB" if role in PLAN_ESTIMATES else "")
        for role, layer in layers.items()
    ]
    print(f"\nbuild report: {path}\n" + "\n".join(lines))


# --------------------------------------------------------------------------------------------
# apt sources (no tool needed); the tests after these build (buildah, debootstrap, pip download,
# `python -m depmin`): marked integration and slow

ONE_LINE = """\
# comment
deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://mirror.example/debian bookworm main contrib
deb-src http://mirror.example/debian bookworm main
deb http://security.example/debian-security bookworm-security main
"""

DEB822 = """\
Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://other.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://disabled.example/debian
Suites: trixie
Components: main
Enabled: no
"""


def test_apt_sources_give_mirror_and_suite_from_either_format() -> None:
    one_line = buildenv.parse_one_line_sources(ONE_LINE)
    assert [s.uris for s in one_line] == [
        ("http://mirror.example/debian",),
        ("http://mirror.example/debian",),
        ("http://security.example/debian-security",),
    ]
    assert one_line[0].components == ("main", "contrib")
    assert buildenv.debian_mirror(one_line) == ("http://mirror.example/debian", "bookworm")
    deb822 = buildenv.parse_deb822_sources(DEB822)
    assert [s.enabled for s in deb822] == [True, False]
    assert deb822[0].suites == ("bookworm", "bookworm-updates")
    assert buildenv.debian_mirror(deb822) == ("http://other.example/debian", "bookworm")
    assert buildenv.debian_mirror(reversed(deb822)) == ("http://other.example/debian", "bookworm")
    with pytest.raises(LookupError):
        buildenv.debian_mirror(one_line[2:])


def test_this_machines_mirror_comes_from_its_apt_sources() -> None:
    try:
        mirror, suite = buildenv.debian_mirror()
    except LookupError as error:
        pytest.skip(f"not a Debian machine: {error}")
    assert any(mirror in (uri.rstrip("/") for uri in s.uris) for s in buildenv.read_apt_sources())
    assert suite and "-" not in suite


# --------------------------------------------------------------------------------------------
# the generated Dockerfiles: agents.toml -> generate, lock (offline), plan, dockerfiles -> build

GENERATED_FLEET = """\
[project]
name = "build-test"
root = "ai_system"
python = "3.11"
platform = "x86_64-manylinux_2_28"

[mapping]
jwt = "PyJWT"

[machines.Box]
description = "the machine running the test"
env = {{ OMP_NUM_THREADS = "2" }}

[families.cpu]
from = "{base}"
tag = "cpu-test"
apt = []

[agents.ServiceRegistry]
entrypoint = "main_pc_code/agents/service_registry_agent.py"
machines = ["Box"]
family = "cpu"
ports = [7200]
health_port = 8200
include_optional = ["orjson"]

[agents.TaskScheduler]
entrypoint = "pc2_code/agents/task_scheduler.py"
machines = ["Box"]
family = "cpu"
ports = [7115]
health_port = 8115

[agents.AuthenticationAgent]
entrypoint = "pc2_code/agents/ForPC2/AuthenticationAgent.py"
machines = ["Box"]
family = "cpu"
ports = [7116]
health_port = 8116
include_optional = ["jwt"]
"""
# What `depmin lock --offline` can find: exactly these wheels, in a wheelhouse of their own.
GENERATED_PINS = ("PyYAML==6.0.2", "orjson==3.10.12", "PyJWT==2.10.1")
# The FROM line of the generated service Dockerfiles, as buildah names the local image.
GENERATED_FAMILY_TAG = f"localhost/{IMAGE_PREFIX}cpu{IMAGE_TAG}"
SITE = "opt/venv/lib/python3.11/site-packages/"


def _generated_tag(name: str) -> str:
    return f"localhost/depmin-test-generated:{name.lower()}"


@dataclass(frozen=True)
class Generated:
    context: Path  # the build context: the directory of agents.toml
    wheelhouse: buildenv.Wheelhouse
    plan: dict[str, Any]

    def dockerfile(self, relative: str) -> Path:
        return self.context / "dockerfiles" / relative


@pytest.fixture(scope="module")
def generated(base_image: str, tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """A three-agent fleet in a temporary directory, through the real CLI up to `depmin dockerfiles`.

    `lock --all --offline --find-links WHEELHOUSE` runs with an empty uv cache (UV_CACHE_DIR): uv's
    ``--offline`` still reads the package index data in its cache and would pick the newest
    version it saw there rather than one in the wheelhouse.
    """
    with buildenv.timed("generated: wheelhouse") as step:
        house = buildenv.build_wheelhouse(
            GENERATED_PINS, directory=buildenv.cache_dir() / f"wheelhouse-generated-cp311-{platform.machine()}"
        )
        step.cached = not house.downloaded
    context = tmp_path_factory.mktemp("generated")
    shutil.copytree(
        REPO / "examples" / "ai_system", context / "ai_system", ignore=shutil.ignore_patterns("__pycache__")
    )
    config = context / "agents.toml"
    config.write_text(GENERATED_FLEET.format(base=base_image), encoding="utf-8")
    env = {
        **os.environ,
        "DEPMIN_CACHE_DIR": str(tmp_path_factory.mktemp("depmin-cache")),
        "UV_CACHE_DIR": str(tmp_path_factory.mktemp("uv-cache")),
    }
    commands = [
        ["generate"],
        ["lock", "--all", "--offline", "--find-links", str(house.directory)],
        ["plan"],
        ["dockerfiles"],
        ["check"],
    ]
    for command in commands:
        argv = [sys.executable, "-m", "depmin", "--config", str(config), *command]
        with buildenv.timed(f"generated: depmin {command[0]}"):
            proc = subprocess.run(argv, capture_output=True, text=True, cwd=context, env=env, check=False)
        assert proc.returncode == 0, f"depmin {' '.join(command)}:\n{proc.stdout}{proc.stderr}"
    plan = json.loads((context / "locks" / "plan.json").read_text(encoding="utf-8"))
    return Generated(context, house, plan)


def _lock_pins(path: Path) -> dict[str, list[str]]:
    """``{name==version: [sha256, ...]}`` of a hashed requirements lock."""
    pins: dict[str, list[str]] = {}
    current = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line:
            continue
        if "==" in line and not line.startswith("--"):
            current = line.split()[0]
            pins[current] = []
        if "--hash=sha256:" in line and current is not None:
            pins[current].append(line.split("--hash=sha256:", 1)[1].split()[0])
    return pins


@pytest.fixture(scope="module")
def generated_family(buildah: buildenv.Buildah, base_image: str, generated: Generated) -> buildenv.Built:
    with buildenv.timed("generated: family image build") as step:
        built = buildah.build(
            generated.context,
            GENERATED_FAMILY_TAG,
            dockerfile=generated.dockerfile("base/cpu.Dockerfile"),
            volumes=buildenv.wheelhouse_volumes(generated.wheelhouse),
            parents=[base_image],
        )
        step.cached = built.cached
    return built


@pytest.fixture(scope="module")
def generated_service(
    buildah: buildenv.Buildah, generated: Generated, generated_family: buildenv.Built
) -> Callable[[str], buildenv.Built]:
    built: dict[str, buildenv.Built] = {}

    def build(name: str) -> buildenv.Built:
        if name not in built:
            with buildenv.timed(f"generated: service image {name} build") as step:
                built[name] = buildah.build(
                    generated.context,
                    _generated_tag(name),
                    dockerfile=generated.dockerfile(f"agents/{name}.Dockerfile"),
                    volumes=buildenv.wheelhouse_volumes(generated.wheelhouse),
                    parents=[GENERATED_FAMILY_TAG],
                )
                step.cached = built[name].cached
        return built[name]

    return build


@pytest.mark.integration
@pytest.mark.slow
def test_generated_locks_come_from_the_wheelhouse_with_its_hashes(generated: Generated) -> None:
    house = generated.wheelhouse
    by_name = {pin.split("==")[0].lower(): pin for pin in GENERATED_PINS}
    locks = [generated.context / "locks" / "_families" / "cpu" / "requirements.lock"]
    locks += [generated.context / "locks" / name / "service.lock" for name in AGENTS]
    seen = {}
    for lock in locks:
        for pin, hashes in _lock_pins(lock).items():
            name, _, version = pin.partition("==")
            wanted = by_name[name.lower()]
            assert pin.lower() == wanted.lower(), f"{lock}: {pin} is not the wheelhouse's {wanted}"
            assert hashes == [house.sha256(wanted)], f"{lock}: {pin} hashes {hashes}"
            seen[name.lower()] = version
    assert set(seen) == set(by_name)
    plan = generated.plan
    assert plan["families"]["cpu"]["packages"] == ["pyyaml"]
    assert {name: plan["services"][f"{name}@Box"]["delta"] for name in AGENTS} == {
        "ServiceRegistry": ["orjson"],
        "AuthenticationAgent": ["pyjwt"],
        "TaskScheduler": [],
    }


@pytest.mark.integration
@pytest.mark.slow
def test_generated_family_image_is_the_base_plus_one_layer_with_the_venv(
    buildah: buildenv.Buildah,
    base_image: str,
    generated: Generated,
    generated_family: buildenv.Built,
    report: dict[str, buildenv.Layer],
) -> None:
    base_layers = buildah.diff_ids(base_image)
    family_layers = buildah.diff_ids(GENERATED_FAMILY_TAG)
    assert family_layers[: len(base_layers)] == base_layers
    assert len(family_layers) == len(base_layers) + 1
    with buildenv.timed("generated: layers (family)"):
        layers = buildah.layers(GENERATED_FAMILY_TAG)
    added = layers[-1]
    report.update({"base": layers[0], "generated family cpu": added})
    PLAN_ESTIMATES["generated family cpu"] = generated.plan["families"]["cpu"]["bytes"]
    assert added.has(f"{SITE}yaml/__init__.py") and added.has(f"{SITE}PyYAML-6.0.2.dist-info/RECORD")
    assert added.has("etc/passwd") and added.has("opt/venv/bin/python")  # the user is made here: the base has none
    assert not [layer.diff_id for layer in layers[:-1] if layer.has("opt/venv")]
    assert not added.has("tmp/family.lock")
    leaked = [path for path in added.files if path.startswith(MOUNT_LEFTOVERS)]
    assert not leaked, f"mount points of the build leaked into the family layer: {leaked}"
    config = buildah.config(GENERATED_FAMILY_TAG)
    assert config["Entrypoint"] == ["tini", "--"]
    assert any(e.startswith("PATH=/opt/venv/bin:") for e in config["Env"])


@pytest.mark.integration
@pytest.mark.slow
def test_generated_family_python_is_the_venv_and_the_system_python_stays_clean(
    buildah: buildenv.Buildah, generated_family: buildenv.Built
) -> None:
    script = "import sys, yaml; print(sys.prefix, yaml.__file__, yaml.__with_libyaml__)"
    with buildah.container(GENERATED_FAMILY_TAG) as name:
        uid = buildah.run_in(name, ["id", "-u", "app"])
        venv = buildah.run_in(name, ["python", "-c", script], user="app")
        system = buildah.run_in(name, ["/usr/bin/python3", "-c", "import yaml"], user="app")
        user = buildah.run_in(name, ["id", "-un"], user="app")
    assert uid.stdout.strip() == "10001", uid.stderr
    assert venv.stdout.split() == ["/opt/venv", f"/{SITE}yaml/__init__.py", "True"], venv.stderr
    assert system.returncode != 0 and "No module named 'yaml'" in system.stderr
    assert user.stdout.strip() == "app", user.stderr


@pytest.mark.integration
@pytest.mark.slow
def test_generated_family_layer_holds_no_apt_caches(
    generated_family: buildenv.Built, buildah: buildenv.Buildah
) -> None:
    added = buildah.layers(GENERATED_FAMILY_TAG)[-1]
    caches = [path for path in added.files if path.startswith(("var/cache/apt/", "var/lib/apt/lists/"))]
    assert not [path for path in caches if path.endswith(".bin") or "_dists_" in path], caches


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("name", AGENTS)
def test_generated_service_image_is_the_family_plus_its_delta_and_its_files(
    name: str,
    buildah: buildenv.Buildah,
    generated: Generated,
    generated_service: Callable[[str], buildenv.Built],
    agents: dict[str, Agent],
    report: dict[str, buildenv.Layer],
) -> None:
    agent = agents[name]
    generated_service(name)
    family_layers = buildah.diff_ids(GENERATED_FAMILY_TAG)
    service_layers = buildah.diff_ids(_generated_tag(name))
    assert service_layers[: len(family_layers)] == family_layers, "the family's layers are not the lower layers"
    assert len(service_layers) == len(family_layers) + 1
    with buildenv.timed(f"generated: layers ({name})"):
        layers = buildah.layers(_generated_tag(name))
    family_added, added = layers[-2], layers[-1]
    report[f"generated service {name}"] = added
    PLAN_ESTIMATES[f"generated service {name}"] = generated.plan["services"][f"{name}@Box"]["delta_bytes"]

    family_packages = {p[len(SITE) :].split("/")[0] for p in family_added.files if p.startswith(SITE)}
    assert {"yaml", "_yaml", "PyYAML-6.0.2.dist-info"} <= family_packages
    again = [p for p in added.files if p.startswith("opt/venv") or set(p.split("/")) & family_packages]
    assert not again, f"the service layer repeats the family's packages: {again[:10]}"
    assert not any(p.endswith("yaml/__init__.py") for p in added.files)
    assert not [p for p in added.files if p.startswith((*MOUNT_LEFTOVERS, "tmp/"))], "a build file leaked"

    assert {f"app/{file}" for file in agent.files} <= set(added.files)
    outside = [p for p in added.files if not p.startswith(("app", "opt"))]
    assert not outside, f"the service layer changes files outside /app and /opt/service: {outside}"
    delta = generated.plan["services"][f"{name}@Box"]["delta"]
    if delta:
        module = DELTA_MODULES[name]
        assert added.has(f"opt/service/{module}/__init__.py")
        installed = {p.split("/")[2] for p in added.files if p.count("/") >= 2 and p.startswith("opt/service/")}
        assert {entry.split("-")[0].lower() for entry in installed if entry.endswith(".dist-info")} == set(delta)
    else:
        assert not [p for p in added.files if p.startswith("opt")]

    config = buildah.config(_generated_tag(name))
    assert config["User"] == "app"
    assert config["Entrypoint"] == ["tini", "--"]
    assert config["Cmd"] == ["python", agent.entrypoint]
    assert config["WorkingDir"] == "/app"
    assert set(config["ExposedPorts"]) == {f"{port}/tcp" for port in agent.ports}
    healthcheck = config.get("Healthcheck") or {}
    assert healthcheck.get("Test", [""])[0] == "CMD", "HEALTHCHECK is lost unless the image is in docker format"
    assert str(agent.health_port) in healthcheck["Test"][-1]
    written = dict(
        re.findall(r"--(interval|retries)=(\d+)", generated.dockerfile(f"agents/{name}.Dockerfile").read_text())
    )
    assert healthcheck["Interval"] == int(written["interval"]) * 10**9  # seconds in the Dockerfile, ns in the image
    assert healthcheck["Retries"] == int(written["retries"])


def _talk(port: int, line: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(line.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.decode().strip()


_ORIGINS = "import importlib, yaml; print(yaml.__file__, importlib.import_module('{module}').__file__)"


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("name", AGENTS)
def test_generated_service_runs_and_answers_on_its_health_port(
    name: str,
    buildah: buildenv.Buildah,
    generated_service: Callable[[str], buildenv.Built],
    agents: dict[str, Agent],
) -> None:
    agent = agents[name]
    tag = _generated_tag(name)
    generated_service(name)
    offset = buildenv.free_port_offset([*agent.ports, agent.health_port])
    env = {"PORT_OFFSET": str(offset), "AUTH_BOOTSTRAP_PASSWORD": "s3cret"}
    with buildenv.timed(f"generated: run {name}"), buildah.running(tag, env=env) as running:
        status = buildenv.wait_for_line(agent.health_port + offset, running=running)
        assert status.startswith("OK"), status
        probe = running.exec(buildah.config(tag)["Healthcheck"]["Test"][1:])
        assert probe.returncode == 0, probe.stdout + probe.stderr
        where = running.exec(["python", "-c", _ORIGINS.format(module=DELTA_MODULES.get(name, "json"))])
        assert where.returncode == 0, where.stderr
        yaml_file, delta_file = where.stdout.split()
        assert yaml_file == f"/{SITE}yaml/__init__.py"
        if name in DELTA_MODULES:
            assert delta_file.startswith("/opt/service/")
        if name == "ServiceRegistry":
            port = agent.ports[0] + offset
            assert _talk(port, "REGISTER tts 127.0.0.1 5562") == "OK"
            assert _talk(port, "GET tts") == "127.0.0.1 5562"
            assert _talk(port, "LIST").startswith('{"tts":{"host":'), "not orjson's compact output"
        if name == "AuthenticationAgent":
            answer = _talk(agent.ports[0] + offset, "LOGIN admin s3cret")
            assert answer.startswith("TOKEN ") and answer.count(".") == 2, f"not a JWT: {answer}"
        exit_code = running.stop()
    assert exit_code == 0, running.output()
    assert f"{name} stopped" in running.output()
