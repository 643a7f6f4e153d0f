"""MainPC (RTX 4090, Ryzen 9 7900) agents and services."""
