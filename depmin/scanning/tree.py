"""The scanned tree as depmin reads it: regular files inside the project root, never more than the cap.

The monorepo is data, and hostile data must not stop the scan. :class:`Tree` is the one reader:

* only regular files are opened (``os.stat`` and ``stat.S_ISREG`` first, then ``O_NONBLOCK``, and the
  open descriptor is checked again, so a FIFO, a device or a socket named ``x.py`` never blocks, even
  when it replaces a file between the check and the open);
* at most ``project.max_file_mb`` megabytes are read: a larger file is not read at all;
* a path that resolves outside the project root (a symlink to ``/dev/zero`` or ``/etc``, or through a
  symlinked directory) is not followed, and neither is a path holding a control character (a file
  named ``"a\\n--extra-index-url …"``), which could otherwise reach a generated file.

Each refusal is a :class:`NotReadError` (an ``OSError``) whose message says what the path is and what to
do; the callers report it, never drop it. :func:`source_files` lists every ``*.py`` under the root
without following a symlinked directory, with the paths it could not list and why. :func:`printable`
escapes a name taken from the tree for one line of text (a message, a comment in a generated file).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from depmin.scanning.results import Hop

if TYPE_CHECKING:
    from depmin.manifest import Project

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SKIP_DIRS",
    "NotReadError",
    "SourceFiles",
    "Tree",
    "has_control",
    "not_read",
    "printable",
    "source_files",
]

DEFAULT_MAX_BYTES = 10_000_000  # project.max_file_mb's default, for a Tree made without a fleet
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox"})
_CHUNK = 1 << 20

# Characters that end a line for some reader (str.splitlines, which pip's requirement parser uses,
# breaks at \x0b \x0c \x1c-\x1e \x85 \u2028 \u2029 as well as \n and \r), or that are invisible.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# What printable() escapes: the above, the backslash (so an escape is never ambiguous) and the
# bidirectional overrides that make text display in another order than it reads.
_UNPRINTABLE = re.compile("[\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control character or a line separator."""
    return _CONTROL.search(text) is not None


