"""What one agent's verification needs, decided from the files alone (pure, no subprocess).

The image of an agent installs its family chain's locks (``locks/_families/<F>/requirements.lock``,
root first) and then its ``locks/<Agent>/service.lock``, both written by ``depmin plan``; before a
plan exists the agent's own ``locks/<Agent>/requirements.lock`` is the whole environment. The
modules to import are the scan's ``required`` and ``lazy`` third-party dotted names whose marker
holds on the target (``optional`` and ``type_only`` imports may be absent by design).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

from depmin.errors import DepminError
from depmin.layout import SERVICE_LOCK_NAME, Layout, family_lock
from depmin.locking.files import Release
from depmin.locking.wheels import ranks, target_tags, target_wheel
from depmin.manifest import Agent, Fleet
from depmin.scanning import AgentScan

__all__ = [
    "Modules",
    "environment_key",
    "has_entries",
    "install_locks",
    "layer_chain",
    "modules_to_import",
    "sdist_only",
]

_CHECKED_KINDS = ("required", "lazy")


def install_locks(layout: Layout, fleet: Fleet, agent: Agent) -> tuple[Path, ...]:
    """The lock files the agent's image installs, in order; DepminError when the plan is incomplete."""
    service = layout.agent_dir(agent.name) / SERVICE_LOCK_NAME
    if not service.is_file():
        own = layout.lock(agent.name)
        if not own.is_file():
            raise DepminError(f"no lock for {agent.name} ({own}); run `depmin lock --agent {agent.name}` first")
        return (own,)
    chain = [layout.locks / family_lock(name) for name in layer_chain(layout, fleet, agent)]
    missing = [str(path) for path in chain if not path.is_file()]
    if missing:
        raise DepminError(f"{agent.name} has a service.lock but no family lock {missing[0]}; run `depmin plan`")
    return (*chain, service)


def layer_chain(layout: Layout, fleet: Fleet, agent: Agent) -> tuple[str, ...]:
    """The families whose locks the agent's image installs, root first, as its Dockerfile's ``FROM``
    does: from the layer ``locks/plan.json`` puts it on (``"services": {"A@M": {"family": "cpu-scipy"}}``)
    down each layer's ``extends`` there (``"families": {"cpu-scipy": {"derived": true, "extends": "cpu"}}``;
    a family copied per machine, ``"copy_of"``, and a family on top of such a copy, extend as the plan
    says). Without a readable plan, or one naming a layer that is neither declared nor derived, the
    declared chain."""
    declared = tuple(family.name for family in fleet.family_chain(agent.family))
    try:
        document = json.loads(layout.plan_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return declared
    services, families = document.get("services"), document.get("families")
    if not isinstance(services, dict) or not isinstance(families, dict):
        return declared
    entry = next((services[key] for m in agent.machines if (key := f"{agent.name}@{m}") in services), None)
    family = entry.get("family") if isinstance(entry, dict) else None
    chain: list[str] = []
    while family is not None:
        layer = families.get(family) if isinstance(family, str) else None
        if not isinstance(layer, dict) or family in chain:  # unknown, or a cycle: not what depmin writes
            return declared
        if family not in fleet.families and layer.get("derived") is not True:
            return declared
        chain.append(family)
        family = (
            fleet.families[family].extends
            if "extends" not in layer and family in fleet.families
            else layer.get("extends")
        )
    return tuple(reversed(chain)) or declared


def environment_key(python_version: str, texts: Sequence[str]) -> str:
    """The cache key of an environment: the interpreter's version and the locks' entries (comments,
    which name the agent, left out), so agents with identical locks share one environment."""
    bodies = ["".join(_entries(text)) for text in texts]
    document = json.dumps([python_version, bodies], separators=(",", ":"))
    return hashlib.sha256(document.encode()).hexdigest()[:20]


def has_entries(text: str) -> bool:
    """Whether a lock installs anything (a service with nothing on top of its family has none)."""
    return any(line.strip() for line in _entries(text))


def _entries(text: str) -> list[str]:
    return [line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("#")]


@dataclass(frozen=True, kw_only=True, slots=True)
class Modules:
    """The dotted names to import, and those left out because their marker is false on the target."""

    checked: tuple[str, ...]
    skipped: tuple[str, ...]


def modules_to_import(scan: AgentScan, python: str, platform: str) -> Modules:
    """The agent's required and lazy third-party dotted names (``sqlalchemy.ext.asyncio``), sorted."""
    environment = _marker_environment(python, platform)
    checked: set[str] = set()
    skipped: set[str] = set()
    for external in scan.third_party:
        for dotted in external.modules or (external.module,):
            use = external.use(dotted)
            if use.kind not in _CHECKED_KINDS:
                continue
            (checked if _holds(use.marker, environment) else skipped).add(dotted)
    return Modules(checked=tuple(sorted(checked)), skipped=tuple(sorted(skipped - checked)))


def _marker_environment(python: str, platform: str) -> dict[str, str]:
    arch, _, system = platform.partition("-")
    windows, mac = "windows" in system, "darwin" in system or "macos" in system
    sys_platform = "win32" if windows else "darwin" if mac else "linux"
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "sys_platform": sys_platform,
        "platform_system": {"win32": "Windows", "darwin": "Darwin"}.get(sys_platform, "Linux"),
        "os_name": "nt" if windows else "posix",
        "platform_machine": arch,
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }


def _holds(marker: str | None, environment: dict[str, str]) -> bool:
    """Whether a conditional import's marker holds on the target; an unreadable one counts as true
    (the import is tried rather than silently dropped)."""
    if not marker:
        return True
    try:
        return Marker(marker).evaluate(environment)
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return True


def sdist_only(releases: Iterable[Release], python: str, platform: str) -> tuple[str, ...]:
    """``name==version`` of each release with no wheel the target installs: pip would build it from
    its sdist, and a family image has no compiler."""
    rank = ranks(target_tags(python, platform))
    return tuple(sorted(f"{r.name}=={r.version}" for r in releases if target_wheel(r, rank) is None))
