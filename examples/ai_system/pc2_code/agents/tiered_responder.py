"""TieredResponder (PC2): routes a query to the cheapest tier that meets its budget."""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import zmq  # noqa: E402
from response_tiers import HANDLER_PORTS, tier_for  # noqa: E402

from common.zmq_agent import ZmqAgent  # noqa: E402
from pc2_code.utils.pc2_zmq import mainpc_req  # noqa: E402


class TieredResponder(ZmqAgent):
    def __init__(self, port: int = 7100, health_port: int = 8100):
        super().__init__("TieredResponder", port, health_port)
        self.counts = {}

    def load(self):
        return psutil.cpu_percent(interval=None) / 100.0

    def forward(self, tier, query):
        sock = mainpc_req(HANDLER_PORTS[tier["handler"]], timeout_ms=tier["max_latency_ms"])
        try:
            sock.send_json({"action": "generate", "prompt": query})
            return sock.recv_json()
        except zmq.Again:
            return {"status": "timeout"}
        finally:
            sock.close(0)

    def handle_request(self, request):
        query = request.get("query", "")
        tier = tier_for(query, self.load())
        started = time.time()
        reply = self.forward(tier, query)
        self.counts[tier["name"]] = self.counts.get(tier["name"], 0) + 1
        return {"status": "ok", "tier": tier["name"], "reply": reply,
                "ms": int((time.time() - started) * 1000)}


def main() -> None:
    agent = TieredResponder()
    agent.run()


if __name__ == "__main__":
    main()
