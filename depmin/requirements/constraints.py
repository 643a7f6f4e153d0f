"""The fleet's constraints file (``project.constraints``): one reader for generate and lock.

A pip constraints file of version ranges, one requirement a line, comments allowed::

    numpy>=1.24,<2   # the CUDA wheels are built against numpy 1
    pydantic<3

``generate`` uses the ranges to write ``numpy>=1.24,<2`` instead of a bare ``numpy``; ``lock`` hands the
lines to the resolver (and hashes them into each lock's input hash). Option lines (``-r``, ``-c``,
``--index-url``) are refused: pip would follow them, so skipping them would change what gets locked
without a word, and indexes belong in ``families.<name>.indexes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from depmin._names import NormalizedName, canonicalize_name
from depmin.errors import ConfigError, Problem

__all__ = ["Constraints", "parse_constraints", "read_constraints"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Constraints:
    """The requirement lines of a constraints file, and the range each names."""

    lines: tuple[str, ...] = ()  # as written, comments stripped: what the resolver gets
    ranges: Mapping[NormalizedName, str] = field(default_factory=dict)  # name -> specifier


def parse_constraints(text: str, *, source: str) -> Constraints:
    """Every requirement line of ``text``; raises ConfigError naming each bad line of ``source``."""
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415 - imports packaging.tags (depmin._names)

    lines: list[str] = []
    ranges: dict[NormalizedName, str] = {}
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            option = line.split()[0]
            problems.append(
                Problem(f"{source}:{number}", f"{option} is not supported in a constraints file; list the ranges here")
            )
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            problems.append(Problem(f"{source}:{number}", f"not a requirement ({exc}); fix or remove the line"))
            continue
        lines.append(line)
        ranges[canonicalize_name(requirement.name)] = str(requirement.specifier)
    if problems:
        raise ConfigError(problems)
    return Constraints(lines=tuple(lines), ranges=ranges)


def read_constraints(path: Path | None) -> Constraints:
    """The constraints file at ``path`` (``project.constraints``), or none."""
    if path is None:
        return Constraints()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem("project.constraints", f"cannot read {path} ({exc}); fix the path")]) from None
    return parse_constraints(text, source=str(path))
