"""depmin's bundled data tables, read once per process from ``depmin/data/``.

* ``import_names.toml``: import key -> distribution candidates, in preference order (:class:`BundledTable`);
* ``known_distributions.txt``: the 5,000 most downloaded PyPI distributions (:func:`load_known`);
* ``apt_packages.toml``: distribution -> Debian run-time packages (:class:`AptTable`, :func:`apt_packages`);
* ``build_packages.toml``: distribution -> Debian packages its sdist build needs beyond a compiler
  (:func:`build_apt_packages`);
* ``heavy.toml``: the heavy stacks (GPU, ML, vision, NLP, audio) by name and prefix
  (:class:`HeavyTable`, :func:`heavy_kind`);
* ``namespaces.toml``: namespace packages, the family rules under them, stub-only names
  (:class:`NamespaceTable`, :func:`load_namespaces`);
* ``extras.toml``: dotted module prefix -> distribution extras it needs (:class:`ExtrasTable`,
  :func:`load_extras`).

Each ``parse_*`` function checks its document and raises ValueError naming the bad key, so a broken
table fails the test suite, not a user's run.
"""

from __future__ import annotations

import functools
import pkgutil
import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from depmin import _toml
from depmin._names import NormalizedName, canonicalize_name, name_and_extras

__all__ = [
    "AptTable",
    "BundledTable",
    "ExtrasTable",
    "HeavyTable",
    "NamespaceTable",
    "apt_packages",
    "build_apt_packages",
    "heavy_kind",
    "is_heavy",
    "load_apt",
    "load_bundled",
    "load_extras",
    "load_heavy",
    "load_known",
    "load_namespaces",
    "parse_apt",
    "parse_bundled",
    "parse_extras",
    "parse_heavy",
    "parse_namespaces",
]

K = TypeVar("K")
V = TypeVar("V")


def _frozen(mapping: Mapping[K, V]) -> Mapping[K, V]:
    return types.MappingProxyType(dict(mapping))


@dataclass(frozen=True, kw_only=True, slots=True)
class BundledTable:
    """``depmin/data/import_names.toml``: import key -> candidates in preference order.

    A line such as ``cv2 = ["opencv-python-headless", "opencv-python", ...]`` becomes
    ``entries["cv2"]``; one candidate means unambiguous. ``classes`` names the section
    (``namespace``, ``renamed``, ``gui``, ``ml``, ``ambiguous``) each key came from.
    """

    entries: Mapping[str, tuple[NormalizedName, ...]]
    classes: Mapping[str, str]
    # Top-level names shared by many distributions (``google``, ``azure``): never "known".
    namespace_roots: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # computed once: every guessed import asks for it
        roots = frozenset(key.split(".")[0] for key, kind in self.classes.items() if kind == "namespace")
        object.__setattr__(self, "namespace_roots", roots)


@dataclass(frozen=True, kw_only=True, slots=True)
class AptTable:
    """``depmin/data/apt_packages.toml``: distribution -> Debian run-time packages on ``release``.

    ``pyzbar = ["libzbar0"]`` becomes ``packages["pyzbar"] == ("libzbar0",)``.
    """

    release: str
    packages: Mapping[NormalizedName, tuple[str, ...]]


