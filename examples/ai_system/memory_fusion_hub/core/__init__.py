"""Core services of MemoryFusionHub."""
