"""ObservabilityDashboardAPI (port 8001).

Defines ``app`` only; it is served by the uvicorn CLI:
    uvicorn services.obs_dashboard_api.server:app --host 0.0.0.0 --port 8001
"""
import os
import socket
from typing import TYPE_CHECKING

import httpx
from fastapi import FastAPI

from services.obs_dashboard_api.schemas import AgentStatus, Overview

if TYPE_CHECKING:
    from starlette.requests import Request

UOC_URL = os.environ.get("UOC_URL", "http://localhost:9100")
AGENTS = {
    "ServiceRegistry": ("MainPC", 8200),
    "TaskScheduler": ("PC2", 8115),
    "AuthenticationAgent": ("PC2", 8116),
}

app = FastAPI(title="ObservabilityDashboardAPI", version="1.0")


def probe(port: int) -> AgentStatus:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            return AgentStatus(name="", machine="", healthy=True, detail=sock.recv(64).decode().strip())
    except OSError as exc:
        return AgentStatus(name="", machine="", healthy=False, detail=str(exc))


@app.get("/agents", response_model=list[AgentStatus])
def agents():
    out = []
    for name, (machine, port) in AGENTS.items():
        status = probe(port)
        out.append(status.model_copy(update={"name": name, "machine": machine}))
    return out


def client_host(request: "Request") -> str:
    return request.client.host if request.client else "?"


@app.get("/overview", response_model=Overview)
async def overview():
    async with httpx.AsyncClient(timeout=3.0) as client:
        resp = await client.get(f"{UOC_URL}/metrics")
    metrics = {}
    for line in resp.text.splitlines():
        if line.startswith("uoc_") and " " in line:
            key, value = line.rsplit(" ", 1)
            metrics[key] = float(value)
    return Overview(agents=agents(), metrics=metrics)
