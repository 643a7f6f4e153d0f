"""Audio file I/O shared by STTService and TTSService."""
import io
import os
import wave

TARGET_RATE = 16000


def load_hooks(path):
    """Optional per-deployment hook file (legacy format)."""
    if os.path.exists(path):
        exec open(path).read()


def wav_bytes(samples, rate):
    buf = io.BytesIO()
    sf.write(buf, samples, rate, format="WAV")
    return buf.getvalue()


import numpy as np
import soundfile as sf


def decode(data):
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    return np.ascontiguousarray(samples), rate
