"""One statement of a chunk that does not parse -> a form that parses alone, for ``depmin.scanning.recover``.

The input is one logical statement cut by ``depmin.scanning.lexer`` (its raw text and its masked
twin, where strings and comments are blanked), each of these for example::

    from .handlers import (ErrorHandler,        <- never closed
    except ImportError, e:                      <- Python 2
    x = importlib.import_module("plugins.audio"
    print "starting"

``sanitized`` gives ``from .handlers import ErrorHandler``, ``except ImportError:``,
``importlib.import_module("plugins.audio" )`` and ``pass``. What matters to the import scan is kept
as written when it parses: imports, dynamic-import calls (closed at the end of the statement when
their parenthesis never closes), ``sys.path`` and ``__file__`` statements, ``if``/``elif`` conditions
and ``with suppress(...)``; a broken import is rebuilt from its tokens, a broken header becomes a
generic header of the same kind, anything else ``pass``.
``split_header`` and ``worth_keeping`` are shared with ``depmin.scanning.skeleton``.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator

from depmin.scanning.lexer import CLAUSES, MERGE, MERGE_LINE, WORD, Source, Statement
from depmin.scanning.parsing import parses

__all__ = ["HEADERS", "sanitized", "split_header", "worth_keeping"]

_RELEVANT_SIMPLE = re.compile(r"\b(?:__import__|import_module|path|Path|__file__)\b")
_DYNAMIC_CALL = re.compile(r"(?:[^\W\d]\w*\s*\.\s*)*(?:import_module|__import__)\s*\(")
_BRACKETS = re.compile(r"[()\[\]{}]")
_HEADER_COLON = re.compile(r"[()\[\]{}]|:(?!=)")
_FROM = re.compile(r"from\s*(\.*)\s*([^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*)*\b)?\s*import\b(.*)", re.S)
_IMPORT = re.compile(r"import\b(.*)", re.S)
_NAME_TOKEN = re.compile(r"\*|[^\W\d]\w*|[\s(),]+|\S")
_MODULE_TOKEN = re.compile(r"([^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*)*)(?:\s+as\s+([^\W\d]\w*))?|[\s,]+|(\S)")

# The first words of a compound statement's header.
HEADERS = CLAUSES | {"if", "try", "for", "while", "with", "def", "class", "async", "match", "case"}
_GENERIC_HEADERS = {
    "if": "if True:",
    "elif": "elif True:",
    "while": "while True:",
    "for": "for _ in ():",
    "with": "with _:",
    "def": "def _():",
    "class": "class _:",
    "try": "try:",
    "else": "else:",
    "finally": "finally:",
}
_HEADER_CONTEXT = {
    "elif": ("if 1:\n pass\n", "\n pass"),
    "else": ("if 1:\n pass\n", "\n pass"),
    "except": ("try:\n pass\n", "\n pass"),
    "finally": ("try:\n pass\n", "\n pass"),
    "try": ("", "\n pass\nfinally:\n pass"),
}
_CAUGHT = ("ModuleNotFoundError", "ImportError", "BaseException", "Exception")


def sanitized(source: Source, statement: Statement) -> str:
    """A form of the statement that parses on its own, on one line where it had to change."""
    if statement.word == MERGE:
        return ""
    header = split_header(source, statement)
    if header is not None:
        head, inline_raw, inline_code = header
        if not inline_code:
            return head
        return f"{head} {worth_keeping(inline_raw, inline_code) or 'pass'}"
    return worth_keeping(source.raw(statement), source.code(statement)) or "pass"


def split_header(source: Source, statement: Statement) -> tuple[str, str, str] | None:
    """(header ending in ':', inline body, its masked twin) of a compound statement, else None."""
    if statement.word not in HEADERS:
        return None
    raw, code = source.raw(statement), source.code(statement)
    colon = _header_colon(code)
    if colon is None:
        return None if statement.word in ("match", "case") else (_generic(code), "", "")
    head = _head(statement.word, raw[: colon + 1], code[: colon + 1])
    rest = code[colon + 1 :]
    lead = colon + 1 + len(rest) - len(rest.lstrip())
    return head, raw[lead:], code[lead:].rstrip()


def _header_colon(code: str) -> int | None:
    depth = 0
    for found in _HEADER_COLON.finditer(code):
        char = found.group()
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif not depth:
            return found.start()
    return None


def _head(word: str, raw: str, code: str) -> str:
    """The header as written when its text matters to the scan and it parses, else a generic one.

    Only conditions (markers, TYPE_CHECKING) and ``with suppress(...)`` matter; the caught types
    of an ``except`` are read by ``_generic``. Validating every ``def`` would cost a parse each.
    """
    if word in ("if", "elif") or (word == "with" and "suppress" in code):
        return raw if _valid_header(word, raw) else _generic(code)
    return _generic(code)


def _valid_header(word: str, head: str) -> bool:
    before, after = _HEADER_CONTEXT.get(word, ("", "\n pass"))
    return parses(before + head + after)


def _generic(code: str) -> str:
    """A header of the same kind that always parses: ``except ImportError, e:`` -> ``except ImportError:``."""
    found = WORD.match(code.lstrip())
    word = found.group() if found else ""
    if word == "except":
        if re.fullmatch(r"except\s*:", code.strip()):
            return "except:"
        caught = next((name for name in _CAUGHT if re.search(rf"\b{name}\b", code)), "ValueError")
        return f"except {caught}:"
    if word == "async":
        return "async def _():" if re.match(r"async\s+def\b", code) else "if True:"
    return _GENERIC_HEADERS.get(word, "if True:")


def worth_keeping(raw: str, code: str) -> str | None:
    """A simple statement worth keeping (imports, dynamic imports, path edits), or None."""
    if re.match(r"(?:import|from)\b", code):
        return raw if parses(raw) else _tolerant_import(code)
    if not _RELEVANT_SIMPLE.search(code):
        return None
    if parses(raw):
        return raw
    return "; ".join(_dynamic_calls(raw, code)) or None


def _dynamic_calls(raw: str, code: str) -> Iterator[str]:
    """``importlib.import_module("x")`` calls that parse on their own, from a broken statement.

    A call whose parenthesis never closes is tried closed at the end of the statement.
    """
    for found in _DYNAMIC_CALL.finditer(code):
        close = _matching(code, found.end() - 1)
        call = raw[found.start() : len(raw) if close is None else close + 1]
        call = call.replace("\\\n", " ").replace("\n", " ") + ("" if close is not None else ")")
        if parses(call):
            yield call


def _matching(code: str, opening: int) -> int | None:
    depth = 0
    for found in _BRACKETS.finditer(code, opening):
        depth += 1 if found.group() in "([{" else -1
        if depth == 0:
            return found.start()
    return None


def _tolerant_import(code: str) -> str | None:
    """Rebuild a broken import from its tokens: ``from x import (a,\\n b`` -> ``from x import a, b``."""
    kept = [line for line in code.split("\n") if not MERGE_LINE.match(line)]
    flat = " ".join(kept).replace("\\", " ")
    found = _FROM.match(flat)
    if found:
        dots, module = found.group(1), re.sub(r"\s+", "", found.group(2) or "")
        names = _names(found.group(3))
        if names:
            return _checked(f"from {dots}{module} import {', '.join(names)}")
        return _checked(f"import {module}") if module and not dots else None
    found = _IMPORT.match(flat)
    modules = _modules(found.group(1)) if found else []
    return _checked(f"import {', '.join(modules)}") if modules else None


def _names(part: str) -> list[str]:
    names: list[str] = []
    alias_next = False
    for found in _NAME_TOKEN.finditer(part):
        token = found.group()
        if token == "*":
            return ["*"]
        if token[0].isspace() or token[0] in "(),":
            continue
        if not token.isidentifier() or (keyword.iskeyword(token) and token != "as"):
            break
        if token == "as":
            alias_next = True
        elif alias_next:
            alias_next = False
        else:
            names.append(token)
    return names


def _modules(part: str) -> list[str]:
    modules: list[str] = []
    for found in _MODULE_TOKEN.finditer(part):
        if found.group(3):
            break
        if found.group(1):
            dotted = re.sub(r"\s+", "", found.group(1))
            if any(keyword.iskeyword(piece) for piece in dotted.split(".")):
                break
            alias = found.group(2)
            modules.append(f"{dotted} as {alias}" if alias else dotted)
    return modules


def _checked(source: str) -> str | None:
    return source if parses(source) else None
