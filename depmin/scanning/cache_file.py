"""The parse cache on disk: one SQLite file of file content -> imports, checked on every read.

It also keeps the last scans of each fleet (:mod:`depmin.scanning.scan_record`): a row of the
``scans`` table is keyed by a digest of what the scan was asked, and holds the encoded scan and a
seal over both; it is used only when every file and directory the scan read reads the same again.

A row is keyed by a digest of the file's bytes and of depmin's version, and holds the content's size
and SHA-256, the encoded :class:`~depmin.scanning.sites.FileImports` and a seal over all of them.
A row is used only when the bytes read now have that size and digest, the seal matches and every
value decodes to the shape :func:`encode` writes; anything else (a file that is not SQLite, a
damaged page, tables of another layout, a changed or misplaced entry) makes the whole file suspect:
it is moved aside (``imports-3.sqlite3.bad``) and a new one is started, with one warning naming the
path. A cache that cannot be opened at all (a read-only directory) only costs speed, with a warning.

The seal detects corruption and edits made without depmin; it is not a signature against someone
who can write the cache directory and knows this format: keep the cache directory private.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from depmin.scanning.sites import FileImports, ImportSite, PathEdit, SyntaxProblem
from depmin.scanning.tree import printable

__all__ = ["CacheFile", "decode", "encode"]

# One file per layout, so depmin versions of different layouts can share a cache directory (format 2,
# before rows were checked, is imports.sqlite3 and is left alone).
FILE_NAME = "imports-4.sqlite3"
_FORMAT = "depmin parse cache 4"  # the layout of the file; change it, and FILE_NAME, with the tables below
_COLUMNS = {
    "imports": ("key", "size", "digest", "value", "seal"),
    "meta": ("name", "value"),
    "scans": ("key", "value", "seal"),
}
KEPT_SCANS = 8  # the scans kept, the latest first: one per fleet and choice of agents a user runs


class _BadCacheError(Exception):
    """The cache file is not what depmin writes; the message says how."""


class CacheFile:
    """The persistent half of :class:`~depmin.scanning.cache.Sources`; never raises.

    ``warning`` is the one line to show the user when the file was bad or could not be used.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE_NAME
        self.warning: str | None = None
        self._db: sqlite3.Connection | None = None
        self._pending = False
        try:
            self._db = _connect(self.path)
        except (_BadCacheError, OSError, sqlite3.Error) as exc:
            self._handle(exc)

    def lookup(self, key: str, data: bytes) -> FileImports | None:
        """The imports cached for ``data`` (whose key is ``key``), or None."""
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT size, digest, value, seal FROM imports WHERE key = ?", (key,)).fetchone()
            return None if row is None else _verified(key, data, row)
        except (_BadCacheError, sqlite3.Error) as exc:
            self._handle(exc)
        return None

    def store(self, key: str, data: bytes, result: FileImports) -> None:
        if self._db is None:
            return
        size, digest, value = len(data), hashlib.sha256(data).hexdigest(), encode(result)
        try:
            if not self._pending:
                self._db.execute("BEGIN")
                self._pending = True
            self._db.execute(
                "INSERT OR REPLACE INTO imports VALUES (?, ?, ?, ?, ?)",
                (key, size, digest, value, _seal(key, size, digest, value)),
            )
        except sqlite3.Error as exc:
            self._handle(exc)

    def recall(self, key: str) -> str | None:
        """The scan kept under ``key`` (:meth:`keep`), or None."""
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value, seal FROM scans WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            value, seal = row
            if not (isinstance(value, str) and isinstance(seal, str)):
                raise _BadCacheError("holds a scan of the wrong shape")
            if seal != _seal(key, 0, "", value):
                raise _BadCacheError("holds a scan that was changed outside depmin")
            return value
        except (_BadCacheError, sqlite3.Error) as exc:
            self._handle(exc)
        return None

    def keep(self, key: str, value: str) -> None:
        """Keep ``value`` under ``key``, with the :data:`KEPT_SCANS` - 1 latest others, committed."""
        if self._db is None:
            return
        try:
            if not self._pending:
                self._db.execute("BEGIN")
                self._pending = True
            self._db.execute("DELETE FROM scans WHERE key = ?", (key,))
            self._db.execute("INSERT INTO scans VALUES (?, ?, ?)", (key, value, _seal(key, 0, "", value)))
            self._db.execute(
                "DELETE FROM scans WHERE rowid NOT IN (SELECT rowid FROM scans ORDER BY rowid DESC LIMIT ?)",
                (KEPT_SCANS,),
            )
        except sqlite3.Error as exc:
            self._handle(exc)
        self.commit()

    def refuse(self, reason: str) -> None:
        """What a row holds does not decode (``reason``): the file is moved aside, as for a bad row."""
        self._fail(reason)

    def commit(self) -> None:
        if self._db is None or not self._pending:
            return
        try:
            self._db.execute("COMMIT")
            self._pending = False
        except sqlite3.Error as exc:
            self._handle(exc)

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
            self._pending = False

    def _handle(self, exc: Exception) -> None:
        """A damaged or foreign file is moved aside; any other failure (a read-only directory, a lock
        held too long) only stops the cache for this run."""
        operational = isinstance(exc, sqlite3.OperationalError)
        if isinstance(exc, _BadCacheError) or (isinstance(exc, sqlite3.DatabaseError) and not operational):
            self._fail(_reason(exc))
        else:
            self._unusable(exc)

    def _fail(self, reason: str) -> None:
        """Move the bad file aside and start a new one; after a first failure, stop using it."""
        self.close()
        if self.warning is not None:
            return
        shown = printable(str(self.path))
        aside = self.path.with_name(FILE_NAME + ".bad")
        try:
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    self.path.with_name(FILE_NAME + suffix).unlink()
            self._db = _connect(self.path)
        except (OSError, sqlite3.Error, _BadCacheError) as exc:
            self.warning = f"parse cache {shown} {reason} and cannot be replaced ({_reason(exc)}); scanning without it"
            return
        self.warning = f"parse cache {shown} {reason}; moved it to {printable(aside.name)} and started a new one"

    def _unusable(self, exc: BaseException) -> None:
        self.close()
        if self.warning is None:
            self.warning = (
                f"parse cache {printable(str(self.path))} cannot be used ({_reason(exc)}); scanning without it "
                "(set DEPMIN_CACHE_DIR to a writable directory, or pass --no-cache)"
            )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, _BadCacheError):
        return str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return f"is damaged ({printable(str(exc))})"
    return printable(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)


