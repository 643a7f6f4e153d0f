"""AgentTrustScorer (PC2): reliability scores for agents from their track record."""
import sqlite3
import time

import numpy as np

from common.zmq_agent import ZmqAgent

DB_FILE = "data/agent_trust.db"


class AgentTrustScorer(ZmqAgent):
	def __init__(self, port: int = 7122, health_port: int = 8122):
		super().__init__("AgentTrustScorer", port, health_port)
		self.db = sqlite3.connect(DB_FILE, check_same_thread=False)
		self.db.execute(
			"CREATE TABLE IF NOT EXISTS outcomes (agent TEXT, ok INTEGER, ms REAL, ts REAL)"
		)

	def record(self, agent, ok, ms):
		self.db.execute("INSERT INTO outcomes VALUES (?, ?, ?, ?)", (agent, int(ok), ms, time.time()))
		self.db.commit()

	def score(self, agent):
		rows = self.db.execute(
			"SELECT ok, ms FROM outcomes WHERE agent = ? ORDER BY ts DESC LIMIT 200", (agent,)
		).fetchall()
		if not rows:
			return 0.5
		data = np.asarray(rows, dtype=float)
		success = data[:, 0].mean()
		latency_penalty = np.clip(np.median(data[:, 1]) / 5000.0, 0.0, 0.5)
		return float(np.clip(success - latency_penalty, 0.0, 1.0))

	def handle_request(self, request):
		if request.get("action") == "record":
			self.record(request["agent"], request.get("ok", True), float(request.get("ms", 0)))
			return {"status": "ok"}
		return {"status": "ok", "score": self.score(request.get("agent", ""))}


def main() -> None:
	agent = AgentTrustScorer()
	agent.run()


if __name__ == "__main__":
	main()
