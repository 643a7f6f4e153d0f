"""An in-memory package index and a resolver over it, for driving the lock engine without uv.

:class:`FakeUv` answers :meth:`~depmin._backend.Backend.compile` the way uv does, in the formats
the engine reads: a hashed requirements file with ``# via`` reasons, or (``pylock=True``) a
pylock.toml file listing with the target's wheels. It resolves deterministically: each distribution
takes the highest version that satisfies every requirement and constraint on it (a preferred version
first, as uv keeps the versions of the output file it is given), backtracking through the
candidates; when no choice fits it raises :class:`~depmin._backend.UnsatisfiableError` naming the
distribution and the specifiers that exclude each other.

It says what uv says of itself (``lists_files``, ``caches_offline``), so the engine takes its file
listings from the fake too and no subprocess ever runs. Every request is recorded in
:attr:`FakeUv.calls`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from depmin._backend import Backend, Compile, UnsatisfiableError
from depmin.locking.files import Release
from depmin.locking.verify import Provides, provides_from_paths

__all__ = ["Dist", "FakeUv", "dist"]

DIRECT = "-r requirements.generated.txt"  # the engine strips the temporary directory from it


@dataclass(frozen=True, kw_only=True, slots=True)
class Dist:
    """One release in the fake index: its dependencies, wheel tags and top-level modules."""

    name: NormalizedName
    version: Version
    requires: tuple[Requirement, ...] = ()
    tags: tuple[str, ...] = ("py3-none-any",)
    modules: tuple[str, ...] = ()

    def wheels(self, platform: str | None = None) -> tuple[str, ...]:
        """The wheel file names; with ``platform``, only those installable on it."""
        stem = f"{self.name.replace('-', '_')}-{self.version}"
        return tuple(f"{stem}-{tag}.whl" for tag in self.tags if platform is None or _fits(tag, platform))


def dist(text: str, *requires: str, tags: tuple[str, ...] = ("py3-none-any",), modules: Sequence[str] = ()) -> Dist:
    """``dist("beta==2.0", "gamma<3")``: beta 2.0, which requires gamma<3; its module is ``beta``
    unless ``modules`` says otherwise."""
    name, _, version = text.partition("==")
    canonical = canonicalize_name(name)
    return Dist(
        name=canonical,
        version=Version(version),
        requires=tuple(Requirement(line) for line in requires),
        tags=tags,
        modules=tuple(modules) or (canonical.replace("-", "_"),),
    )


def sha256(filename: str) -> str:
    """The fake index's digest of a file: stable, and different for every file."""
    return hashlib.sha256(filename.encode()).hexdigest()


def _fits(tag: str, platform: str) -> bool:
    wheel_platform = tag.rsplit("-", 1)[-1]
    if wheel_platform == "any":
        return True
    machine = platform.split("-", 1)[0]
    system = "macosx" if "darwin" in platform else "win" if "windows" in platform else "linux"
    return machine in wheel_platform and system in wheel_platform


_Demand = tuple[NormalizedName, SpecifierSet, str]  # distribution, specifier, who asks


