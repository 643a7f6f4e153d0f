"""Reading the lock files depmin writes: hashed ``requirements.lock`` and PEP 751 ``pylock.toml``.

A ``requirements.lock`` entry, as uv and pip-compile write it::

    pyyaml==6.0.2 \\
        --hash=sha256:0a9a2848a5b7feac301353437eb7d5957887edbf81d56e903999a75a3d743086 \\
        --hash=sha256:1e2120ef853f59c7419231f3bf4e7021f1b936f6ebd222406c3b60212205d2ee
        # via -r requirements.generated.txt

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

__all__ = ["LockEntry", "WheelInfo", "parse_pylock", "parse_requirements_lock", "target_tags"]

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")
_HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")
_VIA = re.compile(r"^\s*#\s+(?:via\s+)?(-r .*|[A-Za-z0-9][A-Za-z0-9._-]*)\s*$")


@dataclass(frozen=True, kw_only=True, slots=True)
class LockEntry:
    """One pinned distribution of a hashed requirements lock."""

    name: NormalizedName
    version: str
    requirement: str  # "pyyaml==6.0.2" (extras and marker kept as written)
    hashes: tuple[str, ...]
    via: frozenset[str]  # what required it: distribution names, or "-r <file>" for top-level

    def render(self) -> str:
        lines = [f"{self.requirement} \\"]
        lines.extend(f"    --hash={h} \\" for h in self.hashes[:-1])
        lines.append(f"    --hash={self.hashes[-1]}" if self.hashes else "")
        return "\n".join(line for line in lines if line)


@dataclass(frozen=True, kw_only=True, slots=True)
class WheelInfo:
    name: NormalizedName
    version: str
    wheel: str | None  # the file the target installs, None when no wheel fits
    size: int  # its size in bytes (0 when unknown)
    dependencies: frozenset[NormalizedName]


def parse_requirements_lock(text: str) -> dict[NormalizedName, LockEntry]:
    """Entries of a hashed requirements lock, by canonical name."""
    entries: dict[NormalizedName, LockEntry] = {}
    for block in _blocks(text):
        head = block[0].rstrip("\\").strip()
        pin = _PIN.match(head)
        if pin is None:
            continue
        name = canonicalize_name(pin.group(1))
        hashes = tuple(h for line in block for h in _HASH.findall(line))
        via = set()
        for line in block[1:]:
            found = _VIA.match(line)
            if found:
                via.add(found.group(1))
        entries[name] = LockEntry(
            name=name,
            version=pin.group(3),
            requirement=head.split(" ", 1)[0] if ";" not in head else head,
            hashes=hashes,
            via=frozenset(via),
        )
    return entries


def _blocks(text: str) -> Iterable[list[str]]:
    block: list[str] = []
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            if block:
                yield block
            block = [line]
        elif block and line.strip():
            block.append(line)
    if block:
        yield block


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
