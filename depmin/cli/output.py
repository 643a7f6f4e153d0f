"""Where and how the CLI writes: the :class:`Output` streams, and pure text helpers (tables that fit the
terminal, stable JSON, sizes, labels).

The helpers return strings; the commands decide where they go through :class:`Output`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # the plan stage is imported by the commands that report its checks (start-up time)
    from depmin.layers import CudaCheck

__all__ = ["SHOWN_WARNINGS", "Output", "dumps", "label", "mb", "pct", "shortened", "shown", "table"]

SHOWN_WARNINGS = 10  # warnings of one kind shown without -v; the rest are counted
SHOWN_GROUPS = 3  # agents named in one listing warning without -v
_KEYS = re.compile(r"agents\.[^\s,]+\.(\w+)(?:, agents\.[^\s,]+\.\1)+")


class Output:
    """Where the CLI writes: results to stdout, diagnostics to stderr, both honouring --quiet."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err
        self.quiet: bool = args.quiet
        self.verbose: bool = args.verbose
        self.json: bool = getattr(args, "format", "text") == "json"
        self.width = shutil.get_terminal_size((120, 24)).columns if out.isatty() else None
        self.err_width = shutil.get_terminal_size((100, 24)).columns if err.isatty() else 100

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def note(self, text: str) -> None:
        if not self.quiet:
            self.err.write(text + "\n")

    def warn(self, text: str) -> None:
        """A warning always shows, even with --quiet: guesses must be loud."""
        self.err.write(f"{label('warning', self.err)} {text}\n")

    def scan_notices(self, warnings: Sequence[str], skipped: Sequence[str]) -> None:
        """What a scan did not read, and a bad parse cache: loud, on stderr, even with --quiet; past
        :data:`SHOWN_WARNINGS` of them, the rest are counted (``-v`` shows every one)."""
        self.warn_all(warnings)
        self.warn_all(skipped)

    def warn_all(self, texts: Sequence[str]) -> None:
        """Each warning of ``texts``: the first :data:`SHOWN_WARNINGS` and a count of the others, or
        every one with ``-v``; a warning that lists many agents is :func:`shortened` the same way."""
        limit = len(texts) if self.verbose else SHOWN_WARNINGS
        for text in texts[:limit]:
            self.warn(text if self.verbose else shortened(text))
        if len(texts) > limit:
            self.warn(
                f"... and {len(texts) - limit} more like these ({len(texts)} in all); -v prints every one, "
                "--format json lists them"
            )

    def error(self, text: str) -> None:
        """An error always shows, even with --quiet; the exit code says the command failed."""
        self.err.write(f"{label('error', self.err)} {text}\n")

    def cuda(self, checks: Sequence[CudaCheck]) -> bool:
        """Each CUDA mismatch as an error, each accepted one as a warning; True when one is an error."""
        for check in checks:
            if check.status == "mismatch":
                self.error(check.message)
        from depmin.layers.cuda import accepted_warnings  # noqa: PLC0415 - a later stage, imported when used

        for warning in accepted_warnings(checks):
            self.warn(warning)
        return any(check.status == "mismatch" for check in checks)

    def progress(self, what: str) -> Callable[[str, int, int], None] | None:
        """A one-line progress bar on stderr, only on a terminal and without --quiet; it erases
        itself when done, so logs and pipes never see it."""
        if self.quiet or not self.err.isatty():
            return None

        def show(name: str, done: int, total: int) -> None:
            width = 24
            filled = width * done // max(total, 1)
            line = f"{what} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name}"
            self.err.write("\r" + line[: self.err_width].ljust(self.err_width))
            if done >= total:
                self.err.write("\r" + " " * (self.err_width) + "\r")
            self.err.flush()

        return show

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.print(table(headers, rows, width=self.width))


def label(word: str, stream: TextIO) -> str:
    """``error:`` in red (``warning:`` in yellow) on a terminal, plain when NO_COLOR is set."""
    if not stream.isatty() or "NO_COLOR" in os.environ:
        return f"{word}:"
    colour = "31" if word == "error" else "33"
    return f"\033[1;{colour}m{word}:\033[0m"


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


def mb(size: int) -> str:
    """Bytes as megabytes with one decimal and thousands separators: ``1,234.5 MB``."""
    return f"{size / 1e6:,.1f} MB"


def pct(part: int, whole: int) -> str:
    """``part / whole`` with two decimals, ``-`` when ``whole`` is zero."""
    return "-" if whole == 0 else f"{part / whole:.2f}"


def shown(path: Path) -> str:
    """``path`` relative to the working directory when it lies under it (what a user typed), else absolute."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def shortened(text: str, groups: int = SHOWN_GROUPS) -> str:
    """A warning that lists findings per agent (``N import(s) ... (A: x; B: y; ...); fix ... under
    agents.A.mapping, agents.B.mapping for one agent``) with the first ``groups`` agents and a count
    of the others; any other text as it is."""
    start, end = text.find(" ("), text.rfind("); ")
    if start < 0 or end < start:
        return text
    listing = text[start + 2 : end].split("; ")
    if len(listing) <= groups:
        return text
    more = len(listing) - groups
    head = "; ".join(listing[:groups])
    tail = _KEYS.sub(lambda keys: f"agents.<agent>.{keys[1]}", text[end + 3 :])
    return f"{text[:start]} ({head}; and {more} more agents: -v or --format json lists all); {tail}"
