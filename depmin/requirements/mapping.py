"""Import name -> PyPI distribution, through an ordered chain that records who answered.

The chain, for one import such as ``google.cloud.storage`` or ``cv2``:

1. ``overrides`` - the agent's ``agents.<Name>.mapping`` table          -> source ``"override"``
2. ``mapping``   - the fleet's ``[mapping]`` table in agents.toml          -> source ``"mapping"``
3. ``installed`` - an environment's ``packages_distributions()``          -> source ``"installed"``
4. ``bundled``   - ``depmin/data/import_names.toml``                        -> source ``"bundled"``
   (then family rules under namespaces, and a declaration in the repository's own requirement
   files, :mod:`depmin.requirements.hints`, which beats a family rule, a guess and an ambiguity)
5. the identity of a popular distribution - the canonicalized top-level name is one of the
   5,000 most downloaded PyPI distributions (``known_distributions.txt``) -> source ``"known"``
6. the identity guess - the canonicalized top-level name                  -> source ``"guessed"``

Keys are dotted prefixes and the longest one that matches answers, so
``google.protobuf.json_format`` finds ``"google.protobuf" = "protobuf"`` and
``google.cloud.storage`` finds ``"google.cloud.storage" = "google-cloud-storage"``, while a bare
``google`` matches no key and is guessed (and so reported). How the two rules combine:

* the user's tables (1, 2) win outright, each at its longest matching key: ``[mapping]`` is the
  user's word and beats everything, as agents.toml documents;
* otherwise the longest key known to the installed metadata or the bundled table answers, the
  installed metadata on a tie. ``packages_distributions()`` only knows top-level names, so an
  installed ``google -> [protobuf, google-cloud-storage, ...]`` must not hide the bundled
  ``google.cloud.storage`` key; for ``cv2`` both know the same key and the installed one wins.

An import that several distributions provide is *ambiguous* (four opencv wheels provide ``cv2``;
an environment may have two of them installed). The pick: containers have no display, so the
first ``*-headless`` candidate wins unless ``display=True`` (the agent's family needs a display),
which picks the first candidate that is not headless; otherwise the first candidate in preference
order wins (the bundled table's list order; for installed metadata, the bundled order of the same
key, then alphabetical). The resolution keeps every candidate so the report can list them.

The bundled tables themselves live in :mod:`depmin.requirements.tables`.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from depmin._names import NormalizedName, canonicalize_name
from depmin.requirements.tables import BundledTable, NamespaceTable, load_bundled, load_known, load_namespaces

__all__ = [
    "HEADLESS_SUFFIX",
    "Mapper",
    "Resolution",
    "Source",
    "ambiguities_warning",
    "guesses_warning",
]

Source = Literal["override", "mapping", "installed", "bundled", "family", "repository", "known", "guessed"]
HEADLESS_SUFFIX = "-headless"
K = TypeVar("K")
V = TypeVar("V")


def _frozen(mapping: Mapping[K, V]) -> Mapping[K, V]:
    return types.MappingProxyType(dict(mapping))


def _empty() -> Mapping[Any, Any]:
    return types.MappingProxyType({})


@dataclass(frozen=True, kw_only=True, slots=True)
class Resolution:
    """Which distribution provides an import, and who said so.

    ``Resolution(module="google.cloud.storage.blob", matched="google.cloud.storage",
    distribution="google-cloud-storage", source="bundled", ambiguous=False,
    candidates=("google-cloud-storage",))``
    """

    module: str
    matched: str
    distribution: NormalizedName
    source: Source
    ambiguous: bool
    candidates: tuple[NormalizedName, ...]
    declared: str | None = None  # source "repository": the hand-written file:line that declares it

    @property
    def guessed(self) -> bool:
        """True when no table knew the import and the top-level name was taken as is."""
        return self.source == "guessed"


@dataclass(frozen=True, kw_only=True, slots=True)
class Mapper:
    """The chain's tables, immutable; :meth:`resolve` walks them.

    ``overrides`` and ``mapping`` map an import key to one distribution, as agents.toml writes
    them (``cv2 = "opencv-python"``); ``installed`` maps a top-level import to the distributions
    that provide it, as ``importlib.metadata.packages_distributions()`` returns
    (``{"yaml": ["PyYAML"]}``). The tables are copied on construction.
    """

    overrides: Mapping[str, str] = field(default_factory=_empty)
    mapping: Mapping[str, str] = field(default_factory=_empty)
    installed: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    bundled: BundledTable = field(default_factory=load_bundled)
    known: frozenset[NormalizedName] = field(default_factory=load_known)
    namespaces: NamespaceTable = field(default_factory=load_namespaces)
    # resolve() is a pure function of the tables: each (module, display) is resolved once per chain,
    # however many agents import it.
    _resolved: dict[tuple[str, bool], Resolution] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", _frozen(self.overrides))
        object.__setattr__(self, "mapping", _frozen(self.mapping))
        installed = {key: _dedupe(dists) for key, dists in self.installed.items() if dists}
        object.__setattr__(self, "installed", _frozen(installed))

    def with_overrides(self, overrides: Mapping[str, str]) -> Mapper:
        """The same chain with one agent's ``agents.<Name>.mapping`` as the first link."""
        return replace(self, overrides=overrides)

    def resolve(self, module: str, *, display: bool = False) -> Resolution:
        """Resolve ``module`` (``"google.cloud.storage"``, ``"cv2"``) to a distribution.

        ``display`` is true when the agent's family has a display: ambiguous imports then prefer
        a candidate that is not ``*-headless``.
        """
        known = self._resolved.get((module, display))
        if known is None:
            known = self._resolved[(module, display)] = self._resolve(module, display=display)
        return known

    def _resolve(self, module: str, *, display: bool) -> Resolution:
        keys = _prefixes(module)
        users: tuple[tuple[Source, Mapping[str, str]], ...] = (
            ("override", self.overrides),
            ("mapping", self.mapping),
        )
        for key in keys:
            if self.namespaces.blocking(key, module) is not None:
                break  # a namespace lies between key and module: no key this short knows module
            for source, table in users:
                if key in table:
                    return _single(module, key, canonicalize_name(table[key]), source)
            if key in self.installed:
                return self._from_installed(module, key, display=display)
            if key in self.bundled.entries:
                return _choose(module, key, self.bundled.entries[key], "bundled", display)
        family = self.namespaces.family(module)
        if family is not None:
            return _single(module, family[0], family[1], "family")
        return self._guess(module)

    def _guess(self, module: str) -> Resolution:
        """The identity guess: the top-level name, or under a namespace the namespace's child
        (``google.foo.bar`` -> ``google-foo``), never the namespace itself."""
        parts = module.split(".")
        blocking = self.namespaces.blocking(parts[0], module)
        if blocking is None and module in self.namespaces.names:
            return _single(module, module, _identity(module.replace(".", "-")), "guessed")
        if blocking is not None:
            # the deepest namespace above module decides the name: google.cloud.x, not google.cloud
            deepest = max((p for p in _prefixes(module)[1:] if p in self.namespaces.names), key=len)
            key = ".".join(parts[: deepest.count(".") + 2])
            return _single(module, key, _identity(key), "guessed")
        identity = _identity(parts[0])
        roots = self.bundled.namespace_roots | self.namespaces.names
        known = identity in self.known and parts[0] not in roots
        return _single(module, parts[0], identity, "known" if known else "guessed")

    def _from_installed(self, module: str, key: str, *, display: bool) -> Resolution:
        preferred = self.bundled.entries.get(key, ())
        rank = {name: index for index, name in enumerate(preferred)}
        installed = (canonicalize_name(name) for name in self.installed[key])
        names = sorted(installed, key=lambda name: (rank.get(name, len(rank)), name))
        return _choose(module, key, tuple(names), "installed", display)


