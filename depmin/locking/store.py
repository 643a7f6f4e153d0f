"""The lock stage's edges on disk: the locks directory's mutex, current locks, local wheels.

:func:`locked` holds an exclusive lock on ``locks/.depmin.lock`` (``fcntl``/``msvcrt``) for a run,
so two runs never interleave their writes; each file is still replaced atomically, so a run
killed at any point leaves every lock old or new. :class:`WheelContents` finds a locked wheel on
disk (a wheelhouse, a ``file://`` URL of the lock, or uv's cache of unpacked wheels) and reads
its modules for :func:`depmin.locking.verify.verify`. :func:`read_locks` reads the committed locks
for the layer planner; every path comes from :class:`depmin.layout.Layout`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.version import InvalidVersion, Version

from depmin._files import check_inside
from depmin._names import NormalizedName, canonicalize_name
from depmin.errors import ConfigError, DepminError, Problem
from depmin.layout import Layout
from depmin.locking.files import Existing, Pinned, Release, parse_existing, parse_files, parse_requirements
from depmin.locking.listing import REWRITE, local_path
from depmin.locking.verify import Provides, extras_from_metadata, provides_from_paths

__all__ = ["Locked", "WheelContents", "locked", "read_existing", "read_locks"]


@contextlib.contextmanager
def locked(layout: Layout, *, timeout: float = 600.0) -> Iterator[None]:
    """Hold the locks directory's mutex; wait up to ``timeout`` seconds for another run.

    The mutex is a file like any other depmin writes: never through a symlink out of the directory
    of agents.toml; a path that cannot hold it raises :class:`ConfigError` naming it."""
    check_inside(layout.mutex, layout.base)
    try:
        layout.locks.mkdir(parents=True, exist_ok=True)
        handle = layout.mutex.open("a+b")
    except OSError as exc:
        raise ConfigError(
            [Problem(str(layout.mutex), f"cannot open the mutex of lock runs ({exc.strerror or exc}); check the path")]
        ) from None
    with handle:
        deadline = time.monotonic() + timeout
        while not _try_lock(handle.fileno()):
            if time.monotonic() > deadline:
                raise DepminError(
                    f"{layout.mutex}: another depmin run holds the locks directory; "
                    "wait for it to finish (or remove the file if no run is alive)"
                )
            time.sleep(0.1)
        try:
            yield
        finally:
            _unlock(handle.fileno())


def _try_lock(descriptor: int) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt  # noqa: PLC0415

            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl  # noqa: PLC0415

            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(descriptor: int) -> None:
    if sys.platform == "win32":
        import msvcrt  # noqa: PLC0415

        os.lseek(descriptor, 0, os.SEEK_SET)
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl  # noqa: PLC0415

        fcntl.flock(descriptor, fcntl.LOCK_UN)


def read_existing(layout: Layout, agents: Iterable[str]) -> dict[str, Existing]:
    """The current locks of ``agents`` (those that have a ``requirements.lock``), for staleness.

    A lock's text parsed once is remembered for the run by its digest (``depmin check`` reads every
    lock for the input hashes and again for the CUDA check, and parsing is most of reading)."""
    found = {}
    for agent in agents:
        lock, pylock = _read(layout.lock(agent)), _read(layout.pylock(agent))
        if lock is not None:
            key = (hashlib.sha256(lock.encode()).digest(), hashlib.sha256((pylock or "").encode()).digest())
            known = _PARSED.get(key)
            if known is None:
                known = parse_existing(lock, pylock)
                if len(_PARSED) >= _PARSED_MAX:
                    _PARSED.clear()
                _PARSED[key] = known
            found[agent] = known
    return found


_PARSED: dict[tuple[bytes, bytes], Existing] = {}  # digests of the two texts (no pylock: "") -> what they say
_PARSED_MAX = 4096


@dataclass(frozen=True, kw_only=True, slots=True)
class Locked:
    """One agent's committed lock: its hashed pins and the releases of its pylock.toml."""

    pins: Mapping[NormalizedName, Pinned]
    releases: Mapping[NormalizedName, Release]
    sdist_only: tuple[str, ...] = ()  # "name==version" of each release its pylock lists without a wheel, sorted


