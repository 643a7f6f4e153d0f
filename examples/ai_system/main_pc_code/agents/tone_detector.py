"""ToneDetector: classifies the tone of a transcript (polite, urgent, angry...)."""
import re

import yaml

from common.zmq_agent import ZmqAgent

URGENT = re.compile(r"\b(now|immediately|asap|hurry|emergency)\b", re.I)
POLITE = re.compile(r"\b(please|thank you|thanks|could you|would you)\b", re.I)


class ToneDetector(ZmqAgent):
    def __init__(self, port: int = 5625, health_port: int = 6625):
        super().__init__("ToneDetector", port, health_port)
        self.weights = self.config.get("weights", {"urgent": 1.0, "polite": 0.5, "caps": 0.8})

    def features(self, text):
        words = text.split() or [""]
        caps = sum(1 for w in words if len(w) > 2 and w.isupper()) / len(words)
        return {
            "urgent": len(URGENT.findall(text)),
            "polite": len(POLITE.findall(text)),
            "caps": caps,
            "exclaim": text.count("!"),
        }

    def classify(self, text):
        f = self.features(text)
        score = np.mean([f["urgent"] * self.weights["urgent"], f["caps"] * self.weights["caps"]])
        if score > 0.5 or f["exclaim"] > 2:
            return "urgent" if f["urgent"] else "angry"
        return "polite" if f["polite"] else "neutral"

    def handle_request(self, request):
        return {"status": "ok", "tone": self.classify(request.get("text", "")),
                "config": yaml.safe_dump(self.weights)}


def main() -> None:
    agent = ToneDetector()
    agent.run()


if __name__ == "__main__":
    main()
