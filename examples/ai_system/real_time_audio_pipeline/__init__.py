"""RealTimeAudioPipeline: capture -> VAD -> STT -> events, on MainPC (4090) and PC2 (3060)."""
__version__ = "2.1.0"
