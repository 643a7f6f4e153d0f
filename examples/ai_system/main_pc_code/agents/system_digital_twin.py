"""SystemDigitalTwin: live model of both machines (SQLite history + Redis state).

Answers "what if" questions from the schedulers: would loading a model with N MB
of VRAM on a machine push it over its limits?
"""
import os
import sqlite3
import time
from pathlib import Path

import yaml

from common.redis_client import get_redis
from common.zmq_agent import ZmqAgent

DB_PATH = Path(os.environ.get("TWIN_DB", "data/system_digital_twin.db"))
MACHINES = ("MainPC", "PC2")
VRAM_MB = {"MainPC": 24576, "PC2": 12288}


class SystemDigitalTwin(ZmqAgent):
    def __init__(self, port: int = 7220, health_port: int = 8220):
        super().__init__("SystemDigitalTwin", port, health_port)
        self.db = None
        self.redis = None
        self.limits = self.config.get("limits", {"cpu": 90, "vram_fraction": 0.9})

    def setup(self):
        super().setup()
        DB_PATH.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(DB_PATH), check_same_thread=False)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS metrics (machine TEXT, ts REAL, cpu REAL, vram REAL)"
        self.redis = get_redis()

    def record(self, machine, cpu, vram):
        self.db.execute("INSERT INTO metrics VALUES (?, ?, ?, ?)", (machine, time.time(), cpu, vram))
        self.db.commit()
        self.redis.hset(f"twin:{machine}", mapping={"cpu": cpu, "vram": vram})

    def simulate(self, machine, extra_vram_mb):
        state = self.redis.hgetall(f"twin:{machine}") or {}
        used = float(state.get("vram", 0.0)) + extra_vram_mb
        limit = VRAM_MB[machine] * self.limits["vram_fraction"]
        return {"status": "ok", "machine": machine, "fits": used <= limit, "projected_mb": used}

    def handle_request(self, request):
        action = request.get("action")
        if action == "simulate_load":
            return self.simulate(request.get("machine", "MainPC"), request.get("extra_vram_mb", 0))
        if action == "snapshot":
            return {"status": "ok", "local": self.local_snapshot()}
        if action == "dump_config":
            return {"status": "ok", "config": yaml.safe_dump(self.config)}
        return {"status": "error", "error": f"unknown action {action!r}"}

    def local_snapshot(self):
        return {"cpu": psutil.cpu_percent(), "mem": psutil.virtual_memory().percent}


import psutil
from common.metrics import MetricsReporter


def main() -> None:
    agent = SystemDigitalTwin()
    agent.run()


if __name__ == "__main__":
    main()
