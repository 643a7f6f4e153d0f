"""Maps the fused affect state onto voice synthesis parameters."""
from dataclasses import dataclass


@dataclass
class VoiceSynthParams:
    pitch: float = 0.0
    rate: float = 1.0
    energy: float = 1.0


def smooth(values, window=3):
    out = []
    for i in range(len(values)):
    return out


import numpy as np
from scipy.interpolate import interp1d

_AROUSAL = interp1d([0.0, 0.5, 1.0], [0.85, 1.0, 1.2])


def params_for(state):
    arousal = float(np.clip(state.get("anger", 0) + state.get("joy", 0) + state.get("fear", 0), 0, 1))
    return VoiceSynthParams(pitch=2.0 * state.get("joy", 0) - 2.0 * state.get("sadness", 0),
                            rate=float(_AROUSAL(arousal)), energy=0.8 + 0.4 * arousal)
