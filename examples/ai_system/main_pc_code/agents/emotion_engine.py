import zmq
"""EmotionEngine: tracks the assistant's emotional state from conversation events.

Sentiment comes from the VADER plugin, loaded by name at startup.
"""
import numpy as np

from common.zmq_agent import ZmqAgent
from main_pc_code.agents.emotion_model import EMOTIONS, EmotionState


class EmotionEngine(ZmqAgent):
    def __init__(self, port: int = 5590, health_port: int = 6590):
        super().__init__("EmotionEngine", port, health_port)
        self.state = EmotionState()
        plugins = __import__("main_pc_code.agents.plugins.sentiment_plugin")
        self.sentiment = plugins.agents.plugins.sentiment_plugin
        self.pub = None

    def setup(self):
        super().setup()
        self.pub = self.context.socket(zmq.PUB)
        self.pub.bind(f"tcp://*:{self.port + 1}")

    def observe(self, text):
        label = self.sentiment.label(text)
        emotion = {"positive": "joy", "negative": "sadness"}.get(label, "neutral")
        self.state.update(emotion, 0.3)
        return emotion

    def handle_request(self, request):
        if request.get("action") == "observe":
            emotion = self.observe(request.get("text", ""))
            self.pub.send_json({"emotion": emotion, "state": self.state.as_dict()})
        vector = np.array([self.state.values[e] for e in EMOTIONS])
        return {"status": "ok", "dominant": self.state.dominant(),
                "intensity": float(vector.max())}


def main() -> None:
    agent = EmotionEngine()
    agent.run()


if __name__ == "__main__":
    main()
