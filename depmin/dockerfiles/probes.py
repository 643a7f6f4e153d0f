"""The probes of the build tree: the ``HEALTHCHECK`` of a service, the health probe script it runs,
and the GPU readiness probe of GPU families.

The health probe is a script copied into every root family image (``/opt/depmin/health_probe.py``);
a service's ``HEALTHCHECK`` runs it in exec form with the probe kind, the port and the path as
arguments, so nothing from agents.toml is ever Python source. The script is plain Python 3.8 syntax
(it runs on every target Python depmin supports) and exits 0 (healthy) or 1 (unhealthy); Docker
reserves 2.
"""

from __future__ import annotations

from depmin._files import MARKER
from depmin.dockerfiles.escape import exec_form, refuse
from depmin.manifest import Agent

__all__ = ["GPU_PROBE", "GPU_PROBE_PATH", "HEALTH_PROBE", "HEALTH_PROBE_PATH", "VENV_PYTHON", "healthcheck"]

VENV_PYTHON = "/opt/venv/bin/python"
HEALTH_PROBE_PATH = "/opt/depmin/health_probe.py"
GPU_PROBE_PATH = "/usr/local/bin/gpu_ready.py"
_HEALTHCHECK = "HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \\\n    CMD "


def healthcheck(agent: Agent, *, gpu: bool, where: str) -> str:
    """The ``HEALTHCHECK`` instruction of ``agent`` (which has a ``health_port``): the probe script with
    ``tcp PORT``, ``grpc PORT`` or ``http PORT PATH`` as arguments, behind the GPU probe on GPU families."""
    assert agent.health_port is not None
    port = str(int(agent.health_port))
    if agent.health == "tcp":
        probe = [VENV_PYTHON, HEALTH_PROBE_PATH, "tcp", port]
    elif agent.health == "grpc":
        probe = [VENV_PYTHON, HEALTH_PROBE_PATH, "grpc", port]
    elif agent.health.startswith("http:/"):
        probe = [VENV_PYTHON, HEALTH_PROBE_PATH, "http", port, agent.health.removeprefix("http:")]
    else:
        refuse(where, f'{agent.health!r} is not "tcp", "grpc" nor "http:/PATH"; use one of them')
    command = [VENV_PYTHON, GPU_PROBE_PATH, "--and", *probe] if gpu else probe
    return _HEALTHCHECK + exec_form(command) + "\n"


