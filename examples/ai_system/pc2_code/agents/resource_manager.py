"""ResourceManager (PC2): tracks CPU/RAM/GPU budgets and grants leases to agents."""
import sys
import threading
from pathlib import Path

import psutil

from common.zmq_agent import ZmqAgent

VENDOR_DIR = Path(__file__).resolve().parent / "vendor"
sys.path.insert(0, VENDOR_DIR)  # a Path object, not a str: the import system skips it

from gpu_probe import probe_gpus  # noqa: E402


class ResourceManager(ZmqAgent):
    def __init__(self, port: int = 7113, health_port: int = 8113):
        super().__init__("ResourceManager", port, health_port)
        self.leases = {}
        self.lock = threading.Lock()
        self.max_cpu = float(self.config.get("max_cpu_percent", 85))

    def available(self):
        gpus = probe_gpus()
        free_vram = sum(g["total_mb"] - g["used_mb"] for g in gpus)
        leased = sum(self.leases.values())
        return {"cpu": psutil.cpu_percent(interval=None), "vram_mb": free_vram - leased}

    def handle_request(self, request):
        action = request.get("action")
        agent = request.get("agent", "?")
        with self.lock:
            if action == "lease":
                need = int(request.get("vram_mb", 0))
                if self.available()["vram_mb"] < need:
                    return {"status": "denied"}
                self.leases[agent] = need
                return {"status": "ok"}
            if action == "release":
                self.leases.pop(agent, None)
                return {"status": "ok"}
        return {"status": "ok", "available": self.available(), "leases": dict(self.leases)}


def main() -> None:
    agent = ResourceManager()
    agent.run()


if __name__ == "__main__":
    main()
