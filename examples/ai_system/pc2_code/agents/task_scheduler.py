#!/usr/bin/env python3
"""TaskScheduler (PC2): runs periodic housekeeping tasks.

Tasks are listed in the agent's section of config/pc2_services.yaml as
``tasks: [{name: heartbeat, interval: 30}]``; each name maps to a built-in
handler below. CPU only, no broker needed.
"""
import heapq
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from common.base_agent import BaseAgent  # noqa: E402
from pc2_code.utils import config_loader  # noqa: E402

DEFAULT_TASKS = [
    {"name": "heartbeat", "interval": 30},
    {"name": "disk_usage", "interval": 300},
]


@dataclass(order=True)
class ScheduledTask:
    due: float
    name: str = field(compare=False)
    interval: float = field(compare=False)


class TaskScheduler(BaseAgent):
    loop_interval = 0.5

    def __init__(self, port: int = 7115, health_port: int = 8115) -> None:
        super().__init__("TaskScheduler", port, health_port)
        section = config_loader.agent_section("TaskScheduler")
        tasks = section.get("tasks") or self.config.get("tasks") or DEFAULT_TASKS
        now = time.time()
        self.queue = [ScheduledTask(now, t["name"], float(t["interval"])) for t in tasks]
        heapq.heapify(self.queue)
        self.runs = 0
        self.handlers = {"heartbeat": self.heartbeat, "disk_usage": self.disk_usage}

    def heartbeat(self) -> None:
        self.logger.debug("heartbeat, %d task runs so far", self.runs)

    def disk_usage(self) -> None:
        usage = shutil.disk_usage(str(ROOT))
        self.logger.info("disk: %.1f%% used", 100.0 * usage.used / usage.total)

    def tick(self) -> None:
        now = time.time()
        while self.queue and self.queue[0].due <= now:
            task = heapq.heappop(self.queue)
            handler = self.handlers.get(task.name)
            if handler is None:
                self.logger.warning("no handler for task %s", task.name)
            else:
                handler()
                self.runs += 1
            heapq.heappush(self.queue, ScheduledTask(now + task.interval, task.name, task.interval))

    def health_status(self) -> str:
        return f"OK tasks={len(self.queue)} runs={self.runs}"


def main() -> None:
    agent = TaskScheduler()
    agent.run()


if __name__ == "__main__":
    main()
