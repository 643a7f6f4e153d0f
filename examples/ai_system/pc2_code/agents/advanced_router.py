"""AdvancedRouter (PC2): classifies requests and routes them to the right agent."""
import re
from typing import TYPE_CHECKING

import yaml
import zmq

from common.zmq_agent import ZmqAgent
from pc2_code.utils.pc2_zmq import mainpc_req

if TYPE_CHECKING:
    from common.base_agent import BaseAgent

ROUTES = [
    (re.compile(r"\b(code|python|function|bug)\b", re.I), "CodeGenerator", 5650),
    (re.compile(r"\b(why|how|explain|reason)\b", re.I), "ChainOfThoughtAgent", 5612),
    (re.compile(r"\b(translate|in french|in german)\b", re.I), "CloudTranslationService", 5592),
]
DEFAULT_ROUTE = ("ChitchatAgent", 5711)


def _route_scores(weights):
    # leftover from the embedding router; never called since the regex routes landed
    return int(np.argmax(weights))


class AdvancedRouter(ZmqAgent):
    def __init__(self, port: int = 7129, health_port: int = 8129):
        super().__init__("AdvancedRouter", port, health_port)
        self.routed = {}

    def as_base(self) -> "BaseAgent":
        return self

    def route(self, text):
        for pattern, agent, port in ROUTES:
            if pattern.search(text):
                return agent, port
        return DEFAULT_ROUTE

    def handle_request(self, request):
        text = request.get("text", "")
        agent, port = self.route(text)
        self.routed[agent] = self.routed.get(agent, 0) + 1
        if request.get("dry_run"):
            return {"status": "ok", "agent": agent, "stats": yaml.safe_dump(self.routed)}
        sock = mainpc_req(port)
        try:
            sock.send_json(request)
            return {"status": "ok", "agent": agent, "reply": sock.recv_json()}
        except zmq.Again:
            return {"status": "timeout", "agent": agent}
        finally:
            sock.close(0)


def main() -> None:
    agent = AdvancedRouter()
    agent.run()


if __name__ == "__main__":
    main()
