"""A service's command line (``CMD``, compose ``command``, a Procfile line) read as data, never run.

:func:`entrypoint_of` finds the Python file a command starts: ``python app.py``, ``python -m pkg.app``,
``uvicorn pkg.app:api`` (and the same behind ``tini --``, ``exec``, ``env A=1`` or ``sh -c "…"``), looked
up under the directories a source says the command runs in.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from depmin.scanning.tree import Tree

__all__ = ["Started", "entrypoint_of", "split_shell"]

_PYTHON = re.compile(r"python(?:3(?:\.[0-9]{1,2})?)?")
_SERVERS = frozenset({"uvicorn", "gunicorn", "hypercorn", "daphne"})
_WRAPPERS = frozenset({"tini", "dumb-init", "exec", "--", "nohup"})
_PYTHON_OPTIONS_WITH_VALUE = frozenset({"-X", "-W", "-Q"})
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_MAX_ARGS = 64


@dataclass(frozen=True, kw_only=True, slots=True)
class Started:
    """The entrypoint (relative to the root), and whether the command is more than ``python ENTRYPOINT``."""

    entrypoint: str
    plain: bool


def split_shell(text: str) -> tuple[str, ...] | None:
    """A shell-form command as words, or None when it is not one simple command (pipes, ``;``, ``&&``)."""
    try:
        words = shlex.split(text, comments=False, posix=True)
    except ValueError:
        return None
    if any(word in ("|", "||", "&&", ";", "&") for word in words) or len(words) > _MAX_ARGS:
        return None
    return tuple(words)


def _unwrap(argv: Sequence[str], depth: int = 0) -> list[str]:
    words = list(argv)
    while words:
        head = PurePosixPath(words[0]).name
        if head in _WRAPPERS:
            words.pop(0)
        elif head == "env":
            words.pop(0)
            while words and ("=" in words[0] or words[0].startswith("-")):
                words.pop(0)
        elif head in ("sh", "bash") and len(words) >= 3 and words[1] == "-c" and depth < 2:
            inner = split_shell(words[2])
            return [] if inner is None else _unwrap(inner, depth + 1)
        else:
            break
    return words


def _target(words: list[str]) -> tuple[str, bool] | None:
    """The script path (``kind`` False) or module name (True) the command starts."""
    if not words:
        return None
    head = PurePosixPath(words[0]).name
    rest = words[1:]
    if _PYTHON.fullmatch(head):
        while rest and rest[0].startswith("-") and rest[0] != "-m":
            option = rest.pop(0)
            if option in _PYTHON_OPTIONS_WITH_VALUE and rest:
                rest.pop(0)
        if len(rest) >= 2 and rest[0] == "-m":
            return rest[1], True
        if rest and rest[0].endswith(".py"):
            return rest[0], False
        return None
    if head in _SERVERS:
        for word in rest:
            if not word.startswith("-") and ":" in word:
                return word.split(":", 1)[0], True
        return None
    if head.endswith(".py"):
        return words[0], False
    return None


def entrypoint_of(argv: Sequence[str], *, tree: Tree, bases: Sequence[str], workdir: str = "") -> Started | None:
    """The file ``argv`` starts, found under the first of ``bases`` (directories relative to the root,
    ``""`` the root) that holds it; ``workdir`` is the container directory the command runs in, which
    an absolute script path may start with (``/app/main.py`` with ``WORKDIR /app``)."""
    words = _unwrap(argv)
    target = _target(words)
    if target is None:
        return None
    name, is_module = target
    if is_module:
        if not _MODULE.fullmatch(name):
            return None
        base_path = name.replace(".", "/")
        candidates = [f"{base_path}.py", f"{base_path}/__main__.py"]
    else:
        path = PurePosixPath(name)
        if path.is_absolute():
            prefix = PurePosixPath(workdir) if workdir.startswith("/") else None
            if prefix is None or not path.is_relative_to(prefix):
                return None
            path = path.relative_to(prefix)
        if ".." in path.parts:
            return None
        candidates = [path.as_posix()]
    for base in bases:
        for candidate in candidates:
            relative = PurePosixPath(base, candidate).as_posix() if base else candidate
            full = Path(tree.root, relative)
            if tree.inside(full) and full.is_file():
                plain = (
                    not is_module and len(words) == 2 and _PYTHON.fullmatch(PurePosixPath(words[0]).name) is not None
                )
                return Started(entrypoint=relative, plain=plain and words == list(argv))
    return None
