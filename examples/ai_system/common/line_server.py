"""Tiny line-based TCP request server (standard library only).

Used by the CPU agents that must run without pyzmq: each request is one UTF-8
line, each reply one line.
"""
from __future__ import annotations

import socketserver
import threading
from typing import Callable, Optional


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            reply = self.server.on_line(line)  # type: ignore[attr-defined]
            self.wfile.write(reply.encode("utf-8") + b"\n")


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


class LineServer:
    def __init__(self, port: int, on_line: Callable[[str], str], host: str = "0.0.0.0") -> None:
        self.address = (host, int(port))
        self.on_line = on_line
        self._server: Optional[_Server] = None

    def start(self) -> None:
        self._server = _Server(self.address, _Handler)
        self._server.on_line = self.on_line  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
