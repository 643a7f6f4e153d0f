"""A fleet of the real fleet's shape (issue 16), for the plan's properties and benchmarks/bench_plan.py.

Two machines; a CPU family (and ``cpu-web`` on it) over both; a CUDA runtime with ``gpu-ada`` on
MainPC and ``gpu-ampere`` on PC2 (:data:`GPU_FAMILIES`). The agents and their locks are the caller's (drawn by hypothesis
or by a seeded generator); :func:`shaped_fleet` writes their tables and :func:`shaped_locks` turns
``{agent: {distribution: (version, installed MB)}}`` into the plan's packages.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from depmin.layers.plan import Package
from depmin.manifest import Fleet, parse_fleet

__all__ = ["FLEET", "GPU_FAMILIES", "MB", "shaped_fleet", "shaped_locks"]

MB = 1_000_000

FLEET = """\
[project]
root = "."
[machines.MainPC]
[machines.PC2]
[families.cpu]
from = "python:3.11-slim"
base_mb = 150
[families.cpu-web]
extends = "cpu"
[families.cuda-runtime]
from = "nvidia/cuda:12.3.2-runtime-ubuntu22.04"
gpu = true
{cuda_base}"""
GPU_FAMILIES = {"gpu-ada": "MainPC", "gpu-ampere": "PC2"}


def shaped_fleet(
    directory: Path,
    agents: Mapping[str, tuple[str, str]],
    *,
    layers: str = "",
    cuda_base_mb: int | None = 3400,
    gpu_families: Mapping[str, str] = GPU_FAMILIES,
) -> Fleet:
    """:data:`FLEET` with ``agents`` (name -> (machine, family)), each with the empty entrypoint
    ``e.py`` written in ``directory``; ``layers`` is the body of a ``[layers]`` table, the CUDA
    runtime's base image counts ``cuda_base_mb`` (None: the default size) and ``gpu_families``
    (name -> machine) extend it."""
    (directory / "e.py").write_text("")
    cuda_base = "" if cuda_base_mb is None else f"base_mb = {cuda_base_mb}\n"
    text = (f"[layers]\n{layers}" if layers else "") + FLEET.format(cuda_base=cuda_base)
    text += "".join(f'[families.{f}]\nextends = "cuda-runtime"\nmachine = "{m}"\n' for f, m in gpu_families.items())
    text += "".join(
        f'[agents.{a}]\nentrypoint = "e.py"\nmachines = ["{m}"]\nfamily = "{f}"\n' for a, (m, f) in agents.items()
    )
    return parse_fleet(text.encode(), path=directory / "agents.toml")


def shaped_locks(
    locks: Mapping[str, Mapping[str, tuple[str, int]]], requires: Mapping[str, Collection[str]]
) -> dict[str, dict[NormalizedName, Package]]:
    """Each agent's lock as packages: ``installed`` the given MB, the wheel a third of it; a
    package requires those of ``requires[name]`` that the same lock holds."""
    return {
        agent: {
            canonicalize_name(n): Package(
                name=canonicalize_name(n),
                version=version,
                size=size * MB // 3,
                installed=size * MB,
                requires=frozenset(canonicalize_name(r) for r in requires.get(n, ()) if r in lock),
            )
            for n, (version, size) in lock.items()
        }
        for agent, lock in locks.items()
    }
