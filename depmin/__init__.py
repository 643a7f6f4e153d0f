"""depmin: minimal, reproducible container builds for a Python monorepo of services.

The stages (manifest → imports → graph → mapping → requirements → lock → layers → dockerfiles)
are importable; ``depmin`` on the command line drives the same functions::

    import depmin

    fleet = depmin.load_fleet("agents.toml")
    scanned = depmin.scan(fleet)
    generated = depmin.generate(fleet, scanned)
    stale = depmin.check(fleet)

Every function takes and returns frozen values, raises only :class:`DepminError` and its
subclasses, and never prints or exits. See ``docs/api.md``.
"""

from __future__ import annotations

from depmin._version import __version__
from depmin.api import (
    FleetScan,
    Generated,
    LockResult,
    NeedsReport,
    PlanResult,
    Stale,
    WheelhouseResult,
    check,
    generate,
    infer_needs,
    load_fleet,
    lock,
    mapper,
    plan,
    render_dockerfiles,
    scan,
    wheelhouse,
    why,
    write_dockerfiles,
    write_plan,
    write_requirements,
)
from depmin.errors import ConfigError, DepminError, Problem, ToolError
from depmin.manifest.fleet import Agent, Family, Fleet, Layers, Machine, Policy, Project
from depmin.requirements.generated import AgentRequirements, RequirementLine
from depmin.scanning.walk import AgentScan, ExternalImport, Hop, ModuleUse

__all__ = [
    "Agent",
    "AgentRequirements",
    "AgentScan",
    "ConfigError",
    "DepminError",
    "ExternalImport",
    "Family",
    "Fleet",
    "FleetScan",
    "Generated",
    "Hop",
    "Layers",
    "LockResult",
    "Machine",
    "ModuleUse",
    "NeedsReport",
    "PlanResult",
    "Policy",
    "Problem",
    "Project",
    "RequirementLine",
    "Stale",
    "ToolError",
    "WheelhouseResult",
    "__version__",
    "check",
    "generate",
    "infer_needs",
    "load_fleet",
    "lock",
    "mapper",
    "plan",
    "render_dockerfiles",
    "scan",
    "wheelhouse",
    "why",
    "write_dockerfiles",
    "write_plan",
    "write_requirements",
]
