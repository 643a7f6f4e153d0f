"""Every JSON document the CLI prints (``--format json``), one builder per document, each named by its
``schema`` (documented in docs/json.md).

Each builder is a pure function of the library's results that returns a dict; the command prints it with
:func:`depmin.cli.output.dumps`. The one exception is the scan, streamed in pieces (:func:`scan_pieces`)
so that a large fleet's document is never held in memory whole. The plan's own documents (``depmin.plan/1``,
``depmin.explain/1``) belong to the layers stage, which also writes plan.json.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from depmin._secrets import redact_url
from depmin.cli.output import dumps
from depmin.manifest import Fleet
from depmin.requirements import Resolution
from depmin.scanning import AgentScan, ExternalImport, Hop

if TYPE_CHECKING:  # the later stages are imported by the builders that need them (start-up time)
    from depmin import api
    from depmin.auditing import AuditResult
    from depmin.drafting import Draft, Found
    from depmin.layers import CudaCheck, Plan, Suggestion
    from depmin.locking import AgentLock
    from depmin.requirements import NeedsReport, RequirementLine

__all__ = [
    "Mapped",
    "audit_document",
    "check_document",
    "dockerfiles_document",
    "fleet_document",
    "generate_document",
    "init_document",
    "lock_check_document",
    "lock_document",
    "needs_document",
    "plan_check_document",
    "plan_document",
    "removed",
    "scan_pieces",
    "suggest_document",
    "verify_document",
    "wheelhouse_document",
    "why_document",
    "workflow_document",
]

Mapped = Mapping[ExternalImport, tuple[Resolution, ...]]
"""An agent's third-party imports, each with the distributions it maps to."""


def fleet_document(fleet: Fleet) -> dict[str, object]:
    """``depmin.fleet/1``: the validated agents.toml, with each family's and agent's effective values."""
    return {
        "schema": "depmin.fleet/1",
        "config": str(fleet.path),
        "root": str(fleet.project.root),
        "python": fleet.project.python,
        "platform": fleet.project.platform,
        "machines": {name: {"environment": dict(machine.environment)} for name, machine in fleet.machines.items()},
        "families": {
            name: {
                "base_image": fleet.base_image(name),
                "extends": family.extends,
                "machine": family.machine,
                "apt": list(fleet.apt_packages(name)),
            }
            for name, family in fleet.families.items()
        },
        "agents": {
            name: {
                "entrypoint": agent.entrypoint,
                "machines": list(agent.machines),
                "family": agent.family,
                "ports": list(agent.ports),
                "health_port": agent.health_port,
                "needs": list(agent.needs),
                "python": fleet.target_python(agent),
                "uncertain": dict(agent.uncertain),
            }
            for name, agent in fleet.agents.items()
        },
    }


SCAN_SCHEMA = "depmin.scan/2"  # 2: each agent's ``imports`` and each EXTERNAL's ``sites`` only with detail


def scan_pieces(result: api.FleetScan, mapped: Mapping[str, Mapped], *, detail: bool = False) -> Iterator[str]:
    """``depmin.scan/2`` in pieces, one agent at a time, so a 500-agent fleet never holds its whole JSON
    in memory; the pieces join to exactly :func:`~depmin.cli.output.dumps` of the whole document.
    The per-site lists (every import site of a closure, every site of a third-party module), which
    make most of a large fleet's document, are written only with ``detail``."""
    summary = {
        "agents": len(result.agents),
        "agents_with_errors": sum(1 for agent in result.agents if not agent.ok),
        "files_parsed": result.files_parsed,
        "cache_hits": result.cache_hits,
    }
    yield '{"agents":['
    for index, agent in enumerate(result.agents):
        yield ("," if index else "") + dumps(_agent(agent, mapped[agent.agent], detail=detail))
    # Keys in sorted order, as dumps would write them: "agents" < "schema" < "skipped" < "summary".
    skipped = dumps(list(result.skipped))
    yield f'],"schema":"{SCAN_SCHEMA}","skipped":' + skipped + ',"summary":' + dumps(summary) + "}"


def _hop(hop: Hop) -> dict[str, object]:
    return {"file": hop.file, "line": hop.line, "module": hop.module}


