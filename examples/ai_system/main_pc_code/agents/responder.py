"""Responder: assembles the final answer (text, emotion, voice) and routes it.

Talks to many agents: EmotionEngine for tone, StreamingTTSAgent for speech,
the UI over ZMQ PUB. Configuration may be TOML or YAML.
"""
import time
from typing import Optional

import numpy as np
import yaml
import zmq
from pydantic import BaseModel

from common.error_reporting import ErrorReporter
from common.net.http_client import make_session
from common.platform_compat import load_toml
from common.zmq_agent import ZmqAgent
from common.zmq_helpers import request as zmq_request

EMOTION_ENGINE_PORT = 5590
STREAMING_TTS_PORT = 5562


class Response(BaseModel):
    text: str
    emotion: Optional[str] = None
    speak: bool = True
    created: float = 0.0


class Responder(ZmqAgent):
    def __init__(self, port: int = 5637, health_port: int = 6637):
        super().__init__("Responder", port, health_port)
        self.errors = ErrorReporter(self.name)
        self.session = make_session()
        self.voice_gain = np.float32(self.config.get("voice_gain", 1.0))
        self.ui_pub = None

    def setup(self):
        super().setup()
        self.ui_pub = self.context.socket(zmq.PUB)
        self.ui_pub.bind(f"tcp://*:{self.port + 1000}")

    def load_style(self, path):
        if path.endswith(".toml"):
            return load_toml(path)
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)

    def handle_request(self, request):
        response = Response(text=request.get("text", ""), created=time.time())
        try:
            tone = zmq_request("EmotionEngine", EMOTION_ENGINE_PORT, {"action": "current"})
            response.emotion = (tone or {}).get("dominant")
            if response.speak:
                zmq_request("StreamingTTSAgent", STREAMING_TTS_PORT,
                            {"text": response.text, "emotion": response.emotion,
                             "gain": float(self.voice_gain)})
        except Exception as exc:
            self.errors.report(exc)
        self.ui_pub.send_json(response.model_dump())
        return {"status": "ok", "response": response.model_dump()}


def main() -> None:
    agent = Responder()
    agent.run()


if __name__ == "__main__":
    main()