def _dedupe(dists: Iterable[str]) -> tuple[NormalizedName, ...]:
    return tuple(dict.fromkeys(canonicalize_name(dist) for dist in dists))


def _prefixes(module: str) -> tuple[str, ...]:
    """``"a.b.c"`` -> ``("a.b.c", "a.b", "a")``: the keys to try, longest first."""
    parts = module.split(".")
    if not module or not all(parts):
        raise ValueError(f"not an absolute module name: {module!r}")
    return tuple(".".join(parts[:end]) for end in range(len(parts), 0, -1))


def _identity(top_level: str) -> NormalizedName:
    # `_cffi_backend` must not become the invalid name `-cffi-backend`
    return canonicalize_name(top_level.strip("_") or top_level)


def _single(module: str, key: str, dist: NormalizedName, source: Source) -> Resolution:
    return Resolution(
        module=module,
        matched=key,
        distribution=dist,
        source=source,
        ambiguous=False,
        candidates=(dist,),
    )


def _choose(module: str, key: str, names: tuple[NormalizedName, ...], source: Source, display: bool) -> Resolution:
    if len(names) == 1:
        return _single(module, key, names[0], source)
    return Resolution(
        module=module,
        matched=key,
        distribution=_pick(names, display=display),
        source=source,
        ambiguous=True,
        candidates=names,
    )