@dataclass(frozen=True, kw_only=True, slots=True)
class HeavyTable:
    """``depmin/data/heavy.toml``: exact names and name prefixes per heavy-stack kind.

    ``[gpu] names = ["torch"], prefixes = ["nvidia-"]`` becomes ``names["torch"] == "gpu"`` and
    ``("nvidia-", "gpu")`` in ``prefixes`` (longest prefix first).
    """

    names: Mapping[NormalizedName, str]
    prefixes: tuple[tuple[str, str], ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class ExtrasTable:
    """``depmin/data/extras.toml``: dotted module prefix -> (distribution, extras it needs).

    ``"sqlalchemy.ext.asyncio" = "sqlalchemy[asyncio]"`` becomes
    ``entries["sqlalchemy.ext.asyncio"] == ("sqlalchemy", ("asyncio",))``.
    """

    entries: Mapping[str, tuple[NormalizedName, tuple[str, ...]]]

    def extras_for(self, module: str, distribution: str) -> tuple[str, tuple[str, ...]] | None:
        """``(matched prefix, extras)`` for the longest prefix of ``module`` whose distribution is
        ``distribution``, or None: ``extras_for("sqlalchemy.ext.asyncio.session", "SQLAlchemy")
        == ("sqlalchemy.ext.asyncio", ("asyncio",))``."""
        name = canonicalize_name(distribution)
        parts = module.split(".")
        for end in range(len(parts), 0, -1):
            key = ".".join(parts[:end])
            found = self.entries.get(key)
            if found is not None and found[0] == name:
                return key, found[1]
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class NamespaceTable:
    """``depmin/data/namespaces.toml``: names no single distribution owns, and the family rules.

    ``names`` holds every namespace (family prefixes included); ``families["google.cloud"] == 1``
    means ``google.cloud.texttospeech`` is provided by ``google-cloud-texttospeech``.
    """

    names: frozenset[str]
    families: Mapping[str, int]
    stubs: frozenset[str]

    def family(self, module: str) -> tuple[str, NormalizedName] | None:
        """``(matched key, distribution)`` by the longest family prefix of ``module``, or None:
        ``family("azure.storage.queue.aio") == ("azure.storage.queue", "azure-storage-queue")``; None for
        ``azure.storage``, which names a level of the namespace, not a distribution.

        A name the rule reaches that is itself a namespace takes the next part too
        (``opentelemetry.exporter.otlp.proto.common`` -> ``opentelemetry-exporter-otlp-proto-common``,
        not ``opentelemetry-exporter-otlp``); a private part (``google.cloud._helpers``) is no
        distribution's name: None, so the module is guessed and flagged, never named silently."""
        parts = module.split(".")
        for end in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:end])
            count = self.families.get(prefix)
            if count is not None:
                stop = end + count
                while stop <= len(parts) and ".".join(parts[:stop]) in self.names:
                    stop += 1
                if len(parts) < stop:  # azure.storage: a level of the namespace, no distribution's name
                    return None
                if any(part.startswith("_") for part in parts[end:stop]):
                    return None
                taken = [_VERSION_SUFFIX.sub("", part) or part for part in parts[end:stop]]
                return ".".join(parts[:stop]), canonicalize_name(".".join([prefix, *taken]))
        return None

    def blocking(self, key: str, module: str) -> str | None:
        """The namespace at or below ``key`` and strictly above ``module`` that stops ``key``'s
        distribution answering for ``module``, or None (``key`` is ``module`` or a prefix of it)."""
        parts = module.split(".")
        for end in range(key.count(".") + 1, len(parts)):
            prefix = ".".join(parts[:end])
            if prefix in self.names:
                return prefix
        return None


_VERSION_SUFFIX = re.compile(r"_v\d+(p\d+)?((alpha|beta)\d*)?$")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@functools.cache
def load_known() -> frozenset[NormalizedName]:
    """``depmin/data/known_distributions.txt``: canonical names of popular distributions."""
    text = _data("known_distributions.txt")
    return frozenset(canonicalize_name(line) for line in text.splitlines() if line and not line.startswith("#"))


@functools.cache
def load_bundled() -> BundledTable:
    """The bundled import-name table, read once per process."""
    return parse_bundled(_read_data("import_names.toml"))


@functools.cache
def load_apt() -> AptTable:
    """The bundled distribution -> apt packages table, read once per process."""
    return parse_apt(_read_data("apt_packages.toml"))


@functools.cache
def load_build_apt() -> AptTable:
    """The bundled distribution -> apt packages its sdist build needs (``build_packages.toml``)."""
    return parse_apt(_read_data("build_packages.toml"))


@functools.cache
def load_heavy() -> HeavyTable:
    """The bundled heavy-stack classification, read once per process."""
    return parse_heavy(_read_data("heavy.toml"))


@functools.cache
def load_namespaces() -> NamespaceTable:
    """The bundled namespace and family-rule table, read once per process."""
    return parse_namespaces(_read_data("namespaces.toml"))


