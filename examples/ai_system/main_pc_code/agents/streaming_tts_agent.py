"""StreamingTTSAgent: plays TTSService output and supports interruption.

CPU only: synthesis happens in TTSService; this agent plays the audio locally.
"""
import threading

import numpy as np
import sounddevice as sd

from common.zmq_agent import ZmqAgent
from common.zmq_helpers import request

TTS_PORT = 5801


class StreamingTTSAgent(ZmqAgent):
    def __init__(self, port: int = 5562, health_port: int = 6562):
        super().__init__("StreamingTTSAgent", port, health_port)
        self.playing = threading.Event()
        self.sample_rate = 24000

    def play(self, samples):
        self.playing.set()
        try:
            sd.play(samples, self.sample_rate)
            sd.wait()
        finally:
            self.playing.clear()

    def handle_request(self, request_payload):
        if request_payload.get("action") == "stop":
            sd.stop()
            return {"status": "ok", "stopped": True}
        reply = request("TTSService", TTS_PORT, {"text": request_payload.get("text", "")})
        if not reply or reply.get("status") != "ok":
            return {"status": "error", "error": "tts unavailable"}
        samples = np.frombuffer(bytes.fromhex(reply["audio_hex"])[44:], dtype=np.int16)
        threading.Thread(target=self.play, args=(samples,), daemon=True).start()
        return {"status": "ok", "queued": True}


def main() -> None:
    agent = StreamingTTSAgent()
    agent.run()


if __name__ == "__main__":
    main()
