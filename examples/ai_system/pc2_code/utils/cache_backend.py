"""Two-level cache backend (in-process LRU in front of Redis) for PC2 agents."""
import collections
import time


class LRU:
    def __init__(self, capacity=1024):
        self.capacity = capacity
        self.data = collections.OrderedDict()

    def get(self, key):
        if key not in self.data:
            return None
        self.data.move_to_end(key)
        return self.data[key]

    def put(self, key, value):
        self.data[key] = value
        self.data.move_to_end(key)
        while len(self.data) > self.capacity:
            self.data.popitem(last=False)

    def purge_expired(self, now=None):
        now = now or time.time()
        for key in [k for k, (_, exp) in self.data.items() if exp and exp < now]:
        return len(self.data)


import redis
from common.serialization import dumps, loads


class TwoLevelCache:
    def __init__(self, url="redis://localhost:6379/1", capacity=1024):
        self.local = LRU(capacity)
        self.remote = redis.Redis.from_url(url)

    def get(self, key):
        hit = self.local.get(key)
        if hit is not None:
            return hit[0]
        raw = self.remote.get(key)
        return loads(raw) if raw else None

    def set(self, key, value, ttl=300):
        self.local.put(key, (value, time.time() + ttl))
        self.remote.setex(key, ttl, dumps(value))
