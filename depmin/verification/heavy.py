"""Distributions too heavy for the machine that runs ``depmin verify`` (``--skip-heavy``, ``--max-mb N``).

A CUDA torch stack is several GB: a CI runner cannot install it for every GPU agent. What is left
out is decided per agent from its ``requirements.lock``: with ``--skip-heavy``, every distribution of
depmin's ``gpu`` stack (``depmin/data/heavy.toml``: torch, the ``nvidia-*`` CUDA wheels, ...); with
``--max-mb N``, every distribution whose installed size is above N MB (``locks/installed-sizes.json``,
which ``depmin plan --measure`` writes; else the size of the wheel the target installs). Nothing is
dropped silently: the result names each skipped distribution, and the modules that were not imported
because their distribution is skipped or requires a skipped one (``sentence-transformers`` without
``torch``); ``pip check``'s complaints about a skipped distribution are left out, the others stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from depmin._names import NormalizedName, canonicalize_name
from depmin.layers.plan import Package
from depmin.requirements.tables import heavy_kind

__all__ = ["Heavy", "Skipped", "blames_skipped", "import_owners", "skip", "strip_entries", "unrelated_complaints"]

_MB = 1_000_000
_ENTRY = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)")
_REQUIRES = re.compile(r"\brequires ([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True, kw_only=True, slots=True)
class Heavy:
    """What is too heavy: the ``gpu`` stack (``skip_gpu``), and anything above ``max_mb`` installed MB."""

    skip_gpu: bool = False
    max_mb: float | None = None

    @property
    def active(self) -> bool:
        return self.skip_gpu or self.max_mb is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class Skipped:
    """One agent's skipped distributions (``name==version``, why) and the distributions left
    unimportable by them (the skipped ones and everything that requires one, transitively)."""

    distributions: tuple[str, ...]
    reasons: Mapping[NormalizedName, str]
    unimportable: frozenset[NormalizedName]


def skip(packages: Mapping[NormalizedName, Package], heavy: Heavy) -> Skipped:
    """The agent's distributions (from its lock) that ``heavy`` leaves out, and their dependents."""
    reasons: dict[NormalizedName, str] = {}
    for name, package in sorted(packages.items()):
        if heavy.skip_gpu and heavy_kind(name) == "gpu":
            reasons[name] = "the gpu stack of depmin/data/heavy.toml"
        elif heavy.max_mb is not None and package.stored > heavy.max_mb * _MB:
            size = "installed" if package.installed is not None else "wheel"
            reasons[name] = f"{package.stored / _MB:.0f} MB {size}, above --max-mb {heavy.max_mb:g}"
    unimportable = set(reasons)
    changed = True
    while changed:  # everything that requires a skipped distribution cannot import either
        changed = False
        for name, package in packages.items():
            if name not in unimportable and package.requires & unimportable:
                unimportable.add(name)
                changed = True
    pins = tuple(f"{name}=={packages[name].version}" for name in sorted(reasons))
    return Skipped(distributions=pins, reasons=reasons, unimportable=frozenset(unimportable))


def strip_entries(text: str, names: Iterable[NormalizedName]) -> str:
    """A hashed requirements lock without the entries of ``names`` (each entry is its ``name==``
    line and the indented ``--hash`` / ``# via`` lines under it); comments and the rest unchanged."""
    drop = frozenset(names)
    kept: list[str] = []
    dropping = False
    for line in text.splitlines(keepends=True):
        if line[:1].isalnum():
            found = _ENTRY.match(line)
            dropping = found is not None and canonicalize_name(found.group(1)) in drop
        elif not line[:1].isspace():
            dropping = False
        if not dropping:
            kept.append(line)
    return "".join(kept)


def import_owners(generated: str) -> dict[str, NormalizedName]:
    """``{top-level import: distribution}`` from a ``requirements.generated.txt``, whose lines read
    ``pyyaml  # yaml: common/config.py:9`` (several imports: ``# a, b: site``)."""
    owners: dict[str, NormalizedName] = {}
    for line in generated.splitlines():
        if not line[:1].isalnum() or "#" not in line:
            continue
        requirement, _, comment = line.partition("#")
        found = _ENTRY.match(requirement.strip())
        if found is None:
            continue
        names = comment.strip().partition(":")[0]
        for module in (part.strip() for part in names.split(",")):
            if module:
                owners.setdefault(module.split(".")[0], canonicalize_name(found.group(1)))
    return owners


def unrelated_complaints(lines: Iterable[str], skipped: Iterable[NormalizedName]) -> tuple[str, ...]:
    """``pip check``'s lines that do not say a skipped distribution is missing."""
    gone = frozenset(skipped)
    kept = []
    for line in lines:
        found = _REQUIRES.search(line)
        if found is None or canonicalize_name(found.group(1)) not in gone:
            kept.append(line)
    return tuple(kept)


def blames_skipped(imported: Mapping[str, str | None], skipped: Iterable[NormalizedName]) -> frozenset[str]:
    """The modules whose import error names a skipped distribution: ``No module named 'torch'`` from a
    module whose distribution does not declare torch, or coqui-tts's "requires the PyTorch and
    Torchaudio libraries". They are not checked, rather than failed: the machine left torch out."""
    words = {name.replace("-", "_") for name in skipped} | set(skipped)
    return frozenset(
        module for module, error in imported.items() if error is not None and any(w in error.lower() for w in words)
    )
