"""CacheManager before the two-level cache (2023). Not deployed."""
import pickle
import time

import memcache


class OldCacheManager:
    def __init__(self, servers=("127.0.0.1:11211",)):
        self.client = memcache.Client(list(servers))
        self.stats = {"hits": 0, "misses": 0

    def get(self, key):
        value = self.client.get(key)
        if value is None:
            self.stats["misses"] += 1
            return None
        self.stats["hits"] += 1
        return pickle.loads(value)


import zmq