def _pick(names: tuple[NormalizedName, ...], *, display: bool) -> NormalizedName:
    """The headless rule, then preference order (see the module docstring)."""
    headless = [name for name in names if name.endswith(HEADLESS_SUFFIX)]
    if not headless:
        return names[0]
    if not display:
        return headless[0]
    windowed = [name for name in names if not name.endswith(HEADLESS_SUFFIX)]
    return windowed[0] if windowed else names[0]


def guesses_warning(resolutions: Iterable[tuple[str, Resolution]]) -> str | None:
    """One line listing every guessed ``(agent, import -> distribution)``, or None.

    ``resolutions`` pairs an agent name with one of its resolutions, e.g.
    ``("NLUAgent", mapper.resolve("google"))``. The line names the agents.toml keys that fix a
    wrong guess: ``[mapping]`` for the fleet, ``agents.<Name>.mapping`` for one agent.
    """
    found = sorted({(agent, r.module, f"{r.module} -> {r.distribution}") for agent, r in resolutions if r.guessed})
    if not found:
        return None
    agents, listing = _listing(found)
    return (
        f"{len(found)} import(s) mapped by guessing the distribution from the import name "
        f"({listing}); if a guess is wrong, set the right distribution under [mapping] in "
        f"agents.toml for every agent, or under {_keys(agents)} for one agent"
    )


def ambiguities_warning(resolutions: Iterable[tuple[str, Resolution]]) -> str | None:
    """One line listing every ambiguous pick and its candidates, or None (same keys as above)."""
    resolutions = list(resolutions)
    found = sorted(
        {
            (agent, r.module, f"{r.module} -> {r.distribution} (of {', '.join(r.candidates)})")
            for agent, r in resolutions
            if r.ambiguous
        }
    )
    if not found:
        return None
    agents, listing = _listing(found)
    first = next(r for _, r in sorted(resolutions, key=lambda p: (p[0], p[1].module)) if r.ambiguous)
    other = next(name for name in first.candidates if name != first.distribution)
    return (
        f"{len(found)} import(s) are provided by several distributions and were picked by "
        f"depmin's rule ({listing}); to confirm or choose another, set it under [mapping] in agents.toml "
        f'(e.g. {first.matched} = "{other}") for every agent, or under {_keys(agents)} for one agent'
    )


def _listing(found: list[tuple[str, str, str]]) -> tuple[list[str], str]:
    agents = sorted({agent for agent, _, _ in found})
    groups = [f"{agent}: " + ", ".join(text for owner, _, text in found if owner == agent) for agent in agents]
    return agents, "; ".join(groups)


def _keys(agents: list[str]) -> str:
    return ", ".join(f"agents.{agent}.mapping" for agent in agents)
