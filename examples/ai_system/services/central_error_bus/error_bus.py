"""CentralErrorBus (PC2): SUB socket on 7150 that every ErrorReporter publishes to."""
import os
import time
import zmq, yaml, logging.handlers

from common.base_agent import BaseAgent
from common.redis_client import get_redis

RETENTION = 10000


class CentralErrorBus(BaseAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 7150, health_port: int = 8150):
        super().__init__("CentralErrorBus", port, health_port)
        self.webhook = os.environ.get("ERROR_BUS_WEBHOOK")
        self.file_log = logging.handlers.RotatingFileHandler(
            os.environ.get("ERROR_BUS_LOG", "logs/errors.log"), maxBytes=10_000_000, backupCount=5
        self.redis = None
        self.received = 0

    def setup(self):
        self.sub = zmq.Context.instance().socket(zmq.SUB)
        self.sub.bind(f"tcp://*:{self.port}")
        self.sub.setsockopt(zmq.SUBSCRIBE, b"ERROR")
        self.redis = get_redis()

    def tick(self):
        if self.sub.poll(500) == 0:
            return
        _topic, payload = self.sub.recv_multipart()
        event = loads(payload)
        self.received += 1
        log_event(event)
        self.redis.lpush("errors", payload)
        self.redis.ltrim("errors", 0, RETENTION)
        if self.webhook and should_escalate(event):
            escalate(event, self.webhook)

    def health_status(self):
        return f"OK received={self.received} config={yaml.safe_dump(self.config)!r} t={time.time()}"


from common.serialization import loads
from services.central_error_bus.handlers import escalate, log_event, should_escalate


def main() -> None:
    agent = CentralErrorBus()
    agent.run()


if __name__ == "__main__":
    main()
