"""Resolutions of the lock stage: the fleet's union, per-family fallback, the minimal conflict,
and each agent's lock against its scope's pins.

:class:`Engine` runs every resolution of one ``depmin lock`` through :mod:`depmin._backend`,
memoised per request; :mod:`depmin.locking.engine` decides which agents are stale and which scopes to resolve.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from packaging.version import InvalidVersion, Version

from depmin._backend import Backend, Compile, UnsatisfiableError, Uv
from depmin._names import NormalizedName
from depmin._secrets import redact
from depmin.errors import ConfigError, ToolError
from depmin.locking import files as _pylock
from depmin.locking.files import Release, Target, header
from depmin.locking.model import AgentLock, Conflict, LockInput, Options
from depmin.locking.verify import Contents, verify

__all__ = ["FLEET_WIDE", "AgentLock", "Conflict", "Engine", "Scope", "Search", "minimal_conflict", "redacted"]

FLEET_WIDE = "fleet-wide (one version of each distribution for every agent of this target)"
T = TypeVar("T")
_TOOL_FIX = "rerun with --debug or try the other --backend"


def redacted(exc: ToolError) -> ToolError:
    """``exc`` with the credentials of every URL in its message (and explanation) redacted: a
    resolver's output quotes the index URLs it was given, tokens included."""
    exc.args = tuple(redact(str(arg)) for arg in exc.args)
    if isinstance(exc, UnsatisfiableError):
        exc.explanation = redact(exc.explanation)
    return exc


def _read(parse: Callable[[], T]) -> T:
    """Parse a resolver's output: what depmin cannot read is the tool's failure (exit 3), not a
    bad file of the user's."""
    try:
        return parse()
    except ConfigError as exc:
        raise ToolError("; ".join(map(str, exc.problems))) from None


def minimal_conflict(items: Sequence[T], fails: Callable[[Sequence[T]], bool]) -> tuple[T, ...]:
    """A minimal subset of ``items`` that ``fails`` (which must hold for all of ``items``).

    Finds the shortest failing prefix by bisection and keeps its last item, then repeats on the
    rest with the kept items in front: about ``len(core) * log2(len(items))`` calls.
    """
    core: list[T] = []
    rest = list(items)
    while rest and not (core and fails(core)):
        low, high = 1, len(rest)
        while low < high:
            middle = (low + high) // 2
            if fails([*core, *rest[:middle]]):
                high = middle
            else:
                low = middle + 1
        core.append(rest[high - 1])
        rest = rest[: high - 1]
    return tuple(core)


def _other_builds(pins: Mapping[NormalizedName, Version], preferences: Mapping[str, str]) -> tuple[str, ...]:
    """``name==release`` for each pin of another release than its preference, where either carries a
    local tag (a build of one index): ``torch==2.5.1`` when 2.6.0+cu121 came out against 2.5.1+cpu."""
    found = []
    for name, version in sorted(pins.items()):
        wanted = preferences.get(name)
        try:
            preferred = Version(wanted) if wanted is not None else None
        except InvalidVersion:
            continue
        if preferred is None or preferred.public == version.public:
            continue
        if preferred.local is not None or version.local is not None:
            found.append(f"{name}=={preferred.public}")
    return tuple(found)


@dataclass(frozen=True, kw_only=True, slots=True)
class Scope:
    """One resolution: its label, pins and file listing (shared by the agents locked against it)."""

    label: str
    pins: Mapping[NormalizedName, Version]
    releases: Mapping[tuple[NormalizedName, Version], Release]


# The releases of a distribution that provide a module, for a target: (versions, releases searched)
Search = Callable[[NormalizedName, str, Target], "tuple[tuple[str, ...], int] | None"]