def _agent(scan: AgentScan, mapped: Mapped, *, detail: bool) -> dict[str, object]:
    document: dict[str, object] = {
        "agent": scan.agent,
        "entrypoint": scan.entrypoint,
        "python": scan.python,
        "run_mode": scan.run_mode,
        "run_problems": list(scan.run_problems),
        "errors": list(scan.errors),
        "files": list(scan.files),
        "third_party": [_third_party(ext, mapped[ext], detail=detail) for ext in scan.third_party],
        "stdlib": list(scan.stdlib),
        "missing_first_party": [
            {"module": u.module, "kind": u.kind, "site": _hop(u.site), "reason": u.reason} for u in scan.missing
        ],
        "unresolved": [
            {"module": u.module, "kind": u.kind, "site": _hop(u.site), "reason": u.reason} for u in scan.unresolved
        ],
        "recovered_files": [{"file": r.file, "error": r.error, "line": r.line} for r in scan.recovered],
        "notes": list(scan.notes),
        "shadow_warnings": list(scan.shadow_warnings),
    }
    if detail:
        document["imports"] = [
            {
                "file": r.file,
                "line": r.line,
                "module": r.module,
                "level": r.level,
                "kind": r.kind,
                "category": r.category,
                "recovered": r.recovered,
                "target": r.target,
            }
            for r in scan.imports
        ]
    return document


def _third_party(ext: ExternalImport, found: tuple[Resolution, ...], *, detail: bool) -> dict[str, object]:
    document: dict[str, object] = {
        "module": ext.module,
        "kind": ext.kind,
        "marker": ext.marker,
        "dynamic": ext.dynamic,
        "modules": list(ext.modules),
        "first_site": _hop(ext.first),
        "distributions": [
            {
                "import": r.module,
                "distribution": r.distribution,
                "source": r.source,
                "ambiguous": r.ambiguous,
                "candidates": list(r.candidates),
            }
            for r in found
        ],
    }
    if detail:
        document["sites"] = [_hop(hop) for hop in ext.sites]
    return document


def why_document(agent: str, module: str, chain: Sequence[Hop] | None) -> dict[str, object]:
    """``depmin.why/1``: the import chain that brings ``module`` into ``agent``; ``chain`` is null when
    the module is not reachable."""
    hops = None if chain is None else [_hop(hop) for hop in chain]
    return {"schema": "depmin.why/1", "agent": agent, "module": module, "chain": hops}


def generate_document(generated: api.Generated, written: Mapping[Path, bool]) -> dict[str, object]:
    """``depmin.generate/1``: each agent's requirement lines and whether its file changed; ``written``
    is in the order of ``generated.agents``."""
    return {
        "schema": "depmin.generate/1",
        "agents": [
            {
                "agent": result.agent,
                "file": str(path),
                "changed": changed,
                "install": [_requirement(line) for line in result.install],
                "optional": [_requirement(line) for line in result.optional],
                "excluded": [_requirement(line) for line in result.excluded],
            }
            for result, (path, changed) in zip(generated.agents, written.items(), strict=True)
        ],
        "warnings": [w for w in (generated.guesses, generated.ambiguities) if w],
        "notes": list(generated.notes),
    }


def _requirement(line: RequirementLine) -> dict[str, object]:
    return {
        "distribution": line.distribution,
        "requirement": line.requirement,
        "kind": line.kind,
        "imports": list(line.imports),
        "site": None if line.site is None else _hop(line.site),
        "source": None if line.resolution is None else line.resolution.source,
        "candidates": [] if line.resolution is None else list(line.resolution.candidates),
    }


def needs_document(reports: Sequence[NeedsReport]) -> dict[str, object]:
    """``depmin.needs/1``: inferred vs declared needs, mismatches and the requirement files' differences."""
    return {"schema": "depmin.needs/1", "agents": [_needs(report) for report in reports]}


def _needs(report: NeedsReport) -> dict[str, object]:
    return {
        "agent": report.agent,
        "family": report.family,
        "declared": list(report.declared),
        "inferred": {need: list(evidence) for need, evidence in report.inferred.items()},
        "mismatches": list(report.mismatches),
        "uncertain_answers": dict(report.answers),
        "declared_files": [
            {
                "file": d.file,
                "used_not_declared": list(d.used_not_declared),
                "declared_not_used": list(d.declared_not_used),
                "declared_under_another_name": list(d.other_name),
                "proposed_mapping": list(d.proposals),
            }
            for d in report.declared_files
        ],
    }


def plan_document(plan: Plan, errors: Sequence[str]) -> dict[str, object]:
    """The layers stage's ``depmin.plan/1`` (what plan.json holds), plus the plan's errors."""
    from depmin.layers import render as plan_render  # noqa: PLC0415 - a later stage, imported when used

    return {**plan_render.plan_json(plan), "errors": list(errors)}


