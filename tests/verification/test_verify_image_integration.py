"""`depmin verify --image` with the real buildah: four agents, one of each kind (TCP health, HTTP
health, gRPC health, and an sdist with a C extension compiled in the build-wheels stage), go through
the real CLI (``generate``, ``lock --offline``, ``plan``, ``dockerfiles``) and are then verified
inside their built images, on the debootstrapped base of tests/buildenv.py.

Builds see a wheelhouse of real PyPI wheels (PyYAML, PyJWT, grpcio, grpcio-health-checking,
protobuf) and the local sdist through ``--build-volume``: a pip.conf with ``no-index`` over the base's
empty /etc/pip.conf, so the generated Dockerfiles build unchanged and offline for pip (apt reads the
Debian mirror for the build-wheels stage's compiler). buildah's storage is the one of
tests/buildenv.py (``CONTAINERS_STORAGE_CONF``), where the base image already is; nothing else in
the machine's storage changes. Verify never runs an agent's code; after it, the TCP, HTTP and gRPC
images it built are started (as ``docker run`` would) and their generated ``HEALTHCHECK`` is run in
them. Warm (buildah's layer cache and the base image kept), the module takes about two minutes;
cold, about six (the build-wheels stage installs a compiler from the Debian mirror).
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import buildenv

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux" or platform.machine() != "x86_64", reason="x86_64 Linux images"),
]

PINS = (
    "PyYAML==6.0.2",
    "PyJWT==2.10.1",
    "grpcio==1.68.1",
    "grpcio-health-checking==1.68.1",
    "protobuf==5.29.2",
)

FLEET = """\
[project]
name = "verify-image"
root = "repo"
python = "3.11"
platform = "x86_64-manylinux_2_28"

[mapping]
jwt = "PyJWT"
grpc = "grpcio"
grpc_health = "grpcio-health-checking"
tinyext = "tinyext"

[machines.Box]

[families.cpu]
from = "{base}"
apt = []
build_apt = ["python3-dev"]

[agents.Tcp]
entrypoint = "agents/tcp_agent.py"
machines = ["Box"]
family = "cpu"
ports = [8301]
health_port = 8311

[agents.Http]
entrypoint = "agents/http_agent.py"
machines = ["Box"]
family = "cpu"
ports = [8302]
health_port = 8302
health = "http:/healthz"

[agents.Grpc]
entrypoint = "agents/grpc_agent.py"
machines = ["Box"]
family = "cpu"
ports = [8303]
health_port = 8303
health = "grpc"

[agents.Native]
entrypoint = "agents/native_agent.py"
machines = ["Box"]
family = "cpu"
ports = [8304]
health_port = 8314

[agents.Broken]
entrypoint = "agents/broken_agent.py"
machines = ["Box"]
family = "cpu"
ports = [8305]
health_port = 8315
"""

# Real (tiny) services: each binds PORT_OFFSET + its port and answers its kind of health check, so the
# generated HEALTHCHECK can be run against the started image.
_SERVE = """
import os, signal, sys, threading

