"""The file listing of a PEP 751 ``pylock.toml``: every wheel and sdist a lock installs, read strictly.

:func:`parse_files` is the one reader of pylock.toml (the lock stage verifies and downloads from it,
the layer planner takes sizes and dependencies from it). A lock is data from the repository, so
nothing in it is trusted: every file name must be a plain wheel or sdist file name (the grammar of
``packaging.utils``) before it names a file on disk, every location an http(s) or file URL (or a
path), every value the type PEP 751 gives it. Anything else is a :class:`~depmin.errors.ConfigError`
naming the lock, the entry and the fix.
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from depmin import _toml
from depmin._names import PEP508_NAME, NormalizedName, canonicalize_name
from depmin._secrets import redact, redact_url
from depmin.errors import ConfigError, Problem

__all__ = ["REWRITE", "File", "Release", "bad_filename", "local_path", "parse_files"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEX = re.compile(r"[0-9a-fA-F]+")
_NAME = re.compile(PEP508_NAME)
_SCHEMES = ("http", "https", "file")


@dataclass(frozen=True, kw_only=True, slots=True)
class File:
    """A wheel or sdist of a release, as an index (or a wheelhouse) lists it."""

    filename: str
    url: str
    sha256: str
    size: int | None

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


@dataclass(frozen=True, kw_only=True, slots=True)
class Release:
    name: NormalizedName
    version: Version
    files: tuple[File, ...]  # the target's wheels, then the sdist
    index: str | None = None
    dependencies: frozenset[NormalizedName] = frozenset()


REWRITE = "delete it and run `depmin lock` to write it again"  # the fix for a lock on disk


@dataclass(frozen=True, slots=True)
class _Where:
    """The lock being read, and the fix its errors end with."""

    file: str
    fix: str

    def error(self, reason: str) -> ConfigError:
        return ConfigError([Problem(self.file, f"{redact(reason)}; {self.fix}")])


def parse_files(
    text: str, *, base: Path | None = None, where: str = "pylock.toml", fix: str = REWRITE
) -> dict[tuple[NormalizedName, Version], Release]:
    """The releases of a PEP 751 pylock.toml (as uv writes it): hashed wheels and sdist, dependencies.

    Relative ``path`` entries are relative to ``base``. Every file name must be a plain wheel or
    sdist file name and every location an http(s) or file URL (or a path); anything else raises
    :class:`ConfigError` naming ``where`` and the entry, ending with ``fix``."""
    at = _Where(where, fix)
    try:
        document = _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        raise at.error(f"not TOML ({exc})") from None
    packages = document.get("packages", [])
    if not _tables(packages):
        raise at.error("`packages` is not an array of tables")
    found: dict[tuple[NormalizedName, Version], Release] = {}
    for number, package in enumerate(packages, 1):
        key, release = _release(package, base, at, f"packages[{number}]")
        found[key] = release
    return found


def _tables(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _text(table: Mapping[str, object], key: str, at: _Where, entry: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or _CONTROL.search(value):
        raise at.error(f"{entry}.{key} is not a one-line string")
    return value


def _release(
    package: Mapping[str, Any], base: Path | None, at: _Where, entry: str
) -> tuple[tuple[NormalizedName, Version], Release]:
    name, version = _text(package, "name", at, entry), _text(package, "version", at, entry)
    if name is None or version is None:
        raise at.error(f"{entry} has no name or no version")
    if not _NAME.fullmatch(name):
        raise at.error(f"{entry}: {name!r} is not a distribution name")
    try:
        key = (canonicalize_name(name), Version(version))
    except InvalidVersion as exc:
        raise at.error(f"{entry}: {exc}") from None
    wheels, sdist, dependencies = package.get("wheels", []), package.get("sdist"), package.get("dependencies", [])
    if not _tables(wheels) or not (sdist is None or isinstance(sdist, dict)) or not _tables(dependencies):
        raise at.error(f"{entry}: wheels, sdist or dependencies is not a table")
    sources = [(f"{entry}.wheels[{n}]", s) for n, s in enumerate(wheels, 1)]
    sources += [(f"{entry}.sdist", sdist)] if sdist is not None else []
    files = tuple(file for place, source in sources if (file := _file(source, base, at, place)) is not None)
    needed: set[NormalizedName] = set()
    for number, dependency in enumerate(dependencies, 1):
        wanted = _text(dependency, "name", at, f"{entry}.dependencies[{number}]")
        if wanted is not None and not _NAME.fullmatch(wanted):
            raise at.error(f"{entry}.dependencies[{number}]: {wanted!r} is not a distribution name")
        needed.update([canonicalize_name(wanted)] if wanted is not None else [])
    index = _text(package, "index", at, entry)
    return key, Release(name=key[0], version=key[1], files=files, index=index, dependencies=frozenset(needed))


def _file(source: Mapping[str, object], base: Path | None, at: _Where, entry: str) -> File | None:
    """One wheel or sdist table; None when it has no sha256 (a lock hashes every file it installs)."""
    hashes = source.get("hashes", {})
    if not isinstance(hashes, dict):
        raise at.error(f"{entry}.hashes is not a table")
    digest = hashes.get("sha256")
    if digest is None:
        return None
    if not isinstance(digest, str) or not _HEX.fullmatch(digest):
        raise at.error(f"{entry}.hashes.sha256 is not a hex digest")
    url = _location(source, base, at, entry)
    filename = _text(source, "name", at, entry)
    if filename is None:
        filename = urllib.parse.unquote(urllib.parse.urlparse(url).path.rsplit("/", 1)[-1])
    reason = bad_filename(filename)
    if reason is not None:
        raise at.error(
            f"{entry}: file name {filename!r} {reason} (a lock names each wheel and sdist by its plain "
            "file name: name-version-tags.whl, name-version.tar.gz)"
        )
    size = source.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise at.error(f"{entry}.size is not a byte count")
    if size is None and url.startswith("file:"):
        local = local_path(url)
        with contextlib.suppress(OSError, ValueError):
            size = local.stat().st_size if local.is_file() else None
    return File(filename=filename, url=url, sha256=digest, size=size)


def local_path(url: str) -> Path:
    """The path on this machine of a ``file:`` URL. urllib.request, which imports http.client, ssl and
    email, is imported here, by the first lock that names a local file, not when every command that
    reads a lock starts (``depmin check`` reads them all)."""
    import urllib.request  # noqa: PLC0415 - see above

    return Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))


def _location(source: Mapping[str, object], base: Path | None, at: _Where, entry: str) -> str:
    """The file's URL: ``url`` (http, https or file only) or ``path`` (relative to ``base``)."""
    url, path = _text(source, "url", at, entry), _text(source, "path", at, entry)
    if url:
        scheme = urllib.parse.urlparse(url).scheme.lower()
        if scheme not in _SCHEMES or any(character.isspace() for character in url):
            raise at.error(
                f"{entry}.url {redact_url(url)!r} is not an http, https or file URL (depmin fetches only those)"
            )
        return url
    if path:
        local = Path(path)
        try:
            return (local if local.is_absolute() or base is None else base / local).resolve().as_uri()
        except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, or a path that is no path
            raise at.error(f"{entry}.path {path!r} cannot be resolved ({exc})") from None
    raise at.error(f"{entry} has neither url nor path")


def bad_filename(name: str) -> str | None:
    """Why ``name`` is not a plain wheel or sdist file name (``packaging.utils`` grammar), or None."""
    if not name or "/" in name or "\\" in name or name in (".", "..") or _CONTROL.search(name):
        return "is not a plain file name"
    from packaging.utils import parse_sdist_filename, parse_wheel_filename  # noqa: PLC0415 - imports packaging.tags

    try:
        if name.endswith(".whl"):
            parse_wheel_filename(name)
        else:
            parse_sdist_filename(name)
    except ValueError as exc:
        return f"is not a wheel or sdist file name ({exc})"
    return None
