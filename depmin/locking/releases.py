"""Wheels that are not at hand yet: the locked wheel of a guessed or ambiguous name, and the other
releases of a distribution that lacks an imported submodule.

Both download into depmin's cache directory (``wheels/``), each file checked against the index's
sha256 before it appears (:func:`depmin._backend.fetch`), and are read like any other wheel. The
search is bounded: the :data:`SEARCHED` newest releases that have a wheel for the target, each at
most :data:`MAX_BYTES`.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    parse_wheel_filename,
)
from packaging.version import Version

from depmin import _backend
from depmin._backend.index import IndexNames
from depmin.errors import ConfigError, ToolError
from depmin.locking.files import File, Release, Target
from depmin.locking.store import wheel_modules
from depmin.locking.verify import Contents, Provides
from depmin.locking.wheels import ranks, target_tags, target_wheel

__all__ = ["MAX_BYTES", "SEARCHED", "FetchingContents", "ReleaseSearch"]

SEARCHED = 5  # releases looked at, newest first
MAX_BYTES = 64 << 20  # a larger wheel is not downloaded to search it


class _Downloads:
    """``wheels/`` under the cache directory (a temporary directory without one)."""

    def __init__(self, cache_dir: Path | None, credentials: Iterable[str] = ()) -> None:
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        if cache_dir is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="depmin-wheels-")
            self.directory = Path(self._temporary.name)
        else:
            self.directory = cache_dir / "wheels"
        self.credentials = tuple(credentials)
        self._guard = threading.Lock()

    def modules(self, file: File) -> Provides | None:
        path = self.directory / file.filename
        if "/" in file.filename or file.filename.startswith("."):
            return None
        with self._guard:  # one download of a file at a time
            if not path.is_file():
                try:
                    self.directory.mkdir(parents=True, exist_ok=True)
                    _backend.fetch(file.url, path, file.sha256, timeout=120.0, credentials=self.credentials)
                except (ToolError, ConfigError, OSError):
                    return None
        return wheel_modules(path)


class FetchingContents:
    """:class:`~depmin.locking.store.WheelContents` that also downloads the locked wheel of the
    ``names`` (guessed or ambiguous distributions) when none is on disk."""

    def __init__(self, base: Contents, names: Iterable[NormalizedName], downloads: _Downloads) -> None:
        self.base = base
        self.names = frozenset(names)
        self.downloads = downloads

    def __call__(self, release: Release) -> Provides | None:
        found = self.base(release)
        if found is not None or release.name not in self.names:
            return found
        wheels = sorted((f for f in release.files if f.is_wheel), key=lambda f: (f.size or 0, f.filename))
        for file in wheels:
            if file.size is None or file.size <= MAX_BYTES:
                modules = self.downloads.modules(file)
                if modules is not None:
                    return modules
        return None


class ReleaseSearch:
    """Which of a distribution's newest releases provide a module, for the verification error."""

    def __init__(self, names: IndexNames, downloads: _Downloads, default: str | None) -> None:
        self.names = names
        self.downloads = downloads
        self.default = default

    def __call__(self, name: NormalizedName, module: str, target: Target) -> tuple[tuple[str, ...], int] | None:
        indexes = [*target.indexes, *([self.default] if self.default else [])]
        listed = self.names.files(name, indexes)
        if listed is None:
            return None
        releases: dict[Version, list[File]] = {}
        for filename, url, sha256, size in listed:
            try:
                found, version, _, _ = parse_wheel_filename(filename)
            except InvalidWheelFilename:
                continue
            if found == name:
                releases.setdefault(version, []).append(File(filename=filename, url=url, sha256=sha256, size=size))
        rank = ranks(target_tags(target.python, target.platform))
        providing: list[str] = []
        searched = 0
        for version in sorted(releases, reverse=True):
            if version.is_prerelease or searched >= SEARCHED:
                continue
            wheel = target_wheel(Release(name=name, version=version, files=tuple(releases[version])), rank)
            if wheel is None or (wheel.size is not None and wheel.size > MAX_BYTES):
                continue
            searched += 1
            modules = self.downloads.modules(wheel)
            if modules is not None and module in modules:
                providing.append(str(version))
        return tuple(providing), searched


def edges(
    cache_dir: Path | None, names: IndexNames, default: str | None, credentials: Iterable[str] = ()
) -> tuple[Callable[[Contents, Iterable[NormalizedName]], FetchingContents], ReleaseSearch]:
    """The fetching contents (given the base contents and the names to fetch) and the release search,
    sharing one download directory."""
    downloads = _Downloads(cache_dir, credentials)
    return (lambda base, fetched: FetchingContents(base, fetched, downloads)), ReleaseSearch(names, downloads, default)