def plan_check_document(drift: Sequence[str]) -> dict[str, object]:
    """``depmin.plan-check/1``: the images that grew beyond the size tolerance against plan.json."""
    return {"schema": "depmin.plan-check/1", "drift": list(drift)}


def suggest_document(suggestions: Sequence[Suggestion]) -> dict[str, object]:
    """``depmin.suggest/1``: the proposed sub-families and the bytes each saves per machine."""
    items = [
        {
            "family": s.name,
            "extends": s.extends,
            "agents": list(s.agents),
            "packages": list(s.packages),
            "saved": dict(s.saved),
        }
        for s in suggestions
    ]
    return {"schema": "depmin.suggest/1", "suggestions": items}


def check_document(stale: Sequence[api.Stale], cuda: Sequence[CudaCheck] = ()) -> dict[str, object]:
    """``depmin.check/1``: each stale generated file, why, and the command that fixes it; CUDA mismatches."""
    items = [{"path": str(s.path), "reason": s.reason, "command": s.command} for s in stale]
    return {"schema": "depmin.check/1", "stale": items, "cuda": cuda_document(cuda)}


def cuda_document(checks: Sequence[CudaCheck]) -> list[dict[str, object]]:
    """The CUDA checks that are not clean: ``family``, ``status`` (mismatch, accepted), ``message``."""
    shown = [c for c in checks if c.status in ("mismatch", "accepted")]
    return [{"family": c.family, "status": c.status, "cuda": c.cuda, "message": c.message} for c in shown]


def dockerfiles_document(written: Mapping[Path, bool]) -> dict[str, object]:
    """``depmin.dockerfiles/1``: every file of the build tree and whether this run changed it; a
    file removed (of a layer, agent or machine that is gone) with ``"removed": true``."""
    gone = removed(written)
    items = [
        {"path": str(path), "changed": changed, **({"removed": True} if path in gone else {})}
        for path, changed in written.items()
    ]
    return {"schema": "depmin.dockerfiles/1", "files": items}


def removed(written: Mapping[Path, bool]) -> set[Path]:
    """The files a write removed (of a layer, agent or machine that is gone): changed, and not there."""
    return {path for path, changed in written.items() if changed and not path.exists()}


def lock_document(done: api.LockResult, cuda: Sequence[CudaCheck] = ()) -> dict[str, object]:
    """``depmin.lock/1``: each agent's outcome and pins, the conflicts, divergences and files written;
    the CUDA mismatches of the locked families."""
    result = done.result
    return {
        "cuda": cuda_document(cuda),
        "schema": "depmin.lock/1",
        "backend": result.backend,
        "agents": [_agent_lock(agent) for agent in result.agents],
        "conflicts": [
            {
                "scope": c.scope,
                "requirements": {k: list(v) for k, v in c.requirements.items()},
                "explanation": c.explanation,
            }
            for c in result.conflicts
        ],
        "divergences": {
            name: {v: list(agents) for v, agents in versions.items()} for name, versions in result.divergences.items()
        },
        "written": sorted(str(path) for path, changed in done.written.items() if changed),
        "notes": list(result.notes),
        "summary": {
            "agents": len(result.agents),
            "distributions": result.distributions,
            "divergences": len(result.divergences),
            "seconds": round(result.seconds, 3),
        },
    }


def _agent_lock(agent: AgentLock) -> dict[str, object]:
    return {
        "agent": agent.agent,
        "state": agent.state,
        "reason": agent.reason,
        "scope": agent.scope,
        "packages": [{"name": p.name, "version": str(p.version), "hashes": list(p.hashes)} for p in agent.packages],
        "problems": list(agent.problems),
        "unverified_imports": list(agent.unverified),
        "uncertain_imports": list(agent.uncertain),
    }


def lock_check_document(status: Mapping[str, str]) -> dict[str, object]:
    """``depmin.lock-check/1``: each chosen agent's lock, stale or not (``status`` maps agent -> reason,
    empty when fresh)."""
    rows = [{"agent": agent, "stale": bool(why), "reason": why} for agent, why in status.items()]
    return {"schema": "depmin.lock-check/1", "agents": rows}


