"""SpeechRelayService (PC2): relays TTS audio and vision captions between machines.

Pulls speech requests from PC2 agents, asks TTSService on MainPC for audio,
and streams WAV chunks back over ZMQ (port 7130).
"""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import zmq  # noqa: E402

from common.base_agent import BaseAgent  # noqa: E402
from common.zmq_helpers import bind_socket, create_context, recv_json, request, send_json  # noqa: E402
from services.speech_relay.codec import frame, to_wav  # noqa: E402

TTS_PORT = 5801
VISION_PORT = 7160


class SpeechRelayService(BaseAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 7130, health_port: int = 8130):
        super().__init__("SpeechRelayService", port, health_port)
        self.relayed = 0

    def setup(self):
        self.socket = bind_socket(create_context(), zmq.REP, self.port)

    def speak(self, text):
        reply = request("TTSService", TTS_PORT, {"text": text}) or {}
        audio = np.frombuffer(bytes.fromhex(reply.get("audio_hex", "")), dtype=np.uint8)
        return frame("WAV", to_wav(audio.astype(np.float32) / 255.0))

    def tick(self):
        req = recv_json(self.socket, timeout_ms=500)
        if req is None:
            return
        started = time.time()
        if req.get("action") == "describe":
            caption = request("VisionProcessingAgent", VISION_PORT, req) or {}
            text = ", ".join(d["label"] for d in caption.get("detections", [])) or "nothing"
        else:
            text = req.get("text", "")
        payload = self.speak(text)
        self.relayed += 1
        send_json(self.socket, {"status": "ok", "chunk_hex": payload.hex(),
                                "ms": int((time.time() - started) * 1000)})


def main() -> None:
    agent = SpeechRelayService()
    agent.run()


if __name__ == "__main__":
    main()
