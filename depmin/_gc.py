"""Pausing Python's cyclic garbage collector around work that makes no reference cycles.

The collector runs whenever enough container objects have been allocated and traverses every object
of the generations it collects; a scan allocates millions of short-lived ones (states, tuples, syntax
trees) next to a large, long-lived set (the parse cache's results, the shared walk's records), so
the collector would traverse the long-lived set again and again and free nothing: reference counting
frees what a walk or a parse drops. Paused, the same work runs with the same result and memory.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]


@contextmanager
def paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; its state before the block is restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
