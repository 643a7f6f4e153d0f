"""ZeroMQ socket helpers used by most agents."""
from __future__ import annotations

from typing import Any, Optional

try:
    import zmq
except ImportError as exc:  # pyzmq is a hard requirement for every ZMQ agent
    raise RuntimeError("pyzmq is required: pip install pyzmq") from exc

from common.env_helpers import get_env, port_with_offset
from common.serialization import dumps, loads

DEFAULT_TIMEOUT_MS = 1000


def create_context() -> "zmq.Context":
    return zmq.Context.instance()


def bind_socket(context: "zmq.Context", kind: int, port: int, host: str = "*"):
    sock = context.socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    sock.bind(f"tcp://{host}:{port}")
    return sock


def connect_socket(context: "zmq.Context", kind: int, host: str, port: int):
    sock = context.socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, DEFAULT_TIMEOUT_MS * 5)
    sock.connect(f"tcp://{host}:{port}")
    return sock


def service_address(service: str, default_port: int) -> tuple:
    host = get_env(f"{service.upper()}_HOST", "localhost")
    return host, port_with_offset(default_port)


def send_json(sock, payload: Any) -> None:
    sock.send(dumps(payload))


def recv_json(sock, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Optional[Any]:
    if sock.poll(timeout_ms) == 0:
        return None
    return loads(sock.recv())


def request(service: str, default_port: int, payload: Any) -> Optional[Any]:
    host, port = service_address(service, default_port)
    sock = connect_socket(create_context(), zmq.REQ, host, port)
    try:
        send_json(sock, payload)
        return recv_json(sock, timeout_ms=DEFAULT_TIMEOUT_MS * 5)
    finally:
        sock.close(0)
