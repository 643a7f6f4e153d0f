"""Fusion of the Redis hot tier and the SQLite cold tier."""
import zmq
import zmq.asyncio
from google.protobuf import json_format

from ..adapters import redis_adapter
from ..adapters.sqlite_adapter import SqliteStore
from ..common_utils import expires_at, make_key
from ..proto import memory_pb2
from .models import HubSettings, MemoryRecord


class FusionService:
    def __init__(self, settings: HubSettings) -> None:
        self.settings = settings
        self.hot = redis_adapter.RedisTier(settings.redis_url)
        self.cold = SqliteStore(settings.sqlite_path)
        self.writes = 0

    async def put(self, namespace, key, value, ttl=None):
        ttl = ttl or self.settings.default_ttl
        record = MemoryRecord(namespace=namespace, key=key, value=value, expires_at=expires_at(ttl))
        await self.hot.set(make_key(namespace, key), record.model_dump(), ttl)
        self.cold.save(record)
        self.writes += 1
        if self.settings.backup_bucket and self.writes % 1000 == 0:
            from ..adapters.cloud_backup import backup_snapshot

            backup_snapshot(self.settings.backup_bucket, self.cold.dump())

    async def get(self, namespace, key):
        value = await self.hot.get(make_key(namespace, key))
        return value if value is not None else self.cold.load(namespace, key)

    def to_proto(self, record: MemoryRecord):
        message = memory_pb2.MemoryItem(namespace=record.namespace, key=record.key)
        return json_format.ParseDict({"valueJson": str(record.value)}, message)

    def grpc_servicer(self):
        from ..proto import memory_pb2_grpc

        return memory_pb2_grpc.MemoryServicer()

    async def serve_zmq(self, port):
        sock = zmq.asyncio.Context.instance().socket(zmq.REP)
        sock.bind(f"tcp://*:{port}")
        while True:
            request = await sock.recv_json()
            if request.get("action") == "put":
                await self.put(request["namespace"], request["key"], request["value"])
                await sock.send_json({"status": "ok"})
            else:
                await sock.send_json({"status": "ok", "value": await self.get(request["namespace"], request["key"])})

    def health(self) -> str:
        return f"OK writes={self.writes}"
