"""ActiveLearningMonitor: flags low-confidence interactions for labelling."""
import time

import yaml

from common.redis_client import get_redis
from common.zmq_agent import ZmqAgent

try:
    from main_pc_code.utils.legacy_metrics import MetricsCollector
except ImportError:
    MetricsCollector = None

THRESHOLD = 0.55


class ActiveLearningMonitor(ZmqAgent):
    def __init__(self, port: int = 5638, health_port: int = 6638):
        super().__init__("ActiveLearningMonitor", port, health_port)
        self.threshold = float(self.config.get("confidence_threshold", THRESHOLD))
        self.metrics = MetricsCollector(self.name) if MetricsCollector else None
        self.redis = None

    def setup(self):
        super().setup()
        self.redis = get_redis()

    def handle_request(self, request):
        confidence = float(request.get("confidence", 1.0))
        if confidence >= self.threshold:
            return {"status": "ok", "flagged": False}
        record = {"text": request.get("text", ""), "confidence": confidence, "ts": time.time()}
        self.redis.rpush("learning:candidates", yaml.safe_dump(record))
        if self.metrics is not None:
            self.metrics.increment("flagged")
        return {"status": "ok", "flagged": True}


def main() -> None:
    agent = ActiveLearningMonitor()
    agent.run()


if __name__ == "__main__":
    main()
