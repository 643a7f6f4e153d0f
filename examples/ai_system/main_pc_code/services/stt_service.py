"""STTService: GPU speech-to-text (faster-whisper on the 4090).

Receives raw audio over ZMQ REP (port 5800) and returns the transcript.
"""
import os
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from common.zmq_agent import ZmqAgent  # noqa: E402
from main_pc_code.services.audio_io import decode  # noqa: E402

try:
    import whisper  # legacy openai-whisper backend, used when MODEL_BACKEND=whisper
except ImportError:
    whisper = None

MODEL_SIZE = os.environ.get("WHISPER_MODEL", "large-v3")


class STTService(ZmqAgent):
    def __init__(self, port: int = 5800, health_port: int = 6800):
        super().__init__("STTService", port, health_port)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.backend = os.environ.get("MODEL_BACKEND", "faster_whisper")
        self.model = None

    def load_model(self):
        if self.backend == "whisper" and whisper is not None:
            self.model = whisper.load_model(MODEL_SIZE, device=self.device)
            return
        from faster_whisper import WhisperModel

        compute_type = "float16" if self.device == "cuda" else "int8"
        self.model = WhisperModel(MODEL_SIZE, device=self.device, compute_type=compute_type)

    def setup(self):
        super().setup()
        self.load_model()

    def transcribe(self, samples):
        if self.backend == "whisper":
            return self.model.transcribe(samples)["text"]
        segments, _info = self.model.transcribe(samples, beam_size=5, vad_filter=True)
        return " ".join(seg.text.strip() for seg in segments)

    def handle_request(self, request):
        started = time.time()
        samples, _rate = decode(bytes.fromhex(request["audio_hex"]))
        text = self.transcribe(np.asarray(samples, dtype=np.float32))
        return {"status": "ok", "text": text, "seconds": time.time() - started}


def main() -> None:
    agent = STTService()
    agent.run()


if __name__ == "__main__":
    main()
