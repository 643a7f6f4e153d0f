"""CacheManager (PC2): shared response/embedding cache for all PC2 agents."""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from common.zmq_agent import ZmqAgent  # noqa: E402
from pc2_code.utils.cache_backend import TwoLevelCache  # noqa: E402
from pc2_code.utils.legacy_cache import LegacyCache  # noqa: E402

DEFAULT_TTL = 300


class CacheManager(ZmqAgent):
    def __init__(self, port: int = 7102, health_port: int = 8102):
        super().__init__("CacheManager", port, health_port)
        url = self.config.get("redis_url", "redis://localhost:6379/1")
        self.cache = TwoLevelCache(url)
        self.legacy = LegacyCache()
        self.hits = 0
        self.misses = 0

    def handle_request(self, request):
        action = request.get("action")
        key = request.get("key", "")
        try:
            if action == "get":
                value = self.cache.get(key)
                if value is None:
                    value = self.legacy.get(key)
                if value is None:
                    self.misses += 1
                else:
                    self.hits += 1
                return {"status": "ok", "value": value}
            if action == "set":
                self.cache.set(key, request.get("value"), int(request.get("ttl", DEFAULT_TTL)))
                return {"status": "ok"}
        except redis.exceptions.RedisError as exc:
            return {"status": "error", "error": str(exc)}
        return {"status": "error", "error": f"unknown action {action!r}", "ts": time.time()}

    def health_status(self):
        return f"OK hits={self.hits} misses={self.misses}"


def main() -> None:
    agent = CacheManager()
    agent.run()


if __name__ == "__main__":
    main()
