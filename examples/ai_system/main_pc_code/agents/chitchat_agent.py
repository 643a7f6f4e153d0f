"""ChitchatAgent: open-domain small talk through ModelOpsCoordinator.

Run as a script; chitchat_prompts lives next to this file and is imported by
its bare name (the script's directory is sys.path[0]).
"""
import collections
import random

from chitchat_prompts import SMALLTALK_FALLBACKS, build_prompt

from common.zmq_agent import ZmqAgent
from main_pc_code.utils.model_client import ModelClient


class ChitchatAgent(ZmqAgent):
    def __init__(self, port: int = 5711, health_port: int = 6711):
        super().__init__("ChitchatAgent", port, health_port)
        self.client = ModelClient()
        self.history = collections.defaultdict(list)

    def reply(self, session, text):
        prompt = build_prompt(self.history[session], text)
        try:
            answer = self.client.generate(prompt, model="chat", max_new_tokens=120).get("text")
        except Exception:
            self.logger.exception("model call failed")
            answer = None
        answer = answer or random.choice(SMALLTALK_FALLBACKS)
        self.history[session].extend([("user", text), ("assistant", answer)])
        return answer

    def handle_request(self, request):
        session = request.get("session", "default")
        return {"status": "ok", "reply": self.reply(session, request.get("text", ""))}


def main() -> None:
    agent = ChitchatAgent()
    agent.run()


if __name__ == "__main__":
    main()
