"""What the repository's own requirement files say that the generated files do not: ``generate``'s notes.

Each note is one line (or None), built from the agents' requirement sets and their repository hints
(:mod:`depmin.requirements.hints`); nothing is dropped or added because of them:

* :func:`undeclared_note`: an installed lazy import whose distribution the files do not declare, or
  declare only in an extra (celery's ``eventlet`` pool, flask's ``asgiref``);
* :func:`elsewhere_note`: an import installed everywhere that the files declare only under a marker that
  is false in the container (``colorama; sys_platform == "win32"``);
* :func:`unreached_note`: a distribution a file declares for run time that no agent reading the file
  imports (``pip`` run as ``python -m pip``, a plugin loaded by name): depmin lists none of it;
* :func:`unloaded_note`: a first-party module the files' entry points name (a plugin a host loads by
  name, :mod:`depmin.requirements.entry_points`) that the scan of no agent reading them reaches.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Iterable, Mapping

from depmin._names import NormalizedName, canonicalize_name
from depmin.manifest import Fleet
from depmin.requirements.entry_points import EntryPoint
from depmin.requirements.generated import AgentRequirements, RequirementLine
from depmin.requirements.hints import Declaration, Hints
from depmin.requirements.tables import load_bundled
from depmin.scanning import AgentScan, printable

__all__ = ["elsewhere_note", "undeclared_note", "unloaded_note", "unreached_note"]

# A container's marker environment: Linux, CPython, the project's Python.
_TARGET = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
           "platform_python_implementation": "CPython"}  # fmt: skip


@functools.cache
def _environment(python: str) -> Mapping[str, str]:
    """The marker environment of the container of the project's ``python``: computed once, on the
    first marker there is to evaluate (packaging.markers imports packaging.tags)."""
    from packaging.markers import default_environment  # noqa: PLC0415 - see above

    environment = {key: str(value) for key, value in default_environment().items()}
    environment.update(_TARGET, python_version=python, python_full_version=f"{python}.0")
    return environment


def _holds(marker: str | None, python: str) -> bool:
    """True when ``marker`` is absent, holds in the container of the project's ``python``, or cannot
    be evaluated."""
    if marker is None:
        return True
    from packaging.markers import InvalidMarker, Marker, UndefinedEnvironmentName  # noqa: PLC0415 - imports packaging.tags (depmin._names)

    try:
        return bool(Marker(marker).evaluate(dict(_environment(python))))
    except (InvalidMarker, UndefinedEnvironmentName, ValueError):
        return True


def _aliases(line: RequirementLine) -> set[NormalizedName]:
    """The names a hand-written file may give ``line``'s distribution: itself, its import's candidates,
    the bundled table's candidates and the import's own name (a [mapping] that picked a fork: cv2 ->
    the headless wheel beside a declared opencv-python, TTS -> coqui-tts beside a declared TTS)."""
    names = {line.distribution}
    names.update(line.resolution.candidates if line.resolution is not None else ())
    for name in line.imports:
        names.update(load_bundled().entries.get(name, ()))
        names.add(canonicalize_name(name.partition(".")[0]))
    return names


def undeclared_note(results: Iterable[AgentRequirements], hints: Mapping[str, Hints], python: str) -> str | None:
    """One line naming every installed lazy (or opted-in optional) import whose distribution the
    agent's own hand-written requirement files do not declare, or declare only in an extra; None when
    there is none, or the agent has no such files.

    Such an import runs only when a function that the repository treats as an optional feature is
    called (celery's ``eventlet`` pool, flask's ``asgiref`` for async views): depmin keeps it
    installed, as ``[policy] lazy`` says, and names the keys that drop it.
    """
    found: list[tuple[str, str]] = []
    for result in results:
        agent_hints = hints.get(result.agent)
        if agent_hints is None or not agent_hints.declarations:
            continue
        for line in result.install:
            if line.kind not in ("lazy", "optional") or line.site is None or line.resolution is None:
                continue
            if not _holds(_marker_of(line.requirement), python):
                continue  # not installed in the container
            names = sorted(_aliases(line))
            if any(agent_hints.required(name) is not None for name in names):
                continue
            extra = next((d for d in map(agent_hints.declared, names) if d is not None), None)
            where = f"{line.site.file}:{line.site.line}"
            if extra is not None:
                where += f", only in the extra {extra.extra} of {extra.where}"
            found.append((result.agent, f"{line.distribution} ({where})"))
    if not found:
        return None
    listing, keys = _by_agent(found)
    return printable(
        f"{len(found)} lazy import(s) are installed that the repository's own requirement files do not declare "
        f"({listing}); they run only when their function is called: if the agent never uses that feature, name "
        f'them in {keys} (or set [policy] lazy = "exclude" for every agent)'
    )


def elsewhere_note(results: Iterable[AgentRequirements], hints: Mapping[str, Hints], python: str) -> str | None:
    """One line naming every installed import without a marker whose distribution the agent's own
    requirement files declare only under a marker that is false in the container (``colorama;
    sys_platform == "win32"``), or None: depmin found no condition it can evaluate around the import
    (``if is_windows:`` on a variable), so it installs it; the repository says it is not needed here."""
    found: list[tuple[str, str]] = []
    for result in results:
        agent_hints = hints.get(result.agent) or Hints()
        for line in result.install:
            declared = agent_hints.required(line.distribution)
            if line.site is None or declared is None or declared.marker is None or _has_marker(line.requirement):
                continue
            if not _holds(declared.marker, python):
                where = f"{line.site.file}:{line.site.line}, {declared.where} says {declared.marker}"
                found.append((result.agent, f"{line.distribution} ({where})"))
    if not found:
        return None
    listing, keys = _by_agent(found)
    return printable(
        f"{len(found)} import(s) are installed that the repository's own requirement files declare only for "
        f"another platform or Python ({listing}); depmin found no condition it can evaluate around the import: "
        f"if it runs only there, name it in {keys}"
    )


def _by_agent(found: list[tuple[str, str]]) -> tuple[str, str]:
    """``A: x, y; B: z`` from ``(agent, text)`` pairs, and the ``ignore_imports`` keys of those agents."""
    agents = sorted({agent for agent, _ in found})
    listing = "; ".join(f"{agent}: " + ", ".join(text for owner, text in found if owner == agent) for agent in agents)
    return listing, ", ".join(f"agents.{printable(agent)}.ignore_imports" for agent in agents)


def _has_marker(requirement: str) -> bool:
    return _marker_of(requirement) is not None


def _marker_of(requirement: str) -> str | None:
    if ";" not in requirement:  # PEP 508: only a semicolon starts a marker
        return None
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415 - imports packaging.tags (depmin._names)

    try:
        marker = Requirement(requirement).marker
    except InvalidRequirement:
        return None
    return None if marker is None else str(marker)


def unreached_note(fleet: Fleet, results: Iterable[AgentRequirements], hints: Mapping[str, Hints]) -> str | None:
    """One line naming, per hand-written file, the distributions it declares for run time (not in an
    extra, nor in a development file, its marker true in the container) that no agent reading the file
    lists (installed, optional or ignored, by its distribution or a candidate of its import); None
    when there is none. A file counts only when every agent of the fleet under its directory was
    generated, so ``generate --agent X`` does not blame the file for the agents it left out."""
    results = tuple(results)
    listed: dict[str, set[NormalizedName]] = {}
    for result in results:
        seen = listed.setdefault(result.agent, set())
        for line in (*result.install, *result.optional, *result.excluded):
            seen.update(_aliases(line))
    readers: dict[str, set[str]] = {}
    declared: dict[str, dict[NormalizedName, Declaration]] = {}
    for agent, agent_hints in hints.items():
        for declaration in agent_hints.declarations:
            readers.setdefault(declaration.file, set()).add(agent)
            if (
                declaration.extra is None
                and not declaration.development
                and _holds(declaration.marker, fleet.project.python)
            ):
                declared.setdefault(declaration.file, {}).setdefault(declaration.distribution, declaration)
    found: list[tuple[str, list[str]]] = []
    for file, names in sorted(declared.items()):
        if not readers[file] <= set(listed) or not _all_generated(fleet, file, set(listed)):
            continue
        reached: set[NormalizedName] = set().union(*(listed[agent] for agent in readers[file]))
        missing = [f"{d.distribution} ({d.where})" for name, d in sorted(names.items()) if name not in reached]
        if missing:
            found.append((file, missing))
    if not found:
        return None
    count = sum(len(missing) for _, missing in found)
    listing = "; ".join(f"{file}: {', '.join(missing)}" for file, missing in found)
    owners = sorted({agent for file, _ in found for agent in readers[file]})
    return printable(
        f"{count} distribution(s) that the repository's own requirement files declare are imported by no agent "
        f"that reads them ({listing}); depmin lists none of them: if an agent needs one at run time (a plugin "
        f"loaded by name, a `python -m` subprocess, data files), add it to agents.<Name>.extra_requirements "
        f"({', '.join(owners[:3])}{', …' if len(owners) > 3 else ''})"
    )


def _all_generated(fleet: Fleet, file: str, generated: set[str]) -> bool:
    """Every agent whose directory chain reads ``file`` (``requirements/…`` files belong to the
    directory that holds ``requirements/``) was generated."""
    parts = file.split("/")[:-1]
    for folder in (("requirements", "extras"), ("requirements",)):
        if tuple(parts[-len(folder) :]) == folder:
            parts = parts[: -len(folder)]
            break
    directory = "/".join(parts)
    under = [
        agent.name
        for agent in fleet.agents.values()
        if not directory or posixpath.normpath(agent.entrypoint).startswith(directory + "/")
    ]
    return set(under) <= generated


def unloaded_note(
    fleet: Fleet, scans: Iterable[AgentScan], entry_points: Mapping[str, tuple[EntryPoint, ...]]
) -> str | None:
    """One line naming, per file, the first-party modules its entry points name that the scan of no
    agent reading the file reaches (keyring's ``keyring.backends.SecretService``), or None: a host
    loads them by name, so what they import is in no requirements file until the hosting agent's
    ``entry_modules`` names them. As for :func:`unreached_note`, a file counts only when every agent
    under its directory was scanned."""
    scanned = {scan.agent: set(scan.files) for scan in scans}
    readers: dict[str, set[str]] = {}
    points: dict[str, set[EntryPoint]] = {}
    for agent, found in entry_points.items():
        for point in found:
            readers.setdefault(point.file, set()).add(agent)
            points.setdefault(point.file, set()).add(point)
    listing = []
    count = 0
    for file, named in sorted(points.items()):
        if not _all_generated(fleet, file, set(scanned)):
            continue
        reached: set[str] = set().union(*(scanned.get(agent, set()) for agent in readers[file]))
        missing = sorted({(p.module, p.group, p.where) for p in named if p.path not in reached})
        if missing:
            count += len(missing)
            listing.append(
                f"{file}: " + ", ".join(f"{module} ({where}, group {group})" for module, group, where in missing)
            )
    if not listing:
        return None
    return printable(
        f"{count} module(s) that the repository's own entry points name are reached by no agent that reads them "
        f"({'; '.join(listing)}); a plugin host loads them by name, so what they import is not in the "
        'requirements: name them in the hosting agent\'s agents.<Name>.entry_modules (e.g. ["pkg.plugins.*"])'
    )
