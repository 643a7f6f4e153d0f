"""What ``depmin init`` finds in a monorepo: each value with the place that says it.

A :class:`Found` value carries its :class:`Source` (``src/cart/Dockerfile:12 EXPOSE 8080``), which the
draft prints as a comment beside the key. A :class:`Service` is one agent as one source describes it;
:mod:`depmin.drafting.merge` folds the services of every source into the draft's agents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar, get_args

__all__ = ["KINDS", "Found", "Kind", "Service", "Source"]

Kind = Literal["startup", "compose", "kubernetes", "dockerfile", "procfile", "pyproject", "main"]
"""A kind of source, in the order their services take precedence when two describe one agent."""
KINDS: tuple[Kind, ...] = get_args(Kind)

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True, slots=True)
class Source:
    """Where a value was read: a file relative to the root, its line (0: the file as a whole), and the
    text there (taken from the scanned repository: hostile, escaped when printed)."""

    file: str
    line: int = 0
    text: str = ""

    def cite(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} {self.text}".rstrip()


@dataclass(frozen=True, kw_only=True, slots=True)
class Found(Generic[T]):
    value: T
    source: Source


@dataclass(kw_only=True, slots=True)
class Service:
    """One service as one source describes it; every field that is set cites its source."""

    kind: Kind
    name: str
    origin: Source
    entrypoint: Found[str] | None = None
    cmd: Found[tuple[str, ...]] | None = None
    ports: list[Found[int]] = field(default_factory=list)
    health: Found[str] | None = None
    health_port: Found[int] | None = None
    env: dict[str, Found[str]] = field(default_factory=dict)
    workdir: Found[str] | None = None
    files: list[Found[str]] = field(default_factory=list)
    image: Found[str] | None = None
    network: Literal["host", "bridge"] = "host"
    uncertain: dict[str, str] = field(default_factory=dict)

    def doubt(self, key: str, text: str) -> None:
        """Record a question about ``key``; a second one on the same key is appended."""
        self.uncertain[key] = f"{self.uncertain[key]}; {text}" if key in self.uncertain else text
