"""``ast.parse`` that never raises and never warns, for the extraction and its recovery.

The input is Python text of any quality; the answer is the module, or the parser's message and line
as a ``ParseFailure`` (``("'(' was never closed", 12)``), so recovery can act on where parsing failed.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeAlias

__all__ = ["ParseFailure", "parse", "parses", "quiet"]

ParseFailure: TypeAlias = tuple[str, int]  # the parser's message and line (0 when it names none)


class _Quiet:
    depth = 0  # how many quiet() blocks are open


@contextmanager
def quiet() -> Iterator[None]:
    """Warnings silenced for every parse inside the block, once for all of them.

    Invalid escape sequences warn at parse time; under -W error that would be an exception. Saving
    and restoring the filters costs about a third of parsing a small chunk, and the recovery of one
    file that does not parse runs dozens of parses, so ``extract`` silences them once per file.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _Quiet.depth += 1
        try:
            yield
        finally:
            _Quiet.depth -= 1


def parse(text: str, *, filename: str = "<string>") -> ast.Module | ParseFailure:
    """``ast.parse`` that returns the problem instead of raising, and never warns."""
    if _Quiet.depth:
        return _parse(text, filename)
    with quiet():
        return _parse(text, filename)


def _parse(text: str, filename: str) -> ast.Module | ParseFailure:
    try:
        return ast.parse(text, filename=filename)
    except SyntaxError as exc:
        return (exc.msg or "invalid syntax", exc.lineno or 0)
    except (RecursionError, MemoryError):
        # CPython's parser reports absurdly nested expressions as one of these.
        return ("too deeply nested for the parser", 0)
    except ValueError as exc:
        return (str(exc), 0)


def parses(source: str) -> bool:
    """Whether ``source`` parses on its own."""
    return isinstance(parse(source), ast.Module)
