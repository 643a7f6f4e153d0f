"""TTSService: GPU text-to-speech (Coqui XTTS) for MainPC."""
import os
import time

import numpy as np
import soundfile as sf
import torch
from TTS.api import TTS

from common.zmq_agent import ZmqAgent
from main_pc_code.services.audio_io import wav_bytes

MODEL_NAME = os.environ.get("TTS_MODEL", "tts_models/multilingual/multi-dataset/xtts_v2")
SPEAKER_WAV = os.environ.get("TTS_SPEAKER_WAV", "models/voices/default.wav")


class TTSService(ZmqAgent):
    def __init__(self, port: int = 5801, health_port: int = 6801):
        super().__init__("TTSService", port, health_port)
        self.tts = None
        self.sample_rate = 24000

    def setup(self):
        super().setup()
        if not torch.cuda.is_available():
            raise SystemExit("TTSService requires a CUDA device")
        self.tts = TTS(MODEL_NAME).to("cuda")

    def synthesize(self, text, language="en"):
        wav = self.tts.tts(text=text, speaker_wav=SPEAKER_WAV, language=language)
        return np.asarray(wav, dtype=np.float32)

    def handle_request(self, request):
        started = time.time()
        samples = self.synthesize(request.get("text", ""), request.get("language", "en"))
        if request.get("save_to"):
            sf.write(request["save_to"], samples, self.sample_rate)
        return {
            "status": "ok",
            "audio_hex": wav_bytes(samples, self.sample_rate).hex(),
            "seconds": time.time() - started,
        }


def main() -> None:
    agent = TTSService()
    agent.run()


if __name__ == "__main__":
    main()
