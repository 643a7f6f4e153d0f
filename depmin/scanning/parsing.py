"""``ast.parse`` that never raises and never warns, for the extraction and its recovery.

The input is Python text of any quality; the answer is the module, or the parser's message and line
as a ``ParseFailure`` (``("'(' was never closed", 12)``), so recovery can act on where parsing failed.
"""

from __future__ import annotations

import ast
import warnings
from typing import TypeAlias

__all__ = ["ParseFailure", "parse", "parses"]

ParseFailure: TypeAlias = tuple[str, int]  # the parser's message and line (0 when it names none)


def parse(text: str, *, filename: str = "<string>") -> ast.Module | ParseFailure:
    """``ast.parse`` that returns the problem instead of raising, and never warns."""
    with warnings.catch_warnings():
        # Invalid escape sequences warn at parse time; under -W error that would be an exception.
        warnings.simplefilter("ignore")
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
