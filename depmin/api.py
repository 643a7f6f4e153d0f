"""The public functions other build tools import: ``import depmin`` re-exports them.

They take and return frozen values, raise only :class:`depmin.errors.DepminError` subclasses,
and never print or exit::

    import depmin

    fleet = depmin.load_fleet("agents.toml")
    result = depmin.scan(fleet, agents=["NLUAgent"])
    for module in result.agents[0].third_party:
        print(module.module, module.kind, module.first)
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from depmin import _backend, _files
from depmin.dockerfiles import render as dockerfiles
from depmin.errors import DepminError
from depmin.layers import plan as layers
from depmin.layers import render as _plan_render
from depmin.layers.plan import Plan
from depmin.locking import engine as lock_stage
from depmin.locking import files as _pylock
from depmin.locking import sizes as _lockfile
from depmin.locking import store as _lockio
from depmin.locking.files import Pinned
from depmin.manifest.fleet import Fleet
from depmin.manifest.fleet import load_fleet as _load_fleet
from depmin.requirements import generated as requirements
from depmin.requirements import mapping, needs
from depmin.requirements.generated import AgentRequirements
from depmin.requirements.mapping import Mapper, Resolution, ambiguities_warning, guesses_warning
from depmin.requirements.needs import NeedsReport
from depmin.scanning import walk as graph
from depmin.scanning.cache import Sources, default_cache_dir
from depmin.scanning.walk import AgentScan, Hop

# Called as progress(name, done, total) after each agent, for a progress bar; never required.
Progress = Callable[[str, int, int], None]

__all__ = [
    "FleetScan",
    "Generated",
    "LockResult",
    "NeedsReport",
    "PlanResult",
    "Stale",
    "WheelhouseResult",
    "check",
    "generate",
    "infer_needs",
    "load_fleet",
    "lock",
    "lock_inputs",
    "lock_status",
    "mapper",
    "plan",
    "render_dockerfiles",
    "scan",
    "select_agents",
    "suggest_families",
    "wheelhouse",
    "why",
    "write_dockerfiles",
    "write_plan",
    "write_requirements",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class FleetScan:
    """The scan of some or all agents of a fleet."""

    agents: tuple[AgentScan, ...]
    files_parsed: int
    cache_hits: int
    seconds: float

    @property
    def ok(self) -> bool:
        return all(agent.ok for agent in self.agents)

    def agent(self, name: str) -> AgentScan:
        for result in self.agents:
            if result.agent == name:
                return result
        raise DepminError(f"agent {name!r} was not part of this scan; scan it first")


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
    :func:`depmin.scanning.cache.default_cache_dir`) unless ``use_cache`` is false. When many agents are
    scanned, every Python file under the root is parsed up front on ``workers`` processes.
    """
    started = time.perf_counter()
    names = list(fleet.agents) if agents is None else list(agents)
    chosen = [fleet.agent(name) for name in names]
    sources = Sources((cache_dir or default_cache_dir()) if use_cache else None)
    try:
        if len(chosen) > 1:
            sources.prefetch(graph.python_files(fleet.project.root), workers=workers)
        finder = graph.Finder()
        scanned: list[AgentScan] = []
        for agent in chosen:
            scanned.append(graph.scan_agent(fleet, agent, sources, finder=finder))
            if progress is not None:
                progress(agent.name, len(scanned), len(chosen))
        results = tuple(scanned)
    finally:
        sources.close()
    return FleetScan(
        agents=results,
        files_parsed=sources.parsed,
        cache_hits=sources.hits,
        seconds=time.perf_counter() - started,
    )


def why(result: AgentScan, module: str) -> tuple[Hop, ...] | None:
    """The import chain that brings ``module`` into the scanned agent, or None."""
    return graph.why(result, module)


@dataclass(frozen=True, kw_only=True, slots=True)
class Generated:
    """The requirement sets of scanned agents, and the one-line warnings about them."""

    agents: tuple[AgentRequirements, ...]
    guesses: str | None  # every guessed import → distribution, naming the agents.toml key that fixes it
    ambiguities: str | None

    def agent(self, name: str) -> AgentRequirements:
        for result in self.agents:
            if result.agent == name:
                return result
        raise DepminError(f"agent {name!r} was not generated; include it in the scan")


def mapper(fleet: Fleet, *, python: Path | None = None) -> Mapper:
    """The mapping chain for ``fleet``: its ``[mapping]``, then (when ``python`` is given) the
    distributions installed for that interpreter, then depmin's bundled table."""
    installed = _backend.installed_modules(python) if python is not None else {}
    return Mapper(mapping=fleet.mapping, installed=installed)


