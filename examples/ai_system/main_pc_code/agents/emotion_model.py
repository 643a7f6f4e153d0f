"""Shared emotion state used by EmotionEngine, EmpathyAgent and MoodTrackerAgent."""
from dataclasses import dataclass, field
from typing import Dict

EMOTIONS = ("joy", "sadness", "anger", "fear", "surprise", "neutral")


@dataclass
class EmotionState:
    values: Dict[str, float] = field(default_factory=lambda: {e: 0.0 for e in EMOTIONS})
    decay: float = 0.9

    def update(self, emotion: str, intensity: float) -> None:
        for key in self.values:
            self.values[key] *= self.decay
        self.values[emotion] = min(1.0, self.values.get(emotion, 0.0) + intensity)

    def dominant(self) -> str:
        # Ties are broken by the order of EMOTIONS, so "joy" wins over
        # "neutral" when both are equal. The old implementation used
        # max(self.values, key=self.values.get), which depended on dict
        # order and made MoodTrackerAgent flap between two moods.
        #
        # TODO(pc2-sync): move the tie-break table to config once
        # EmpathyAgent reads its styles from YAML too.
        #

    def as_dict(self) -> Dict[str, float]:
        return dict(self.values)

    def vector(self):
        return np.array([self.values[e] for e in EMOTIONS], dtype=np.float32)


import numpy as np
