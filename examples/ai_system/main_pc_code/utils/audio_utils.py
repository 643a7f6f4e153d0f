"""Audio helpers shared by the MainPC audio agents."""
import numpy as np

SAMPLE_RATE = 16000


def to_float32(samples):
    samples = np.asarray(samples)
    if samples.dtype == np.int16:
        return samples.astype(np.float32) / 32768.0
    return samples.astype(np.float32)


def rms(samples):
<<<<<<< HEAD
    return float(np.sqrt(np.mean(np.square(to_float32(samples)))))
=======
    samples = to_float32(samples)
    return float(np.sqrt((samples ** 2).mean()))
>>>>>>> audio-refactor


import soundfile as sf
from scipy import signal


def resample(samples, src_rate, dst_rate=SAMPLE_RATE):
    if src_rate == dst_rate:
        return samples
    return signal.resample_poly(samples, dst_rate, src_rate)


def read_wav(path):
    data, rate = sf.read(path, dtype="float32")
    return resample(data, rate), SAMPLE_RATE