def generate(fleet: Fleet, scanned: FleetScan, *, chain: Mapper | None = None) -> Generated:
    """Each scanned agent's minimal requirement set (pure: nothing is written)."""
    chain = chain or mapper(fleet)
    constraints: Mapping[NormalizedName, str] = {}
    if fleet.project.constraints is not None:
        text = fleet.project.constraints.read_text(encoding="utf-8")
        constraints = requirements.parse_constraints(text, source=str(fleet.project.constraints))
    results = tuple(
        requirements.agent_requirements(fleet, fleet.agent(s.agent), s, chain, constraints) for s in scanned.agents
    )
    pairs: list[tuple[str, Resolution]] = [(r.agent, res) for r in results for res in r.resolutions]
    return Generated(agents=results, guesses=guesses_warning(pairs), ambiguities=ambiguities_warning(pairs))


def write_requirements(fleet: Fleet, generated: Generated, *, force: bool = False) -> dict[Path, bool]:
    """Write ``locks/<Agent>/requirements.generated.txt`` for each agent atomically; return
    ``{path: changed}``. Refuses (DepminError) to replace a file depmin did not write unless
    ``force``; every refusal is checked before anything is written."""
    planned = {
        requirements.requirements_path(fleet, result.agent): requirements.render(result, config_name=fleet.path.name)
        for result in generated.agents
    }
    return _files.write_all(planned, force=force)


def infer_needs(fleet: Fleet, scanned: FleetScan, generated: Generated) -> tuple[NeedsReport, ...]:
    """Inferred needs and mismatches per agent, answers to agents.toml's ``uncertain`` questions,
    and hand-written requirement files compared with what each agent uses."""
    reports = []
    for result in scanned.agents:
        agent = fleet.agent(result.agent)
        texts = {}
        for file in result.files:
            try:
                texts[file] = (fleet.project.root / file).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
        evidence = needs.code_evidence(texts)
        wanted = generated.agent(agent.name)
        declared = [
            needs.compare_declared(shown, names, wanted)
            for shown, names in _declared_files(fleet, agent.name, agent.entrypoint, agent.requirements)
        ]
        reports.append(needs.infer_needs(fleet, agent, wanted, evidence, declared))
    return tuple(reports)


def _declared_files(
    fleet: Fleet, name: str, entrypoint: str, given: tuple[str, ...]
) -> list[tuple[str, set[NormalizedName]]]:
    """The agent's hand-written requirement files: agents.toml's list, or the nearest
    ``requirements.txt`` from the entrypoint's directory up to the root."""
    root = fleet.project.root
    if given:
        candidates = [root / path for path in given]
    else:
        directory = (root / entrypoint).parent
        candidates = []
        while True:
            if (directory / "requirements.txt").is_file():
                candidates = [directory / "requirements.txt"]
                break
            if directory == root or root not in directory.parents:
                break
            directory = directory.parent
    found = []
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DepminError(f"agents.{name}.requirements: cannot read {path} ({exc}); fix the path") from None
        found.append((path.relative_to(root).as_posix(), needs.parse_declared(text)[0]))
    return found


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanResult:
    """The layer plan and the lock entries it was made from (to write family and delta locks)."""

    plan: Plan
    entries: Mapping[str, Mapping[NormalizedName, Pinned]]
    chains: Mapping[str, tuple[Hop, ...]]  # agent -> the import chain that pulls a GPU stack in

    def errors(self) -> tuple[str, ...]:
        out = []
        for problem in self.plan.problems:
            agent = problem.split(":", 1)[0]
            chain = self.chains.get(agent)
            via = "; via " + " -> ".join(str(hop) for hop in chain) if chain else ""
            out.append(problem + via)
        return tuple(out)


def plan(fleet: Fleet, *, locks_dir: Path | None = None) -> PlanResult:
    """Decide the family layers from the committed locks (``locks/<Agent>/requirements.lock`` and
    ``pylock.toml``); raises DepminError naming the agents without locks."""
    entries, packages = _read_locks(fleet, locks_dir)
    result = layers.plan_layers(fleet, packages)
    return PlanResult(plan=result, entries=entries, chains=_gpu_chains(fleet, result, packages))


def suggest_families(fleet: Fleet, *, locks_dir: Path | None = None) -> tuple[layers.Suggestion, ...]:
    """Sub-families that would save bytes, clustered from the locks; agents.toml is not changed."""
    return layers.suggest_families(fleet, _read_locks(fleet, locks_dir)[1])


