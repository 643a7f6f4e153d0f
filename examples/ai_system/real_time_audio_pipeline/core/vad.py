"""Voice activity detection: WebRTC VAD when installed, energy threshold otherwise."""
import collections

FRAME_MS = 20


class EnergyVAD:
    def __init__(self, threshold=0.015, hangover=8):
        self.threshold = threshold
        self.hangover = hangover
        self.recent = collections.deque(maxlen=hangover)

    def is_speech(self, frame, sample_rate=16000):
        level = float(np.sqrt(np.mean(np.square(frame)))
        self.recent.append(level > self.threshold)
        return any(self.recent)


def make_vad(aggressiveness=2):
    try:
        import webrtcvad
    except ImportError:
        return EnergyVAD()
    return webrtcvad.Vad(aggressiveness)


import numpy as np
