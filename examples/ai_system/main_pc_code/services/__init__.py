"""GPU-backed speech services (STT/TTS) for MainPC."""
