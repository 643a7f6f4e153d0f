"""GPU and CUDA hygiene of a plan: what counts as a GPU library, and whether a family's CUDA agrees with its wheels.

The GPU set is the ``gpu`` kind of ``heavy.toml`` (torch, triton, the ``nvidia-*`` wheels, ...) and the
``cuda-*`` wheels torch pulls (``cuda-bindings``, ``cuda-toolkit``); a CPU build of a framework (a
local version ``+cpu``, as ``https://download.pytorch.org/whl/cpu`` serves it) is not in it, so a CPU
family may carry ``torch==2.5.1+cpu`` but never ``cuda-bindings``.

A family's CUDA is the version in its chain's ``from`` image (``nvidia/cuda:12.3.2-runtime-ubuntu22.04``
is 12.3); the CUDA of its locked wheels is read from torch's local version (``2.5.1+cu121`` is 12.1),
from the runtime wheels' versions (``nvidia-cuda-runtime==13.2.86``, ``cuda-toolkit==13.2.2``) and
from the ``-cuNN`` suffix of the ``nvidia-*`` names. Wheels of another major version, or of a newer
minor than the base, need another driver than the one the base image is made for: a warning naming
the family and the PyTorch index to set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from packaging.utils import NormalizedName
from packaging.version import InvalidVersion, Version

from depmin.manifest import Fleet
from depmin.requirements.tables import heavy_kind

__all__ = ["TORCH_CUDA", "cuda_of_image", "cuda_warnings", "disagrees", "in_gpu_set", "locked_cuda", "torch_index"]

# CUDA versions PyTorch publishes wheel indexes for (https://download.pytorch.org/whl/cuXYZ).
TORCH_CUDA: tuple[tuple[int, int], ...] = ((11, 8), (12, 1), (12, 4), (12, 6), (12, 8), (12, 9), (13, 0))
_IMAGE = re.compile(r"(?:^|/)nvidia/cuda:(\d+)\.(\d+)")
_LOCAL = re.compile(r"^cu(\d+?)(\d)$")
_SUFFIX = re.compile(r"-cu(\d+)$")
_RUNTIME = ("nvidia-cuda-runtime", "cuda-toolkit", "nvidia-cuda-runtime-cu11", "nvidia-cuda-runtime-cu12")


def in_gpu_set(name: NormalizedName, version: str) -> bool:
    """Whether a locked distribution is a GPU library (never in a family without ``gpu = true``)."""
    local = _local(version)
    if local == "cpu":
        return False
    return heavy_kind(name) == "gpu" or name.startswith("cuda-") or (local or "").startswith("cu")


def cuda_of_image(image: str) -> tuple[int, int] | None:
    """``(12, 3)`` for ``nvidia/cuda:12.3.2-runtime-ubuntu22.04`` (any registry prefix); else None."""
    found = _IMAGE.search(image)
    return None if found is None else (int(found.group(1)), int(found.group(2)))


def locked_cuda(versions: Mapping[NormalizedName, str]) -> dict[tuple[int, int | None], list[str]]:
    """The CUDA versions the locked wheels ``{name: version}`` are built for, with the pins that say so.

    ``(13, 2)`` from ``nvidia-cuda-runtime==13.2.86``; ``(12, None)`` from ``nvidia-cudnn-cu12`` (the
    name gives the major version only)."""
    found: dict[tuple[int, int | None], list[str]] = {}
    for name, version in sorted(versions.items()):
        key = _cuda_of(name, version)
        if key is not None:
            found.setdefault(key, []).append(f"{name}=={version}")
    return found


def _cuda_of(name: NormalizedName, version: str) -> tuple[int, int | None] | None:
    local = _local(version)
    if local is not None and (match := _LOCAL.match(local)) is not None:
        return int(match.group(1)), int(match.group(2))
    if name in _RUNTIME:
        try:
            release = Version(version).release
        except InvalidVersion:
            return None
        return (release[0], release[1] if len(release) > 1 else None) if release else None
    if name.startswith("nvidia-") and (match := _SUFFIX.search(name)) is not None:
        return int(match.group(1)), None
    return None


def _local(version: str) -> str | None:
    try:
        return Version(version).local
    except InvalidVersion:
        return None


def disagrees(base: tuple[int, int], wheels: Iterable[tuple[int, int | None]]) -> list[tuple[int, int | None]]:
    """The wheels' CUDA versions a base of CUDA ``base`` cannot run: another major, or a newer minor."""
    return sorted(
        (key for key in wheels if key[0] != base[0] or (key[1] is not None and key[1] > base[1])),
        key=lambda k: (k[0], k[1] or 0),
    )


def torch_index(base: tuple[int, int]) -> str | None:
    """The PyTorch wheel index of the newest CUDA a base of CUDA ``base`` runs (12.3 -> cu121)."""
    fitting = [v for v in TORCH_CUDA if v[0] == base[0] and v[1] <= base[1]]
    if not fitting:
        return None
    major, minor = max(fitting)
    return f"https://download.pytorch.org/whl/cu{major}{minor}"


def cuda_warnings(fleet: Fleet, locks: Mapping[str, Mapping[NormalizedName, str]]) -> list[str]:
    """Per declared family whose chain starts from an ``nvidia/cuda`` image: its agents' CUDA wheels
    that disagree with the image (with the index to set), and the CUDA runtime both carry."""
    found: list[str] = []
    for family in sorted(fleet.families):
        image = fleet.base_image(family)
        base = cuda_of_image(image)
        agents = sorted(a for a, spec in fleet.agents.items() if spec.family == family and a in locks)
        if base is None or not agents:
            continue
        versions = {name: version for agent in agents for name, version in locks[agent].items()}
        wheels = locked_cuda(versions)
        wrong = disagrees(base, wheels)
        wrong = [k for k in wrong if k[1] is not None or not any(o[0] == k[0] and o[1] is not None for o in wrong)]
        if wrong:
            pins = [pin for key in disagrees(base, wheels) for pin in wheels[key]]
            shown = ", ".join(pins[:3]) + (f" and {len(pins) - 3} more" if len(pins) > 3 else "")
            index, root = torch_index(base), fleet.family_chain(family)[0].name
            fix = (
                f'set indexes = ["{index}"] on [families.{family}] and run `depmin lock --all`'
                if index
                else f"use a from image whose CUDA matches the wheels in [families.{root}]"
            )
            found.append(
                f"CUDA mismatch in family {family}: it runs on {image} (CUDA {base[0]}.{base[1]}) but its agents "
                f"lock CUDA {', '.join(_shown(k) for k in wrong)} wheels ({shown}), which need another driver "
                f"and bring their own runtime; {fix}"
            )
        runtime = [pin for key, pins in wheels.items() for pin in pins if pin.split("==")[0] in _RUNTIME]
        if runtime and re.search(r"-(runtime|cudnn|devel)", image):
            slim = re.sub(r"-(cudnn\d*-)?(runtime|devel)", "-base", image, count=1)
            found.append(
                f"family {family}: {image} carries a CUDA runtime and its agents' wheels bring another "
                f"({', '.join(sorted(runtime))}); the base image's copy is unused: {slim} would save it"
            )
    return found


def _shown(key: tuple[int, int | None]) -> str:
    return f"{key[0]}.{key[1]}" if key[1] is not None else f"{key[0]}.x"
