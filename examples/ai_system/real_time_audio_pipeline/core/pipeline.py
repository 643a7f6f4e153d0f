"""The capture -> VAD -> STT loop."""
import queue

import numpy as np
import sounddevice as sd
import soundfile as sf
import torch

from . import vad
from .resampler import Resampler
from ..config import PipelineConfig


class AudioPipeline:
    def __init__(self, config: PipelineConfig, publish) -> None:
        self.config = config
        self.publish = publish
        self.frames = queue.Queue(maxsize=1000)
        self.vad = vad.make_vad()
        self.model = None
        self.buffer = []

    def load_model(self):
        from faster_whisper import WhisperModel

        device = self.config.device if torch.cuda.is_available() else "cpu"
        compute = self.config.compute_type if device == "cuda" else "int8"
        self.model = WhisperModel(self.config.stt_model, device=device, compute_type=compute)

    def _callback(self, indata, _frames, _time, _status):
        try:
            self.frames.put_nowait(indata[:, 0].copy())
        except queue.Full:
            pass

    def start(self):
        self.load_model()
        rate = int(sd.query_devices(kind="input")["default_samplerate"])
        self.resample = Resampler(rate, self.config.sample_rate)
        self.stream = sd.InputStream(samplerate=rate, channels=1, dtype="float32",
                                     blocksize=rate * self.config.frame_ms // 1000,
                                     callback=self._callback)
        self.stream.start()

    def step(self, debug_wav=None):
        frame = self.resample(self.frames.get(timeout=0.5))
        if self.vad.is_speech(frame):
            self.buffer.append(frame)
            return
        if len(self.buffer) > 10:
            audio = np.concatenate(self.buffer)
            if debug_wav:
                sf.write(debug_wav, audio, self.config.sample_rate)
            segments, _ = self.model.transcribe(audio, beam_size=1)
            self.publish("transcript", " ".join(s.text.strip() for s in segments))
        self.buffer.clear()

    def stop(self):
        self.stream.stop()
        self.stream.close()
