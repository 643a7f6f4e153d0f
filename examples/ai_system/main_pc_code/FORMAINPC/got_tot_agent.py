"""GoTToTAgent: graph/tree-of-thought search over ChainOfThoughtAgent.

CPU only: it expands and scores a search tree (numpy, networkx); every LLM
call goes to ChainOfThoughtAgent over ZMQ, so no model is loaded here.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402

from common.zmq_agent import ZmqAgent  # noqa: E402
from common.zmq_helpers import request  # noqa: E402
from main_pc_code.FORMAINPC.cot_protocol import COT_PORT, make_request, parse_reply  # noqa: E402


class GoTToTAgent(ZmqAgent):
    def __init__(self, port: int = 5646, health_port: int = 6646):
        super().__init__("GoTToTAgent", port, health_port)
        self.branching = int(self.config.get("branching", 3))
        self.depth = int(self.config.get("depth", 2))

    def expand(self, problem):
        reply = request("ChainOfThoughtAgent", COT_PORT, make_request(problem, temperature=0.8))
        return parse_reply(reply)

    def score(self, thoughts):
        lengths = np.array([len(t) for t in thoughts] or [0], dtype=float)
        return float(np.tanh(lengths.mean() / 200.0))

    def search(self, problem):
        graph = nx.DiGraph()
        graph.add_node(0, problem=problem, score=0.0)
        frontier, next_id = [0], 1
        for _ in range(self.depth):
            new_frontier = []
            for node in frontier:
                for _ in range(self.branching):
                    thoughts, answer = self.expand(graph.nodes[node]["problem"])
                    graph.add_node(next_id, problem=answer or problem, score=self.score(thoughts))
                    graph.add_edge(node, next_id)
                    new_frontier.append(next_id)
                    next_id += 1
            frontier = sorted(new_frontier, key=lambda n: graph.nodes[n]["score"])[-self.branching:]
        best = max(graph.nodes, key=lambda n: graph.nodes[n]["score"])
        return graph.nodes[best]["problem"], nx.shortest_path(graph, 0, best)

    def handle_request(self, req):
        answer, path = self.search(req["problem"])
        return {"status": "ok", "answer": answer, "path": path}


def main() -> None:
    agent = GoTToTAgent()
    agent.run()


if __name__ == "__main__":
    main()