@functools.cache
def load_extras() -> ExtrasTable:
    """The bundled submodule -> extras table, read once per process."""
    return parse_extras(_read_data("extras.toml"))


def _read_data(name: str) -> dict[str, Any]:
    text = _data(name)
    return _toml.loads(text)


def parse_bundled(document: Mapping[str, Any]) -> BundledTable:
    """Check and flatten the sections of import_names.toml; ValueError names the bad key."""
    entries: dict[str, tuple[NormalizedName, ...]] = {}
    classes: dict[str, str] = {}
    for section, table in document.items():
        if not isinstance(table, dict):
            raise ValueError(f"import_names.toml: {section} must be a table")
        for key, value in table.items():
            if key in classes:
                raise ValueError(f"import_names.toml: {section}.{key} repeats {classes[key]}.{key}")
            entries[key] = _candidates(f"{section}.{key}", value, ambiguous=section == "ambiguous")
            classes[key] = section
    return BundledTable(entries=_frozen(entries), classes=_frozen(classes))


def _candidates(where: str, value: object, *, ambiguous: bool) -> tuple[NormalizedName, ...]:
    if ambiguous and isinstance(value, list) and len(value) > 1:
        names = tuple(canonicalize_name(str(item)) for item in value)
        if len(set(names)) == len(names):
            return names
    elif not ambiguous and isinstance(value, str):
        return (canonicalize_name(value),)
    shape = "a list of two or more distinct names" if ambiguous else "one distribution name"
    raise ValueError(f"import_names.toml: {where} must be {shape}")


def parse_apt(document: Mapping[str, Any]) -> AptTable:
    """Check apt_packages.toml (``release`` and ``[packages]``); ValueError names the bad key."""
    release, table = document.get("release"), document.get("packages")
    if not isinstance(release, str) or not isinstance(table, dict):
        raise ValueError("apt_packages.toml: needs release = '...' and a [packages] table")
    packages: dict[NormalizedName, tuple[str, ...]] = {}
    for key, value in table.items():
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError(f"apt_packages.toml: packages.{key} must be a list of package names")
        name = canonicalize_name(key)
        if name in packages:
            raise ValueError(f"apt_packages.toml: packages.{key} repeats {name}")
        packages[name] = tuple(value)
    return AptTable(release=release, packages=_frozen(packages))


def parse_heavy(document: Mapping[str, Any]) -> HeavyTable:
    """Check heavy.toml (``[kind] names/prefixes``); ValueError names a name in two kinds."""
    names: dict[NormalizedName, str] = {}
    prefixes: dict[str, str] = {}
    for kind, table in document.items():
        if not isinstance(table, dict) or set(table) - {"names", "prefixes"}:
            raise ValueError(f"heavy.toml: [{kind}] may hold only names and prefixes")
        for raw in table.get("names", []):
            name = canonicalize_name(raw)
            if name in names:
                raise ValueError(f"heavy.toml: {name} is in both [{names[name]}] and [{kind}]")
            names[name] = kind
        for prefix in table.get("prefixes", []):
            if prefix in prefixes:
                raise ValueError(f"heavy.toml: prefix {prefix} is in two kinds")
            prefixes[prefix] = kind
    ordered = tuple(sorted(prefixes.items(), key=lambda item: (-len(item[0]), item[0])))
    return HeavyTable(names=_frozen(names), prefixes=ordered)


def parse_namespaces(document: Mapping[str, Any]) -> NamespaceTable:
    """Check namespaces.toml (``[namespaces] names``, ``[families]``, ``[stubs] names``)."""
    if set(document) != {"namespaces", "families", "stubs"}:
        raise ValueError("namespaces.toml: needs [namespaces], [families] and [stubs] and nothing else")
    names = _dotted_list("namespaces.names", document["namespaces"])
    stubs = _dotted_list("stubs.names", document["stubs"])
    families: dict[str, int] = {}
    for key, value in document["families"].items():
        if not _DOTTED.fullmatch(key) or not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"namespaces.toml: families.{key} must be a dotted name = a count of parts (1 or more)")
        families[key] = value
    return NamespaceTable(names=names | set(families), families=_frozen(families), stubs=stubs)


