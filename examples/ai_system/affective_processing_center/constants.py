"""Ports and labels of the AffectiveProcessingCenter."""
PUB_PORT = 5560
SYNTH_PORT = 5561
HEALTH_PORT = 6560

EMOTIONS = ("joy", "sadness", "anger", "fear", "surprise", "neutral")
SOURCES = ("text", "voice", "face")
SOURCE_WEIGHTS = {"text": 0.5, "voice": 0.3, "face": 0.2}
