"""UnifiedUtilsAgent (PC2): cleanup, log rotation and system stats on request."""
import glob
import os
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

import yaml  # noqa: E402
from utils.system_stats import cpu_mem, disk, top_processes  # noqa: E402

from common.zmq_agent import ZmqAgent  # noqa: E402

TEMP_GLOBS = ["/tmp/ai_system_*", "logs/*.log.[0-9]*"]


class UnifiedUtilsAgent(ZmqAgent):
    def __init__(self, port: int = 7118, health_port: int = 8118):
        super().__init__("UnifiedUtilsAgent", port, health_port)
        self.max_age_days = int(self.config.get("max_age_days", 7))

    def purge(self):
        cutoff = time.time() - self.max_age_days * 86400
        removed = []
        for pattern in TEMP_GLOBS:
            for path in glob.glob(pattern):
                if os.path.isfile(path) and os.path.getmtime(path) < cutoff:
                    os.remove(path)
                    removed.append(path)
        return removed

    def handle_request(self, request):
        action = request.get("action", "stats")
        if action == "purge":
            return {"status": "ok", "removed": self.purge()}
        stats = {"load": cpu_mem(), "disk": disk(), "top": top_processes()}
        return {"status": "ok", "stats": stats, "yaml": yaml.safe_dump(stats)}


def main() -> None:
    agent = UnifiedUtilsAgent()
    agent.run()


if __name__ == "__main__":
    main()