def _read_locks(
    fleet: Fleet, locks_dir: Path | None
) -> tuple[dict[str, dict[NormalizedName, Pinned]], dict[str, dict[NormalizedName, layers.Package]]]:
    directory = locks_dir or fleet.path.parent / "locks"
    tags = _lockfile.target_tags(fleet.project.python, fleet.project.platform)
    packages: dict[str, dict[NormalizedName, layers.Package]] = {}
    entries: dict[str, dict[NormalizedName, Pinned]] = {}
    missing = []
    for name in fleet.agents:
        try:
            lock_text = (directory / name / "requirements.lock").read_text(encoding="utf-8")
            pylock_text = (directory / name / "pylock.toml").read_text(encoding="utf-8")
        except OSError:
            missing.append(name)
            continue
        pins = _pylock.parse_requirements(lock_text, where=str(directory / name / "requirements.lock"))
        entries[name] = {pin.name: pin for pin in pins}
        packages[name] = _packages(entries[name], _lockfile.parse_pylock(pylock_text, tags))
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DepminError(f"no lock for {shown} in {directory}; run `depmin lock --all` first")
    return entries, packages


def _packages(
    entries: Mapping[NormalizedName, Pinned], wheels: Mapping[NormalizedName, _lockfile.WheelInfo]
) -> dict[NormalizedName, layers.Package]:
    """Sizes from pylock.toml; dependencies from it, or else from the lock's ``# via`` lines."""
    requires: dict[NormalizedName, set[NormalizedName]] = {name: set() for name in entries}
    for name, entry in entries.items():
        info = wheels.get(name)
        if info is not None and info.dependencies:
            requires[name].update(d for d in info.dependencies if d in entries)
        for parent in entry.via:
            parent_name = canonicalize_name(parent)
            if parent_name in requires:
                requires[parent_name].add(name)
    return {
        name: layers.Package(
            name=name,
            version=str(entry.version),
            size=wheels[name].size if name in wheels else 0,
            requires=frozenset(requires[name]),
        )
        for name, entry in entries.items()
    }


def _gpu_chains(
    fleet: Fleet, result: Plan, packages: Mapping[str, Mapping[NormalizedName, layers.Package]]
) -> dict[str, tuple[Hop, ...]]:
    agents = [p.split(":", 1)[0] for p in result.problems if p.split(":", 1)[0] in fleet.agents]
    if not agents:
        return {}
    scanned = scan(fleet, agents)
    generated = generate(fleet, scanned)
    chains: dict[str, tuple[Hop, ...]] = {}
    for agent in agents:
        lock = packages[agent]
        for line in generated.agent(agent).install:
            pulled = layers.closure([line.distribution], lock)
            if any(mapping.heavy_kind(n) == "gpu" for n in pulled) and line.site is not None:
                found = why(scanned.agent(agent), line.imports[0]) if line.imports else None
                chains[agent] = found or (line.site,)
                break
    return chains


def write_plan(
    fleet: Fleet, result: PlanResult, *, locks_dir: Path | None = None, force: bool = False
) -> dict[Path, bool]:
    """Write the family locks, each agent's ``service.lock``, ``plan.json`` and ``plan.md``;
    refuses (before writing anything) to replace a file depmin did not write, unless ``force``."""
    directory = locks_dir or fleet.path.parent / "locks"
    files = {
        directory / rel: text
        for rel, text in sorted(_plan_render.render_all(fleet, result.plan, result.entries).items())
    }
    return _files.write_all(files, force=force)


@dataclass(frozen=True, kw_only=True, slots=True)
class Stale:
    """A generated file that no longer matches its sources, why, and the command that fixes it."""

    path: Path
    reason: str
    command: str


def check(fleet: Fleet, *, use_cache: bool = True) -> tuple[Stale, ...]:
    """Every generated file that is stale against the sources and agents.toml; writes nothing.

    Checked: each agent's ``requirements.generated.txt`` and, when the plan has been made, the
    family and delta locks, ``plan.json`` and ``plan.md``.
    """
    scanned = scan(fleet, use_cache=use_cache)
    generated = generate(fleet, scanned)
    stale: list[Stale] = []
    for result in generated.agents:
        path = requirements.requirements_path(fleet, result.agent)
        text = requirements.render(result, config_name=fleet.path.name)
        reason = _differs(path, text)
        if reason is not None:
            stale.append(Stale(path=path, reason=reason, command=f"depmin generate --agent {result.agent}"))
    stale.extend(_stale_locks(fleet, generated))
    planned = _plan_if_made(fleet)
    stale.extend(_stale_plan(fleet, planned))
    stale.extend(_stale_dockerfiles(fleet, scanned, planned))
    return tuple(stale)


