"""ZMQ connection helpers from before common.zmq_helpers existed."""
import os
import socket

import zmq
import zmq.asyncio

MAINPC_IP = os.environ.get("MAINPC_IP", "127.0.0.1")
PC2_IP = os.environ.get("PC2_IP", "127.0.0.1")


def get_host(machine: str = "MainPC") -> str:
    return PC2_IP if machine.upper() == "PC2" else MAINPC_IP


def get_zmq_connection_string(port: int, machine: str = "MainPC") -> str:
    return f"tcp://{get_host(machine)}:{port}"


def create_context():
    return zmq.Context.instance()


def async_context():
    return zmq.asyncio.Context.instance()


def connect_socket(context, kind, host, port):
    sock = context.socket(kind)
    sock.connect(f"tcp://{host}:{port}")
    return sock


def is_port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
