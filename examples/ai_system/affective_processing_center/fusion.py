"""Weighted fusion of per-source emotion distributions."""
import numpy as np

from .constants import EMOTIONS, SOURCE_WEIGHTS


class EmotionFusion:
    def __init__(self, smoothing: float = 0.8) -> None:
        self.smoothing = smoothing
        self.state = np.full(len(EMOTIONS), 1.0 / len(EMOTIONS))

    def fuse(self, observations):
        total = np.zeros(len(EMOTIONS))
        weight_sum = 0.0
        for source, distribution in observations.items():
            weight = SOURCE_WEIGHTS.get(source, 0.1)
            vec = np.array([distribution.get(e, 0.0) for e in EMOTIONS])
            if vec.sum() > 0:
                total += weight * vec / vec.sum()
                weight_sum += weight
        if weight_sum:
            self.state = self.smoothing * self.state + (1 - self.smoothing) * total / weight_sum
        return dict(zip(EMOTIONS, self.state.round(4).tolist()))