def _connect(path: Path) -> sqlite3.Connection:
    """An open cache with the tables of this format; raises _BadCacheError when the file is something else."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise _BadCacheError("is not a regular file")
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("BEGIN IMMEDIATE")  # two runs starting at once: one creates, the other checks
        _prepare(db)
        db.execute("COMMIT")
    except BaseException:
        db.close()
        raise
    return db


def _prepare(db: sqlite3.Connection) -> None:
    names = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
    if not all(isinstance(name, str) and name.isidentifier() for name in names):
        raise _BadCacheError("is not a depmin parse cache (its tables are not depmin's)")
    tables = {name: tuple(column[1] for column in db.execute(f"PRAGMA table_info('{name}')")) for name in names}
    if tables == _COLUMNS:
        row = db.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
        if row is None or row[0] != _FORMAT:
            raise _BadCacheError("is not a depmin parse cache (its format is unknown)")
        return
    if tables:
        raise _BadCacheError("is not a depmin parse cache (its tables are not depmin's)")
    db.execute("CREATE TABLE imports (key TEXT PRIMARY KEY, size INTEGER, digest TEXT, value TEXT, seal TEXT)")
    db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
    db.execute("CREATE TABLE scans (key TEXT PRIMARY KEY, value TEXT, seal TEXT)")
    db.execute("INSERT INTO meta VALUES ('format', ?)", (_FORMAT,))


def _seal(key: str, size: int, digest: str, value: str) -> str:
    text = f"{key}\0{size}\0{digest}\0{value}".encode()
    return hashlib.blake2b(text, digest_size=20, key=_FORMAT.encode()).hexdigest()


def _verified(key: str, data: bytes, row: Sequence[object]) -> FileImports:
    size, digest, value, seal = row
    if not (isinstance(size, int) and isinstance(digest, str) and isinstance(value, str) and isinstance(seal, str)):
        raise _BadCacheError("holds an entry of the wrong shape")
    if size != len(data) or digest != hashlib.sha256(data).hexdigest():
        raise _BadCacheError("holds an entry for other content than its key says")
    if seal != _seal(key, size, digest, value):
        raise _BadCacheError("holds an entry that was changed outside depmin")
    try:
        return decode(value)
    except (ValueError, RecursionError):
        raise _BadCacheError("holds an entry of the wrong shape") from None


def encode(result: FileImports) -> str:
    """The JSON text of one file's imports, as a row holds it."""
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