def wheelhouse_document(result: api.WheelhouseResult) -> dict[str, object]:
    """``depmin.wheelhouse/1``: the wheelhouse's directory and files, what was downloaded, what failed."""
    return {
        "schema": "depmin.wheelhouse/1",
        "directory": str(result.directory),
        "agents": list(result.agents),
        "files": dict(result.files),
        "fetched": list(result.fetched),
        "problems": list(result.problems),
        "unverified_imports": list(result.unverified),
        "uncertain_imports": list(result.uncertain),
    }


def _found(found: Found[Any] | None) -> dict[str, object] | None:
    if found is None:
        return None
    value = list(found.value) if isinstance(found.value, tuple) else found.value
    return {"value": value, "source": {"file": found.source.file, "line": found.source.line, "text": found.source.text}}


def init_document(draft: Draft, written: Path | None, text: str | None) -> dict[str, object]:
    """``depmin.init/1``: what ``depmin init`` found, each value with its source, and the draft."""
    agents: list[dict[str, object]] = [
        {
            "name": agent.name,
            "sources": list(agent.kinds),
            "entrypoint": _found(agent.entrypoint),
            "cmd": _found(agent.cmd),
            "ports": [_found(port) for port in agent.ports],
            "health": _found(agent.health) or {"value": "tcp", "source": None},
            "health_port": _found(agent.health_port),
            "env": {name: _found(value) for name, value in sorted(agent.env.items())},
            "workdir": _found(agent.workdir),
            "files": [_found(item) for item in agent.files],
            "family": agent.family,
            "needs": list(agent.needs),
            "uncertain": dict(sorted(agent.uncertain.items())),
        }
        for agent in draft.agents
    ]
    return {
        "schema": "depmin.init/1",
        "root": str(draft.root),
        "config": None if written is None else str(written),
        "network": draft.network,
        "read": list(draft.read),
        "skipped": list(draft.skipped),
        "agents": agents,
        "draft": text,
    }


def audit_document(result: AuditResult) -> dict[str, Any]:
    """``depmin.audit/1``: the service, the threshold, every finding with its verdict, the expired ignores."""
    from depmin.auditing.report import one_line  # noqa: PLC0415 - a later stage, imported when used

    return {
        "schema": "depmin.audit/1",
        "service": redact_url(result.url),
        "fail_on": result.fail_on,
        "agents": list(result.agents),
        "distributions": result.distributions,
        "ok": result.ok,
        "findings": [
            {
                "name": finding.name,
                "version": finding.version,
                "id": finding.id,
                "aliases": list(finding.aliases),
                "severity": finding.severity,
                "summary": one_line(finding.summary),
                "fix_versions": list(finding.fix_versions),
                "agents": list(finding.agents),
                "blocking": finding.blocking,
                "ignored": None
                if finding.ignored is None
                else {"reason": one_line(finding.ignored.reason), "until": finding.ignored.until.isoformat()},
            }
            for finding in result.findings
        ],
        "expired_ignores": [
            {"id": entry.id, "reason": one_line(entry.reason), "until": entry.until.isoformat()}
            for entry in result.expired
        ],
    }


def workflow_document(path: Path, changed: bool) -> dict[str, object]:
    """``depmin.workflow/1``: the workflow file written, and whether its text changed."""
    return {"schema": "depmin.workflow/1", "path": str(path), "changed": changed}


def verify_document(result: api.Verification) -> dict[str, object]:
    """``depmin.verify/1``: per agent, the interpreter and locks its environment was made from, the
    modules imported, and every failure (pip's install error, an import's last error line with its
    fix, ``pip check``'s complaints), plus the distributions without a wheel for the target, the
    image the check ran in (``--image``), and the distributions skipped as too heavy with the modules
    therefore not imported."""
    return {
        "schema": "depmin.verify/1",
        "ok": result.ok,
        "agents": [
            {
                "agent": agent.agent,
                "ok": agent.ok,
                "python": agent.python,
                "python_version": agent.python_version,
                "target_python": agent.target_version,
                "locks": list(agent.locks),
                "environment": agent.environment,
                "reused": agent.reused,
                "modules": list(agent.modules),
                "skipped": list(agent.skipped),
                "install_error": agent.install_error,
                "failures": [{"module": f.module, "error": f.error, "fix": f.fix} for f in agent.failures],
                "pip_check": list(agent.pip_check),
                "sdist_only": list(agent.sdist_only),
                "image": agent.image,
                "heavy_skipped": list(agent.heavy),
                "unchecked": list(agent.unchecked),
            }
            for agent in result.agents
        ],
    }
