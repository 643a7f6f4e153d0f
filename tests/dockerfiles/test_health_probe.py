"""The health probe: the port and the path are data, never code, and the script runs on every target
Python; run against real listening sockets, it exits 0 when healthy and 1 otherwise."""

from __future__ import annotations

import ast
import http.server
import io
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any, ClassVar

import pytest
from dockerfile_parse import DockerfileParser

from depmin._files import is_generated
from tests.dockerfiles.hostile import example_fleet, render_fleet, with_agent


def _probe_text() -> str:
    return render_fleet(example_fleet())["base/health_probe.py"]


@pytest.mark.parametrize("version", [(3, 8), (3, 10), (3, 11), None])
def test_the_health_probe_compiles_for_every_target_python(version: tuple[int, int] | None) -> None:
    if version is None:
        compile(_probe_text(), "health_probe.py", "exec")  # the running interpreter
    else:
        ast.parse(_probe_text(), "health_probe.py", feature_version=version)


def test_the_health_probe_is_the_first_line_depmin_recognises() -> None:
    assert is_generated(_probe_text())


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    path = tmp_path / "health_probe.py"
    path.write_text(_probe_text(), encoding="utf-8")
    return path


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []  # the paths asked for, set afresh by the server fixture

    def do_GET(self) -> None:
        self.seen.append(self.path)
        self.send_response(500 if self.path.startswith("/broken") else 200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def server() -> Iterator[tuple[int, list[str]]]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    seen: list[str] = []
    _Handler.seen = seen
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthcheck(agent: str, tree: dict[str, str]) -> list[str]:
    text = tree[f"agents/{agent}.Dockerfile"]
    line = next(i["value"] for i in DockerfileParser(fileobj=io.BytesIO(text.encode())).structure
                if i["instruction"] == "HEALTHCHECK")  # fmt: skip
    argv: list[str] = json.loads(line.split(" CMD ", 1)[1])
    return argv


def _run_probe(argv: list[str], probe: Path, port: int, declared: int, cwd: Path) -> int:
    """Run the HEALTHCHECK's argv here: this interpreter for the venv's, the probe at its path,
    PORT_OFFSET chosen so the declared health port lands on ``port``."""
    assert argv[:2] == ["/opt/venv/bin/python", "/opt/depmin/health_probe.py"]
    env = {**os.environ, "PORT_OFFSET": str(port - declared)}
    command = [sys.executable, str(probe), *argv[2:]]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, timeout=30, check=False).returncode


@pytest.mark.integration
def test_http_probe_is_healthy_on_2xx_and_unhealthy_on_500_or_a_closed_port(
    probe: Path, server: tuple[int, list[str]], tmp_path: Path
) -> None:
    port, seen = server
    agent = example_fleet().agents["ObservabilityDashboardAPI"]
    assert agent.health_port is not None
    argv = _healthcheck("ObservabilityDashboardAPI", render_fleet(example_fleet()))
    assert argv[2:] == ["http", str(agent.health_port), "/overview"]
    assert _run_probe(argv, probe, port, agent.health_port, tmp_path) == 0
    assert seen == ["/overview"]
    broken = _healthcheck(
        "ObservabilityDashboardAPI",
        render_fleet(with_agent(example_fleet(), "ObservabilityDashboardAPI", health="http:/broken")),
    )
    assert _run_probe(broken, probe, port, agent.health_port, tmp_path) == 1
    assert _run_probe(argv, probe, _closed_port(), agent.health_port, tmp_path) == 1


@pytest.mark.integration
def test_tcp_probe_is_healthy_on_an_open_port_only(probe: Path, server: tuple[int, list[str]], tmp_path: Path) -> None:
    port, _ = server
    agent = example_fleet().agents["NLUAgent"]
    assert agent.health_port is not None
    argv = _healthcheck("NLUAgent", render_fleet(example_fleet()))
    assert argv[2:] == ["tcp", str(agent.health_port)]
    assert _run_probe(argv, probe, port, agent.health_port, tmp_path) == 0
    assert _run_probe(argv, probe, _closed_port(), agent.health_port, tmp_path) == 1


@pytest.mark.integration
def test_a_health_path_is_sent_as_data_never_run(probe: Path, server: tuple[int, list[str]], tmp_path: Path) -> None:
    port, seen = server
    path = "/x');__import__('os').system('touch${IFS}pwned');('"
    fleet = with_agent(example_fleet(), "NLUAgent", health="http:" + path)
    argv = _healthcheck("NLUAgent", render_fleet(fleet))
    assert argv[2:] == ["http", "6709", path]
    assert _run_probe(argv, probe, port, 6709, tmp_path) == 0
    assert seen == [path]
    assert not (tmp_path / "pwned").exists()
    # a path with a line break or a space is no request at all: unhealthy, nothing run
    for bad in ("/x\r\nHost: evil", "/x y"):
        argv = _healthcheck("NLUAgent", render_fleet(with_agent(example_fleet(), "NLUAgent", health="http:" + bad)))
        assert _run_probe(argv, probe, port, 6709, tmp_path) == 1
    assert seen == [path]


@pytest.fixture
def grpc_health() -> Iterator[tuple[int, Any]]:
    """A real grpcio server with the standard health service (grpcio-health-checking)."""
    grpc = pytest.importorskip("grpc")
    health = pytest.importorskip("grpc_health.v1.health")
    health_pb2 = pytest.importorskip("grpc_health.v1.health_pb2")
    health_pb2_grpc = pytest.importorskip("grpc_health.v1.health_pb2_grpc")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port, (servicer, health_pb2.HealthCheckResponse)
    finally:
        server.stop(None)


@pytest.mark.integration
def test_grpc_probe_asks_the_standard_health_service(probe: Path, grpc_health: tuple[int, Any], tmp_path: Path) -> None:
    port, (servicer, response) = grpc_health
    fleet = with_agent(example_fleet(), "NLUAgent", health="grpc")
    argv = _healthcheck("NLUAgent", render_fleet(fleet))
    assert argv[2:] == ["grpc", "6709"]
    servicer.set("", response.SERVING)
    assert _run_probe(argv, probe, port, 6709, tmp_path) == 0
    servicer.set("", response.NOT_SERVING)
    assert _run_probe(argv, probe, port, 6709, tmp_path) == 1
    servicer.set("", response.SERVING)
    assert _run_probe(argv, probe, port, 6709, tmp_path) == 0
    assert _run_probe(argv, probe, _closed_port(), 6709, tmp_path) == 1


@pytest.mark.integration
def test_grpc_probe_is_unhealthy_on_a_server_without_the_health_service(
    probe: Path, server: tuple[int, list[str]], tmp_path: Path
) -> None:
    grpc = pytest.importorskip("grpc")
    bare = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    port = bare.add_insecure_port("127.0.0.1:0")
    bare.start()
    try:
        argv = _healthcheck("NLUAgent", render_fleet(with_agent(example_fleet(), "NLUAgent", health="grpc")))
        assert _run_probe(argv, probe, port, 6709, tmp_path) == 1  # UNIMPLEMENTED: trailers only
        http_port, _ = server
        assert _run_probe(argv, probe, http_port, 6709, tmp_path) == 1  # an HTTP/1 server is no gRPC
    finally:
        bare.stop(None)
