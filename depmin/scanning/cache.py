"""Read source files once per run and remember their imports across runs.

:class:`Sources` hands the graph stage the :class:`~depmin.scanning.sites.FileImports` of a file. Each
file is read (through :class:`~depmin.scanning.tree.Tree`: regular files inside the root, at most
``project.max_file_mb``) and parsed at most once per run however many agents reach it; results are
kept in a persistent cache keyed by the file's content (:mod:`depmin.scanning.cache_file`, a SQLite
database checked on every read, so a run killed half-way leaves every committed entry intact), and a
large frontier of uncached files is parsed on both cores, a bounded batch of bytes at a time.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from depmin._version import __version__
from depmin.scanning.cache_file import CacheFile
from depmin.scanning.sites import FileImports
from depmin.scanning.tree import NotReadError, RealPaths, Tree

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

__all__ = ["NO_CACHE_DIR", "PARALLEL_THRESHOLD", "Sources", "default_cache_dir"]

PARALLEL_THRESHOLD = 64
_BATCH_BYTES = 64_000_000  # a cold prefetch holds at most about this much source text at once
_COMMIT_EVERY = 500  # parse results written to the cache file per transaction
_SCHEMA = f"depmin {__version__} imports v4"  # bump when extraction results change
NO_CACHE_DIR = (
    "no parse cache: HOME is unset and the user has no home directory; scanning without one "
    "(set DEPMIN_CACHE_DIR or XDG_CACHE_HOME to keep parse results across runs)"
)


def default_cache_dir() -> Path | None:
    """``$DEPMIN_CACHE_DIR``, else ``$XDG_CACHE_HOME/depmin`` (when absolute, as the XDG spec asks),
    else ``~/.cache/depmin``; None when there is no home directory either (HOME unset and no passwd
    entry): the scan then runs without a persistent cache (:data:`NO_CACHE_DIR` says so)."""
    explicit = os.environ.get("DEPMIN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "depmin"
    try:
        home = Path.home()
    except (RuntimeError, KeyError, OSError):  # RuntimeError: "Could not determine home directory"
        return None
    return home / ".cache" / "depmin" if home.is_absolute() else None


class Sources:
    """File → imports, memoised for the run and (unless ``cache_dir`` is None) on disk.

    ``tree`` decides what is read (by default any regular file, at most 10 MB). Files it refuses
    are in ``skipped``; ``warnings`` holds the one line about a cache that was bad or unusable.
    A file is read and parsed when it is first asked for (:meth:`get`), or with the other files of a
    walk's frontier (:meth:`frontier`), on ``workers`` processes when the batch is large enough.
    """

    def __init__(self, cache_dir: Path | None = None, *, tree: Tree | None = None, workers: int | None = None) -> None:
        self.tree = tree or Tree.at(Path(os.sep))
        self._real = RealPaths()
        self._memory: dict[Path, FileImports | OSError] = {}
        self._cache = CacheFile(cache_dir) if cache_dir is not None else None
        self._skipped: dict[Path, str] = {}
        self._by_key: dict[str, FileImports] = {}  # content key -> imports, for same-content files
        self._workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._uncommitted = 0
        self.verified: dict[Path, str] = {}  # read again for scan_record: as seen would hold them
        # Each file read, in order: its content key, or why it could not be read (for scan_record).
        self.seen: dict[Path, str] = {}
        self.hits = 0
        self.parsed = 0

    @property
    def warnings(self) -> tuple[str, ...]:
        warning = None if self._cache is None else self._cache.warning
        return () if warning is None else (warning,)

    @property
    def skipped(self) -> tuple[str, ...]:
        """Each file that was not read, and why, sorted."""
        return tuple(sorted(self._skipped.values()))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._cache is not None:
            self._cache.commit()
            self._cache.close()

    def known(self, path: Path) -> bool:
        """Whether ``path`` was already read (or refused) in this run."""
        return path in self._memory

    def frontier(self, paths: Iterable[Path]) -> None:
        """Read and parse the files of a walk's frontier that are not known yet, in parallel when
        there are at least :data:`PARALLEL_THRESHOLD` of them (each one alone otherwise, on demand)."""
        if self._workers <= 1:
            return
        unknown = {path for path in paths if path not in self._memory}
        if len(unknown) >= PARALLEL_THRESHOLD:
            self.prefetch(unknown)

    def probe(self, paths: Iterable[Path]) -> None:
        """Check, without reading them, that files nobody asked for could be read; what the tree
        would refuse is in ``skipped`` with the reason a read would give. A plain readable file
        (not a symlink, within the size cap) is only ``lstat``-ed, the others go through the tree."""
        for path in paths:
            if path in self._memory or path in self.verified:
                continue
            try:
                info = path.lstat()
            except OSError:
                info = None
            plain = info is not None and stat.S_ISREG(info.st_mode) and info.st_size <= self.tree.max_bytes
            if not (plain and os.access(path, os.R_OK)):
                data = self._read(path)
                if isinstance(data, OSError):
                    self._memory[path] = data

    def get(self, path: Path) -> FileImports:
        """The imports of ``path``; raises OSError (:class:`NotReadError` for a file the tree refuses)
        if it cannot be read."""
        found = self._memory.get(path)
        if found is None:
            found = self._load(path)
            self._memory[path] = found
        if isinstance(found, OSError):
            raise _again(found)
        return found

    def verify(self, path: Path) -> str:
        """What :attr:`seen` would hold for ``path`` now, read again without parsing; it then counts
        as read for :meth:`probe`."""
        data = self._read(path)
        read = self.verified[path] = _error_text(data) if isinstance(data, OSError) else _key(data)
        return read

    def recall(self, key: str) -> str | None:
        """The scan the cache keeps under ``key`` (:meth:`~depmin.scanning.cache_file.CacheFile.recall`)."""
        return None if self._cache is None else self._cache.recall(key)

    def keep(self, key: str, value: str) -> None:
        if self._cache is not None:
            self._cache.keep(key, value)

    def refuse(self, reason: str) -> None:
        """The cache holds something depmin did not write (``reason``): moved aside, with a warning."""
        if self._cache is not None:
            self._cache.refuse(reason)

    def prefetch(self, paths: Iterable[Path]) -> None:
        """Fill the cache for many files at once, parsing the unknown ones in parallel."""
        batch: dict[str, tuple[list[Path], bytes]] = {}
        size = 0
        for path in sorted(set(paths) - set(self._memory)):
            data = self._read(path)
            if isinstance(data, OSError):
                self._memory[path] = data
                self.seen[path] = _error_text(data)
                continue
            key = self.seen[path] = _key(data)
            cached = self._lookup(key, data)
            if cached is not None:
                self._memory[path] = cached
            elif key in batch:
                batch[key][0].append(path)
            else:
                batch[key] = ([path], data)
                size += len(data)
            if size >= _BATCH_BYTES:
                self._parse(batch)
                batch, size = {}, 0
        self._parse(batch)

    def _parse(self, batch: dict[str, tuple[list[Path], bytes]]) -> None:
        if not batch:
            return
        items = sorted(batch.items())
        results = self._extract_many([data for _, (_, data) in items])
        self.parsed += len(results)
        for (key, (same, data)), result in zip(items, results, strict=True):
            self._memory.update(dict.fromkeys(same, result))
            self._store(key, data, result)

    def _extract_many(self, blobs: list[bytes]) -> list[FileImports]:
        if self._workers <= 1 or len(blobs) < PARALLEL_THRESHOLD:
            return [_extract(data) for data in blobs]
        if self._pool is None:  # one pool for the run: starting workers costs more than a batch
            from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415 - a large frontier only

            self._pool = ProcessPoolExecutor(max_workers=self._workers)
        chunk = max(1, min(32, len(blobs) // (4 * self._workers)))
        return list(self._pool.map(_extract_one, blobs, chunksize=chunk))

    def _lookup(self, key: str, data: bytes) -> FileImports | None:
        """The imports of content ``data`` parsed earlier in this run or in the persistent cache."""
        found = self._by_key.get(key)
        if found is None and self._cache is not None:
            found = self._cache.lookup(key, data)
            if found is not None:
                self.hits += 1
                self._by_key[key] = found
        return found

    def _read(self, path: Path) -> bytes | OSError:
        """The bytes of ``path``, or the error reading it, kept without its traceback (whose frames
        would hold these ``Sources``, and the whole scan, in a reference cycle)."""
        try:
            return self.tree.read(path, real=self._real(path))
        except NotReadError as exc:
            self._skipped[path] = self.tree.skipped(path, exc)
            return exc.with_traceback(None)
        except OSError as exc:
            self._skipped[path] = self.tree.skipped(path, exc.strerror or type(exc).__name__)
            return exc.with_traceback(None)

    def _load(self, path: Path) -> FileImports | OSError:
        data = self._read(path)
        if isinstance(data, OSError):
            self.seen[path] = _error_text(data)
            return data
        key = self.seen[path] = _key(data)
        cached = self._lookup(key, data)
        if cached is not None:
            return cached
        result = _extract(data, filename=str(path))
        self.parsed += 1
        self._store(key, data, result)
        return result

    def _store(self, key: str, data: bytes, result: FileImports) -> None:
        self._by_key[key] = result
        if self._cache is not None:
            self._cache.store(key, data, result)
            self._uncommitted += 1
            if self._uncommitted >= _COMMIT_EVERY:  # a run killed half-way keeps what it committed
                self._cache.commit()
                self._uncommitted = 0


def _again(error: OSError) -> OSError:
    """A new error equal to ``error``, to raise: the stored one, raised, would hold the traceback of
    the raise and, through its frames, these ``Sources`` that hold it (a reference cycle keeping the
    scan alive after it returns)."""
    if isinstance(error, NotReadError):
        return NotReadError(error.path, error.reason, error.fix)
    return OSError(error.errno, error.strerror, error.filename) if error.errno is not None else OSError(*error.args)


def _error_text(error: OSError) -> str:
    """What a read's error says, as :attr:`Sources.seen` holds it (a key never starts with ``!``)."""
    if isinstance(error, NotReadError):
        return f"!{error.reason}\0{error.fix}"
    return f"!{type(error).__name__}\0{error.errno}\0{error.strerror}"


def _key(data: bytes) -> str:
    digest = hashlib.blake2b(data, digest_size=20)
    digest.update(_SCHEMA.encode())
    return digest.hexdigest()


def _extract_one(data: bytes) -> FileImports:
    return _extract(data)


def _extract(data: bytes, *, filename: str = "<string>") -> FileImports:
    """:func:`depmin.scanning.extraction.extract`, imported on the first file not in the cache: a warm
    run, every file answered from the cache, loads none of the parser's modules."""
    from depmin.scanning.extraction import extract  # noqa: PLC0415 - the parser, only when a file is parsed

    return extract(data, filename=filename)