def _plan_if_made(fleet: Fleet) -> PlanResult | DepminError | None:
    """The plan (computed once for both checks), the error making it, or None before any plan."""
    if not (fleet.path.parent / "locks" / "plan.json").exists():
        return None
    try:
        return plan(fleet)
    except DepminError as exc:
        return exc


def _stale_locks(fleet: Fleet, generated: Generated) -> list[Stale]:
    """Locks whose input hash no longer matches (offline), once the fleet has any lock at all.
    Each lock is compared under the backend version its header names, so a newer uv alone does
    not make the committed locks stale."""
    directories = {r.agent: requirements.requirements_path(fleet, r.agent).parent for r in generated.agents}
    existing = _lockio.read_existing(directories)
    if not existing:
        return []
    inputs = lock_inputs(fleet, generated)
    current = _backend.backend("uv")
    found = []
    for name in sorted(inputs):
        recorded = existing[name].backend if name in existing else None
        identity = recorded or f"{current.name} {current.version}"
        reason = lock_stage.staleness(inputs, [name], identity, existing)[name]
        if reason:
            path = directories[name] / "requirements.lock"
            found.append(Stale(path=path, reason=reason, command=f"depmin lock --agent {name}"))
    return found


def _stale_dockerfiles(fleet: Fleet, scanned: FleetScan, planned: PlanResult | DepminError | None) -> list[Stale]:
    directory = fleet.path.parent / "dockerfiles"
    if not (directory / "docker-bake.hcl").exists():
        return []
    if not isinstance(planned, PlanResult):
        reason = str(planned) if planned is not None else "no plan (locks/plan.json) to render from"
        return [Stale(path=directory, reason=reason, command="depmin plan && depmin dockerfiles")]
    try:
        tree = render_dockerfiles(fleet, planned, scanned, registry=_registry(directory))
    except DepminError as exc:
        return [Stale(path=directory, reason=str(exc), command="depmin plan && depmin dockerfiles")]
    return _stale_files(directory, tree, "depmin dockerfiles")


def _stale_files(directory: Path, files: Mapping[str, str], command: str) -> list[Stale]:
    """The files under ``directory`` whose text differs from ``files`` (relative path -> text)."""
    found = []
    for rel, text in sorted(files.items()):
        reason = _differs(directory / rel, text)
        if reason is not None:
            found.append(Stale(path=directory / rel, reason=reason, command=command))
    return found


def _registry(directory: Path) -> str:
    """The registry the committed bake file was rendered for (``variable "REGISTRY"``)."""
    text = (directory / "docker-bake.hcl").read_text(encoding="utf-8")
    found = re.search(r'variable "REGISTRY" \{\n  default = "([^"]*)"', text)
    return found.group(1) if found else "ghcr.io/your-org"


