"""Text rendering for the CLI: tables that fit the terminal, and stable JSON.

Pure functions that return strings; the CLI decides where they go.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

__all__ = ["dumps", "table"]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, width: int | None = None) -> str:
    """Columns padded to their widest cell; when ``width`` is given, the widest column is cut
    (ending in ``…``) until every line fits, so a table never wraps in the terminal.

    >>> print(table(["agent", "family"], [["NLUAgent", "cpu"]]))
    agent     family
    NLUAgent  cpu
    """
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    if width is not None:
        _shrink(widths, width)
    lines = [_line(headers, widths), *(_line(row, widths) for row in rows)]
    return "\n".join(lines)


def _shrink(widths: list[int], width: int) -> None:
    gaps = 2 * (len(widths) - 1)
    while sum(widths) + gaps > width:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= 8:
            return
        widths[widest] -= 1


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    parts = []
    for cell, size in zip(cells, widths, strict=True):
        text = cell if len(cell) <= size else cell[: size - 1] + "…"
        parts.append(text.ljust(size))
    return "  ".join(parts).rstrip()


def dumps(value: object) -> str:
    """JSON on one line, keys sorted, so output is byte-stable. Compact on purpose: CPython's fast
    encoder only writes without indentation, and a fleet's scan is hundreds of MB indented (pipe it
    to ``python -m json.tool`` or ``jq`` to read it)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
