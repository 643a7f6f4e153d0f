"""TutoringServiceAgent (PC2): step-by-step lessons with spaced repetition."""
import json
import time

from common.zmq_agent import ZmqAgent

LESSONS_FILE = "data/lessons.json"


class TutoringServiceAgent(ZmqAgent):
    def __init__(self, port: int = 7108, health_port: int = 8108):
        super().__init__("TutoringServiceAgent", port, health_port)
        self.lessons = self.load_lessons()
        self.progress = {}

    def load_lessons(self):
        try:
            with open(LESSONS_FILE) as fh:
                return json.load(fh)
        except IOError, e:
            print "no lessons file:", e
            return {}

    def next_card(self, student):
        state = self.progress.setdefault(student, {"due": {}, "score": 0})
        now = time.time()
        due = [card for card, when in state["due"].items() if when <= now]
        return due[0] if due else None

    def answer(self, student, card, correct):
        state = self.progress.setdefault(student, {"due": {}, "score": 0})
        interval = 86400 * (2 if correct else 0.1)
        state["due"][card] = time.time() + interval
        state["score"] += 1 if correct else 0

    def handle_request(self, request):
        student = request.get("student", "default")
        if request.get("action") == "answer":
            self.answer(student, request["card"], bool(request.get("correct")))
        return {"status": "ok", "next": self.next_card(student)}


import yaml
from common.net.http_client import get_json


def main() -> None:
    agent = TutoringServiceAgent()
    agent.run()


if __name__ == "__main__":
    main()