Check = Callable[[Any], bool]


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _flag(value: Any) -> bool:
    return isinstance(value, bool)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _position(value: Any) -> bool:
    return value in ("insert", "append")


_NONE = type(None)
# The types of a site row's values as encode writes them (json.loads makes exactly these types):
# module, level, names, line, optional, lazy, type_only, dynamic, marker, recovered, alias. A row is
# checked by its tuple of types, a site being the most common row by far.
_SITE_TYPES = frozenset(
    (str, int, list, int, bool, bool, bool, bool, marker, bool, alias)
    for marker in (str, _NONE)
    for alias in (str, _NONE)
)
_STR = frozenset({str})
_EDIT: tuple[Check, ...] = (_count, _text, _position, _flag, _flag)
_ERROR: tuple[Check, ...] = (_text, _count)


def _rows(value: Any, shape: tuple[Check, ...]) -> list[list[Any]]:
    if not isinstance(value, list):
        raise ValueError("not a list")
    for row in value:
        if not (
            isinstance(row, list) and len(row) == len(shape) and all(ok(v) for ok, v in zip(shape, row, strict=True))
        ):
            raise ValueError(f"not a row of {len(shape)} values of the expected types: {row!r}")
    return value


def _sites(value: Any) -> list[list[Any]]:
    """``value`` when it is a list of site rows of the shape ``_SITE_TYPES`` says, with a count
    for level and line and only names among the names; raises ValueError otherwise."""
    if type(value) is not list:
        raise ValueError("not a list")
    for row in value:
        if not (
            type(row) is list
            and tuple(map(type, row)) in _SITE_TYPES
            and row[1] >= 0
            and row[3] >= 0
            and _STR.issuperset(map(type, row[2]))
        ):
            raise ValueError(f"not a site row of the expected types: {row!r}")
    return value


def decode(text: str) -> FileImports:
    """What :func:`encode` wrote; raises ValueError for any other text or shape."""
    raw = json.loads(text)
    if not isinstance(raw, dict) or set(raw) != {"sites", "edits", "error", "notes"} or not _texts(raw["notes"]):
        raise ValueError("not an encoded FileImports")
    error = raw["error"]
    if error is not None:
        _rows([error], _ERROR)
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
        for m, lv, n, ln, o, lz, t, d, mk, r, a in _sites(raw["sites"])
    )
    edits = tuple(
        PathEdit(line=ln, path=p, position=pos, str_entry=s, lazy=lz)
        for ln, p, pos, s, lz in _rows(raw["edits"], _EDIT)
    )
    return FileImports(
        sites=sites,
        path_edits=edits,
        syntax_error=None if error is None else SyntaxProblem(message=error[0], line=error[1]),
        notes=tuple(raw["notes"]),
    )
