"""PredictiveHealthMonitor: watches agent resource usage and predicts failures."""
import collections
import time

import numpy as np
import psutil

from common.metrics import MetricsReporter
from common.redis_client import get_redis
from common.zmq_agent import ZmqAgent
from main_pc_code.utils.legacy_metrics import MetricsCollector

WINDOW = 120


class PredictiveHealthMonitor(ZmqAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 5613, health_port: int = 6613):
        super().__init__("PredictiveHealthMonitor", port, health_port)
        self.history = collections.defaultdict(lambda: collections.deque(maxlen=WINDOW))
        self.reporter = MetricsReporter(self.name)
        self.collector = MetricsCollector(self.name)
        self.redis = None
        self.last_sample = 0.0

    def setup(self):
        super().setup()
        self.redis = get_redis()

    def sample(self):
        for proc in psutil.process_iter(["pid", "name", "memory_info"]):
            info = proc.info
            if info["memory_info"] is not None:
                self.history[info["name"]].append(info["memory_info"].rss)

    def predict(self, name):
        series = np.asarray(self.history.get(name, []), dtype=float)
        if len(series) < 10:
            return None
        slope = np.polyfit(np.arange(len(series)), series, 1)[0]
        return {"slope_bytes_per_sample": float(slope), "leak_suspected": slope > 1e6}

    def tick(self):
        if time.time() - self.last_sample > 5:
            self.sample()
            self.last_sample = time.time()
        super().tick()

    def handle_request(self, request):
        name = request.get("process")
        prediction = self.predict(name) if name else None
        if prediction and prediction["leak_suspected"]:
            self.redis.publish("health:alerts", f"{name} memory growing")
        return {"status": "ok", "prediction": prediction}


def main() -> None:
    agent = PredictiveHealthMonitor()
    agent.run()


if __name__ == "__main__":
    main()
