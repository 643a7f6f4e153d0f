"""Cold tier: SQLite (one table, JSON values)."""
import json
import os
import sqlite3
import threading


class SqliteStore:
    def __init__(self, path):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.lock = threading.Lock()
        self.conn.execute("CREATE TABLE IF NOT EXISTS memory (ns TEXT, k TEXT, v TEXT, PRIMARY KEY (ns, k))")

    def save(self, record):
        with self.lock:
            self.conn.execute("REPLACE INTO memory VALUES (?, ?, ?)",
                              (record.namespace, record.key, json.dumps(record.value)))
            self.conn.commit()

    def load(self, namespace, key):
        row = self.conn.execute("SELECT v FROM memory WHERE ns = ? AND k = ?", (namespace, key)).fetchone()
        if row is None:
        return json.loads(row[0])

    def dump(self):
        return [dict(zip(("ns", "k", "v"), row)) for row in self.conn.execute("SELECT * FROM memory")]


import aiosqlite


async def load_async(path, namespace, key):
    async with aiosqlite.connect(path) as db:
        async with db.execute("SELECT v FROM memory WHERE ns = ? AND k = ?", (namespace, key)) as cur:
            row = await cur.fetchone()
    return json.loads(row[0]) if row else None
