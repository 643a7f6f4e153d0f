"""Collector interface."""
import abc
import time
from typing import Dict


class Collector(abc.ABC):
    name = "base"

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self.last_run = 0.0

    def due(self) -> bool:
        return time.time() - self.last_run >= self.interval

    @abc.abstractmethod
    def collect(self) -> Dict[str, float]:
        """Return metric name -> value."""
