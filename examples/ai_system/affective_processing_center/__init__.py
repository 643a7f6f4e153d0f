"""AffectiveProcessingCenter: fuses emotion signals and publishes affect state."""
from .constants import EMOTIONS, PUB_PORT, SYNTH_PORT

__all__ = ["EMOTIONS", "PUB_PORT", "SYNTH_PORT"]
