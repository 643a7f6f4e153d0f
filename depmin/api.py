"""The public functions other build tools import: ``import depmin`` re-exports them.

A thin facade over the stages: each function composes one step of the pipeline from the stage that
owns it, takes and returns frozen values, raises only :class:`depmin.errors.DepminError` subclasses,
and never prints or exits::

    import depmin

    fleet = depmin.load_fleet("agents.toml")
    result = depmin.scan(fleet, agents=["NLUAgent"])
    for module in result.agents[0].third_party:
        print(module.module, module.kind, module.first)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from depmin import requirements
from depmin._lazy import later
from depmin.errors import DepminError
from depmin.layout import TREE_SUMS, Layout
from depmin.manifest import SEVERITIES, Fleet
from depmin.manifest import load_fleet as _load_fleet
from depmin.requirements import Mapper
from depmin.scanning import AgentScan, FleetScan, Hop, scan_fleet
from depmin.scanning import why as _why
from depmin.scanning.cache import default_cache_dir

# The stages after the requirements are imported when first used (depmin._lazy): `depmin scan` does
# not pay for the lock, plan, build-tree, audit and verify stages it does not run. The requirements
# stage imports its own modules on first use (its package's PEP 562 __getattr__): a scan maps imports
# but generates nothing, so the annotations name ``requirements.Generated``, never a bare name.
if TYPE_CHECKING:
    from depmin import _backend, auditing, dockerfiles, layers, locking, staleness, verification
    from depmin.auditing import AuditResult
    from depmin.layers import PlanResult
    from depmin.locking import LockRun, WheelhouseResult
    from depmin.requirements import Generated, NeedsReport
    from depmin.staleness import Stale
    from depmin.verification import Verification

    LockResult = LockRun  # the name the library has always exported
else:
    _backend, auditing, dockerfiles, layers, locking, staleness, verification = map(
        later, ("depmin._backend", "depmin.auditing", "depmin.dockerfiles", "depmin.layers", "depmin.locking",
                "depmin.staleness", "depmin.verification")
    )  # fmt: skip

# Called as progress(name, done, total) after each agent, for a progress bar; never required.
Progress = Callable[[str, int, int], None]
DEFAULT_REGISTRY = "ghcr.io/your-org"  # depmin.dockerfiles.DEFAULT_REGISTRY, spelled out (tests/test_api.py)
_LATER = {  # the later stages' value types this facade exports: name -> (stage, name there)
    "Generated": ("requirements", "Generated"),
    "NeedsReport": ("requirements", "NeedsReport"),
    "AuditResult": ("auditing", "AuditResult"),
    "PlanResult": ("layers", "PlanResult"),
    "Suggestion": ("layers", "Suggestion"),
    "LockInput": ("locking", "LockInput"),
    "LockResult": ("locking", "LockRun"),
    "WheelhouseResult": ("locking", "WheelhouseResult"),
    "Stale": ("staleness", "Stale"),
    "Verification": ("verification", "Verification"),
}


def __getattr__(name: str) -> object:
    """A later stage's (or a requirements module's) value type, on first use (PEP 562)."""
    if name not in _LATER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    stage, attribute = _LATER[name]
    value = getattr(globals()[stage], attribute)
    globals()[name] = value
    return value


__all__ = [
    "AuditResult",
    "FleetScan",
    "Generated",
    "LockResult",
    "NeedsReport",
    "PlanResult",
    "Stale",
    "Verification",
    "WheelhouseResult",
    "audit",
    "check",
    "cuda_checks",
    "explain_plan",
    "generate",
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


def _layout(fleet: Fleet, locks_dir: Path | None = None) -> Layout:
    return Layout.beside(fleet.path, locks=locks_dir)


def audit(
    fleet: Fleet, agents: Iterable[str] | None = None, *, url: str | None = None, fail_on: str | None = None
) -> auditing.AuditResult:
    """Check every locked distribution of ``agents`` (default: all) against the OSV service of ``[audit]``
    (or ``url``) with pip-audit; ``fail_on`` (low, medium, high, critical) overrides ``[audit] fail_on``."""
    chosen = select_agents(fleet, agents)
    threshold = None
    if fail_on is not None:
        if fail_on not in SEVERITIES:
            raise DepminError(f"fail_on: {fail_on!r} is not one of {', '.join(SEVERITIES)}")
        threshold = SEVERITIES[SEVERITIES.index(fail_on)]
    return auditing.audit_locks(fleet, chosen, url=url, fail_on=threshold)


def load_fleet(config: str | os.PathLike[str] = "agents.toml", *, root: str | os.PathLike[str] | None = None) -> Fleet:
    """Read and validate an agents.toml; raises :class:`~depmin.errors.ConfigError`."""
    return _load_fleet(Path(config), root=None if root is None else Path(root))


def scan(
    fleet: Fleet,
    agents: Iterable[str] | None = None,
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
) -> FleetScan:
    """Walk each agent's import graph (all agents when ``agents`` is None).

    Each file is parsed at most once per call; parse results persist in ``cache_dir`` (default:
    :func:`depmin.scanning.cache.default_cache_dir`) unless ``use_cache`` is false. A file is parsed when
    a walk first reaches it (a large frontier on ``workers`` processes); files no agent reaches are not.
    """
    return scan_fleet(fleet, agents, cache_dir=cache_dir, use_cache=use_cache, workers=workers, progress=progress)


def why(result: AgentScan, module: str) -> tuple[Hop, ...] | None:
    """The import chain that brings ``module`` into the scanned agent, or None."""
    return _why(result, module)


def mapper(fleet: Fleet, *, python: Path | None = None) -> Mapper:
    """The mapping chain for ``fleet``: its ``[mapping]``, then (when ``python`` is given) the
    distributions installed for that interpreter, then depmin's bundled table."""
    installed = _backend.installed_modules(python) if python is not None else {}
    return Mapper(mapping=fleet.mapping, installed=installed)