# The first line is the header depmin's writer recognises as its own (the build tree's header).
HEALTH_PROBE = (
    f"# {MARKER} from agents.toml (the HEALTHCHECK probe). Do not edit: run `depmin dockerfiles`.\n"
    + '''"""The health probe of depmin's service images: ``HEALTHCHECK`` runs it with its arguments.

    health_probe.py tcp PORT         healthy when 127.0.0.1:PORT accepts a TCP connection
    health_probe.py http PORT PATH   healthy when GET PATH on 127.0.0.1:PORT answers 2xx or 3xx
    health_probe.py grpc PORT        healthy when grpc.health.v1.Health/Check (service "") on
                                     127.0.0.1:PORT, plaintext HTTP/2, answers SERVING

PORT is offset by the PORT_OFFSET environment variable (default 0), as the agents bind their ports.
Exit 0 when healthy, 1 otherwise (Docker reserves 2). The port and the path are data: nothing given
on the command line is evaluated.
"""

import http.client
import os
import socket
import struct
import sys
import time

TIMEOUT = 4.0
USAGE = "usage: health_probe.py tcp PORT | health_probe.py http PORT PATH | health_probe.py grpc PORT"


def port(given):
    offset = int(os.environ.get("PORT_OFFSET") or "0")
    number = offset + int(given)
    if not 0 < number < 65536:
        raise ValueError("port %d is out of range" % number)
    return number


def check_tcp(number):
    socket.create_connection(("127.0.0.1", number), timeout=TIMEOUT).close()


def check_http(number, path):
    if not path.startswith("/"):
        raise ValueError("the path %r does not start with /" % path)
    connection = http.client.HTTPConnection("127.0.0.1", number, timeout=TIMEOUT)
    try:
        connection.request("GET", path)
        status = connection.getresponse().status
    finally:
        connection.close()
    if not 200 <= status < 400:
        raise ValueError("GET %s answered %d" % (path, status))


# gRPC over plaintext HTTP/2 (RFC 9113, prior knowledge), with the standard library only: one request
# on stream 1 whose headers are HPACK literals (no table, no Huffman), and the response read from its
# DATA frames alone, so the server's header compression never needs decoding. A trailers-only answer
# (an error status such as UNIMPLEMENTED) has no DATA frame: unhealthy.
PREFACE = b"PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY = 0, 1, 3, 4, 6, 7
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
SERVING = 1  # grpc.health.v1.HealthCheckResponse.ServingStatus


def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", kind, flags, stream) + payload


def literal(name, value):
    """An HPACK "literal header field without indexing, new name" (RFC 7541 6.2.2), lengths < 127."""
    name, value = name.encode("ascii"), value.encode("ascii")
    return b"\\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def read_exactly(connection, count):
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise ValueError("the connection closed")
        data += chunk
    return data


def serving_status(message):
    """The ``status`` (field 1, a varint) of a HealthCheckResponse; 0 (UNKNOWN) when absent."""
    position, status = 0, 0
    while position < len(message):
        tag = message[position]
        position += 1
        if tag & 7 != 0:  # only varint fields are expected; anything else is not a health answer
            raise ValueError("unexpected field in the health response")
        value, shift = 0, 0
        while True:
            byte = message[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if tag >> 3 == 1:
            status = value
    return status


def check_grpc(number):
    deadline = time.monotonic() + TIMEOUT
    connection = socket.create_connection(("127.0.0.1", number), timeout=TIMEOUT)
    try:
        headers = b"".join(
            literal(name, value)
            for name, value in (
                (":method", "POST"),
                (":scheme", "http"),
                (":path", "/grpc.health.v1.Health/Check"),
                (":authority", "127.0.0.1:%d" % number),
                ("content-type", "application/grpc"),
                ("te", "trailers"),
            )
        )
        request = b"\\x00\\x00\\x00\\x00\\x00"  # not compressed, length 0: HealthCheckRequest(service="")
        connection.sendall(
            PREFACE
            + frame(SETTINGS, 0, 0, b"")
            + frame(HEADERS, END_HEADERS, 1, headers)
            + frame(DATA, END_STREAM, 1, request)
        )
        body = b""
        while time.monotonic() < deadline:
            head = read_exactly(connection, 9)
            length = struct.unpack(">I", b"\\x00" + head[:3])[0]
            kind, flags, stream = head[3], head[4], struct.unpack(">I", head[5:9])[0] & 0x7FFFFFFF
            payload = read_exactly(connection, length)
            if kind == SETTINGS and not flags & ACK:
                connection.sendall(frame(SETTINGS, ACK, 0, b""))
            elif kind == PING and not flags & ACK:
                connection.sendall(frame(PING, ACK, 0, payload))
            elif kind == GOAWAY or (kind == RST_STREAM and stream == 1):
                raise ValueError("the server refused the health check")
            elif kind == DATA and stream == 1:
                if flags & 0x8:  # PADDED
                    payload = payload[1 : len(payload) - payload[0]]
                body += payload
                if len(body) >= 5:
                    size = struct.unpack(">I", body[1:5])[0]
                    if body[0] != 0:
                        raise ValueError("a compressed health response")
                    if len(body) >= 5 + size:
                        status = serving_status(body[5 : 5 + size])
                        if status != SERVING:
                            raise ValueError("the health service answered status %d, not SERVING" % status)
                        return
            if stream == 1 and flags & END_STREAM and kind in (DATA, HEADERS):
                raise ValueError("no health response (the server has no grpc.health.v1 service?)")
        raise ValueError("no health response within %.0f s" % TIMEOUT)
    finally:
        connection.close()


def main(argv):
    try:
        if len(argv) == 2 and argv[0] == "tcp":
            check_tcp(port(argv[1]))
            return 0
        if len(argv) == 2 and argv[0] == "grpc":
            check_grpc(port(argv[1]))
            return 0
        if len(argv) == 3 and argv[0] == "http":
            check_http(port(argv[1]), argv[2])
            return 0
        print(USAGE, file=sys.stderr)
    except Exception as error:  # any failure is "unhealthy", never a traceback
        print("unhealthy: %s" % (error,), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''
)

GPU_PROBE = f'''#!/usr/bin/env python3
"""{MARKER}: the GPU readiness probe of the proposal (section C), as a script.

Exit 0 when ``nvidia-smi`` answers, torch sees a CUDA device and its compute capability is at least
the lowest one in TORCH_CUDA_ARCH_LIST; ``--and CMD...`` then runs CMD and exits with its code.
"""

import os
import shutil
import subprocess
import sys


def ready() -> bool:
    if shutil.which("nvidia-smi") is None or subprocess.run(["nvidia-smi"], capture_output=True).returncode:
        return False
    try:
        import torch
    except ImportError:
        return True  # an agent without torch only needs the driver
    if not torch.cuda.is_available():
        return False
    wanted = [float(v) for v in os.environ.get("TORCH_CUDA_ARCH_LIST", "0").replace(";", " ").split() if v[0].isdigit()]
    major, minor = torch.cuda.get_device_capability(0)
    return not wanted or major + minor / 10 >= min(wanted)


if __name__ == "__main__":
    if not ready():
        sys.exit(1)
    if sys.argv[1:2] == ["--and"]:
        sys.exit(subprocess.run(sys.argv[2:]).returncode)
'''
