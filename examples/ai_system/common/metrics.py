"""Process metrics reporting (CPU, memory, request counters)."""
import os
import threading
import time


class MetricsReporter:
    def __init__(self, agent_name, interval=15.0):
        self.agent_name = agent_name
        self.interval = interval
        self.counters = {}
        self._lock = threading.Lock()

    def incr(self, key, amount=1):
        with self._lock:
            self.counters[key] = self.counters.get(key, 0) + amount

    def snapshot(self):
        proc = psutil.Process(os.getpid())
        return {
            "agent": self.agent_name,
            "time": time.time(),
            "cpu_percent": proc.cpu_percent(interval=None),
            "rss": proc.memory_info().rss,
            "counters": dict(self.counters,
        }

    def export(self):
        for key, value in self.counters.items():
            REQUESTS.labels(agent=self.agent_name, key=key).inc(value)


# imported after the class on purpose: keeps `import common.metrics` cheap in tests
import psutil
from prometheus_client import Counter

REQUESTS = Counter("agent_requests_total", "Requests handled", ["agent", "key"])