OFFSET = int(os.environ.get("PORT_OFFSET") or "0")
STOP = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: STOP.set())
"""
SOURCES = {
    "tcp_agent.py": _SERVE
    + (
        "import socketserver\n\nimport yaml\n\n"
        "PORT = yaml.safe_load('port: 8311')['port'] + OFFSET\n\n\n"
        "class Ok(socketserver.StreamRequestHandler):\n"
        "    def handle(self):\n"
        "        self.wfile.write(b'OK\\n')\n\n\n"
        "server = socketserver.TCPServer(('127.0.0.1', PORT), Ok)\n"
        "threading.Thread(target=server.serve_forever, daemon=True).start()\n"
        "STOP.wait()\n"
    ),
    "http_agent.py": _SERVE
    + (
        "import http.server\n\nimport jwt\nimport yaml\n\n\n"
        "class Health(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200 if self.path == '/healthz' else 404)\n"
        "        self.end_headers()\n"
        "        self.wfile.write(jwt.encode({'ok': True}, 'k').encode())\n\n"
        "    def log_message(self, *args):\n"
        "        pass\n\n\n"
        "server = http.server.HTTPServer(('127.0.0.1', 8302 + OFFSET), Health)\n"
        "threading.Thread(target=server.serve_forever, daemon=True).start()\n"
        "STOP.wait()\n"
    ),
    "grpc_agent.py": _SERVE
    + (
        "from concurrent import futures\n\nimport grpc\nimport yaml\n"
        "from grpc_health.v1 import health, health_pb2, health_pb2_grpc\n\n"
        "server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))\n"
        "service = health.HealthServicer()\n"
        "service.set('', health_pb2.HealthCheckResponse.SERVING)\n"
        "health_pb2_grpc.add_HealthServicer_to_server(service, server)\n"
        "server.add_insecure_port(f'127.0.0.1:{8303 + OFFSET}')\n"
        "server.start()\n"
        "STOP.wait()\n"
        "server.stop(0)\n"
    ),
    "native_agent.py": "import tinyext\nimport yaml\n\nANSWER = tinyext.answer()\n",
    # PyYAML 6.0.2 has no yaml.gone: imported after the lock (the lock would refuse it), the image cannot import it
    "broken_agent.py": "import yaml\n",
}

# An sdist whose in-tree backend compiles a C extension with cc: it builds only where a compiler and
# Python's headers are, which is the build-wheels stage and never the runtime image.
_C_SOURCE = """\
#include <Python.h>
static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, "42"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "tinyext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_tinyext(void) { return PyModule_Create(&module); }
"""
_BACKEND = """\
import base64, hashlib, os, subprocess, sys, sysconfig, tempfile, zipfile

NAME, VERSION = "tinyext", "1.0"
METADATA = f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n"


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = f"{NAME}-{VERSION}.dist-info"
    os.makedirs(os.path.join(metadata_directory, info))
    with open(os.path.join(metadata_directory, info, "METADATA"), "w") as handle:
        handle.write(METADATA)
    return info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    with tempfile.TemporaryDirectory() as tmp:
        library = os.path.join(tmp, NAME + suffix)
        include = sysconfig.get_paths()["include"]
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-I", include, "tinyext.c", "-o", library], check=True)
        with open(library, "rb") as handle:
            binary = handle.read()
    tag = "cp%d%d" % sys.version_info[:2]
    arch = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    info = f"{NAME}-{VERSION}.dist-info"
    wheel = f"Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: false\\nTag: {tag}-{tag}-{arch}\\n"
    files = {NAME + suffix: binary, f"{info}/METADATA": METADATA.encode(), f"{info}/WHEEL": wheel.encode()}
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    files[f"{info}/RECORD"] = ("\\n".join([*record, f"{info}/RECORD,,"]) + "\\n").encode()
    name = f"{NAME}-{VERSION}-{tag}-{tag}-{arch}.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return name