class Engine:
    def __init__(
        self,
        inputs: Mapping[str, LockInput],
        backend: Backend,
        options: Options,
        root: Path,
        others: Search | None = None,
    ) -> None:
        self.inputs = inputs
        self.others = others
        self.backend = backend
        self.options = options
        self.root = root  # agents.toml's directory: find_links are relative to it
        self.identity = f"{backend.name} {backend.version}"
        self.conflicts: list[Conflict] = []
        self.lister = backend if backend.lists_files else Uv(timeout=backend.timeout)
        self.memo: dict[tuple[str, Compile], concurrent.futures.Future[str]] = {}
        self.guard = threading.Lock()

    def request(self, target: Target, requirements: Iterable[str], **changes: object) -> Compile:
        links = [link if "://" in link else str(self.root / link) for link in target.find_links]
        base = Compile(
            requirements=tuple(sorted(set(requirements))),
            python=target.python,
            platform=target.platform,
            constraints=next(iter(self.inputs.values())).constraints if self.inputs else (),
            indexes=target.indexes,
            find_links=tuple(dict.fromkeys([*links, *self.options.find_links])),
            offline=self.options.offline,
            no_index=self.options.offline,
        )
        return replace(base, **changes)  # type: ignore[arg-type]

    def compile(self, request: Compile, *, lister: bool = False) -> str:
        """Run one resolution, once per run for equal requests (agents often need the same set).

        Everything resolved after the union (its file listing, each agent against its pins, the
        subsets tried while looking for a conflict) needs only what the union just fetched, so uv
        first runs ``--offline`` from its cache, skipping a revalidation request per package; a
        miss is retried online. The file listing comes from a backend that ``lists_files`` (uv):
        pip-compile prints no URLs or sizes.
        """
        backend = self.lister if lister else self.backend
        key = (backend.name, request)
        with self.guard:
            future = self.memo.get(key)
            owner = future is None
            if future is None:
                future = self.memo[key] = concurrent.futures.Future()
        if not owner:
            return future.result()
        try:
            text = self._compile(backend, request)
        except BaseException as exc:
            future.set_exception(exc)
            raise
        future.set_result(text)
        return text

    def _compile(self, backend: Backend, request: Compile) -> str:
        if backend.caches_offline and not request.offline and request.preferences == ():
            try:
                return backend.compile(replace(request, offline=True))
            except ToolError:
                pass
        try:
            return backend.compile(request)
        except ToolError as exc:
            raise redacted(exc) from None

    def pins(
        self, target: Target, requirements: Iterable[str], preferences: Mapping[str, str]
    ) -> dict[NormalizedName, Version]:
        prefer = tuple(f"{name}=={version}" for name, version in sorted(preferences.items()))
        request = self.request(target, requirements, hashes=False, preferences=prefer)
        found = self._pins(request)
        public = _other_builds(found, preferences)
        if not public:
            return found
        # A preference at another index's build (torch 2.5.1+cpu, for an index of +cu121 builds) cannot
        # be kept as the resolvers keep preferences (exactly), but its release can: `torch==2.5.1`
        # matches 2.5.1+cu121 (PEP 440 ignores the local tag). Where that cannot be, the versions differ.
        try:
            return self._pins(replace(request, constraints=(*request.constraints, *public)))
        except UnsatisfiableError:
            return found

    def _pins(self, request: Compile) -> dict[NormalizedName, Version]:
        try:
            text = self.backend.compile(request)
        except ToolError as exc:
            raise redacted(exc) from None
        pins = _read(lambda: _pylock.parse_requirements(text, fix=_TOOL_FIX))
        return {pin.name: pin.version for pin in pins if pin.version is not None}

    def scope(self, target: Target, label: str, pins: Mapping[NormalizedName, Version]) -> Scope:
        exact = [f"{name}=={version}" for name, version in pins.items()]
        # The file listing (URLs, sizes, the target's wheels) comes from uv whatever the backend:
        # pip-compile prints hashes only.
        text = self.compile(self.request(target, exact, pylock=True, no_deps=True), lister=True)
        where = "the pylock.toml the resolver wrote"
        return Scope(
            label=label, pins=dict(pins), releases=_read(lambda: _pylock.parse_files(text, where=where, fix=_TOOL_FIX))
        )

    def conflict(self, label: str, target: Target, members: Sequence[str]) -> Conflict:
        owners: dict[str, list[str]] = {}
        for agent in members:
            for requirement in self.inputs[agent].requirements:
                owners.setdefault(requirement, []).append(agent)
        explanation: list[str] = []

        def fails(subset: Sequence[str]) -> bool:
            try:
                self.compile(self.request(target, subset, hashes=False))
            except UnsatisfiableError as exc:
                explanation[:] = [redact(exc.explanation)]
                return True
            return False

        core = minimal_conflict(sorted(owners), fails)
        fails(core)
        found = Conflict(
            scope=label,
            requirements={req: tuple(owners[req]) for req in sorted(core)},
            explanation=explanation[0],
        )
        self.conflicts.append(found)
        return found

    def scopes(self, target: Target, members: Sequence[str], preferences: dict[str, str]) -> dict[str, Scope | str]:
        """Each member's scope, or the reason it cannot be locked."""
        everything = [req for agent in members for req in self.inputs[agent].requirements]
        try:
            pins = self.pins(target, everything, preferences)
        except UnsatisfiableError:
            self.conflict("the fleet", target, members)
        else:
            shared = self.scope(target, FLEET_WIDE, pins)
            return dict.fromkeys(members, shared)
        found: dict[str, Scope | str] = {}
        families: dict[str, list[str]] = {}
        for agent in members:
            families.setdefault(self.inputs[agent].family, []).append(agent)
        for family, agents in sorted(families.items()):
            requirements = [req for agent in agents for req in self.inputs[agent].requirements]
            try:
                pins = self.pins(target, requirements, preferences)
            except UnsatisfiableError:
                found.update(self.alone(target, family, agents, preferences))
                continue
            preferences.update({name: str(version) for name, version in pins.items() if name not in preferences})
            shared = self.scope(target, f"family {family} (the fleet's requirements conflict)", pins)
            found.update(dict.fromkeys(agents, shared))
        return found

    def alone(
        self, target: Target, family: str, agents: Sequence[str], preferences: dict[str, str]
    ) -> dict[str, Scope | str]:
        conflict = self.conflict(f"family {family}", target, agents)
        if not self.options.allow_divergence:
            return dict.fromkeys(agents, f"{conflict}; fix it, or pass --allow-divergence to lock agents alone")
        found: dict[str, Scope | str] = {}
        for agent in agents:
            try:
                pins = self.pins(target, self.inputs[agent].requirements, preferences)
            except UnsatisfiableError as exc:
                found[agent] = f"{agent}: its own requirements conflict: {redact(exc.explanation)}"
                continue
            found[agent] = self.scope(target, "agent alone (--allow-divergence)", pins)
        return found

    def lock(self, agent: str, scope: Scope, reason: str, contents: Contents, directory: Path) -> AgentLock:
        item = self.inputs[agent]
        pinned = [f"{name}=={version}" for name, version in sorted(scope.pins.items())]
        constraints = (*item.constraints, *pinned)
        text = self.compile(self.request(item.target, item.requirements, constraints=constraints))
        packages, releases, problems = [], [], []
        for pin in _read(lambda: _pylock.parse_requirements(text, fix=_TOOL_FIX)):
            release = scope.releases.get((pin.name, pin.version)) if pin.version is not None else None
            listed = {f"sha256:{file.sha256}" for file in release.files} if release else set()
            hashes = tuple(sorted(listed.intersection(pin.hashes))) or pin.hashes
            if not hashes or release is None:
                problems.append(
                    f"{agent}: {pin.name} resolved without a hash or file listing ({redact(pin.url or 'no URL')}); "
                    "a lock must hash every line: publish it as a wheel to an index or a wheelhouse"
                )
                continue
            packages.append(replace(pin, hashes=hashes))
            releases.append(release)
        search = self.others
        others = None if search is None else (lambda name, module: search(name, module, item.target))
        errors, unverified, uncertain = verify(agent, item.checks, releases, contents, others)
        problems.extend(errors)
        if problems:
            return AgentLock(
                agent=agent, state="failed", reason=problems[0], scope=scope.label, problems=tuple(problems)
            )
        lines = header(agent, item.target, item.digest(self.identity), self.identity, scope.label)
        texts = {
            "requirements.lock": _pylock.render_requirements(lines, packages),
            "pylock.toml": _pylock.render_pylock(
                lines, item.target.python, item.target.platform, releases, directory=directory, pins=packages
            ),
        }
        return AgentLock(
            agent=agent,
            state="locked",
            reason=reason,
            scope=scope.label,
            packages=tuple(packages),
            texts=texts,
            unverified=unverified,
            uncertain=uncertain,
        )
