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

from depmin import _backend, _files
from depmin.errors import ConfigError, DepminError, Problem
from depmin.layout import Layout
from depmin.locking.files import File, Release, parse_files
from depmin.locking.listing import REWRITE
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
    uncertain: tuple[str, ...] = ()  # `from pkg import x` where the locked pkg has no module pkg.x


def _installable(release: Release) -> tuple[File, ...]:
    """The target's wheels of a release, or its sdist when it has no wheel."""
    wheels = tuple(f for f in release.files if f.is_wheel)
    return wheels or release.files


def _releases(layout: Layout, agent: str) -> list[Release]:
    path = layout.pylock(agent)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DepminError(f"{path}: no lock; run `depmin lock --agent {agent}` first") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else (exc.strerror or str(exc))
        raise ConfigError([Problem(str(path), f"cannot read it ({reason}); {REWRITE}")]) from None
    return list(parse_files(text, base=path.parent, where=str(path)).values())


def _directory(layout: Layout, label: str, digest: str, directory: Path | None) -> Path:
    """The wheelhouse: ``directory`` as given (the caller's choice), else ``wheelhouse/<label>-<digest>``
    inside the directory of agents.toml (never through a symlink out of it)."""
    if directory is None:
        if _bad_label(label):
            raise ConfigError([Problem("depmin wheelhouse", f"label {label!r} is not a plain directory name")])
        directory = layout.wheelhouses / f"{label}-{digest}"
        _files.check_inside(directory, layout.base)
    if directory.exists() and not directory.is_dir():
        raise ConfigError(
            [Problem(str(directory), "is not a directory; pass --dest with a directory (or remove the file)")]
        )
    return directory


def _bad_label(label: str) -> bool:
    """True when ``label`` cannot name one directory (a separator, ``..``, a control character)."""
    return not label or label in (".", "..") or any(c in label for c in "/\\") or not label.isprintable()


def _current(path: Path, sha256: str) -> bool:
    """True when ``path`` is a regular file with that sha256 (read in chunks: wheels are large)."""
    if path.is_symlink() or not path.is_file():
        return False
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == sha256


def fill_wheelhouse(
    layout: Layout,
    inputs: Mapping[str, LockInput],
    agents: Iterable[str],
    *,
    label: str = "fleet",
    directory: Path | None = None,
    timeout: float = 300.0,
) -> WheelhouseResult:
    """Download every wheel of the ``agents``' pylock.toml (the sdist of one without a wheel).

    Every file name comes from a lock that :func:`~depmin.locking.files.parse_files` checked (a plain
    wheel or sdist name), so each file lands directly in the wheelhouse. A private index is reached
    with the credentials of the agents' index URLs for the same host."""
    chosen = sorted(agents)
    releases = {name: _releases(layout, name) for name in chosen}
    files = {f.filename: f for found in releases.values() for release in found for f in _installable(release)}
    digest = hashlib.sha256("\n".join(sorted(f.sha256 for f in files.values())).encode()).hexdigest()[:12]
    target = _directory(layout, label, digest, directory)
    targets = [inputs[name].target for name in chosen if name in inputs]
    credentials = sorted({url for t in targets for url in (*t.indexes, *t.find_links)})
    fetched = []
    for name, file in sorted(files.items()):
        path = target / name
        if _current(path, file.sha256):
            continue
        _backend.fetch(file.url, path, file.sha256, timeout=timeout, credentials=credentials)
        fetched.append(name)
    contents = WheelContents([target])
    problems: list[str] = []
    unverified: list[str] = []
    uncertain: list[str] = []
    for name in chosen:
        if name in inputs:
            errors, missing, doubts = verify(name, inputs[name].checks, releases[name], contents)
            problems.extend(errors)
            unverified.extend(f"{name}: {module}" for module in missing)
            uncertain.extend(doubts)
    return WheelhouseResult(
        directory=target,
        agents=tuple(chosen),
        files={name: (target / name).stat().st_size for name in sorted(files)},
        fetched=tuple(fetched),
        problems=tuple(problems),
        unverified=tuple(unverified),
        uncertain=tuple(uncertain),
    )
