"""``depmin wheelhouse``: every locked file of some agents, downloaded and hash-checked, in one directory.

The directory is ``wheelhouse/<label>-<digest>/`` beside agents.toml; the digest covers the files'
hashes, so a changed lock set makes a new directory and an old one is never half-updated. A file is
verified against the sha256 of the lock before it appears (:func:`depmin._backend.fetch`); files
already there are hashed again. Afterwards each agent's imports are checked against the wheels.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from depmin import _backend
from depmin.errors import DepminError
from depmin.layout import Layout
from depmin.locking.files import File, Release, parse_files
from depmin.locking.model import LockInput
from depmin.locking.store import WheelContents
from depmin.locking.verify import verify

__all__ = ["WheelhouseResult", "fill_wheelhouse"]


@dataclass(frozen=True, kw_only=True, slots=True)
class WheelhouseResult:
    """A versioned wheelhouse: every locked file of some agents, checked against the locks' hashes."""

    directory: Path
    agents: tuple[str, ...]
    files: Mapping[str, int]  # file name -> size
    fetched: tuple[str, ...]  # the files this run downloaded (the others were there, hash checked)
    problems: tuple[str, ...]  # imports no locked wheel provides
    unverified: tuple[str, ...]


def _installable(release: Release) -> tuple[File, ...]:
    """The target's wheels of a release, or its sdist when it has no wheel."""
    wheels = tuple(f for f in release.files if f.is_wheel)
    return wheels or release.files


def _releases(layout: Layout, agent: str) -> list[Release]:
    path = layout.pylock(agent)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise DepminError(f"{path}: no lock; run `depmin lock --agent {agent}` first") from None
    return list(parse_files(text, base=path.parent, where=str(path)).values())


def fill_wheelhouse(
    layout: Layout,
    inputs: Mapping[str, LockInput],
    agents: Iterable[str],
    *,
    label: str = "fleet",
    directory: Path | None = None,
    timeout: float = 300.0,
) -> WheelhouseResult:
    """Download every wheel of the ``agents``' pylock.toml (the sdist of one without a wheel)."""
    chosen = sorted(agents)
    releases = {name: _releases(layout, name) for name in chosen}
    files = {f.filename: f for found in releases.values() for release in found for f in _installable(release)}
    digest = hashlib.sha256("\n".join(sorted(f.sha256 for f in files.values())).encode()).hexdigest()[:12]
    target = directory or layout.wheelhouses / f"{label}-{digest}"
    fetched = []
    for name, file in sorted(files.items()):
        path = target / name
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == file.sha256:
            continue
        _backend.fetch(file.url, path, file.sha256, timeout=timeout)
        fetched.append(name)
    contents = WheelContents([target])
    problems: list[str] = []
    unverified: list[str] = []
    for name in chosen:
        if name in inputs:
            errors, missing = verify(name, inputs[name].checks, releases[name], contents)
            problems.extend(errors)
            unverified.extend(f"{name}: {module}" for module in missing)
    return WheelhouseResult(
        directory=target,
        agents=tuple(chosen),
        files={name: (target / name).stat().st_size for name in sorted(files)},
        fetched=tuple(fetched),
        problems=tuple(problems),
        unverified=tuple(unverified),
    )
