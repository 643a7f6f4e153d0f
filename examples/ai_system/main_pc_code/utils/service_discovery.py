"""Lookups against the ServiceRegistry (port 7200, line protocol)."""
import socket
import time

from main_pc_code.utils.network_utils import get_host, is_port_open

REGISTRY_PORT = 7200


def _ask(line: str, host: str = None, port: int = REGISTRY_PORT) -> str:
    host = host or get_host("MainPC")
    with socket.create_connection((host, port), timeout=2.0) as sock:
        sock.sendall(line.encode("utf-8") + b"\n")
        return sock.makefile("r", encoding="utf-8").readline().strip()


def discover(name: str):
    reply = _ask(f"GET {name}")
    if reply == "NOTFOUND":
        return None
    host, port = reply.split()
    return host, int(port)


def register(name: str, host: str, port: int) -> bool:
    return _ask(f"REGISTER {name} {host} {port}") == "OK"


def wait_for(name: str, attempts: int = 10, delay: float = 1.0):
    for _ in range(attempts):
        found = discover(name)
        if found and is_port_open(*found):
            return found
        time.sleep(delay)
    return None
