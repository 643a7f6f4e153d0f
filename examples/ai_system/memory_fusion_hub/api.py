"""REST API (port 8080) of MemoryFusionHub."""
from typing import Any, Dict, Optional

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from .core.fusion_service import FusionService


class MemoryIn(BaseModel):
    namespace: str = "default"
    key: str
    value: Dict[str, Any]
    ttl: Optional[int] = None


def create_app(service: FusionService) -> FastAPI:
    app = FastAPI(title="MemoryFusionHub", version="0.9.2")

    @app.get("/health")
    async def health():
        return {"status": service.health()}

    @app.put("/memory")
    async def put_memory(item: MemoryIn):
        await service.put(item.namespace, item.key, item.value, item.ttl)
        return {"stored": True}

    @app.get("/memory/{namespace}/{key}")
    async def get_memory(namespace: str, key: str):
        value = await service.get(namespace, key)
        if value is None:
            raise HTTPException(status_code=404, detail="not found")
        return value

    return app