def generate(fleet: Fleet, scanned: FleetScan, *, chain: Mapper | None = None) -> requirements.Generated:
    """Each scanned agent's minimal requirement set (pure: nothing is written)."""
    constraints = requirements.read_constraints(fleet.project.constraints)
    return requirements.generate_fleet(fleet, scanned.agents, chain or mapper(fleet), constraints)


def unclassified(fleet: Fleet, scanned: FleetScan) -> tuple[str, ...]:
    """One line per import that is neither first-party, stdlib nor third-party and that
    ``agents.<Name>.accept_unresolved`` does not acknowledge (``generate`` and ``check`` exit 1 on any)."""
    return requirements.unclassified(fleet, scanned.agents)


def write_requirements(fleet: Fleet, generated: requirements.Generated, *, force: bool = False) -> dict[Path, bool]:
    """Write ``locks/<Agent>/requirements.generated.txt`` for each agent atomically; return
    ``{path: changed}``. Refuses (DepminError) to replace a file depmin did not write unless
    ``force``; every refusal is checked before anything is written."""
    return requirements.write_requirements(_layout(fleet), generated, config_name=fleet.path.name, force=force)


def infer_needs(
    fleet: Fleet, scanned: FleetScan, generated: requirements.Generated
) -> tuple[requirements.NeedsReport, ...]:
    """Inferred needs and mismatches per agent, answers to agents.toml's ``uncertain`` questions,
    and hand-written requirement files compared with what each agent uses."""
    return requirements.fleet_needs(fleet, scanned.agents, generated)


def lock_inputs(fleet: Fleet, generated: requirements.Generated) -> dict[str, locking.LockInput]:
    """Each generated agent's lock inputs (requirements, constraints, target, imports to verify)."""
    constraints = requirements.read_constraints(fleet.project.constraints)
    return locking.lock_inputs(fleet, generated.agents, constraints.lines)


def select_agents(fleet: Fleet, agents: Iterable[str] | None = None, family: str | None = None) -> list[str]:
    """The named agents, the agents of ``family`` (and of the families that extend it), or all."""
    if family is not None:
        if family not in fleet.families:
            raise DepminError(f"{fleet.path.name}: no family named {family!r}; `depmin fleet` lists them")
        return [a.name for a in fleet.agents.values() if family in {f.name for f in fleet.family_chain(a.family)}]
    return list(fleet.agents) if agents is None else [fleet.agent(name).name for name in agents]


def lock(
    fleet: Fleet,
    generated: requirements.Generated,
    agents: Iterable[str] | None = None,
    *,
    backend: str = "uv",
    offline: bool = False,
    find_links: Iterable[Path] = (),
    allow_divergence: bool = False,
    upgrade: bool = False,
    force: bool = False,
    workers: int = 0,
    timeout: float = 900.0,
    progress: Progress | None = None,
) -> locking.LockRun:
    """Write ``locks/<Agent>/requirements.lock`` and ``pylock.toml`` for the stale ``agents``.

    ``generated`` should hold every agent of the fleet: their union fixes the versions. Only
    agents whose input hash changed (or whose pins moved) are resolved; each finished lock is
    written at once, atomically, while a mutex on ``locks/`` keeps other runs out. Raises
    :class:`~depmin.errors.ToolError` when the resolver or the network fails.
    """
    inputs = lock_inputs(fleet, generated)
    selected = [name for name in (agents if agents is not None else inputs) if name in inputs]
    options = locking.Options(
        offline=offline,
        find_links=tuple(str(Path(link).resolve()) for link in find_links),
        allow_divergence=allow_divergence,
        upgrade=upgrade,
        workers=workers,
    )
    layout = _layout(fleet)
    family_links = [link for family in fleet.families.values() for link in family.find_links]
    houses = [Path(link) for link in options.find_links] + locking.wheelhouses(layout, family_links)
    resolver = _backend.backend(backend, timeout=timeout)
    return locking.run_lock(
        layout, inputs, selected, resolver, options=options, houses=houses, force=force, progress=progress
    )


