"""Paths agents.toml names: relative, one line, a sane length, and inside their base after symlinks.

Private to :mod:`depmin.manifest`. ``entrypoint``, ``source_roots``, ``files`` and ``requirements``
live under the project root; ``constraints`` and local ``find_links`` under the directory of
agents.toml. :func:`check_path` returns the one-line message for a path that breaks a rule (or
None), so a path that escapes through a symlink is refused at load, before any stage follows it.
"""

from __future__ import annotations

import stat
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal

from depmin.manifest.grammar import control_character, shown

__all__ = ["CONFIG_DIRECTORY", "MAX_COMPONENT_BYTES", "MAX_PATH", "ROOT", "Want", "check_path"]

ROOT = "the project root"
CONFIG_DIRECTORY = "the directory of agents.toml"

MAX_PATH = 1024  # characters of the relative path as written
MAX_COMPONENT_BYTES = 255  # NAME_MAX: a longer file name is "File name too long" on every common file system

Want = Literal["file", "directory", "exists", "absent-or-directory"]
"""What must be at the path: a regular file, a directory, either, or a directory if anything."""


def check_path(text: str, *, base: Path, within: str, want: Want) -> str | None:
    """The problem with the path ``text`` relative to the resolved directory ``base`` (called
    ``within`` in messages), or None. ``want`` is what must be there."""
    problem = _check_text(text, within)
    if problem is not None:
        return problem
    try:
        resolved = (base / text).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return f"{shown(text)} cannot be resolved (a symlink loop?); fix the path or the link"
    if resolved != base and base not in resolved.parents:
        return f"{shown(text)} resolves to {resolved}, outside {within} {base}; point it (or its symlink) inside"
    return _check_kind(text, resolved, base, within, want)


def _check_text(text: str, within: str) -> str | None:
    bad = control_character(text)
    if bad is not None:
        return f"{shown(text)} contains {bad}; rename the file or fix the path"
    if len(text) > MAX_PATH:
        return f"{shown(text)} is too long (at most {MAX_PATH} characters); shorten the path"
    long_part = next((part for part in text.split("/") if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES), None)
    if long_part is not None:
        return f"{shown(text)} has a file name longer than {MAX_COMPONENT_BYTES} bytes; shorten it"
    windows = PureWindowsPath(text)
    if PurePosixPath(text).is_absolute() or windows.drive or windows.root or ".." in PurePosixPath(text).parts:
        return f"{shown(text)} must be a path relative to {within}, inside it"
    return None


def _check_kind(text: str, resolved: Path, base: Path, within: str, want: Want) -> str | None:
    try:
        mode = resolved.stat().st_mode
    except FileNotFoundError:
        if want == "absent-or-directory":
            return None
        fix = "fix the path or the project root" if within == ROOT else "fix the path"
        return f"{shown(text)} does not exist under {base}; {fix}"
    except OSError as exc:
        return f"{shown(text)} cannot be read ({exc.strerror or type(exc).__name__}); fix the path"
    if want == "file" and not stat.S_ISREG(mode):
        return f"{shown(text)} is not a regular file (a directory, FIFO or device); point it at a file"
    if want in ("directory", "absent-or-directory") and not stat.S_ISDIR(mode):
        return f"{shown(text)} is not a directory under {base}; fix or remove it"
    if want == "exists" and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return f"{shown(text)} is neither a regular file nor a directory (a FIFO or device); remove it"
    return None
