"""The lock stage's values: what one agent's lock is resolved from, and what a run produced.

:class:`LockInput` is everything a resolution depends on; its :meth:`~LockInput.digest` is the input
hash in each lock's header, so staleness is decided offline. :class:`FleetLock` is the outcome of one
``depmin lock``: an :class:`AgentLock` per selected agent, the conflicts found, the divergences left.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from depmin._names import NormalizedName
from depmin._secrets import redact_url
from depmin.locking.files import Pinned, Target
from depmin.locking.verify import Check

__all__ = ["SCHEMA", "AgentLock", "Conflict", "FleetLock", "LockInput", "LockState", "Options"]

LockState = Literal["fresh", "locked", "failed"]  # fresh: current, not re-resolved

SCHEMA = "depmin.lock/1"


@dataclass(frozen=True, kw_only=True, slots=True)
class LockInput:
    agent: str
    family: str
    target: Target
    requirements: tuple[str, ...]
    extra: frozenset[str]  # the requirements that come from agents.toml extra_requirements
    checks: tuple[Check, ...]
    constraints: tuple[str, ...]  # lines of project.constraints

    def digest(self, backend: str) -> str:
        """sha256 of everything a resolution depends on; ``backend`` is ``"uv 0.13.9"``.

        Index and find-links URLs are hashed with their credentials redacted: a rotated token
        changes nothing the resolver picks, so it leaves every lock current."""
        document = {
            "schema": SCHEMA,
            "requirements": sorted(self.requirements),
            "imports": sorted({f"{c.mapping_key}={c.distribution}" for c in self.checks}),
            # The dotted modules checked through a parent's key (`widget.parts` through `widget`): a lock
            # is current only for the modules it was verified to provide, and a fresh lock is not
            # verified again, so `import widget.parts` -> `import widget.gone` makes it stale.
            "modules": sorted({f"{c.module}={c.distribution}" for c in self.checks if c.module != c.mapping_key}),
            "constraints": list(self.constraints),
            "python": self.target.python,
            "platform": self.target.platform,
            "indexes": [redact_url(url) for url in self.target.indexes],
            "find_links": [redact_url(url) for url in self.target.find_links],
            "backend": backend,
        }
        return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, kw_only=True, slots=True)
class Options:
    offline: bool = False
    find_links: tuple[str, ...] = ()  # extra wheelhouses for this run (not part of the inputs)
    allow_divergence: bool = False
    upgrade: bool = False  # ignore the current pins and re-lock every selected agent
    workers: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class Conflict:
    """Requirements that cannot be installed together, with the agents that ask for each."""

    scope: str
    requirements: Mapping[str, tuple[str, ...]]
    explanation: str

    def __str__(self) -> str:
        asked = "; ".join(f"{req} (by {', '.join(agents)})" for req, agents in self.requirements.items())
        return f"{self.scope}: cannot be installed together: {asked}. Resolver: {self.explanation}"


@dataclass(frozen=True, kw_only=True, slots=True)
class AgentLock:
    agent: str
    state: LockState
    reason: str  # why it was (re)locked, or why it failed
    scope: str = ""
    packages: tuple[Pinned, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)  # file name -> text to write
    problems: tuple[str, ...] = ()
    unverified: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = ()  # `from pkg import x` where the locked pkg has no module pkg.x


@dataclass(frozen=True, kw_only=True, slots=True)
class FleetLock:
    agents: tuple[AgentLock, ...]
    conflicts: tuple[Conflict, ...]
    divergences: Mapping[NormalizedName, Mapping[str, tuple[str, ...]]]  # name -> version -> agents
    distributions: int
    backend: str
    seconds: float
    notes: tuple[str, ...] = ()  # what was not checked, and why (offline, an index unreachable)

    @property
    def ok(self) -> bool:
        return all(a.state != "failed" for a in self.agents)