def lock_status(
    fleet: Fleet, generated: requirements.Generated, agents: Iterable[str] | None = None, *, backend: str = "uv"
) -> dict[str, str]:
    """Offline staleness of each agent's lock: ``""`` when current, else why (``"no lock yet"``)."""
    inputs = lock_inputs(fleet, generated)
    selected = [name for name in (agents if agents is not None else inputs) if name in inputs]
    identity = _backend.backend(backend)
    return locking.lock_status(_layout(fleet), inputs, selected, f"{identity.name} {identity.version}")


def wheelhouse(
    fleet: Fleet,
    generated: requirements.Generated,
    agents: Iterable[str],
    *,
    label: str = "fleet",
    directory: Path | None = None,
    timeout: float = 300.0,
) -> locking.WheelhouseResult:
    """Download every wheel of the ``agents``' pylock.toml (the sdist of a distribution without
    one) into ``wheelhouse/<label>-<digest>/``, each verified against its sha256, then check
    each agent's imports against the wheels' contents."""
    inputs = lock_inputs(fleet, generated)
    return locking.fill_wheelhouse(_layout(fleet), inputs, agents, label=label, directory=directory, timeout=timeout)


def plan(fleet: Fleet, *, locks_dir: Path | None = None, measure: bool = False) -> layers.PlanResult:
    """Decide the family layers from the committed locks alone (``locks/<Agent>/requirements.lock``
    and ``pylock.toml``); raises DepminError naming the agents without locks. ``measure`` reads the
    installed size of every wheel not yet measured from its index (HTTP Range requests of its tail)."""
    return layers.plan_from_locks(_layout(fleet, locks_dir), fleet, fetch=measure)


def explain_plan(fleet: Fleet, planned: layers.PlanResult, scanned: FleetScan | None = None) -> tuple[str, ...]:
    """The plan's errors, each with the import chain that pulls its GPU stack in.

    Finding the chain needs the agents' scans: pass ``scanned``, or the agents with errors are
    scanned here (only they)."""
    agents = sorted({p.agent for p in planned.plan.problems if p.agent is not None and p.agent in fleet.agents})
    chains: dict[str, tuple[Hop, ...]] = {}
    if agents:
        scans = scanned if scanned is not None else scan(fleet, agents)
        generated = generate(fleet, scans)
        for agent in agents:
            found = layers.gpu_chain(generated.agent(agent), scans.agent(agent), planned.packages[agent])
            if found is not None:
                chains[agent] = found
    out = []
    for problem in planned.plan.problems:
        chain = chains.get(problem.agent) if problem.agent is not None else None
        out.append(str(problem) + ("; via " + " -> ".join(str(hop) for hop in chain) if chain else ""))
    return tuple(out)


def cuda_checks(fleet: Fleet, agents: Iterable[str] | None = None) -> tuple[layers.CudaCheck, ...]:
    """Each family's CUDA against the CUDA wheels its agents' current locks hold (read offline): the
    families of ``agents`` (None: every family). A check whose ``status`` is ``"mismatch"`` is an error."""
    existing = locking.read_existing(_layout(fleet), fleet.agents)
    versions = {agent: {name: str(v) for name, v in lock.pins.items()} for agent, lock in existing.items()}
    checks = layers.cuda_checks(fleet, versions)
    if agents is None:
        return checks
    families = {fleet.agent(name).family for name in agents}
    return tuple(check for check in checks if check.family in families)


def plan_drift(fleet: Fleet, planned: layers.PlanResult) -> tuple[str, ...]:
    """The size-drift gate (``depmin plan --check``): every image of ``planned`` that grew beyond
    ``[layers].size_tolerance`` of the committed ``locks/plan.json``, one line each."""
    from depmin.layers import render as render_plan  # noqa: PLC0415 - the plan stage, when used

    committed = layers.read_committed_plan(_layout(fleet))
    return tuple(render_plan.drift(committed, planned.plan, fleet.layers.size_tolerance))


def suggest_families(fleet: Fleet, *, locks_dir: Path | None = None) -> tuple[layers.Suggestion, ...]:
    """Sub-families that would save bytes, clustered from the locks; agents.toml is not changed."""
    planned = layers.plan_from_locks(_layout(fleet, locks_dir), fleet)
    return layers.suggest_families(fleet, planned.packages)


