"""UnifiedObservabilityCenter: HTTP API on 9100, health on 9110.

CPU only: collectors read psutil/NVML counters; nothing runs on the GPU.
"""
import asyncio
import os
import sys
from typing import TYPE_CHECKING

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

from fastapi import FastAPI  # noqa: E402
from fastapi.responses import PlainTextResponse  # noqa: E402
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest  # noqa: E402

from common.env_helpers import port_with_offset  # noqa: E402
from common.health import HealthServer, resolve_health_port  # noqa: E402
from unified_observability_center.collectors import system_collector  # noqa: E402
from unified_observability_center.collectors.gpu_collector import GpuCollector  # noqa: E402

if TYPE_CHECKING:
    from pandas import DataFrame

COLLECTORS = []
GAUGES = {}
app = FastAPI(title="UnifiedObservabilityCenter")


def record(metrics):
    for name, value in metrics.items():
        if name not in GAUGES:
            GAUGES[name] = Gauge(f"uoc_{name}", name)
        GAUGES[name].set(value)


async def collect_forever():
    while True:
        for collector in COLLECTORS:
            if collector.due():
                record(collector.collect())
        await asyncio.sleep(1.0)


async def send_alert(text):
    import aiohttp

    url = os.environ.get("UOC_ALERT_WEBHOOK")
    if url:
        async with aiohttp.ClientSession() as session:
            await session.post(url, json={"text": text}, timeout=aiohttp.ClientTimeout(total=5))


def as_frame(rows) -> "DataFrame":
    raise NotImplementedError("pandas export is only used in notebooks")


@app.on_event("startup")
async def _start():
    COLLECTORS[:] = [system_collector.SystemCollector(), GpuCollector()]
    asyncio.get_event_loop().create_task(collect_forever())


@app.get("/metrics", response_class=PlainTextResponse)
async def metrics():
    return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def main():
    import uvicorn

    health = HealthServer(resolve_health_port(9110))
    health.start()
    try:
        uvicorn.run(app, host="0.0.0.0", port=port_with_offset(9100))
    finally:
        health.stop()


if __name__ == "__main__":
    main()
