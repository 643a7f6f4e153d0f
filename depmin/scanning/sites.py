"""What the scan of one file yields: its import sites, its ``sys.path`` edits and its parse problem.

Frozen values, built by ``depmin.scanning.collector`` (from ``ast`` statements) and by
``depmin.scanning.cache`` (from the persistent cache); ``depmin.scanning.extraction.extract`` returns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from depmin.scanning.kinds import ImportKind

__all__ = ["UNEVALUABLE_EDIT", "FileImports", "ImportSite", "PathEdit", "PathPosition", "SiteKind", "SyntaxProblem"]

# The note of a sys.path edit the collector cannot evaluate; the walk reports the first one per agent.
UNEVALUABLE_EDIT = "sys.path edit not statically evaluable"

# The one word shown for a site: an import kind, or what else marks a site that is not guarded.
SiteKind: TypeAlias = Literal[ImportKind, "conditional", "dynamic"]
PathPosition: TypeAlias = Literal["insert", "append"]  # sys.path.insert(0, ...) / sys.path.append(...)


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportSite:
    """One imported module, e.g. ``from redis.asyncio import Redis`` at line 12.

    ``module`` is written without leading dots (``""`` for ``from . import x``) and ``level`` counts
    them. ``names`` holds the imported names of a from-import (``("*",)`` for a star import) and is
    empty for ``import m``; ``alias`` is the ``as`` name of a plain ``import m as a``.
    """

    module: str
    level: int
    names: tuple[str, ...]
    line: int
    optional: bool
    lazy: bool
    type_only: bool
    dynamic: bool
    marker: str | None
    recovered: bool
    alias: str | None

    @property
    def kind(self) -> SiteKind:
        """The one word shown for the site: type_only > optional > lazy > conditional > dynamic."""
        if self.type_only:
            return "type_only"
        if self.optional:
            return "optional"
        if self.lazy:
            return "lazy"
        if self.marker is not None:
            return "conditional"
        if self.dynamic:
            return "dynamic"
        return "required"


@dataclass(frozen=True, kw_only=True, slots=True)
class PathEdit:
    """``sys.path.insert(0, str(ROOT / "lib"))``: ``path`` is relative to the file's directory.

    ``str_entry`` is False for a ``pathlib.Path`` entry, which the import system ignores.
    """

    line: int
    path: str
    position: PathPosition
    str_entry: bool
    lazy: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class SyntaxProblem:
    """Why the file does not parse: the parser's message and line (1 when it names none)."""

    message: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class FileImports:
    """Everything ``extract`` found in one file, sites in source order."""

    sites: tuple[ImportSite, ...]
    path_edits: tuple[PathEdit, ...]
    syntax_error: SyntaxProblem | None
    notes: tuple[str, ...]