"""


def _sdist(directory: Path) -> Path:
    members = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "backend.py": _BACKEND,
        "tinyext.c": _C_SOURCE,
        "PKG-INFO": "Metadata-Version: 2.1\nName: tinyext\nVersion: 1.0\n",
    }
    path = directory / "tinyext-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, text in sorted(members.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"tinyext-1.0/{name}")
            info.size, info.mtime, info.mode = len(data), 1704067200, 0o644
            tar.addfile(info, io.BytesIO(data))
    return path


@dataclass(frozen=True)
class Fleet:
    config: Path
    volumes: tuple[str, ...]
    env: dict[str, str]
    buildah: buildenv.Buildah


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    buildenv.require_tools("buildah")
    buildenv.require_root("buildah with chroot isolation and vfs storage")
    buildah = buildenv.Buildah()
    base = buildenv.ensure_base_image(buildah)
    if (buildah.config(base).get("Labels") or {}).get(buildenv.PYTHON_LABEL) != "3.11":
        pytest.skip(f"{base} is not on Python 3.11, the locks' target")
    wheels = buildenv.build_wheelhouse(
        PINS, directory=buildenv.cache_dir() / f"wheelhouse-verify-cp311-{platform.machine()}"
    )
    context = tmp_path_factory.mktemp("verify-image")
    house = context.parent / f"{context.name}-wheelhouse"
    house.mkdir()
    for wheel in wheels.wheels.values():
        shutil.copy2(wheel, house / wheel.name)
    _sdist(house)
    pip_conf = context.parent / f"{context.name}-pip.conf"
    pip_conf.write_text(f"[global]\nno-index = true\nfind-links = {buildenv.WHEELHOUSE_MOUNT}\n", encoding="utf-8")
    for name, text in SOURCES.items():
        path = context / "repo" / "agents" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    config = context / "agents.toml"
    config.write_text(FLEET.format(base=base), encoding="utf-8")
    storage = context.parent / f"{context.name}-storage.conf"
    storage.write_text(
        f'[storage]\ndriver = "vfs"\ngraphroot = "{buildah.root}"\nrunroot = "{buildah.runroot}"\n', encoding="utf-8"
    )
    env = {
        "DEPMIN_CACHE_DIR": str(tmp_path_factory.mktemp("depmin-cache")),
        "UV_CACHE_DIR": str(tmp_path_factory.mktemp("uv-cache")),
        "CONTAINERS_STORAGE_CONF": str(storage),
    }
    for command in (
        ["generate"],
        ["lock", "--all", "--offline", "--find-links", str(house)],
        ["plan"],
        ["dockerfiles"],
    ):
        code, out, err = _depmin(config, env, *command)
        assert code == 0, f"depmin {' '.join(command)}:\n{out}{err}"
    (context / "repo" / "agents" / "broken_agent.py").write_text("import yaml\nimport yaml.gone\n", encoding="utf-8")
    volumes = (f"{house}:{buildenv.WHEELHOUSE_MOUNT}:ro", f"{pip_conf}:{buildenv.PIP_CONF_MOUNT}:ro")
    return Fleet(config, volumes, env, buildah)


def _depmin(config: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    argv = [sys.executable, "-m", "depmin", "--config", str(config), *args]
    done = subprocess.run(
        argv, capture_output=True, text=True, cwd=config.parent, env={**os.environ, **env}, check=False, timeout=3600
    )
    return done.returncode, done.stdout, done.stderr


def _verify(fleet: Fleet, *agents: str) -> tuple[int, dict[str, dict[str, Any]], str]:
    volumes = [f"--build-volume={volume}" for volume in fleet.volumes]
    chosen = [word for agent in agents for word in ("--agent", agent)]
    with buildenv.timed(f"verify --image {' '.join(agents)}"):
        code, out, err = _depmin(fleet.config, fleet.env, "verify", "--image", *volumes, *chosen, "--format", "json")
    assert out, err
    document = json.loads(out)
    return code, {agent["agent"]: agent for agent in document["agents"]}, err


@pytest.fixture(scope="module")
def verified(fleet: Fleet) -> tuple[int, dict[str, dict[str, Any]], str]:
    return _verify(fleet, "Tcp", "Http", "Grpc", "Native")


EXPECTED_MODULES = {
    "Tcp": ["yaml"],
    "Http": ["jwt", "yaml"],
    "Grpc": [
        "grpc",
        "grpc_health.v1",
        "grpc_health.v1.health",
        "grpc_health.v1.health_pb2",
        "grpc_health.v1.health_pb2_grpc",
        "yaml",
    ],
    "Native": ["tinyext", "yaml"],
}


def test_every_kind_of_agent_verifies_inside_its_image(verified: tuple[int, dict[str, dict[str, Any]], str]) -> None:
    code, agents, err = verified
    assert code == 0, err
    assert set(agents) == set(EXPECTED_MODULES)
    for name, agent in agents.items():
        assert agent["ok"] is True, (name, agent)
        assert agent["image"] == f"depmin-verify/{name.lower()}:current"
        assert agent["modules"] == EXPECTED_MODULES[name]
        assert agent["failures"] == [] and agent["pip_check"] == [] and agent["install_error"] is None
        assert agent["python"] == "/opt/venv/bin/python" and agent["python_version"] == "3.11"  # asked inside
        assert agent["locks"][0] == "locks/_families/cpu/requirements.lock"


def test_the_sdist_is_compiled_in_the_build_wheels_stage_and_the_runtime_has_no_compiler(
    fleet: Fleet, verified: tuple[int, dict[str, dict[str, Any]], str]
) -> None:
    assert verified[0] == 0, verified[2]
    dockerfile = (fleet.config.parent / "dockerfiles" / "agents" / "Native.Dockerfile").read_text(encoding="utf-8")
    assert "FROM base AS build-wheels" in dockerfile and "python3-dev" in dockerfile
    image = "localhost/depmin-verify/native:current"
    with fleet.buildah.container(image, keep=False) as box:
        compiler = fleet.buildah.run_in(box, ["sh", "-c", "command -v cc || command -v gcc"])
        listed = fleet.buildah.run_in(box, ["sh", "-c", "ls /opt/service"])
        user = fleet.buildah.run_in(box, ["id", "-un"], user=fleet.buildah.config(image)["User"])
    assert compiler.returncode != 0, f"the runtime image has a compiler: {compiler.stdout}"
    assert any(line.startswith("tinyext.cpython-311-") and line.endswith(".so") for line in listed.stdout.split())
    assert user.stdout.strip() == "app"  # the check ran as this user, not root


HEALTH = {"Tcp": 8311, "Http": 8302, "Grpc": 8303}


@pytest.mark.parametrize("name", sorted(HEALTH))
def test_the_generated_health_probe_passes_against_the_started_service(
    name: str, fleet: Fleet, verified: tuple[int, dict[str, dict[str, Any]], str]
) -> None:
    """Not part of verify (which never runs the agent's code): the image verify built, started as
    `docker run` would, and its HEALTHCHECK run in it; stopped, the same probe fails."""
    assert verified[0] == 0, verified[2]
    image = f"localhost/depmin-verify/{name.lower()}:current"
    probe = fleet.buildah.config(image)["Healthcheck"]["Test"][1:]
    offset = buildenv.free_port_offset([HEALTH[name]])
    with fleet.buildah.running(image, env={"PORT_OFFSET": str(offset)}, keep=False) as running:
        healthy = None
        for _ in range(60):
            healthy = running.exec(probe)
            if healthy.returncode == 0 or not running.alive():
                break
            time.sleep(0.5)
        assert healthy is not None and healthy.returncode == 0, (healthy, running.output())
        running.stop()
    with fleet.buildah.container(image, keep=False) as box:
        after = fleet.buildah.run_in(box, probe, env={"PORT_OFFSET": str(offset)})
    assert after.returncode == 1 and "unhealthy" in after.stderr


def test_a_submodule_the_image_lacks_fails_with_the_fix(fleet: Fleet) -> None:
    code, agents, err = _verify(fleet, "Broken")
    assert code == 1
    [failure] = agents["Broken"]["failures"]
    assert failure["module"] == "yaml.gone"
    assert failure["error"] == "ModuleNotFoundError: No module named 'yaml.gone'"
    assert "yaml imports but the locked release has no yaml.gone" in failure["fix"]
    assert "error: Broken: yaml.gone: ModuleNotFoundError" in err


@pytest.fixture(autouse=True, scope="module")
def _timings() -> Iterator[None]:
    yield
    lines = [f"{s.name:<50} {s.seconds:>8.2f}s" for s in buildenv.STEPS if s.name.startswith("verify")]
    if lines:
        print("\n" + "\n".join(lines))
