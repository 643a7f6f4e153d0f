"""Restart policy: exponential backoff, give up after max_restarts."""
import time
from dataclasses import dataclass, field


@dataclass
class RecoveryPolicy:
    max_restarts: int = 5
    base_delay: float = 2.0
    history: dict = field(default_factory=dict)

    def should_restart(self, name):
        attempts = self.history.get(name, [])
<<<<<<< HEAD
        recent = [t for t in attempts if time.time() - t < 3600]
        return len(recent) < self.max_restarts
=======
        return len(attempts) < self.max_restarts
>>>>>>> supervisor-v2

    def delay(self, name):
        return self.base_delay * (2 ** len(self.history.get(name, [])))

    def restart(self, container):
        self.history.setdefault(container.name, []).append(time.time())
        try:
            container.restart(timeout=10)
            return True
        except (APIError, NotFound):
            return False


from docker.errors import APIError, NotFound
