#!/usr/bin/env python3
"""ServiceRegistry: name -> endpoint registry for the MainPC and PC2 agents.

Line protocol on port 7200:
    REGISTER <name> <host> <port>   ->  OK
    GET <name>                      ->  <host> <port> | NOTFOUND
    LIST                            ->  JSON object
Entries expire after ``ttl`` seconds without a re-registration. When REDIS_URL
is set and the redis client is installed, entries are mirrored to Redis.
"""
from __future__ import annotations

import os
import sys
import threading
import time

PROJECT_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
if PROJECT_ROOT not in sys.path:
    sys.path.insert(0, PROJECT_ROOT)

from common.base_agent import BaseAgent  # noqa: E402
from common.env_helpers import get_env  # noqa: E402
from common.line_server import LineServer  # noqa: E402

try:
    import orjson as json_lib
except ImportError:
    import json as json_lib

try:
    import redis
except ImportError:  # mirroring is optional: the registry works in memory
    redis = None


def _to_text(data) -> str:
    return data.decode("utf-8") if isinstance(data, bytes) else data


class ServiceRegistryAgent(BaseAgent):
    def __init__(self, port: int = 7200, health_port: int = 8200) -> None:
        super().__init__("ServiceRegistry", port, health_port)
        self.ttl = float(self.config.get("ttl", 90))
        self.services: dict = {}
        self.lock = threading.Lock()
        self.redis_client = None
        self.server = LineServer(self.port, self.handle_line)

    def setup(self) -> None:
        url = get_env("REDIS_URL")
        if url and redis is not None:
            self.redis_client = redis.Redis.from_url(url, decode_responses=True)
        self.server.start()

    def handle_line(self, line: str) -> str:
        parts = line.split()
        command = parts[0].upper()
        if command == "REGISTER" and len(parts) == 4:
            name, host, port = parts[1], parts[2], int(parts[3])
            with self.lock:
                self.services[name] = {"host": host, "port": port, "seen": time.time()}
            if self.redis_client is not None:
                self.redis_client.hset(f"registry:{name}", mapping={"host": host, "port": port})
            return "OK"
        if command == "GET" and len(parts) == 2:
            with self.lock:
                entry = self.services.get(parts[1])
            return f"{entry['host']} {entry['port']}" if entry else "NOTFOUND"
        if command == "LIST":
            with self.lock:
                return _to_text(json_lib.dumps(self.services))
        return "ERROR unknown command"

    def tick(self) -> None:
        cutoff = time.time() - self.ttl
        with self.lock:
            for name in [n for n, e in self.services.items() if e["seen"] < cutoff]:
                self.logger.info("expiring %s", name)
                del self.services[name]

    def health_status(self) -> str:
        return f"OK services={len(self.services)}"

    def cleanup(self) -> None:
        self.server.stop()


def main() -> None:
    agent = ServiceRegistryAgent()
    agent.run()


if __name__ == "__main__":
    main()
