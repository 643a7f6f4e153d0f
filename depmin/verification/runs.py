"""The edge of the verification stage: environments made from the locks, cached, and the imports
tried in them (through :mod:`depmin._backend.environments`).

Environments are layered like the images: a virtual environment of the family chain's locks in
``<cache>/venvs/<key>`` (shared by every agent of the family), and each agent's ``service.lock``
installed with ``pip install --target`` into ``<cache>/services/<key>``, put in front of
``sys.path`` as the image's ``PYTHONPATH`` puts ``/opt/service`` (keys:
:func:`~depmin.verification.plan.environment_key`). Each is built under a temporary name and
renamed into place only once its locks installed, so a run killed half-way never leaves one that
looks complete, and a second run reuses it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from depmin._backend import environments
from depmin.errors import ConfigError, Problem
from depmin.layers.store import lock_packages
from depmin.layout import SERVICE_LOCK_NAME, Layout
from depmin.locking.installed import SIZES_NAME, measure, parse_sizes
from depmin.locking.listing import parse_files
from depmin.locking.store import read_locks
from depmin.locking.wheels import ranks, target_tags, target_wheel
from depmin.manifest import Agent, Fleet
from depmin.scanning import AgentScan
from depmin.verification.diagnosis import classify
from depmin.verification.heavy import (
    Heavy,
    Skipped,
    blames_skipped,
    import_owners,
    skip,
    strip_entries,
    unrelated_complaints,
)
from depmin.verification.model import AgentVerification, ImportFailure, Verification
from depmin.verification.plan import (
    Modules,
    environment_key,
    has_entries,
    install_locks,
    modules_to_import,
    sdist_only,
)

__all__ = ["Sources", "choose_python", "verify_agents"]

Progress = Callable[[str, int, int], None]
Warn = Callable[[str], None]
_READY = ".depmin-verified"  # written last into an environment whose locks all installed


@dataclass(frozen=True, kw_only=True, slots=True)
class Sources:
    """Where pip takes the locked files from: wheelhouse directories, and the index unless offline."""

    find_links: tuple[Path, ...] = ()
    offline: bool = False


def choose_python(target: str, given: Path | None) -> tuple[Path, str]:
    """The interpreter for a ``target`` ("3.11") lock: ``given``, else ``python3.11`` on PATH; exit 2
    with the fix when there is none (a lock for 3.11 proves nothing on 3.12)."""
    if given is not None:
        if not given.is_file():
            problem = f"{given} is not a file; pass the path of a Python {target} interpreter, "
            problem += f"e.g. /usr/bin/python{target}"
            raise ConfigError([Problem("--python", problem)])
        return given, environments.python_version(given)
    found = environments.find_python(target)
    if found is None:
        raise ConfigError(
            [
                Problem(
                    "depmin verify",
                    f"no Python {target} (the lock's target) on PATH; install python{target} "
                    f"(e.g. `uv python install {target}`) and pass it with --python PATH",
                )
            ]
        )
    return found, target


def verify_agents(
    fleet: Fleet,
    scans: Mapping[str, AgentScan],
    agents: Sequence[str],
    *,
    python: Path | None = None,
    cache_dir: Path,
    sources: Sources = Sources(),
    progress: Progress | None = None,
    warn: Warn | None = None,
    heavy: Heavy | None = None,
) -> Verification:
    """Build each agent's environment from its locks (or reuse it) and import its modules there.

    ``warn`` hears, before an agent's locks are installed, the locked distributions that have no
    wheel for the target (pip would compile them; a family image has no compiler). ``heavy`` says
    which distributions to leave out as too heavy for this machine (:mod:`.heavy`)."""
    layout = Layout.beside(fleet.path)
    interpreters: dict[str, tuple[Path, str]] = {}
    done = []
    for number, name in enumerate(agents, 1):
        agent = fleet.agent(name)
        target = fleet.target_python(agent)
        if target not in interpreters:
            interpreters[target] = choose_python(target, python)
        skipped = skipped_for(layout, fleet, agent, heavy) if heavy is not None and heavy.active else None
        done.append(_verify(fleet, layout, agent, scans[name], interpreters[target], cache_dir, sources, warn, skipped))
        if progress is not None:
            progress(name, number, len(agents))
    return Verification(agents=tuple(done))


def _verify(
    fleet: Fleet,
    layout: Layout,
    agent: Agent,
    scan: AgentScan,
    interpreter: tuple[Path, str],
    cache_dir: Path,
    sources: Sources,
    warn: Warn | None,
    skipped: Skipped | None = None,
) -> AgentVerification:
    target = fleet.target_python(agent)
    locks = install_locks(layout, fleet, agent)
    without_wheel = _sdist_only(layout, agent.name, target, fleet.project.platform)
    if without_wheel and warn is not None:
        warn(
            f"{agent.name}: no wheel for the target (python {target}, {fleet.project.platform}) for "
            f"{', '.join(without_wheel)}: pip builds it from its sdist, and a C extension cannot build there "
            "(the family image has no compiler)"
        )
    texts = [path.read_text(encoding="utf-8") for path in locks]
    if skipped is not None and skipped.distributions:
        texts = [strip_entries(text, skipped.reasons) for text in texts]
    with tempfile.TemporaryDirectory(prefix="depmin-verify-locks-") as scratch:
        return _install_and_check(
            fleet, layout, agent, scan, (interpreter, cache_dir, sources), _copies(locks, texts, Path(scratch)), skipped
        )


def _copies(locks: Sequence[Path], texts: Sequence[str], scratch: Path) -> tuple[tuple[Path, Path, str], ...]:
    """``(lock, the file pip installs, its text)``: the lock itself, or a copy of what is left of it."""
    found = []
    for number, (path, text) in enumerate(zip(locks, texts, strict=True)):
        installed = path
        if text != path.read_text(encoding="utf-8"):
            installed = scratch / str(number) / path.name
            installed.parent.mkdir()
            installed.write_text(text, encoding="utf-8")
        found.append((path, installed, text))
    return tuple(found)


def _install_and_check(
    fleet: Fleet,
    layout: Layout,
    agent: Agent,
    scan: AgentScan,
    where: tuple[tuple[Path, str], Path, Sources],
    files: tuple[tuple[Path, Path, str], ...],
    skipped: Skipped | None,
) -> AgentVerification:
    (python, version), cache_dir, sources = where
    target = fleet.target_python(agent)
    without_wheel = _sdist_only(layout, agent.name, target, fleet.project.platform)
    originals = [lock for lock, _, _ in files]
    locks = tuple(installed for _, installed, _ in files)
    texts = [text for _, _, text in files]
    family = [(path, text) for path, text in zip(locks, texts, strict=True) if path.name != SERVICE_LOCK_NAME]
    base = [path for path, text in family if has_entries(text)]
    environment = cache_dir / "venvs" / environment_key(version, [text for _, text in family])
    layered = locks[-1].name == SERVICE_LOCK_NAME and has_entries(texts[-1])
    layer = cache_dir / "services" / environment_key(version, texts) if layered else None
    venv_python = environment / "bin" / "python"
    reused = _ready(environment) and (layer is None or _ready(layer))
    links, indexes = _links(fleet, layout, agent, sources), _indexes(fleet, agent)

    def install(into: Path, wanted: Sequence[Path], target: Path | None) -> str | None:
        return environments.pip_install(
            into, wanted, find_links=links, indexes=indexes, offline=sources.offline, target=target
        )

    install_error = None
    if not _ready(environment):
        install_error = _build(environment, lambda d: install(environments.create_venv(python, d), base, None))
    if install_error is None and layer is not None and not _ready(layer):
        install_error = _build(layer, lambda d: install(venv_python, locks[-1:], d))
    if install_error is not None and without_wheel:
        install_error += (
            f" ({', '.join(without_wheel)} have no wheel for the target and are built from source: pin a "
            "release with a wheel in project.constraints, or build the wheel in a builder stage)"
        )
    modules = modules_to_import(scan, target, fleet.project.platform)
    unchecked: tuple[str, ...] = ()
    if skipped is not None:
        modules, unchecked = split_unchecked(layout, agent, modules, skipped)
    failures: tuple[ImportFailure, ...] = ()
    checked: tuple[str, ...] = ()
    if install_error is None:
        paths = [layer] if layer is not None else []
        imported = environments.probe_imports(venv_python, modules.checked, paths=paths)
        if skipped is not None:
            blamed = blames_skipped(imported, skipped.reasons)
            unchecked = tuple(sorted({*unchecked, *blamed}))
            imported = {module: error for module, error in imported.items() if module not in blamed}
            modules = Modules(checked=tuple(m for m in modules.checked if m not in blamed), skipped=modules.skipped)
        failures = tuple(
            classify(module, error, imported, agent=agent.name, family=agent.family)
            for module, error in sorted(imported.items())
            if error is not None
        )
        checked = environments.pip_check(venv_python, paths=paths)
        if skipped is not None:
            checked = unrelated_complaints(checked, skipped.reasons)
    return AgentVerification(
        agent=agent.name,
        python=str(python),
        python_version=version,
        target_version=target,
        locks=tuple(_relative(path, layout.base) for path in originals),
        environment=(layer or environment).name,
        reused=reused,
        modules=modules.checked,
        skipped=modules.skipped,
        failures=failures,
        install_error=install_error,
        pip_check=checked,
        sdist_only=without_wheel,
        heavy=() if skipped is None else skipped.distributions,
        unchecked=unchecked,
    )


def skipped_for(layout: Layout, fleet: Fleet, agent: Agent, heavy: Heavy) -> Skipped:
    """The agent's distributions too heavy for this machine, sized from its lock and
    ``locks/installed-sizes.json``."""
    locked = read_locks(layout, [agent.name])
    sizes = layout.locks / SIZES_NAME
    known = parse_sizes(sizes.read_text(encoding="utf-8")) if sizes.is_file() else {}
    rank = ranks(target_tags(fleet.target_python(agent), fleet.project.platform))
    wheels = {
        wheel.sha256: (wheel.url, wheel.size)
        for release in locked[agent.name].releases.values()
        for wheel in [target_wheel(release, rank)]
        if wheel is not None and wheel.size
    }
    installed = measure(wheels, {d: known[d] for d in wheels if d in known}, fetch=False)  # local wheels: read
    return skip(lock_packages(fleet, locked, installed)[agent.name], heavy)


def split_unchecked(
    layout: Layout, agent: Agent, modules: Modules, skipped: Skipped
) -> tuple[Modules, tuple[str, ...]]:
    """``modules`` without those whose distribution (from ``requirements.generated.txt``) cannot import
    with the skipped distributions left out, and those left out."""
    generated = layout.generated(agent.name)
    owners = import_owners(generated.read_text(encoding="utf-8")) if generated.is_file() else {}
    gone = [m for m in modules.checked if owners.get(m.split(".")[0]) in skipped.unimportable]
    kept = tuple(m for m in modules.checked if m not in gone)
    return Modules(checked=kept, skipped=modules.skipped), tuple(gone)


def _ready(directory: Path) -> bool:
    return (directory / _READY).is_file()


def _build(directory: Path, fill: Callable[[Path], str | None]) -> str | None:
    """Fill ``directory`` under a temporary name (``fill`` returns pip's error or None) and rename
    it into place only when it succeeded, marked ready."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f"{directory.name}.", dir=directory.parent))
    try:
        error = fill(building)
        if error is not None:
            return error
        (building / _READY).write_text("installed from the locks\n", encoding="utf-8")
        try:
            building.rename(directory)
        except OSError:
            # Another run finished the same environment first (and may be using it): keep
            # theirs; a directory there that is not ready is a leftover, replaced.
            if not _ready(directory):
                shutil.rmtree(directory, ignore_errors=True)
                building.rename(directory)
        return None
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)


def _links(fleet: Fleet, layout: Layout, agent: Agent, sources: Sources) -> tuple[Path, ...]:
    local = [
        layout.base / link
        for family in fleet.family_chain(agent.family)
        for link in family.find_links
        if "://" not in link
    ]
    houses = (
        sorted(path for path in layout.wheelhouses.iterdir() if path.is_dir()) if layout.wheelhouses.is_dir() else []
    )
    return tuple(dict.fromkeys([*sources.find_links, *local, *houses]))


def _indexes(fleet: Fleet, agent: Agent) -> tuple[str, ...]:
    return tuple(dict.fromkeys(url for family in fleet.family_chain(agent.family) for url in family.indexes))


def _sdist_only(layout: Layout, agent: str, python: str, platform: str) -> tuple[str, ...]:
    """From the agent's pylock.toml (absent: nothing to say)."""
    path = layout.pylock(agent)
    if not path.is_file():
        return ()
    releases = parse_files(path.read_text(encoding="utf-8"), base=layout.agent_dir(agent), where=str(path))
    return sdist_only(releases.values(), python, platform)


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)
