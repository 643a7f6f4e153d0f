"""The wheel a target installs: its tags, best first, and the best-ranked wheel of a locked release.

The target is agents.toml's ``project.python`` and ``project.platform`` (``"3.11"``,
``"x86_64-manylinux_2_28"``); the ranking is pip's, from :mod:`packaging.tags`. The layer planner counts
the size of the wheel :func:`target_wheel` picks from each release of ``pylock.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from depmin.locking.files import File, Release

__all__ = ["target_tags", "target_wheel"]


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


def target_wheel(release: Release, rank: Mapping[Tag, int]) -> File | None:
    """The wheel of ``release`` the target installs (lowest rank of ``{tag: rank}``), None without one."""
    best: tuple[int, File] | None = None
    for file in release.files:
        if not file.is_wheel:
            continue
        try:
            _, _, _, wheel_tags = parse_wheel_filename(file.filename)
        except InvalidWheelFilename:
            continue
        score = min((rank[t] for t in wheel_tags if t in rank), default=None)
        if score is not None and (best is None or score < best[0]):
            best = (score, file)
    return None if best is None else best[1]


def ranks(tags: Sequence[Tag]) -> dict[Tag, int]:
    """``{tag: position}`` of a best-first tag list, for :func:`target_wheel`."""
    return {tag: index for index, tag in enumerate(tags)}
