"""depmin: minimal, reproducible container builds for a Python monorepo of services.

The stages (manifest → scanning → requirements → locking → layers → dockerfiles → verification) are sub-packages,
and this facade (:mod:`depmin.api`) composes them; ``depmin`` on the command line drives the same functions::

    import depmin

    fleet = depmin.load_fleet("agents.toml")
    scanned = depmin.scan(fleet)
    generated = depmin.generate(fleet, scanned)
    stale = depmin.check(fleet)

Every function takes and returns frozen values, raises only :class:`DepminError` and its
subclasses, and never prints or exits. See ``docs/api.md``.
"""

from __future__ import annotations

from depmin import _runpath

_runpath.drop_working_directory()  # before any dependency is imported: see depmin/_runpath.py

from depmin._version import __version__
from depmin.api import (
    FleetScan,
    Generated,
    LockResult,
    NeedsReport,
    PlanResult,
    Stale,
    WheelhouseResult,
    audit,
    check,
    cuda_checks,
    explain_plan,
    generate,
    infer_needs,
    load_fleet,
    lock,
    lock_inputs,
    lock_status,
    mapper,
    plan,
    plan_drift,
    render_dockerfiles,
    scan,
    select_agents,
    suggest_families,
    unclassified,
    verify,
    wheelhouse,
    why,
    write_dockerfiles,
    write_plan,
    write_requirements,
)
from depmin.auditing import AuditResult, Finding
from depmin.errors import ConfigError, DepminError, Problem, ToolError
from depmin.layers import (
    BaseDuplicate,
    CudaCheck,
    Decision,
    FamilyLayer,
    MachineBytes,
    Package,
    Plan,
    PlanProblem,
    ServiceImage,
    Suggestion,
)
from depmin.locking import AgentLock, Check, Conflict, FleetLock, LockInput, Pinned, Target
from depmin.manifest import Agent, Audit, AuditIgnore, Ci, Family, Fleet, Layers, Machine, Policy, Project, Resources
from depmin.requirements import (
    AgentRequirements,
    BundledTable,
    Declared,
    Mapper,
    NamespaceTable,
    RequirementLine,
    Resolution,
)
from depmin.scanning import AgentScan, ExternalImport, Hop, ImportRecord, ModuleUse, RecoveredFile, Unresolved
from depmin.verification import AgentVerification, Builder, Heavy, ImageBuild, ImportFailure, Verification, image_build

# The one list of depmin's public names; tests/test_api.py checks it against what the functions return.
__all__ = [
    "Agent",
    "AgentLock",
    "AgentRequirements",
    "AgentScan",
    "AgentVerification",
    "Audit",
    "AuditIgnore",
    "AuditResult",
    "BaseDuplicate",
    "Builder",
    "BundledTable",
    "Check",
    "Ci",
    "ConfigError",
    "Conflict",
    "CudaCheck",
    "Decision",
    "Declared",
    "DepminError",
    "ExternalImport",
    "Family",
    "FamilyLayer",
    "Finding",
    "Fleet",
    "FleetLock",
    "FleetScan",
    "Generated",
    "Heavy",
    "Hop",
    "ImageBuild",
    "ImportFailure",
    "ImportRecord",
    "Layers",
    "LockInput",
    "LockResult",
    "Machine",
    "MachineBytes",
    "Mapper",
    "ModuleUse",
    "NamespaceTable",
    "NeedsReport",
    "Package",
    "Pinned",
    "Plan",
    "PlanProblem",
    "PlanResult",
    "Policy",
    "Problem",
    "Project",
    "RecoveredFile",
    "RequirementLine",
    "Resolution",
    "Resources",
    "ServiceImage",
    "Stale",
    "Suggestion",
    "Target",
    "ToolError",
    "Unresolved",
    "Verification",
    "WheelhouseResult",
    "__version__",
    "audit",
    "check",
    "cuda_checks",
    "explain_plan",
    "generate",
    "image_build",
    "infer_needs",
    "load_fleet",
    "lock",
    "lock_inputs",
    "lock_status",
    "mapper",
    "plan",
    "plan_drift",
    "render_dockerfiles",
    "scan",
    "select_agents",
    "suggest_families",
    "unclassified",
    "verify",
    "wheelhouse",
    "why",
    "write_dockerfiles",
    "write_plan",
    "write_requirements",
]
