"""GPU hygiene of a plan: what counts as a GPU library (never in a family without ``gpu = true``).

The GPU set is the ``gpu`` kind of ``heavy.toml`` (torch, triton, the ``nvidia-*`` wheels, ...) and the
``cuda-*`` wheels torch pulls (``cuda-bindings``, ``cuda-toolkit``); a CPU build of a framework (a
local version ``+cpu``, as ``https://download.pytorch.org/whl/cpu`` serves it) is not in it, so a CPU
family may carry ``torch==2.5.1+cpu`` but never ``cuda-bindings``. Whether a family's CUDA agrees with
its wheels is :mod:`depmin.layers.cuda`.
"""

from __future__ import annotations

import functools

from packaging.version import InvalidVersion, Version

from depmin._names import NormalizedName
from depmin.requirements.tables import heavy_kind

__all__ = ["in_gpu_set"]


@functools.lru_cache(maxsize=4096)  # pure; the planner asks it again for every family it decides
def in_gpu_set(name: NormalizedName, version: str) -> bool:
    """Whether a locked distribution is a GPU library (never in a family without ``gpu = true``)."""
    local = _local(version)
    if local == "cpu":
        return False
    return heavy_kind(name) == "gpu" or name.startswith("cuda-") or (local or "").startswith("cu")


def _local(version: str) -> str | None:
    try:
        return Version(version).local
    except InvalidVersion:
        return None
