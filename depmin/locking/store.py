"""The lock stage's edges on disk: the locks directory's mutex, current locks, local wheels.

:func:`locked` holds an exclusive lock on ``locks/.depmin.lock`` (``fcntl``/``msvcrt``) for a run,
so two runs never interleave their writes; each file is still replaced atomically, so a run
killed at any point leaves every lock old or new. :class:`WheelContents` finds a locked wheel on
disk (a wheelhouse, a ``file://`` URL of the lock, or uv's cache of unpacked wheels) and reads
its modules for :func:`depmin.locking.verify.verify`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from depmin.errors import DepminError
from depmin.locking.files import Existing, Release, parse_existing
from depmin.locking.verify import Provides, provides_from_paths

__all__ = ["MUTEX_NAME", "WheelContents", "locked", "read_existing"]

MUTEX_NAME = ".depmin.lock"
LOCK_FILES = ("requirements.lock", "pylock.toml")


@contextlib.contextmanager
def locked(directory: Path, *, timeout: float = 600.0) -> Iterator[None]:
    """Hold the locks directory's mutex; wait up to ``timeout`` seconds for another run."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / MUTEX_NAME).open("a+b") as handle:
        deadline = time.monotonic() + timeout
        while not _try_lock(handle.fileno()):
            if time.monotonic() > deadline:
                raise DepminError(
                    f"{directory / MUTEX_NAME}: another depmin run holds the locks directory; "
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


def read_existing(directories: dict[str, Path]) -> dict[str, Existing]:
    """The current locks of the agents whose ``locks/<Agent>`` directories are given."""
    found = {}
    for agent, directory in directories.items():
        texts = [_read(directory / name) for name in LOCK_FILES]
        if texts[0] is not None:
            found[agent] = parse_existing(texts[0], texts[1])
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


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
                    return _wheel_modules(candidate)
        unpacked = self._cache().get((release.name, release.version))
        return _unpacked_modules(unpacked) if unpacked is not None else None

    def _candidates(self, url: str, filename: str) -> list[Path]:
        found = [directory / filename for directory in self.wheelhouses]
        if url.startswith("file:"):
            found.insert(0, Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path)))
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


def _wheel_modules(path: Path) -> Provides | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            top = next((n for n in names if n.endswith(".dist-info/top_level.txt")), None)
            top_level = archive.read(top).decode("utf-8", "replace").split() if top else []
    except (OSError, zipfile.BadZipFile):
        return None
    return provides_from_paths(names, top_level)


def _unpacked_modules(info: Path) -> Provides | None:
    record = _read(info / "RECORD")
    if record is None:
        return None
    paths = [line.split(",", 1)[0] for line in record.splitlines() if line]
    return provides_from_paths(paths, (_read(info / "top_level.txt") or "").split())
