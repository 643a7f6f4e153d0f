"""NLUAgent: intent and entity extraction for user utterances.

Intent matching is done by plugins in main_pc_code/agents/plugins, loaded by
name. Example plugin (not shipped):

    from fake_nlu_backend import Parser
"""
import importlib
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from common.zmq_agent import ZmqAgent  # noqa: E402
from main_pc_code.utils.nlp_utils import is_greeting, sentences  # noqa: E402

intent_rules = importlib.import_module(".plugins.intent_rules", package="main_pc_code.agents")


class NLUAgent(ZmqAgent):
    def __init__(self, port: int = 5709, health_port: int = 6709):
        super().__init__("NLUAgent", port, health_port)
        self.plugins = {"intent_rules": intent_rules.match_intent}
        for name in self.config.get("extra_plugins", []):
            module = importlib.import_module(f"main_pc_code.agents.plugins.{name}")
            module.register(self.plugins)
        self._tagger_ready = False

    def entities(self, text):
        import nltk

        if not self._tagger_ready:
            nltk.download("averaged_perceptron_tagger", quiet=True)
            self._tagger_ready = True
        tokens = nltk.word_tokenize(text)
        return [word for word, tag in nltk.pos_tag(tokens) if tag.startswith("NNP")]

    def handle_request(self, request):
        text = request.get("text", "")
        if is_greeting(text):
            return {"status": "ok", "intent": "greeting", "entities": []}
        results = [self.plugins["intent_rules"](s) for s in sentences(text)]
        best = max(results, key=lambda r: r["confidence"]) if results else None
        return {"status": "ok", "intent": best, "entities": self.entities(text)}


def main() -> None:
    agent = NLUAgent()
    agent.run()


if __name__ == "__main__":
    main()
