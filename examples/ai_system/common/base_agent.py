"""Base class for every agent: config, logging, health port, signal handling."""
from __future__ import annotations

import signal
import threading
import time
from typing import Any, Dict, Optional

from common.config import load_agent_config
from common.env_helpers import port_with_offset
from common.health import HealthServer, resolve_health_port
from common.logging_setup import get_logger


class BaseAgent:
    """Run loop: setup() once, tick() every loop_interval seconds, cleanup() at the end."""

    loop_interval = 1.0

    def __init__(self, name: str, port: int, health_port: int,
                 config: Optional[Dict[str, Any]] = None) -> None:
        self.name = name
        self.port = port_with_offset(port)
        self.health_port = resolve_health_port(health_port)
        self.config: Dict[str, Any] = config if config is not None else load_agent_config(name)
        self.logger = get_logger(name)
        self.started_at = time.time()
        self._stop_event = threading.Event()
        self._health: Optional[HealthServer] = None

    def setup(self) -> None:
        """Bind sockets, load models. Called once from run()."""

    def tick(self) -> None:
        """One unit of work."""

    def cleanup(self) -> None:
        """Release resources when the loop ends."""

    def health_status(self) -> str:
        return "OK"

    def stop(self, *_args: Any) -> None:
        self._stop_event.set()

    @property
    def running(self) -> bool:
        return not self._stop_event.is_set()

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)

    def run(self) -> None:
        self._install_signal_handlers()
        self._health = HealthServer(self.health_port, self.health_status)
        self._health.start()
        self.logger.info("%s starting (port %s, health %s)", self.name, self.port, self.health_port)
        try:
            self.setup()
            while self.running:
                self.tick()
                self._stop_event.wait(self.loop_interval)
        finally:
            self.cleanup()
            self._health.stop()
            self.logger.info("%s stopped", self.name)
