"""ZMQ helpers for PC2 agents (talking back to MainPC)."""
import os

import zmq

MAINPC_HOST = os.environ.get("MAINPC_IP", "127.0.0.1")


def pc2_context():
    return zmq.Context.instance()


def rep_socket(port, context=None):
    context = context or pc2_context()
    sock = context.socket(zmq.REP)
    sock.setsockopt(zmq.LINGER, 0)
    sock.bind(f"tcp://*:{port}")
    return sock


def mainpc_req(port, context=None, timeout_ms=5000):
    context = context or pc2_context()
    sock = context.socket(zmq.REQ)
    sock.setsockopt(zmq.RCVTIMEO, timeout_ms)
    sock.connect(f"tcp://{MAINPC_HOST}:{port}")
    return sock
