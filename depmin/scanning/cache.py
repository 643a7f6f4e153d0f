"""Read source files once per run and remember their imports across runs.

:class:`Sources` hands the graph stage the :class:`~depmin.scanning.sites.FileImports` of a file. Each
file is read and parsed at most once per run however many agents reach it; results are kept in a
persistent cache keyed by the file's content (a SQLite database, so a run killed half-way leaves
every committed entry intact), and a cold cache over many files is filled on both cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from depmin._version import __version__
from depmin.scanning.extraction import extract
from depmin.scanning.sites import FileImports, ImportSite, PathEdit, SyntaxProblem

__all__ = ["PARALLEL_THRESHOLD", "Sources", "default_cache_dir"]

PARALLEL_THRESHOLD = 64
_SCHEMA = f"depmin {__version__} imports v2"  # bump when extraction results change


def default_cache_dir() -> Path:
    """``$DEPMIN_CACHE_DIR``, else ``$XDG_CACHE_HOME/depmin``, else ``~/.cache/depmin``."""
    explicit = os.environ.get("DEPMIN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "depmin"


class Sources:
    """File → imports, memoised for the run and (unless ``cache_dir`` is None) on disk."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self._memory: dict[Path, FileImports | OSError] = {}
        self._db: sqlite3.Connection | None = None
        self.hits = 0
        self.parsed = 0
        if cache_dir is not None:
            self._db = _open(cache_dir)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def get(self, path: Path) -> FileImports:
        """The imports of ``path``; raises OSError if it cannot be read."""
        found = self._memory.get(path)
        if found is None:
            found = self._load(path)
            self._memory[path] = found
        if isinstance(found, OSError):
            raise found
        return found

    def prefetch(self, paths: Iterable[Path], *, workers: int | None = None) -> None:
        """Fill the cache for many files at once, parsing the unknown ones in parallel."""
        todo: dict[str, tuple[Path, bytes]] = {}
        for path in sorted(set(paths) - set(self._memory)):
            try:
                data = path.read_bytes()
            except OSError as exc:
                self._memory[path] = exc
                continue
            key = _key(data)
            cached = self._lookup(key)
            if cached is not None:
                self._memory[path] = cached
            else:
                todo.setdefault(key, (path, data))
        if not todo:
            return
        items = sorted(todo.items())
        results = _extract_many([data for _, (_, data) in items], workers)
        self.parsed += len(results)
        for (key, (path, _)), result in zip(items, results, strict=True):
            self._memory[path] = result
            self._store(key, result)
        self._commit()

    def _load(self, path: Path) -> FileImports | OSError:
        try:
            data = path.read_bytes()
        except OSError as exc:
            return exc
        key = _key(data)
        cached = self._lookup(key)
        if cached is not None:
            return cached
        result = extract(data, filename=str(path))
        self.parsed += 1
        self._store(key, result)
        self._commit()
        return result

    def _lookup(self, key: str) -> FileImports | None:
        if self._db is None:
            return None
        row = self._db.execute("SELECT value FROM imports WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        self.hits += 1
        return _decode(row[0])

    def _store(self, key: str, result: FileImports) -> None:
        if self._db is not None:
            self._db.execute("INSERT OR REPLACE INTO imports VALUES (?, ?)", (key, _encode(result)))

    def _commit(self) -> None:
        if self._db is not None:
            self._db.commit()


def _open(cache_dir: Path) -> sqlite3.Connection | None:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(cache_dir / "imports.sqlite3", timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS imports (key TEXT PRIMARY KEY, value TEXT)")
        db.commit()
    except (OSError, sqlite3.Error):
        return None  # a cache that cannot be opened only costs speed
    return db


def _key(data: bytes) -> str:
    digest = hashlib.blake2b(data, digest_size=20)
    digest.update(_SCHEMA.encode())
    return digest.hexdigest()


def _extract_one(data: bytes) -> FileImports:
    return extract(data)


def _extract_many(blobs: list[bytes], workers: int | None) -> list[FileImports]:
    count = workers if workers is not None else min(2, os.cpu_count() or 1)
    if count <= 1 or len(blobs) < PARALLEL_THRESHOLD:
        return [extract(data) for data in blobs]
    with ProcessPoolExecutor(max_workers=count) as pool:
        return list(pool.map(_extract_one, blobs, chunksize=32))


def _encode(result: FileImports) -> str:
    return json.dumps(
        {
            "sites": [
                [
                    s.module,
                    s.level,
                    list(s.names),
                    s.line,
                    s.optional,
                    s.lazy,
                    s.type_only,
                    s.dynamic,
                    s.marker,
                    s.recovered,
                    s.alias,
                ]
                for s in result.sites
            ],
            "edits": [[e.line, e.path, e.position, e.str_entry, e.lazy] for e in result.path_edits],
            "error": None if result.syntax_error is None else [result.syntax_error.message, result.syntax_error.line],
            "notes": list(result.notes),
        },
        separators=(",", ":"),
    )


def _decode(text: str) -> FileImports:
    raw = json.loads(text)
    sites = tuple(
        ImportSite(
            module=m,
            level=lv,
            names=tuple(n),
            line=ln,
            optional=o,
            lazy=lz,
            type_only=t,
            dynamic=d,
            marker=mk,
            recovered=r,
            alias=a,
        )
        for m, lv, n, ln, o, lz, t, d, mk, r, a in raw["sites"]
    )
    edits = tuple(PathEdit(line=ln, path=p, position=pos, str_entry=s, lazy=lz) for ln, p, pos, s, lz in raw["edits"])
    error = raw["error"]
    return FileImports(
        sites=sites,
        path_edits=edits,
        syntax_error=None if error is None else SyntaxProblem(message=error[0], line=error[1]),
        notes=tuple(raw["notes"]),
    )
