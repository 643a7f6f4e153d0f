"""Minimal TCP health endpoint shared by all agents.

Standard library only: every agent imports it, including the CPU agents that
must start with nothing but PyYAML installed. A client that connects gets one
line ("OK" or a reason) and the connection is closed.
"""
from __future__ import annotations

import logging
import os
import socketserver
import threading
from typing import Callable, Optional

log = logging.getLogger(__name__)


def resolve_health_port(default_port: int) -> int:
    """HEALTH_PORT wins; otherwise PORT_OFFSET + the agent's health port."""
    override = os.environ.get("HEALTH_PORT")
    if override:
        return int(override)
    return int(os.environ.get("PORT_OFFSET", "0") or 0) + int(default_port)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        status = self.server.status_callback()  # type: ignore[attr-defined]
        try:
            self.request.sendall(f"{status}\n".encode("utf-8"))
        except OSError:
            pass


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


class HealthServer:
    def __init__(self, port: int, status_callback: Optional[Callable[[], str]] = None,
                 host: Optional[str] = None) -> None:
        self.port = int(port)
        self.host = host or os.environ.get("HEALTH_HOST", "0.0.0.0")
        self.status_callback = status_callback or (lambda: "OK")
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        self._server = _Server((self.host, self.port), _Handler)
        self._server.status_callback = self.status_callback  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="health", daemon=True)
        self._thread.start()
        log.info("health endpoint on %s:%s", self.host, self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