def _differs(path: Path, text: str) -> str | None:
    """None when ``path`` holds ``text``; else which requirement lines were added or removed."""
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return "missing"
    except (OSError, UnicodeDecodeError) as exc:
        return f"unreadable ({exc})"
    if current == text:
        return None
    old = {line.split("  #", 1)[0] for line in current.splitlines() if line and not line.startswith("#")}
    new = {line.split("  #", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}
    changes = [f"+{line}" for line in sorted(new - old)] + [f"-{line}" for line in sorted(old - new)]
    return ", ".join(changes[:6]) + (" …" if len(changes) > 6 else "") if changes else "comments or sites changed"


def _stale_plan(fleet: Fleet, planned: PlanResult | DepminError | None) -> list[Stale]:
    directory = fleet.path.parent / "locks"
    if planned is None:
        return []
    if isinstance(planned, DepminError):
        return [Stale(path=directory / "plan.json", reason=str(planned), command="depmin lock --all && depmin plan")]
    return _stale_files(directory, _plan_render.render_all(fleet, planned.plan, planned.entries), "depmin plan")


# --- lock and wheelhouse ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class LockResult:
    """What :func:`lock` did: per-agent outcomes, conflicts, divergences, and the files it wrote."""

    result: lock_stage.FleetLock
    written: Mapping[Path, bool]  # file -> changed

    @property
    def ok(self) -> bool:
        return self.result.ok


def lock_inputs(fleet: Fleet, generated: Generated) -> dict[str, lock_stage.LockInput]:
    """Each generated agent's lock inputs (requirements, constraints, target, imports to verify)."""
    constraints: tuple[str, ...] = ()
    if fleet.project.constraints is not None:
        text = fleet.project.constraints.read_text(encoding="utf-8")
        constraints = tuple(
            line.split(" #", 1)[0].strip()
            for line in text.splitlines()
            if line.split(" #", 1)[0].strip() and not line.lstrip().startswith("#")
        )
    return {r.agent: lock_stage.lock_input(fleet, r, constraints) for r in generated.agents}


def select_agents(fleet: Fleet, agents: Iterable[str] | None = None, family: str | None = None) -> list[str]:
    """The named agents, the agents of ``family`` (and of the families that extend it), or all."""
    if family is not None:
        if family not in fleet.families:
            raise DepminError(f"{fleet.path.name}: no family named {family!r}; `depmin fleet` lists them")
        return [a.name for a in fleet.agents.values() if family in {f.name for f in fleet.family_chain(a.family)}]
    return list(fleet.agents) if agents is None else [fleet.agent(name).name for name in agents]


def lock(
    fleet: Fleet,
    generated: Generated,
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
) -> LockResult:
    """Write ``locks/<Agent>/requirements.lock`` and ``pylock.toml`` for the stale ``agents``.

    ``generated`` should hold every agent of the fleet: their union fixes the versions. Only
    agents whose input hash changed (or whose pins moved) are resolved; each finished lock is
    written at once, atomically, while a mutex on ``locks/`` keeps other runs out. Raises
    :class:`~depmin.errors.ToolError` when the resolver or the network fails.
    """
    inputs = lock_inputs(fleet, generated)
    selected = [name for name in (agents if agents is not None else inputs) if name in inputs]
    resolver = _backend.backend(backend, timeout=timeout)
    directories = {name: requirements.requirements_path(fleet, name).parent for name in inputs}
    if not force:
        for name in selected:
            for file in ("requirements.lock", "pylock.toml"):
                _files.check_replaceable(directories[name] / file)
    written: dict[Path, bool] = {}

    finished: list[str] = []

    def sink(result: lock_stage.AgentLock) -> None:
        for file, text in result.texts.items():
            path = directories[result.agent] / file
            written[path] = _files.write_generated(path, text, force=force)
        finished.append(result.agent)
        if progress is not None:
            progress(result.agent, len(finished), len(selected))

    root = fleet.path.parent
    options = lock_stage.Options(
        offline=offline,
        find_links=tuple(str(Path(link).resolve()) for link in find_links),
        allow_divergence=allow_divergence,
        upgrade=upgrade,
        workers=workers,
    )
    houses = [Path(link) for link in options.find_links] + _wheelhouses(fleet)
    contents = _lockio.WheelContents(houses, _backend.uv_cache_dir)
    with _lockio.locked(root / "locks"):
        existing = _lockio.read_existing(directories)
        result = lock_stage.lock_fleet(
            inputs,
            selected,
            resolver,
            existing,
            options=options,
            contents=contents,
            root=root,
            directory=directories.__getitem__,
            sink=sink,
        )
    return LockResult(result=result, written=written)


def lock_status(
    fleet: Fleet, generated: Generated, agents: Iterable[str] | None = None, *, backend: str = "uv"
) -> dict[str, str]:
    """Offline staleness of each agent's lock: ``""`` when current, else why (``"no lock yet"``)."""
    inputs = lock_inputs(fleet, generated)
    selected = [name for name in (agents if agents is not None else inputs) if name in inputs]
    directories = {name: requirements.requirements_path(fleet, name).parent for name in selected}
    identity = _backend.backend(backend)
    return lock_stage.staleness(
        inputs, selected, f"{identity.name} {identity.version}", _lockio.read_existing(directories)
    )


def _wheelhouses(fleet: Fleet) -> list[Path]:
    """Wheelhouse directories on disk: the families' find_links and those `depmin wheelhouse` made."""
    root = fleet.path.parent
    found = [root / link for family in fleet.families.values() for link in family.find_links if "://" not in link]
    made = root / WHEELHOUSE_DIR
    if made.is_dir():
        found.extend(sorted(path for path in made.iterdir() if path.is_dir()))
    return found


WHEELHOUSE_DIR = "wheelhouse"


def _installable(release: _pylock.Release) -> tuple[_pylock.File, ...]:
    """The target's wheels of a release, or its sdist when it has no wheel."""
    wheels = tuple(f for f in release.files if f.is_wheel)
    return wheels or release.files


@dataclass(frozen=True, kw_only=True, slots=True)
class WheelhouseResult:
    """A versioned wheelhouse: every locked file of some agents, checked against the locks' hashes."""

    directory: Path
    agents: tuple[str, ...]
    files: Mapping[str, int]  # file name -> size
    fetched: tuple[str, ...]  # the files this run downloaded (the others were there, hash checked)
    problems: tuple[str, ...]  # imports no locked wheel provides
    unverified: tuple[str, ...]


def wheelhouse(
    fleet: Fleet,
    generated: Generated,
    agents: Iterable[str],
    *,
    label: str = "fleet",
    directory: Path | None = None,
    timeout: float = 300.0,
) -> WheelhouseResult:
    """Download every wheel of the ``agents``' pylock.toml (the sdist of a distribution without
    one) into ``wheelhouse/<label>-<digest>/``.

    The directory's name carries a digest of the files' hashes, so a changed lock set makes a new
    directory. Each file is verified against its sha256 before it appears; files already there are
    re-hashed. Afterwards each agent's imports are checked against the wheels' contents.
    """
    chosen = sorted(agents)
    releases: dict[str, list[_pylock.Release]] = {}
    for name in chosen:
        folder = requirements.requirements_path(fleet, name).parent
        try:
            text = (folder / "pylock.toml").read_text(encoding="utf-8")
        except OSError:
            raise DepminError(f"{folder / 'pylock.toml'}: no lock; run `depmin lock --agent {name}` first") from None
        releases[name] = list(_pylock.parse_files(text, base=folder).values())
    files = {f.filename: f for found in releases.values() for release in found for f in _installable(release)}
    digest = hashlib.sha256("\n".join(sorted(f.sha256 for f in files.values())).encode()).hexdigest()[:12]
    target = directory or fleet.path.parent / WHEELHOUSE_DIR / f"{label}-{digest}"
    fetched = []
    for name, file in sorted(files.items()):
        path = target / name
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == file.sha256:
            continue
        _backend.fetch(file.url, path, file.sha256, timeout=timeout)
        fetched.append(name)
    inputs = lock_inputs(fleet, generated)
    contents = _lockio.WheelContents([target])
    problems: list[str] = []
    unverified: list[str] = []
    for name in chosen:
        if name in inputs:
            errors, missing = lock_stage.verify(name, inputs[name].checks, releases[name], contents)
            problems.extend(errors)
            unverified.extend(f"{name}: {module}" for module in missing)
    return WheelhouseResult(
        directory=target,
        agents=tuple(chosen),
        files={name: (target / name).stat().st_size for name in sorted(files)},
        fetched=tuple(fetched),
        problems=tuple(problems),
        unverified=tuple(unverified),
    )


def render_dockerfiles(
    fleet: Fleet, planned: PlanResult, scanned: FleetScan, *, registry: str = "ghcr.io/your-org"
) -> dict[str, str]:
    """``{path relative to dockerfiles/: text}``: family and service Dockerfiles, the GPU probe,
    ``.dockerignore``, ``docker-bake.hcl`` and one compose file per machine (pure)."""
    plan_ = planned.plan
    apt: dict[str, tuple[str, ...]] = {}
    for layer in plan_.families:
        deltas = [n for s in plan_.services if s.family == layer.family for n in s.delta]
        apt[layer.family] = mapping.apt_packages([*layer.packages, *deltas])
    try:
        root = fleet.project.root.relative_to(fleet.path.parent.resolve()).as_posix()
    except ValueError:
        raise DepminError(
            f"project.root {fleet.project.root} is outside {fleet.path.parent}, the build context; "
            "move agents.toml up to a directory that contains the monorepo"
        ) from None
    inputs = dockerfiles.BuildInputs(
        files={s.agent: s.files for s in scanned.agents},
        apt=apt,
        root="" if root == "." else root,
        registry=registry,
    )
    return dockerfiles.render_tree(fleet, plan_, inputs)


def write_dockerfiles(fleet: Fleet, tree: Mapping[str, str], *, force: bool = False) -> dict[Path, bool]:
    """Write the tree under ``dockerfiles/`` beside agents.toml, atomically; ``{path: changed}``."""
    directory = fleet.path.parent / "dockerfiles"
    planned = {directory / rel: text for rel, text in sorted(tree.items())}
    return _files.write_all(planned, force=force)
