"""Helpers shared inside MemoryFusionHub (standard library only)."""
import hashlib
import time


def make_key(namespace: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"mfh:{namespace}:{digest}"


def expires_at(ttl_seconds: int) -> float:
    return time.time() + ttl_seconds


def is_expired(deadline: float) -> bool:
    return deadline and deadline < time.time()
