"""Plugins loaded by name (NLUAgent, EmotionEngine)."""
AVAILABLE = ("intent_rules", "sentiment_plugin")