def write_plan(
    fleet: Fleet, result: layers.PlanResult, *, locks_dir: Path | None = None, force: bool = False
) -> dict[Path, bool]:
    """Write the family locks, each agent's ``service.lock``, ``plan.json`` and ``plan.md``;
    refuses (before writing anything) to replace a file depmin did not write, unless ``force``."""
    layout = _layout(fleet, locks_dir)
    return layers.write_plan(
        layout, fleet, result.plan, result.entries, force=force, installed=result.installed, digest=result.digest
    )


def render_dockerfiles(
    fleet: Fleet, planned: layers.PlanResult, scanned: FleetScan, *, registry: str = DEFAULT_REGISTRY
) -> dict[str, str]:
    """``{path relative to dockerfiles/: text}``: family and service Dockerfiles, the GPU probe,
    ``.dockerignore``, ``docker-bake.hcl`` and one compose file per machine (pure)."""
    files = {s.agent: s.files for s in scanned.agents}
    tree = dockerfiles.build_tree(fleet, planned.plan, files, registry=registry, sdists=planned.sdists)
    inputs = dockerfiles.tree_inputs(_layout(fleet), fleet, planned.digest, files, registry)
    return {**tree, TREE_SUMS: dockerfiles.tree_sums(inputs, tree)}


def write_dockerfiles(fleet: Fleet, tree: Mapping[str, str], *, force: bool = False) -> dict[Path, bool]:
    """Write the tree under ``dockerfiles/`` beside agents.toml, atomically; ``{path: changed}``."""
    return dockerfiles.write_tree(_layout(fleet), tree, force=force)


def check(fleet: Fleet, *, use_cache: bool = True, scanned: FleetScan | None = None) -> tuple[staleness.Stale, ...]:
    """Every generated file that is stale against the sources and agents.toml; writes nothing.

    Checked: each agent's ``requirements.generated.txt``, the locks' input hashes, and, once they
    have been made, the plan's files and the build tree under ``dockerfiles/`` (planned and rendered
    only when their sums files do not vouch for them; ``use_cache=False``: always). Pass ``scanned``
    (a scan of every agent) to reuse it, e.g. to report its ``skipped`` paths too.
    """
    if scanned is not None and {a.agent for a in scanned.agents} != set(fleet.agents):
        raise DepminError("check needs a scan of every agent of the fleet; call scan(fleet) without agents")
    return staleness.find_stale(fleet, use_cache=use_cache, scanned=scanned)


def verify(
    fleet: Fleet,
    scanned: FleetScan,
    agents: Iterable[str] | None = None,
    *,
    python: Path | None = None,
    cache_dir: Path | None = None,
    offline: bool = False,
    find_links: Iterable[Path] = (),
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
    heavy: verification.Heavy | None = None,
    image: verification.ImageBuild | None = None,
) -> verification.Verification:
    """Build each agent's environment from its locks as its image does (family locks then
    ``service.lock``, else ``requirements.lock``; ``pip install --require-hashes --no-deps``) in a
    fresh virtual environment of the target Python (or ``python``), then import every required and
    lazy third-party module of ``scanned`` there with ``python -I`` in an empty directory and run
    ``pip check``. Environments are cached under ``cache_dir`` (default: depmin's cache directory,
    ``verify/``) by the locks' contents. Raises :class:`~depmin.errors.ConfigError` when no
    interpreter of the target Python is found.

    ``heavy`` leaves out distributions too heavy for this machine (and says so in the result);
    ``image`` (from :func:`depmin.verification.image_build`) builds each agent's generated
    Dockerfile instead and runs the check inside the image as its user."""
    chosen = list(fleet.agents) if agents is None else [fleet.agent(name).name for name in agents]
    scans = {scan.agent: scan for scan in scanned.agents}
    if image is not None:
        return verification.verify_images(fleet, scans, chosen, build=image, progress=progress)
    base = cache_dir if cache_dir is not None else default_cache_dir()
    sources = verification.Sources(find_links=tuple(Path(p).resolve() for p in find_links), offline=offline)
    if base is None:  # no home directory: environments for this run only
        with tempfile.TemporaryDirectory(prefix="depmin-verify-") as scratch:
            return verification.verify_agents(
                fleet,
                scans,
                chosen,
                python=python,
                cache_dir=Path(scratch),
                sources=sources,
                progress=progress,
                warn=warn,
                heavy=heavy,
            )
    return verification.verify_agents(
        fleet,
        scans,
        chosen,
        python=python,
        cache_dir=base / "verify",
        sources=sources,
        progress=progress,
        warn=warn,
        heavy=heavy,
    )
