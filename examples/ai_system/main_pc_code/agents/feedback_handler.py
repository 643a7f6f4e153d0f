"""FeedbackHandler: collects user feedback on responses and stores it in Redis."""
import time
import uuid

import orjson

from common.redis_client import get_redis
from common.zmq_agent import ZmqAgent

FEEDBACK_KEY = "feedback:events"


class FeedbackHandler(ZmqAgent):
    def __init__(self, port: int = 5636, health_port: int = 6636):
        super().__init__("FeedbackHandler", port, health_port)
        self.redis = None
        self.count = 0

    def setup(self):
        super().setup()
        self.redis = get_redis()

    def store(self, rating, response_id, comment=""):
        event = {
            "id": str(uuid.uuid4()),
            "response_id": response_id,
            "rating": rating,
            "comment": comment,
            "ts": time.time(),
        }
        self.redis.lpush(FEEDBACK_KEY, orjson.dumps(event))
        self.redis.ltrim(FEEDBACK_KEY, 0, 9999)
        self.count += 1
        return event["id"]

    def handle_request(self, request):
        rating = int(request.get("rating", 0))
        if not -1 <= rating <= 1:
            return {"status": "error", "error": "rating must be -1, 0 or 1"}
        event_id = self.store(rating, request.get("response_id"), request.get("comment", ""))
        return {"status": "ok", "id": event_id}

    def health_status(self):
        return f"OK feedback={self.count}"


def main() -> None:
    agent = FeedbackHandler()
    agent.run()


if __name__ == "__main__":
    main()
