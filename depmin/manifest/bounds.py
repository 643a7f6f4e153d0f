"""Bounded work for any agents.toml: a regular file, at most :data:`MAX_CONFIG_BYTES`, shallow keys.

Private to :mod:`depmin.manifest`. The TOML parser spends time quadratic in the number of parts of
one dotted key (``a.b.c… = 1``): a 400 KB key of 200,000 parts took minutes. :func:`deep_key`
finds the longest dotted key in linear time, without parsing, so the loader refuses such a key
before the parser sees it. :func:`read_config` opens agents.toml without blocking and reads it
only when it is a regular file, so a FIFO or a device named agents.toml is refused, not waited on.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from depmin.errors import ConfigError, Problem

__all__ = ["MAX_CONFIG_BYTES", "MAX_KEY_PARTS", "deep_key", "read_config"]

MAX_CONFIG_BYTES = 1 << 20  # 1 MiB: the 69-agent example is 19 KB
MAX_KEY_PARTS = 16  # the deepest key agents.toml defines has 4 (agents.NAME.mapping.MODULE)

_SPACES = re.compile(r"[ \t]+")
_OTHER = re.compile(r"[^ \t.\"'#A-Za-z0-9_-]+")  # punctuation and line ends: they end a dotted key
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BARE_CHAIN = re.compile(r"[A-Za-z0-9_-]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_-]+)*")  # a.b.c in one step
_BASIC = re.compile(r'"(?:[^"\\\n]|\\.)*"')
# Each alternative starts with a different character, so a failed match backtracks in linear time.
_ML_BASIC = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""', re.DOTALL)
_LITERAL = re.compile(r"'[^'\n]*'")


def read_config(path: Path) -> bytes:
    """The bytes of agents.toml at ``path`` (at most one byte over the cap, which the loader
    refuses); a :class:`ConfigError` when it cannot be opened or is not a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        handle = os.open(path, flags)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError([Problem(str(path), f"cannot read: {reason}; check the path given to --config")]) from None
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            message = "is not a regular file (a directory, FIFO or device); pass the path of an agents.toml file"
            raise ConfigError([Problem(str(path), message)])
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_CONFIG_BYTES and (chunk := os.read(handle, MAX_CONFIG_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError([Problem(str(path), f"cannot read: {reason}; check the file")]) from None
    finally:
        os.close(handle)


def deep_key(text: str, limit: int = MAX_KEY_PARTS) -> tuple[int, int] | None:
    """``(parts, line)`` of the deepest dotted key outside strings and comments, when it has more
    than ``limit`` parts; None when every key has at most ``limit``.

    Over-counts rather than under-counts (a float such as ``1.5`` is a chain of two), so every key
    the parser would see is at most this deep.
    """
    # A key is one line: a text without a line of `limit` dots has no deeper key (the usual case).
    if all(line.count(".") < limit for line in text.split("\n")):
        return None
    parts, line = _deepest_key(text)
    return (parts, line) if parts > limit else None


def _deepest_key(text: str) -> tuple[int, int]:
    best, best_at = 0, 0
    chain, after_dot = 0, False
    position, end = 0, len(text)
    while position < end:
        char = text[position]
        if char in " \t":
            position = _skip(_SPACES, text, position)
        elif char == ".":
            after_dot = chain > 0 and not after_dot
            chain = chain if after_dot else 0
            position += 1
        elif char == "#":
            newline = text.find("\n", position)
            position = end if newline < 0 else newline
        elif char in "\"'" or _BARE.match(text, position):
            part_end, parts = _part_end(text, position)
            if part_end is None:  # an unterminated string: the parser stops there
                break
            chain = chain + parts if after_dot else parts
            after_dot = False
            if chain > best:
                best, best_at = chain, position
            position = part_end
        else:
            chain, after_dot = 0, False
            position = _skip(_OTHER, text, position)
    return best, text.count("\n", 0, best_at) + 1


def _skip(pattern: re.Pattern[str], text: str, position: int) -> int:
    """The end of ``pattern`` matched at ``position`` (one character on, should it not match)."""
    found = pattern.match(text, position)
    return position + 1 if found is None else found.end()


def _part_end(text: str, position: int) -> tuple[int | None, int]:
    """The end of the string, or of the chain of bare words, that starts at ``position`` (None if
    it never ends), and how many key parts it holds."""
    if text.startswith('"""', position):
        found = _ML_BASIC.match(text, position)
        return (None if found is None else _extra_quotes(text, found.end(), '"')), 1
    if text.startswith("'''", position):
        close = text.find("'''", position + 3)
        return (None if close < 0 else _extra_quotes(text, close + 3, "'")), 1
    if text[position] in "\"'":
        found = (_BASIC if text[position] == '"' else _LITERAL).match(text, position)
        return (None if found is None else found.end()), 1
    words = _BARE_CHAIN.match(text, position)
    assert words is not None  # the caller saw a bare word here
    return words.end(), words.group().count(".") + 1


def _extra_quotes(text: str, position: int, quote: str) -> int:
    """A multi-line string may end with up to two quotes of its own before the closing three."""
    for _ in range(2):
        if text.startswith(quote, position):
            position += 1
    return position
