"""EmpathyAgent: adapts response style to the user's detected emotion."""
import yaml

from common.zmq_agent import ZmqAgent
from common.zmq_helpers import request
from main_pc_code.agents.emotion_model import EMOTIONS

MOOD_TRACKER_PORT = 5704

STYLES = {
    "joy": {"tone": "cheerful", "verbosity": "normal"},
    "sadness": {"tone": "gentle", "verbosity": "short"},
    "anger": {"tone": "calm", "verbosity": "short"},
    "fear": {"tone": "reassuring", "verbosity": "normal"},
    "surprise": {"tone": "curious", "verbosity": "normal"},
    "neutral": {"tone": "friendly", "verbosity": "normal"},
}


class EmpathyAgent(ZmqAgent):
    def __init__(self, port: int = 5703, health_port: int = 6703):
        super().__init__("EmpathyAgent", port, health_port)
        self.overrides = self.config.get("style_overrides", {})

    def style_for(self, emotion):
        if emotion not in EMOTIONS:
            emotion = "neutral"
        style = dict(STYLES[emotion])
        style.update(self.overrides.get(emotion, {}))
        return style

    def handle_request(self, req):
        emotion = req.get("emotion")
        if emotion is None:
            mood = request("MoodTrackerAgent", MOOD_TRACKER_PORT, {"action": "get"}) or {}
            emotion = mood.get("mood", "neutral")
        return {"status": "ok", "style": self.style_for(emotion),
                "debug": yaml.safe_dump({"emotion": emotion})}


def main() -> None:
    agent = EmpathyAgent()
    agent.run()


if __name__ == "__main__":
    main()
