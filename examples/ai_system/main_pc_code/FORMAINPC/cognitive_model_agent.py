"""CognitiveModelAgent: belief graph over embedded statements (GPU embeddings)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import networkx as nx  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer, util  # noqa: E402
from transformers import logging as hf_logging  # noqa: E402

from common.zmq_agent import ZmqAgent  # noqa: E402

EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"


class CognitiveModelAgent(ZmqAgent):
    def __init__(self, port: int = 5641, health_port: int = 6641):
        super().__init__("CognitiveModelAgent", port, health_port)
        self.graph = nx.Graph()
        self.embedder = None
        self.vectors = []

    def setup(self):
        super().setup()
        hf_logging.set_verbosity_error()
        self.embedder = SentenceTransformer(EMBEDDER, device="cuda")

    def add_belief(self, statement, confidence=0.5):
        vec = self.embedder.encode(statement, convert_to_tensor=True)
        node = len(self.vectors)
        self.graph.add_node(node, statement=statement, confidence=confidence)
        for other, other_vec in enumerate(self.vectors):
            sim = float(util.cos_sim(vec, other_vec))
            if sim > 0.6:
                self.graph.add_edge(node, other, weight=sim)
        self.vectors.append(vec)
        return node

    def related(self, statement, k=5):
        if not self.vectors:
            return []
        query = self.embedder.encode(statement, convert_to_tensor=True)
        sims = util.cos_sim(query, torch.stack(self.vectors))[0]
        top = torch.topk(sims, min(k, len(self.vectors)))
        return [self.graph.nodes[int(i)]["statement"] for i in top.indices]

    def handle_request(self, request):
        if request.get("action") == "add":
            return {"status": "ok", "node": self.add_belief(request["statement"])}
        return {"status": "ok", "related": self.related(request.get("statement", ""))}


def main() -> None:
    agent = CognitiveModelAgent()
    agent.run()


if __name__ == "__main__":
    main()
