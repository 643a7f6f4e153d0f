"""Distribution names, normalised as PEP 503 says (``Oslo.Concurrency`` -> ``oslo-concurrency``), and
requirements that are a name with extras and nothing else (``uvicorn[standard]``).

:func:`canonicalize_name` is :func:`packaging.utils.canonicalize_name`, without its import:
``packaging.utils`` imports ``packaging.tags``, and with it ``platform``, ``subprocess``, ``sysconfig``
and ``logging``, about 13 ms of every command's start-up, for a scan or a check that needs no wheel tag.
The result is typed as packaging's :data:`~packaging.utils.NormalizedName`, so the names mix with
packaging's own; ``tests/test_names.py`` checks that the two functions agree on generated strings.

:func:`name_and_extras` reads the requirement shape that agents.toml's ``extra_requirements``, the
bundled extras table and most hand-written requirement lines hold (``redis``, ``uvicorn[standard]``),
so that reading them needs neither ``packaging.requirements`` nor ``packaging.markers`` (which import
``packaging.utils``); any other requirement is packaging's to read.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from packaging.utils import NormalizedName
else:
    NormalizedName = str  # a NewType of str for the type checker; at run time the str itself

__all__ = ["PEP508_NAME", "NormalizedName", "canonicalize_name", "name_and_extras"]

# A distribution's (and an extra's) name, PEP 508: the one pattern every check of a name compiles.
PEP508_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_NAME_AND_EXTRAS = re.compile(rf"({PEP508_NAME})(?:\[({PEP508_NAME}(?:,{PEP508_NAME})*)\])?", re.ASCII)


def canonicalize_name(name: str) -> NormalizedName:
    """``name`` lower-cased, each run of ``-``, ``_`` and ``.`` one ``-`` (PEP 503)."""
    value = name.lower().replace("_", "-").replace(".", "-")
    while "--" in value:
        value = value.replace("--", "-")
    return cast("NormalizedName", value)


def name_and_extras(requirement: str) -> tuple[str, frozenset[str]] | None:
    """``("uvicorn", {"standard"})`` for ``uvicorn[standard]``: the name and extras (as written) of a
    requirement that is one PEP 508 name, with or without extras, and no space, version, marker or URL;
    None for any other text, valid or not. packaging's :class:`~packaging.requirements.Requirement`
    reads every such text to the same name and extras, with no specifier, marker or URL."""
    match = _NAME_AND_EXTRAS.fullmatch(requirement)
    if match is None:
        return None
    name, extras = match.groups()
    return name, frozenset(extras.split(",") if extras else ())
