"""MoodTrackerAgent: long-term mood of the user, persisted in Redis."""
import time

from common.redis_client import get_redis
from common.zmq_agent import ZmqAgent
from main_pc_code.agents.emotion_model import EmotionState

HISTORY_KEY = "mood:history"


class MoodTrackerAgent(ZmqAgent):
    def __init__(self, port: int = 5704, health_port: int = 6704):
        super().__init__("MoodTrackerAgent", port, health_port)
        self.state = EmotionState(decay=0.98)
        self.redis = None

    def setup(self):
        super().setup()
        self.redis = get_redis()

    def record(self, emotion, intensity):
        self.state.update(emotion, intensity)
        self.redis.zadd(HISTORY_KEY, {f"{emotion}:{intensity}": time.time()})
        if self.config.get("debug"):
            print "mood now", self.state.dominant()

    def trend(self, hours=24):
        since = time.time() - hours * 3600
        entries = self.redis.zrangebyscore(HISTORY_KEY, since, "+inf")
        values = [float(e.split(":")[1]) for e in entries]
        return float(np.mean(values)) if values else 0.0

    def handle_request(self, request):
        if request.get("action") == "record":
            self.record(request["emotion"], float(request.get("intensity", 0.5)))
        return {"status": "ok", "mood": self.state.dominant(), "trend": self.trend()}


import numpy as np
import redis


def main() -> None:
    agent = MoodTrackerAgent()
    agent.run()


if __name__ == "__main__":
    main()
