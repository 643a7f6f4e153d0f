"""LearningOpportunityDetector: finds interactions worth learning from.

CPU only: an IsolationForest over cheap interaction features (scikit-learn);
no neural model, no GPU.
"""
import collections

import numpy as np
from sklearn.ensemble import IsolationForest

from common.redis_client import get_redis
from common.zmq_agent import ZmqAgent

MIN_SAMPLES = 50


class LearningOpportunityDetector(ZmqAgent):
    def __init__(self, port: int = 7202, health_port: int = 8202):
        super().__init__("LearningOpportunityDetector", port, health_port)
        self.samples = collections.deque(maxlen=5000)
        self.model = IsolationForest(n_estimators=100, contamination=0.05, random_state=0)
        self.fitted = False
        self.redis = None

    def setup(self):
        super().setup()
        self.redis = get_redis()

    @staticmethod
    def features(event):
        return [
            float(event.get("confidence", 1.0)),
            float(event.get("latency", 0.0)),
            float(len(event.get("text", ""))),
            float(event.get("user_rating", 0)),
        ]

    def handle_request(self, request):
        vec = self.features(request)
        self.samples.append(vec)
        if len(self.samples) >= MIN_SAMPLES and len(self.samples) % 25 == 0:
            self.model.fit(np.asarray(self.samples))
            self.fitted = True
        if not self.fitted:
            return {"status": "ok", "opportunity": False}
        outlier = self.model.predict(np.asarray([vec]))[0] == -1
        if outlier:
            self.redis.rpush("learning:opportunities", repr(request))
        return {"status": "ok", "opportunity": bool(outlier)}


def main() -> None:
    agent = LearningOpportunityDetector()
    agent.run()


if __name__ == "__main__":
    main()