def printable(text: str) -> str:
    """``text`` on one line, control characters escaped as Python writes them (``\\n``, ``\\x1b``)."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    known = _ESCAPES.get(char)
    if known is not None:
        return known
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


class RealPaths:
    """``os.path.realpath`` for the paths of one run, each directory resolved once: a path whose last
    part is not a symlink resolves to its directory's resolution joined with that part, as realpath
    resolves it. Kept by one finder or one ``Sources``, for one scan: a directory whose symlink
    changes after its first use is not seen again."""

    def __init__(self) -> None:
        self._dirs: dict[str, str] = {}

    def __call__(self, path: Path) -> str:
        head, tail = os.path.split(path)
        if not head or tail in ("", ".", ".."):
            return os.path.realpath(path)
        real_head = self._dirs.get(head)
        if real_head is None:
            real_head = self._dirs[head] = os.path.realpath(head)
        joined = os.path.join(real_head, tail)  # noqa: PTH118 - strings, as realpath returns them
        return os.path.realpath(joined) if os.path.islink(joined) else joined  # noqa: PTH114 - see above


class NotReadError(OSError):
    """A path of the tree depmin does not read: ``reason`` says what it is, ``fix`` what to do."""

    def __init__(self, path: Path, reason: str, fix: str) -> None:
        super().__init__(f"{reason}; {fix}")
        self.path = path
        self.reason = reason
        self.fix = fix


@dataclass(frozen=True, kw_only=True, slots=True)
class Tree:
    """The project root (as given; ``real`` is its resolved form) and the size cap in bytes."""

    root: Path
    real: str
    max_bytes: int

    @classmethod
    def at(cls, root: Path, *, max_mb: float | None = None) -> Tree:
        """The tree under ``root``, reading files of at most ``max_mb`` megabytes (10^6 bytes)."""
        limit = DEFAULT_MAX_BYTES if max_mb is None else int(max_mb * 1_000_000)
        return cls(root=root, real=os.path.realpath(root), max_bytes=limit)

    @classmethod
    def of(cls, project: Project) -> Tree:
        """The tree of a fleet's ``[project]``: its root and its ``max_file_mb``."""
        return cls.at(project.root, max_mb=project.max_file_mb)

    def rel(self, path: Path) -> str:
        """``path`` relative to the root, with ``/``; the path itself when it is not under the root."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def shown(self, path: Path) -> str:
        """:meth:`rel`, escaped for one line of text."""
        return printable(self.rel(path))

    def skipped(self, path: Path, why: object) -> str:
        """The one line that reports ``path`` as skipped, and ``why``."""
        return f"{self.shown(path)}: skipped: {why}"

    def inside(self, path: Path, *, real: str | None = None) -> bool:
        """Whether ``path`` resolves (through every symlink) to the root or below it; ``real`` is
        ``os.path.realpath(path)`` when the caller knows it."""
        real = os.path.realpath(path) if real is None else real
        return real == self.real or real.startswith(self.real.rstrip(os.sep) + os.sep)

    def escape(self, path: Path, *, real: str | None = None) -> NotReadError | None:
        """The refusal of a path that holds a control character or resolves outside the root (``real``:
        see :meth:`inside`)."""
        if has_control(str(path)) and has_control(self.rel(path)):  # the whole path first: no relative_to
            return NotReadError(path, "its path holds a control character", "rename it")
        if not self.inside(path, real=real):
            target = printable(os.path.realpath(path))
            return NotReadError(
                path,
                f"it resolves to {target}, outside the project root",
                "copy what it points to into the project, or remove the symlink",
            )
        return None

    def checked(self, path: Path, *, real: str | None = None) -> Path:
        """``path``, or raise its :meth:`escape` refusal (``real``: see :meth:`inside`)."""
        refused = self.escape(path, real=real)
        if refused is not None:
            raise refused
        return path

    def read(self, path: Path, *, real: str | None = None) -> bytes:
        """The bytes of ``path``; raises :class:`NotReadError` for a path the tree does not read and
        ``OSError`` when it cannot be read. Never blocks, never reads more than the cap. ``real``:
        see :meth:`inside`."""
        self._check(self.checked(path, real=real), path.stat())
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(path, flags)
        try:
            self._check(path, os.fstat(descriptor))  # what was opened, should the path have changed
            return self._read_capped(path, descriptor)
        finally:
            os.close(descriptor)

    def _check(self, path: Path, info: os.stat_result) -> None:
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
            raise NotReadError(path, f"{kind}, not a regular file", "remove it or replace it with a regular file")
        if info.st_size > self.max_bytes:
            raise self._too_large(path, info.st_size)

    def _read_capped(self, path: Path, descriptor: int) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while total <= self.max_bytes:
            chunk = os.read(descriptor, min(_CHUNK, self.max_bytes + 1 - total))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
        raise self._too_large(path, total)  # it grew while being read

    def _too_large(self, path: Path, size: int) -> NotReadError:
        limit = self.max_bytes / 1_000_000
        return NotReadError(
            path,
            f"{size:,} bytes, over project.max_file_mb = {limit:g}",
            "raise project.max_file_mb in agents.toml, or make the file smaller",
        )


def not_read(rel: str, exc: OSError, hop: Hop | None) -> str:
    """The error of a closure's file ``rel`` that was not read: at the import that reaches it (``hop``)."""
    if not isinstance(exc, NotReadError):
        return f"{printable(rel)}: cannot read ({exc.strerror or type(exc).__name__})"
    where = f"{hop.file}:{hop.line}: imports {printable(rel)}, which" if hop else f"{printable(rel)}:"
    return f"{where} is not read: {exc}"


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceFiles:
    """Every ``*.py`` under a root, sorted, and the paths left out, one message each."""

    files: tuple[Path, ...]
    skipped: tuple[str, ...]


def source_files(tree: Tree) -> SourceFiles:
    """Every ``*.py`` under the root, skipping VCS, virtual-environment, cache and hidden directories.

    A symlinked directory is not entered (its target, when inside the root, is listed where it is),
    so the walk is linear in the tree whatever its links; a symlinked directory that leads outside
    the root and a name holding a control character are reported in ``skipped``. The files are
    only listed: :meth:`Tree.read` decides whether each one is read.
    """
    found: list[Path] = []
    skipped: list[str] = []
    for directory, dirs, files in os.walk(tree.root):
        kept = []
        for name in sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")):
            path = Path(directory, name)
            refused = tree.escape(path) if has_control(name) or path.is_symlink() else None
            if refused is not None:
                skipped.append(tree.skipped(path, refused))
            elif not path.is_symlink():
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            path = Path(directory, name)
            if name.endswith(".py") and has_control(name):
                skipped.append(tree.skipped(path, "its path holds a control character; rename it"))
            elif name.endswith(".py"):
                found.append(path)
    return SourceFiles(files=tuple(found), skipped=tuple(skipped))
