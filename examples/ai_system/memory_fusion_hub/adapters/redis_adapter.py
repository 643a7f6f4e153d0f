"""Hot tier: Redis through redis.asyncio."""
import redis.asyncio as aioredis

try:
    import orjson as json_lib
except ImportError:
    import json as json_lib


class RedisTier:
    def __init__(self, url: str) -> None:
        self.client = aioredis.from_url(url)

    async def set(self, key, value, ttl):
        await self.client.set(key, json_lib.dumps(value), ex=ttl)

    async def get(self, key):
        raw = await self.client.get(key)
        return json_lib.loads(raw) if raw else None

    async def close(self):
        await self.client.aclose()
