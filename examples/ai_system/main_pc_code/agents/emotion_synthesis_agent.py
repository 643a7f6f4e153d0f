"""EmotionSynthesisAgent: turns an emotion label into prosody parameters.

CPU only: the mapping is rule based (numpy interpolation between presets); no
model is loaded, so no GPU is needed.
"""
import numpy as np

from common.zmq_agent import ZmqAgent

# emotion -> (pitch shift semitones, rate multiplier, energy multiplier)
PRESETS = {
    "neutral": (0.0, 1.00, 1.00),
    "joy": (2.0, 1.10, 1.20),
    "sadness": (-2.0, 0.85, 0.80),
    "anger": (1.0, 1.15, 1.40),
    "fear": (3.0, 1.20, 0.90),
    "surprise": (4.0, 1.05, 1.25),
}


class EmotionSynthesisAgent(ZmqAgent):
    def __init__(self, port: int = 5706, health_port: int = 6706):
        super().__init__("EmotionSynthesisAgent", port, health_port)
        self.table = {name: np.array(values) for name, values in PRESETS.items()}

    def prosody(self, emotion, intensity):
        intensity = float(np.clip(intensity, 0.0, 1.0))
        target = self.table.get(emotion, self.table["neutral"])
        blended = (1 - intensity) * self.table["neutral"] + intensity * target
        pitch, rate, energy = blended.round(3).tolist()
        return {"pitch": pitch, "rate": rate, "energy": energy}

    def handle_request(self, request):
        params = self.prosody(request.get("emotion", "neutral"), request.get("intensity", 0.5))
        return {"status": "ok", "prosody": params}


def main() -> None:
    agent = EmotionSynthesisAgent()
    agent.run()


if __name__ == "__main__":
    main()
