"""Response tiers for TieredResponder (imported by bare name from this directory)."""
TIERS = [
    {"name": "instant", "max_latency_ms": 200, "handler": "cache"},
    {"name": "fast", "max_latency_ms": 1500, "handler": "tinyllama"},
    {"name": "deep", "max_latency_ms": 15000, "handler": "chain_of_thought"},
]

HANDLER_PORTS = {"cache": 7102, "tinyllama": 5615, "chain_of_thought": 5612}


def tier_for(query, load):
    words = len(query.split())
    if words < 6 and load < 0.8:
        return TIERS[0]
    if words < 40 or load > 0.9:
        return TIERS[1]
    return TIERS[2]
