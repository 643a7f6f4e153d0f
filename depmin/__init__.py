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

from typing import TYPE_CHECKING

from depmin._version import __version__

# The public names are imported on first use (PEP 562), so that a command, or a tool importing one
# stage, loads only the stages it runs; `import depmin` then `depmin.scan` works as before.
if TYPE_CHECKING:
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
    from depmin.manifest import (
        Agent,
        Audit,
        AuditIgnore,
        Ci,
        Family,
        Fleet,
        Layers,
        Machine,
        Policy,
        Project,
        Resources,
    )
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
    from depmin.verification import (
        AgentVerification,
        Builder,
        Heavy,
        ImageBuild,
        ImportFailure,
        Verification,
        image_build,
    )

_WHERE = {
    "Agent": "depmin.manifest",
    "AgentLock": "depmin.locking",
    "AgentRequirements": "depmin.requirements",
    "AgentScan": "depmin.scanning",
    "AgentVerification": "depmin.verification",
    "Audit": "depmin.manifest",
    "AuditIgnore": "depmin.manifest",
    "AuditResult": "depmin.auditing",
    "BaseDuplicate": "depmin.layers",
    "Builder": "depmin.verification",
    "BundledTable": "depmin.requirements",
    "Check": "depmin.locking",
    "Ci": "depmin.manifest",
    "ConfigError": "depmin.errors",
    "Conflict": "depmin.locking",
    "CudaCheck": "depmin.layers",
    "Decision": "depmin.layers",
    "Declared": "depmin.requirements",
    "DepminError": "depmin.errors",
    "ExternalImport": "depmin.scanning",
    "Family": "depmin.manifest",
    "FamilyLayer": "depmin.layers",
    "Finding": "depmin.auditing",
    "Fleet": "depmin.manifest",
    "FleetLock": "depmin.locking",
    "FleetScan": "depmin.api",
    "Generated": "depmin.api",
    "Heavy": "depmin.verification",
    "Hop": "depmin.scanning",
    "ImageBuild": "depmin.verification",
    "ImportFailure": "depmin.verification",
    "ImportRecord": "depmin.scanning",
    "Layers": "depmin.manifest",
    "LockInput": "depmin.locking",
    "LockResult": "depmin.api",
    "Machine": "depmin.manifest",
    "MachineBytes": "depmin.layers",
    "Mapper": "depmin.requirements",
    "ModuleUse": "depmin.scanning",
    "NamespaceTable": "depmin.requirements",
    "NeedsReport": "depmin.api",
    "Package": "depmin.layers",
    "Pinned": "depmin.locking",
    "Plan": "depmin.layers",
    "PlanProblem": "depmin.layers",
    "PlanResult": "depmin.api",
    "Policy": "depmin.manifest",
    "Problem": "depmin.errors",
    "Project": "depmin.manifest",
    "RecoveredFile": "depmin.scanning",
    "RequirementLine": "depmin.requirements",
    "Resolution": "depmin.requirements",
    "Resources": "depmin.manifest",
    "ServiceImage": "depmin.layers",
    "Stale": "depmin.api",
    "Suggestion": "depmin.layers",
    "Target": "depmin.locking",
    "ToolError": "depmin.errors",
    "Unresolved": "depmin.scanning",
    "Verification": "depmin.verification",
    "WheelhouseResult": "depmin.api",
    "audit": "depmin.api",
    "check": "depmin.api",
    "cuda_checks": "depmin.api",
    "explain_plan": "depmin.api",
    "generate": "depmin.api",
    "image_build": "depmin.verification",
    "infer_needs": "depmin.api",
    "load_fleet": "depmin.api",
    "lock": "depmin.api",
    "lock_inputs": "depmin.api",
    "lock_status": "depmin.api",
    "mapper": "depmin.api",
    "plan": "depmin.api",
    "plan_drift": "depmin.api",
    "render_dockerfiles": "depmin.api",
    "scan": "depmin.api",
    "select_agents": "depmin.api",
    "suggest_families": "depmin.api",
    "unclassified": "depmin.api",
    "verify": "depmin.api",
    "wheelhouse": "depmin.api",
    "why": "depmin.api",
    "write_dockerfiles": "depmin.api",
    "write_plan": "depmin.api",
    "write_requirements": "depmin.api",
}


def __getattr__(name: str) -> object:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib  # noqa: PLC0415 - only when a public name is first used

    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
