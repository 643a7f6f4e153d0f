"""ModelOpsCoordinator entry point.

Run it as a module, ``python -m model_ops_coordinator.app``: the relative
imports below fail when this file is started as a script.
Ports: 7211 ZMQ, 7212 gRPC, 8008 metrics (HTTP); 8212 health.
"""
from __future__ import annotations

import signal
import threading

from prometheus_client import start_http_server

from . import config
from .core.model_registry import ModelRegistry
from .core.scheduler import InferenceScheduler
from .server.grpc_server import serve_grpc
from .server.zmq_server import ZmqFrontend
from common.env_helpers import port_with_offset
from common.health import HealthServer, resolve_health_port
from common.logging_setup import get_logger

log = get_logger("ModelOpsCoordinator")


def main() -> None:
    settings = config.load_settings()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    registry = ModelRegistry(settings.models)
    scheduler = InferenceScheduler(registry, max_workers=settings.max_workers)
    health = HealthServer(resolve_health_port(8212), scheduler.health)
    health.start()
    start_http_server(port_with_offset(settings.metrics_port))
    grpc_server = serve_grpc(scheduler, port_with_offset(settings.grpc_port))
    frontend = ZmqFrontend(scheduler, port_with_offset(settings.zmq_port))
    threading.Thread(target=frontend.serve, args=(stop,), daemon=True).start()
    log.info("ModelOpsCoordinator up: %d models configured", len(settings.models))

    stop.wait()
    grpc_server.stop(grace=5)
    scheduler.shutdown()
    health.stop()


if __name__ == "__main__":
    main()