def read_locks(layout: Layout, agents: Iterable[str]) -> dict[str, Locked]:
    """Every agent's ``requirements.lock`` and ``pylock.toml``; DepminError names the agents without."""
    found: dict[str, Locked] = {}
    missing = []
    for agent in agents:
        lock, pylock = _text(layout.lock(agent)), _text(layout.pylock(agent))
        if lock is None or pylock is None:
            missing.append(agent)
            continue
        pins = parse_requirements(lock, where=str(layout.lock(agent)))
        releases = parse_files(pylock, base=layout.agent_dir(agent), where=str(layout.pylock(agent)))
        found[agent] = Locked(
            pins={pin.name: pin for pin in pins},
            releases={name: r for (name, _), r in sorted(releases.items())},
            sdist_only=tuple(
                sorted(f"{r.name}=={r.version}" for r in releases.values() if not any(f.is_wheel for f in r.files))
            ),
        )
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DepminError(f"no lock for {shown} in {layout.locks}; run `depmin lock --all` first")
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _text(path: Path) -> str | None:
    """A committed lock's text, None when there is none; :class:`ConfigError` naming it when it
    is there but not readable text (binary, a directory, no permission)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else (exc.strerror or str(exc))
        raise ConfigError([Problem(str(path), f"cannot read it ({reason}); {REWRITE}")]) from None


class WheelContents:
    """The modules of a locked release's wheel when one is on disk, else None."""

    def __init__(self, wheelhouses: Sequence[Path], uv_cache: Callable[[], Path | None] = lambda: None) -> None:
        self.wheelhouses = [path for path in wheelhouses if path.is_dir()]
        self.uv_cache = uv_cache  # called once, when a wheel is in no wheelhouse
        self._unpacked: dict[tuple[NormalizedName, Version], Path] | None = None

    def __call__(self, release: Release) -> Provides | None:
        for file in release.files:
            if not file.is_wheel:
                continue
            for candidate in self._candidates(file.url, file.filename):
                if candidate.is_file():
                    return wheel_modules(candidate)
        unpacked = self._cache().get((release.name, release.version))
        return _unpacked_modules(unpacked) if unpacked is not None else None

    def _candidates(self, url: str, filename: str) -> list[Path]:
        found = [directory / filename for directory in self.wheelhouses]
        if url.startswith("file:"):
            found.insert(0, local_path(url))
        return found

    def _cache(self) -> dict[tuple[NormalizedName, Version], Path]:
        """uv unpacks installed wheels into ``archive-v0/<id>/``; index their dist-info folders."""
        if self._unpacked is None:
            self._unpacked = {}
            cache = self.uv_cache()
            archive = cache / "archive-v0" if cache is not None else None
            for info in archive.glob("*/*.dist-info") if archive is not None and archive.is_dir() else ():
                name, _, version = info.name.removesuffix(".dist-info").partition("-")
                with contextlib.suppress(InvalidVersion):
                    self._unpacked[(canonicalize_name(name), Version(version))] = info
        return self._unpacked


def wheel_modules(path: Path) -> Provides | None:
    """The modules of the wheel at ``path``; None when it cannot be read as one."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            top = next((n for n in names if n.endswith(".dist-info/top_level.txt")), None)
            top_level = archive.read(top).decode("utf-8", "replace").split() if top else []
            meta = next((n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA")), None)
            metadata = archive.read(meta).decode("utf-8", "replace") if meta else ""
    except (OSError, zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, ValueError, zlib.error):
        return None  # not a wheel zipfile can read (truncated, encrypted, an unknown compression)
    return replace(provides_from_paths(names, top_level), extras=extras_from_metadata(metadata))


def _unpacked_modules(info: Path) -> Provides | None:
    record = _read(info / "RECORD")
    if record is None:
        return None
    paths = [line.split(",", 1)[0] for line in record.splitlines() if line]
    found = provides_from_paths(paths, (_read(info / "top_level.txt") or "").split())
    return replace(found, extras=extras_from_metadata(_read(info / "METADATA") or ""))
