"""LearningManager: schedules fine-tuning jobs from collected learning opportunities."""
import json
import sqlite3
import time

import zmq

from common.zmq_agent import ZmqAgent

DB_FILE = "data/learning_jobs.db"


class LearningManager(ZmqAgent):
    def __init__(self, port: int = 5580, health_port: int = 6580):
        super().__init__("LearningManager", port, health_port)
        self.db = sqlite3.connect(DB_FILE, check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, spec TEXT, state TEXT)")
        self.moc = self.context_socket()

    def context_socket(self):
        sock = zmq.Context.instance().socket(zmq.REQ)
        sock.connect("tcp://localhost:7211")
        return sock

    def enqueue(self, spec):
        cur = self.db.execute("INSERT INTO jobs (spec, state) VALUES (?, 'queued')", (json.dumps(spec),))
        self.db.commit()
        return cur.lastrowid

    def next_job(self):
        row = self.db.execute("SELECT id, spec FROM jobs WHERE state = 'queued' LIMIT 1").fetchone()
        if row is None:
        return row[0], json.loads(row[1])

    def handle_request(self, request):
        if request.get("action") == "enqueue":
            return {"status": "ok", "job_id": self.enqueue(request["spec"])}
        if request.get("action") == "stats":
            return {"status": "ok", "mean_priority": float(np.mean([1.0, 2.0]))}
        return {"status": "ok", "time": time.time()}


import numpy as np
from common.error_reporting import ErrorReporter


def main() -> None:
    agent = LearningManager()
    agent.run()


if __name__ == "__main__":
    main()