def _dotted_list(where: str, table: object) -> frozenset[str]:
    names = table.get("names") if isinstance(table, dict) and set(table) == {"names"} else None
    if not isinstance(names, list) or not all(isinstance(n, str) and _DOTTED.fullmatch(n) for n in names):
        raise ValueError(f"namespaces.toml: {where} must be a list of dotted module names")
    return frozenset(names)


def parse_extras(document: Mapping[str, Any]) -> ExtrasTable:
    """Check extras.toml (``[extras]`` module = "dist[extra]"); ValueError names the bad key."""
    table = document.get("extras")
    if not isinstance(table, dict) or set(document) != {"extras"}:
        raise ValueError("extras.toml: needs one [extras] table and nothing else")
    entries: dict[str, tuple[NormalizedName, tuple[str, ...]]] = {}
    for key, value in table.items():
        if not _DOTTED.fullmatch(key):
            raise ValueError(f"extras.toml: extras.{key} is not a dotted module name")
        entries[key] = _extra_value(f"extras.{key}", value)
    return ExtrasTable(entries=_frozen(entries))


def _extra_value(where: str, value: object) -> tuple[NormalizedName, tuple[str, ...]]:
    fix = 'must be a distribution with extras and nothing else, such as "sqlalchemy[asyncio]"'
    found = name_and_extras(value) if isinstance(value, str) else None
    if found is None and isinstance(value, str):  # spaces, a version, a marker: packaging says what it is
        from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415 - imports packaging.tags (depmin._names)

        try:
            requirement = Requirement(value)
        except InvalidRequirement:
            pass
        else:
            if not (requirement.specifier or requirement.marker or requirement.url):
                found = requirement.name, frozenset(requirement.extras)
    if found is None or not found[1]:
        raise ValueError(f"extras.toml: {where} {fix}")
    return canonicalize_name(found[0]), tuple(sorted(found[1]))


def apt_packages(distributions: Iterable[str], table: AptTable | None = None) -> tuple[str, ...]:
    """The Debian run-time packages the given distributions need, sorted and unique.

    ``apt_packages(["opencv-python-headless", "pyzbar"]) == ("libzbar0",)``
    """
    table = table or load_apt()
    needed = {package for dist in distributions for package in table.packages.get(canonicalize_name(dist), ())}
    return tuple(sorted(needed))


def build_apt_packages(distributions: Iterable[str], table: AptTable | None = None) -> tuple[str, ...]:
    """The Debian packages beyond a compiler that building the given sdists needs, sorted and unique.

    ``build_apt_packages(["dlib", "docopt"]) == ("cmake",)``
    """
    return apt_packages(distributions, table or load_build_apt())


def heavy_kind(distribution: str, table: HeavyTable | None = None) -> str | None:
    """The heavy-stack kind (``gpu``, ``ml``, ``vision``, ``nlp``, ``audio``) or None.

    ``heavy_kind("nvidia-cudnn-cu12") == "gpu"``; ``heavy_kind("requests") is None``.
    """
    table = table or load_heavy()
    name = canonicalize_name(distribution)
    if name in table.names:
        return table.names[name]
    return next((kind for prefix, kind in table.prefixes if name.startswith(prefix)), None)


def is_heavy(distribution: str, table: HeavyTable | None = None) -> bool:
    """True when ``distribution`` belongs to one of the heavy stacks of heavy.toml."""
    return heavy_kind(distribution, table) is not None


def _data(name: str) -> str:
    """The text of ``depmin/data/<name>``, through the package's loader (so from a zip too).
    ``pkgutil.get_data`` rather than ``importlib.resources``, whose import (with ``tempfile``,
    ``zipfile`` and the resource readers) is about 1% of every warm scan, which reads these tables."""
    data = pkgutil.get_data("depmin", f"data/{name}")
    if data is None:  # a loader that cannot read data files: not one Python ships
        raise FileNotFoundError(f"depmin/data/{name}")
    return data.decode("utf-8")