class FakeUv(Backend):
    """A resolver over ``index`` that, like uv, lists files and answers offline from its cache; ``on_call`` runs before each request is answered (it may change
    the index, or raise to stand for a failing resolver)."""

    name = "uv"
    lists_files = True
    caches_offline = True

    def __init__(self, index: Iterable[Dist], *, on_call: Callable[[Compile], None] = lambda request: None) -> None:
        super().__init__()
        self.index: dict[NormalizedName, dict[Version, Dist]] = {}
        for item in index:
            self.index.setdefault(item.name, {})[item.version] = item
        self.on_call = on_call
        self.calls: list[Compile] = []
        self._guard = threading.Lock()  # the engine locks agents in a thread pool

    def _read_version(self) -> str:
        return "0.0-fake"

    def yank(self, text: str) -> None:
        """Remove the release ``name==version`` from the index (again: no change)."""
        name, _, version = text.partition("==")
        self.index.get(canonicalize_name(name), {}).pop(Version(version), None)

    def compile(self, request: Compile) -> str:
        with self._guard:
            self.calls.append(request)
        self.on_call(request)
        if request.pylock:
            return self._listing(request)
        return self._requirements(request)

    def contents(self, release: Release) -> Provides | None:
        """The modules of a locked release (what :class:`depmin.locking.store.WheelContents` reads)."""
        found = self.index.get(release.name, {}).get(release.version)
        if found is None:
            return None
        return provides_from_paths([f"{module}/__init__.py" for module in found.modules])

    def _listing(self, request: Compile) -> str:
        if not request.no_deps:
            raise NotImplementedError("the engine lists files of exact pins only, with no_deps")
        lines = ['lock-version = "1.0"', 'created-by = "fake-uv"']
        for text in request.requirements:
            requirement = Requirement(text)
            (pin,) = requirement.specifier
            found = self.index[canonicalize_name(requirement.name)][Version(pin.version)]
            wheels = ", ".join(
                f'{{ url = "https://files.example/{name}", size = {len(name)}, hashes = {{ sha256 = "{sha256(name)}" }} }}'
                for name in found.wheels(request.platform)
            )
            lines += ["[[packages]]", f'name = "{found.name}"', f'version = "{found.version}"', f"wheels = [{wheels}]"]
        return "\n".join(lines) + "\n"

    def _requirements(self, request: Compile) -> str:
        demands = [(*_parse(line), DIRECT) for line in request.requirements]
        limits: dict[NormalizedName, SpecifierSet] = {}
        for line in request.constraints:
            name, specifier = _parse(line)
            limits[name] = limits.get(name, SpecifierSet()) & specifier
        preferred = dict(_parse_pin(line) for line in request.preferences)
        failures: list[str] = []
        solution = self._solve({}, demands, limits, preferred, failures)
        if solution is None:
            reason = failures[0] if failures else "no solution"
            raise UnsatisfiableError(f"{self.name}: the requirements cannot be installed together: {reason}", reason)
        return _render(*solution, hashes=request.hashes)

    def _solve(
        self,
        chosen: dict[NormalizedName, Dist],
        demands: list[_Demand],
        limits: Mapping[NormalizedName, SpecifierSet],
        preferred: Mapping[NormalizedName, Version],
        failures: list[str],
    ) -> tuple[dict[NormalizedName, Dist], list[_Demand]] | None:
        """Depth first over the first undecided distribution's candidates; ``failures`` collects
        why each dead end failed, in the order they were met."""
        name = next((wanted for wanted, _, _ in demands if wanted not in chosen), None)
        if name is None:
            return chosen, demands
        allowed = limits.get(name, SpecifierSet())
        for wanted, specifier, _ in demands:
            if wanted == name:
                allowed &= specifier
        candidates = sorted(
            (v for v in self.index.get(name, {}) if allowed.contains(v, prereleases=True)), reverse=True
        )
        candidates.sort(key=lambda version: version != preferred.get(name))  # stable: the rest stay highest first
        if not candidates:
            failures.append(f"no version of {name} satisfies {_asked(name, demands, limits)}")
        for version in candidates:
            release = self.index[name][version]
            more = [*demands, *((canonicalize_name(r.name), r.specifier, str(name)) for r in release.requires)]
            trial = {**chosen, name: release}
            clash = next(
                ((n, s) for n, s, _ in more if n in trial and not s.contains(trial[n].version, prereleases=True)), None
            )
            if clash is not None:
                other, specifier = clash
                failures.append(
                    f"{name} {version} depends on {other}{specifier}, but {other} {trial[other].version} was chosen "
                    f"for {_asked(other, demands, limits)}"
                )
                continue
            found = self._solve(trial, more, limits, preferred, failures)
            if found is not None:
                return found
        return None


def _asked(name: NormalizedName, demands: Sequence[_Demand], limits: Mapping[NormalizedName, SpecifierSet]) -> str:
    asked = [f"{name}{specifier} (by {who})" for wanted, specifier, who in demands if wanted == name]
    asked += [f"{name}{limits[name]} (a constraint)"] if name in limits else []
    return " and ".join(asked)


def _parse(line: str) -> tuple[NormalizedName, SpecifierSet]:
    requirement = Requirement(line)
    if requirement.extras or requirement.url or requirement.marker:
        raise NotImplementedError(f"the fake index resolves plain `name<specifier>` lines, not {line!r}")
    return canonicalize_name(requirement.name), requirement.specifier


def _parse_pin(line: str) -> tuple[NormalizedName, Version]:
    name, specifier = _parse(line)
    (pin,) = specifier
    return name, Version(pin.version)


def _render(chosen: Mapping[NormalizedName, Dist], demands: Sequence[_Demand], *, hashes: bool) -> str:
    """uv's requirements output: sorted entries, every file's hash, then the ``# via`` reasons."""
    lines = []
    for name in sorted(chosen):
        release = chosen[name]
        digests = sorted(sha256(wheel) for wheel in release.wheels()) if hashes else []
        lines.append(f"{name}=={release.version}" + (" \\" if digests else ""))
        lines += [f"    --hash=sha256:{d}" + (" \\" if i < len(digests) - 1 else "") for i, d in enumerate(digests)]
        via = sorted({who for wanted, _, who in demands if wanted == name})
        lines += [f"    # via {via[0]}"] if len(via) == 1 else ["    # via", *(f"    #   {who}" for who in via)]
    return "\n".join(lines) + "\n"
