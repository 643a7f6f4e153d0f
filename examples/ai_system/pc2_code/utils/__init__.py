"""Helpers shared by PC2 agents."""
PC2_DEFAULT_HOST = "0.0.0.0"
