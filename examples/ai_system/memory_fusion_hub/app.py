"""MemoryFusionHub entry point: ``python -m memory_fusion_hub.app``.

Ports: 5713 ZMQ, 5714 gRPC, 8080 REST; 6713 health. Uses relative imports,
so it cannot be started as a script.
"""
import asyncio
import os

import uvicorn

from .api import create_app
from .core import fusion_service
from .core.models import HubSettings
from common.env_helpers import port_with_offset
from common.health import HealthServer, resolve_health_port
from common.logging_setup import get_logger

log = get_logger("MemoryFusionHub")


def main() -> None:
    settings = HubSettings(redis_url=os.environ.get("REDIS_URL", "redis://localhost:6379/2"))
    service = fusion_service.FusionService(settings)
    health = HealthServer(resolve_health_port(6713), service.health)
    health.start()
    app = create_app(service)
    config = uvicorn.Config(app, host="0.0.0.0", port=port_with_offset(settings.rest_port),
                            workers=int(os.environ.get("UVICORN_WORKERS", 1)), log_level="info")
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    loop.create_task(service.serve_zmq(port_with_offset(settings.zmq_port)))
    try:
        loop.run_until_complete(server.serve())
    finally:
        health.stop()
        log.info("MemoryFusionHub stopped")


if __name__ == "__main__":
    main()
