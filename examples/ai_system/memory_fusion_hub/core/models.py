"""Settings and records of MemoryFusionHub (pydantic)."""
from typing import TYPE_CHECKING, Any, Dict, Optional

from pydantic import BaseModel

if TYPE_CHECKING:
    from redis.asyncio import Redis


class HubSettings(BaseModel):
    redis_url: str = "redis://localhost:6379/2"
    sqlite_path: str = "data/memory_fusion.db"
    zmq_port: int = 5713
    grpc_port: int = 5714
    rest_port: int = 8080
    default_ttl: int = 86400
    backup_bucket: Optional[str] = None


class MemoryRecord(BaseModel):
    namespace: str
    key: str
    value: Dict[str, Any]
    expires_at: Optional[float] = None


def describe(client: "Redis") -> str:
    return f"redis client {client!r}"
