"""SelfHealingSupervisor: watches container health and restarts failed agents.

Talks to the Docker Engine through the Docker SDK (``import docker``); the
repository's top-level docker/ folder only holds Dockerfiles.
"""
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import docker  # noqa: E402
import psutil  # noqa: E402
import yaml  # noqa: E402

from common.base_agent import BaseAgent  # noqa: E402
from common.net.http_client import make_session  # noqa: E402
from services.self_healing_supervisor.recovery import RecoveryPolicy  # noqa: E402

WATCH_LABEL = "ai-system.agent"


class SelfHealingSupervisor(BaseAgent):
    loop_interval = 10.0

    def __init__(self, port: int = 7009, health_port: int = 9008):
        super().__init__("SelfHealingSupervisor", port, health_port)
        self.client = None
        self.policy = RecoveryPolicy(max_restarts=int(self.config.get("max_restarts", 5)))
        self.session = make_session(retries=1)
        self.restarts = 0

    def setup(self):
        self.client = docker.from_env()

    @staticmethod
    def tcp_ok(host, port):
        try:
            with socket.create_connection((host, port), timeout=2):
                return True
        except OSError:
            return False

    def tick(self):
        for container in self.client.containers.list(all=True, filters={"label": WATCH_LABEL}):
            health_port = int(container.labels.get("ai-system.health_port", 0))
            healthy = container.status == "running" and (
                not health_port or self.tcp_ok("127.0.0.1", health_port))
            if not healthy and self.policy.should_restart(container.name):
                self.logger.warning("restarting %s", container.name)
                time.sleep(self.policy.delay(container.name))
                self.restarts += self.policy.restart(container)

    def health_status(self):
        load = psutil.getloadavg()[0]
        return f"OK restarts={self.restarts} load={load:.2f} policy={yaml.safe_dump(vars(self.policy))!r}"


def main() -> None:
    agent = SelfHealingSupervisor()
    agent.run()


if __name__ == "__main__":
    main()
