"""One file's bytes -> its import sites, its ``sys.path`` edits and its parse problems.

The input is the raw content of one Python file, for example::

    import zmq
    try:
        import orjson as json
    except ImportError:
        import json
    if TYPE_CHECKING:
        from redis.asyncio import Redis
    if sys.version_info < (3, 11):
        import tomli
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

``extract`` reports ``zmq`` (required), ``orjson`` and ``json`` (optional), ``redis.asyncio``
(type_only), ``tomli`` (conditional, marker ``python_version < "3.11"``) and a ``PathEdit`` of
``".."``. Nothing is executed or imported: the module works on ``ast`` and text only.

Reading: a UTF-8 BOM is dropped, a PEP 263 coding cookie is honoured, undecodable bytes fall back
to latin-1, NUL bytes are removed, CRLF and lone CR become LF (each of these leaves a note).

Conditions: ``if`` tests over ``sys.platform``, ``os.name``, ``platform.system()`` /
``platform.machine()`` / ``platform.python_implementation()``, ``sys.implementation.name`` and
``sys.version_info`` become PEP 508 markers; ``else`` gets the negation, nested tests are joined with
``and``. A part of an ``and`` that is not expressible is dropped (the marker stays a necessary
condition); any other test that is not expressible gives no marker and the import counts as plain.

Files over ``LARGE_FILE`` characters are not parsed whole (``ast.parse`` runs at roughly 1 MB/s):
only the top-level statements that mention imports, ``sys.path``, ``__file__`` or a name bound by an
import are parsed, which yields the same sites; a syntax error elsewhere then goes unnoticed (a note
says so). Files that do not parse are recovered statement by statement, see ``depmin.scanning.recover``.

Here: ``extract`` and decoding the bytes. The values it returns are in ``depmin.scanning.sites``; the
``ast`` walk that classifies each site is ``depmin.scanning.collector``, which turns conditions into
markers with ``depmin.scanning.markers`` and evaluates ``sys.path`` arguments with
``depmin.scanning.syspath``.
"""

from __future__ import annotations

import ast
import codecs
import re

from depmin._gc import paused
from depmin.scanning import recover as _recover
from depmin.scanning.collector import collect
from depmin.scanning.parsing import parse, quiet
from depmin.scanning.sites import FileImports, SyntaxProblem

__all__ = ["LARGE_FILE", "extract"]

LARGE_FILE = 512 * 1024


def extract(source: bytes, *, filename: str = "<string>") -> FileImports:
    """Find the imports of one file's bytes; never raises, whatever the bytes.

    The cyclic garbage collector is paused meanwhile: a syntax tree holds no reference cycle (its
    nodes go with their last reference), yet the collector would traverse its thousands of fresh
    nodes again and again while ``ast.parse`` builds them, an eighth of the extraction's time.
    Warnings are silenced once for all the parses of the file (``depmin.scanning.parsing.quiet``).
    """
    with paused(), quiet():
        return _extract(source, filename)


def _extract(source: bytes, filename: str) -> FileImports:
    text, notes = _decode(source)
    if len(text) <= LARGE_FILE:
        parsed = parse(text, filename=filename)
        if isinstance(parsed, ast.Module):
            return collect(parsed.body, notes=notes, problem=None, text=text)
        pieces = _recover.recover(text, problem=parsed, only_relevant=False)
    else:
        pieces = _recover.recover(text, problem=None, only_relevant=True)
    problem = None
    if pieces.problem is not None:
        problem = SyntaxProblem(message=pieces.problem[0], line=pieces.problem[1])
    notes = [*notes, *pieces.notes]
    return collect(pieces.body, notes=notes, problem=problem, text=text, exact=pieces.exact)


# --- reading bytes ---------------------------------------------------------------------------

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.ASCII)
_COMMENT_OR_BLANK = re.compile(rb"^[ \t\f]*(?:#.*)?$")
# Codecs that name a transformation rather than a source encoding, or that are slow on large input.
_UNUSABLE_CODECS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "utf-7"})


def _decode(source: bytes) -> tuple[str, list[str]]:
    """Bytes -> text with LF line endings, plus notes on whatever had to be repaired."""
    notes: list[str] = []
    encoding = None
    if source.startswith(codecs.BOM_UTF8):
        source = source[len(codecs.BOM_UTF8) :]
        notes.append("BOM removed")
    else:
        encoding = _coding_cookie(source)
    text = _decode_with(source, encoding, notes) if encoding else None
    if text is None:
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError:
            text = source.decode("latin-1")
            notes.append("not UTF-8: decoded as latin-1")
    if "\0" in text:
        text = text.replace("\0", "")
        notes.append("null bytes removed")
    return text.replace("\r\n", "\n").replace("\r", "\n"), notes


def _coding_cookie(source: bytes) -> str | None:
    """The PEP 263 cookie of line 1, or of line 2 when line 1 is blank or a comment."""
    first, _, rest = source.partition(b"\n")
    found = _COOKIE.match(first)
    if found is None and _COMMENT_OR_BLANK.match(first.rstrip(b"\r")):
        found = _COOKIE.match(rest.partition(b"\n")[0])
    return found.group(1).decode("ascii") if found else None


def _decode_with(source: bytes, encoding: str, notes: list[str]) -> str | None:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        notes.append(f"unknown coding cookie {encoding!r}: ignored")
        return None
    if name in _UNUSABLE_CODECS or name.startswith(("utf-16", "utf-32")):
        notes.append(f"coding cookie {encoding!r} is not a source encoding: ignored")
        return None
    try:
        return source.decode(name)
    except (LookupError, ValueError):
        notes.append(f"not {encoding}: coding cookie ignored")
        return None
