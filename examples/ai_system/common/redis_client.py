"""Redis connections, sync and asyncio."""
import redis
import redis.asyncio as aioredis

from common.env_helpers import get_env, get_int


def redis_url() -> str:
    url = get_env("REDIS_URL")
    if url:
        return url
    host = get_env("REDIS_HOST", "localhost")
    return f"redis://{host}:{get_int('REDIS_PORT', 6379)}/{get_int('REDIS_DB', 0)}"


def get_redis() -> "redis.Redis":
    return redis.Redis.from_url(redis_url(), decode_responses=True)


def get_async_redis() -> "aioredis.Redis":
    return aioredis.from_url(redis_url(), decode_responses=True)


def ping(client=None) -> bool:
    client = client or get_redis()
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        return False
