"""PC2 (RTX 3060) agents and helpers."""
