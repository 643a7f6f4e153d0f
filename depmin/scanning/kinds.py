"""The kinds of an import, strongest first: the one source of their names and their order.

A third-party import an agent reaches is ``required`` when a chain of plain imports reaches it from
the entrypoint, ``lazy`` when the best chain passes through a function body, ``optional`` through a
guarded import (``try``/``except ImportError``, ``with suppress(ImportError)``) and ``type_only``
through an ``if TYPE_CHECKING:`` block. A chain is as weak as its weakest import, and a module takes
the strongest of its chains. The requirements stage keeps, per distribution, the strongest use.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

__all__ = ["IMPORT_KINDS", "ImportKind", "kind_rank"]

ImportKind: TypeAlias = Literal["required", "lazy", "optional", "type_only"]

# The order of the Literal is the order of strength, so the two can never disagree.
IMPORT_KINDS: tuple[ImportKind, ...] = get_args(ImportKind)

_RANKS: dict[ImportKind, int] = {kind: rank for rank, kind in enumerate(IMPORT_KINDS)}


def kind_rank(kind: ImportKind) -> int:
    """0 for ``required`` up to 3 for ``type_only``: the lower, the stronger."""
    return _RANKS[kind]
