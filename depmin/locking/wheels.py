"""Wheel sizes for the layer planner, from the PEP 751 ``pylock.toml`` depmin writes.

(Hashed ``requirements.lock`` files are read by :func:`depmin.locking.files.parse_requirements`.)
``pylock.toml`` gives each package's wheels with their sizes; the wheel the target platform would
install is chosen with :mod:`packaging.tags`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, NormalizedName, canonicalize_name, parse_wheel_filename

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["WheelInfo", "parse_pylock", "target_tags"]


@dataclass(frozen=True, kw_only=True, slots=True)
class WheelInfo:
    name: NormalizedName
    version: str
    wheel: str | None  # the file the target installs, None when no wheel fits
    size: int  # its size in bytes (0 when unknown)
    dependencies: frozenset[NormalizedName]


def target_tags(python: str, platform: str) -> list[Tag]:
    """Tags a CPython ``python`` ("3.11") on ``platform`` ("x86_64-manylinux_2_28") installs, best first."""
    major, minor = (int(part) for part in python.split("."))
    arch, _, libc = platform.partition("-")
    platforms = _platforms(arch, libc or "manylinux_2_28")
    version = (major, minor)
    return [*cpython_tags(version, platforms=platforms), *compatible_tags(version, platforms=platforms)]


def _platforms(arch: str, libc: str) -> list[str]:
    found = re.match(r"manylinux_(\d+)_(\d+)", libc)
    if found is None:
        return [f"{libc}_{arch}", "any"]
    major, minor = int(found.group(1)), int(found.group(2))
    names = [f"manylinux_{major}_{m}_{arch}" for m in range(minor, -1, -1)]
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    names += [f"{legacy[m]}_{arch}" for m in (17, 12, 5) if major == 2 and m <= minor]
    return [*names, f"linux_{arch}"]


def parse_pylock(text: str, tags: list[Tag]) -> dict[NormalizedName, WheelInfo]:
    """Each package of a PEP 751 lock with the wheel (and its size) that ``tags`` would install."""
    document = tomllib.loads(text)
    rank = {tag: index for index, tag in enumerate(tags)}
    found: dict[NormalizedName, WheelInfo] = {}
    for package in document.get("packages", []):
        name = canonicalize_name(package["name"])
        best = _best_wheel(package.get("wheels", []), rank)
        deps = frozenset(canonicalize_name(d["name"]) for d in package.get("dependencies", []) if "name" in d)
        found[name] = WheelInfo(
            name=name,
            version=str(package.get("version", "")),
            wheel=None if best is None else best[0],
            size=0 if best is None else best[1],
            dependencies=deps,
        )
    return found


def _best_wheel(wheels: Iterable[Mapping[str, object]], rank: Mapping[Tag, int]) -> tuple[str, int] | None:
    best: tuple[int, str, int] | None = None
    for wheel in wheels:
        filename = str(wheel.get("name") or str(wheel.get("url", "")).rsplit("/", 1)[-1])
        try:
            _, _, _, wheel_tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            continue
        score = min((rank[t] for t in wheel_tags if t in rank), default=None)
        size = wheel.get("size")
        if score is not None and (best is None or score < best[0]):
            best = (score, filename, size if isinstance(size, int) else 0)
    return None if best is None else (best[1], best[2])
