"""CUDA consistency: a family's CUDA against the CUDA of its agents' locked wheels, and the base image's
CUDA libraries that those wheels bring again.

A family's CUDA is ``families.X.cuda`` on it or the nearest family of its chain (``cuda = "12.1"``),
else a guess from the ``nvidia/cuda:12.3.2-runtime-ubuntu22.04`` image its chain starts from (12.3),
which the report calls a guess. The locked wheels' CUDA comes from torch's local version
(``2.5.1+cu121`` is 12.1), from the runtime wheels' versions (``nvidia-cuda-runtime==13.2.86``,
``cuda-toolkit==13.2.2``) and from the ``-cuNN`` suffix of the ``nvidia-*`` names. Wheels of another
major version, or of a newer minor than the family's, need another driver than the one the family is
made for: an error (:attr:`CudaCheck.status` ``"mismatch"``) naming the family, the wheels and the
fix, unless ``accept_cuda_mismatch = "reason"`` on the family (or one of its chain) turns it into a
warning with the reason.

A ``-runtime``, ``-cudnn`` or ``-devel`` base ships CUDA libraries (``depmin/data/cuda_images.toml``)
that wheels such as ``nvidia-cublas-cu12`` install again; :func:`base_duplicates` names them with
their installed bytes and the ``-base`` image of the same CUDA, which would not carry them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, Protocol

from packaging.version import InvalidVersion, Version

from depmin import _toml
from depmin._names import NormalizedName
from depmin.manifest import Fleet

__all__ = [
    "TORCH_CUDA",
    "BaseDuplicate",
    "CudaCheck",
    "CudaStatus",
    "accepted_warnings",
    "base_duplicates",
    "cuda_checks",
    "cuda_of_image",
    "disagrees",
    "locked_cuda",
    "torch_index",
]

# CUDA versions PyTorch publishes wheel indexes for (https://download.pytorch.org/whl/cuXYZ).
TORCH_CUDA: tuple[tuple[int, int], ...] = ((11, 8), (12, 1), (12, 4), (12, 6), (12, 8), (12, 9), (13, 0))
_IMAGE = re.compile(r"(?:^|/)nvidia/cuda:(\d+)\.(\d+)")
# nvidia/cuda:12.3.2-cudnn9-runtime-ubuntu22.04: version, flavour words, operating system (a digest may follow)
_FLAVOURED = re.compile(r"(?:^|/)nvidia/cuda:(?P<version>[0-9.]+)-(?P<flavour>[a-z0-9-]+?)-[a-z]+[0-9.]+(?:@.*)?$")
_LOCAL = re.compile(r"^cu(\d+?)(\d)$")
_SUFFIX = re.compile(r"-cu(\d+)$")
_RUNTIME = (
    "nvidia-cuda-runtime", "cuda-toolkit", "nvidia-cuda-runtime-cu11", "nvidia-cuda-runtime-cu12",
    "nvidia-cuda-runtime-cu13",
)  # fmt: skip

CudaVersion = tuple[int, int | None]  # (12, 1); (12, None) when a name gives the major version only
CudaStatus = Literal["ok", "mismatch", "accepted", "undeclared"]


def cuda_of_image(image: str) -> tuple[int, int] | None:
    """``(12, 3)`` for ``nvidia/cuda:12.3.2-runtime-ubuntu22.04`` (any registry prefix); else None."""
    found = _IMAGE.search(image)
    return None if found is None else (int(found.group(1)), int(found.group(2)))


def locked_cuda(versions: Mapping[NormalizedName, str]) -> dict[CudaVersion, list[str]]:
    """The CUDA versions the locked wheels ``{name: version}`` are built for, with the pins that say so.

    ``(13, 2)`` from ``nvidia-cuda-runtime==13.2.86``; ``(12, None)`` from ``nvidia-cudnn-cu12`` (the
    name gives the major version only)."""
    found: dict[CudaVersion, list[str]] = {}
    for name, version in sorted(versions.items()):
        key = _cuda_of(name, version)
        if key is not None:
            found.setdefault(key, []).append(f"{name}=={version}")
    return found


def _cuda_of(name: NormalizedName, version: str) -> CudaVersion | None:
    try:
        parsed = Version(version)
    except InvalidVersion:
        return None
    if parsed.local is not None and (match := _LOCAL.match(parsed.local)) is not None:
        return int(match.group(1)), int(match.group(2))
    if name in _RUNTIME:
        release = parsed.release
        return (release[0], release[1] if len(release) > 1 else None) if release else None
    if name.startswith("nvidia-") and (match := _SUFFIX.search(name)) is not None:
        return int(match.group(1)), None
    return None


def disagrees(base: tuple[int, int], wheels: Iterable[CudaVersion]) -> list[CudaVersion]:
    """The wheels' CUDA versions a family of CUDA ``base`` cannot run: another major, or a newer minor."""
    return sorted(
        (key for key in wheels if key[0] != base[0] or (key[1] is not None and key[1] > base[1])),
        key=lambda k: (k[0], k[1] or 0),
    )


def torch_index(base: tuple[int, int]) -> str | None:
    """The PyTorch wheel index of the newest CUDA a family of CUDA ``base`` runs (12.3 -> cu121)."""
    fitting = [v for v in TORCH_CUDA if v[0] == base[0] and v[1] <= base[1]]
    if not fitting:
        return None
    major, minor = max(fitting)
    return f"https://download.pytorch.org/whl/cu{major}{minor}"


@dataclass(frozen=True, kw_only=True, slots=True)
class CudaCheck:
    """One family's CUDA against its agents' locked CUDA wheels.

    ``cuda`` is the family's CUDA (``"12.1"``, None when neither declared nor in the image), ``source``
    where it comes from (``"families.cuda-runtime.cuda"`` or ``"guessed from nvidia/cuda:12.3.2-…"``),
    ``wheels`` each CUDA version the wheels are built for with the pins that say so, ``wrong`` the pins
    of the versions that disagree; ``owner`` is the family where ``cuda`` and the index belong."""

    family: str
    cuda: str | None
    source: str
    owner: str
    wheels: Mapping[str, tuple[str, ...]]
    wrong: tuple[str, ...]
    wrong_cuda: tuple[str, ...]
    index: str | None  # the PyTorch index of the family's CUDA
    indexes: tuple[str, ...]  # the family chain's indexes
    accepted: str = ""  # the reason of accept_cuda_mismatch, when one applies
    accepted_by: str | None = None

    @property
    def status(self) -> CudaStatus:
        if self.cuda is None:
            return "undeclared" if self.wheels else "ok"
        if not self.wrong:
            return "ok"
        return "accepted" if self.accepted else "mismatch"

    @property
    def message(self) -> str:
        """The error (or the warning, once accepted) naming the family, the wheels and the fix."""
        if self.cuda is None:
            shown = _shown_pins(tuple(p for pins in self.wheels.values() for p in pins))
            return (
                f"family {self.family} locks CUDA wheels ({shown}) but its CUDA is not known: "
                f'set cuda = "MAJOR.MINOR" on [families.{self.owner}] so that depmin checks them'
            )
        head = (
            f"CUDA mismatch in family {self.family}: its CUDA is {self.cuda} ({self.source}) but its agents lock "
            f"CUDA {', '.join(self.wrong_cuda)} wheels ({_shown_pins(self.wrong)}), which need another driver"
        )
        if self.accepted:
            return f"{head}; accepted by families.{self.accepted_by}.accept_cuda_mismatch: {self.accepted}"
        return f"{head}; {self.fix}"

    @property
    def fix(self) -> str:
        owner = f"[families.{self.owner}]"
        if self.index is not None and self.index in self.indexes:
            where = f"its indexes hold {self.index}, yet the wheels came from another index: check that it serves them"
        elif self.index is not None:
            built = self.index.rsplit("/cu", 1)[-1]
            where = f'set indexes = ["{self.index}"] on {owner} (PyTorch\'s CUDA {built[:-1]}.{built[-1]} wheels)'
        else:
            where = f"set indexes on {owner} to an index of CUDA {self.cuda} wheels"
        wheels = self.wrong_cuda[-1].replace(".x", "")
        return (
            f"{where} and run `depmin lock --all`; or, if CUDA {wheels} is meant, set cuda = "
            f'"{wheels if "." in wheels else wheels + ".0"}" on {owner} (and a from image of that CUDA); or accept '
            f'it with accept_cuda_mismatch = "<reason>" on {owner}'
        )


def accepted_warnings(checks: Iterable[CudaCheck]) -> list[str]:
    """One warning per acknowledgement: the accepted mismatches of the families one
    ``accept_cuda_mismatch`` covers (with the same CUDA and the same wheels) are listed together."""
    groups: dict[tuple[str | None, str | None, tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for check in checks:
        if check.status == "accepted":
            groups.setdefault((check.accepted_by, check.cuda, check.wrong_cuda, check.wrong), []).append(check.family)
    found = []
    for check in checks:
        key = (check.accepted_by, check.cuda, check.wrong_cuda, check.wrong)
        families = groups.pop(key, None) if check.status == "accepted" else None
        if families is not None and len(families) == 1:
            found.append(check.message)
        elif families is not None:
            text = check.message.replace(f"family {check.family}:", f"families {', '.join(families)}:", 1)
            text = text.replace(": its CUDA is", ": their CUDA is", 1)
            found.append(text.replace("but its agents", "but their agents", 1))
    return found


def cuda_checks(fleet: Fleet, locks: Mapping[str, Mapping[NormalizedName, str]]) -> tuple[CudaCheck, ...]:
    """Per family with locked agents whose CUDA is known or whose wheels hold CUDA builds: the check."""
    found = []
    for family in sorted(fleet.families):
        agents = sorted(a for a, spec in fleet.agents.items() if spec.family == family and a in locks)
        if not agents:
            continue
        versions = {name: version for agent in agents for name, version in sorted(locks[agent].items())}
        wheels = locked_cuda(versions)
        cuda, source, owner = _family_cuda(fleet, family)
        if cuda is None and (not wheels or not fleet.has_gpu(family)):
            continue  # a CPU family's CUDA wheels are the GPU-set error of the plan
        wrong = [] if cuda is None else disagrees(cuda, wheels)
        shown = [k for k in wrong if k[1] is not None or not any(o[0] == k[0] and o[1] is not None for o in wrong)]
        acceptance = fleet.cuda_acceptance(family)
        found.append(
            CudaCheck(
                family=family,
                cuda=None if cuda is None else f"{cuda[0]}.{cuda[1]}",
                source=source,
                owner=owner,
                wheels={_cuda_shown(k): tuple(pins) for k, pins in sorted(wheels.items(), key=_order)},
                wrong=tuple(pin for key in sorted(wrong, key=lambda k: k[1] is None) for pin in wheels[key]),
                wrong_cuda=tuple(_cuda_shown(k) for k in shown),
                index=None if cuda is None else torch_index(cuda),
                indexes=tuple(url for member in fleet.family_chain(family) for url in member.indexes),
                accepted="" if acceptance is None else acceptance[1],
                accepted_by=None if acceptance is None else acceptance[0].name,
            )
        )
    return tuple(found)


def _family_cuda(fleet: Fleet, family: str) -> tuple[tuple[int, int] | None, str, str]:
    """The family's CUDA, where it comes from, and the family to fix it on (the declaring one, else the root)."""
    declared = fleet.cuda_setting(family)
    if declared is not None:
        major, minor = declared[1].split(".")
        return (int(major), int(minor)), f"families.{declared[0].name}.cuda", declared[0].name
    root = fleet.family_chain(family)[0]
    image = fleet.base_image(family)
    guess = cuda_of_image(image)
    return guess, f"guessed from {image}; declare it with families.{root.name}.cuda", root.name


def _order(item: tuple[CudaVersion, list[str]]) -> tuple[int, int]:
    return item[0][0], -1 if item[0][1] is None else item[0][1]


def _cuda_shown(key: CudaVersion) -> str:
    return f"{key[0]}.{key[1]}" if key[1] is not None else f"{key[0]}.x"


def _shown_pins(pins: tuple[str, ...]) -> str:
    return ", ".join(pins[:3]) + (f" and {len(pins) - 3} more" if len(pins) > 3 else "")


class Sized(Protocol):
    """A locked distribution as the plan sizes it (:class:`depmin.layers.plan.Package`)."""

    @property
    def version(self) -> str: ...

    @property
    def stored(self) -> int: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class BaseDuplicate:
    """A base image whose CUDA libraries the locked wheels of the families on it install again.

    ``duplicated`` are those wheels (``name==version``), ``duplicated_bytes`` their installed bytes;
    ``slimmer`` the ``-base`` image of the same CUDA, and ``saving_bytes`` what it would save per
    machine (the base image's copy of the libraries it leaves out, estimated by the wheels' installed
    bytes of the same libraries, and at most ``families.X.base_mb`` when that is set)."""

    family: str
    image: str
    flavours: tuple[str, ...]
    machines: tuple[str, ...]
    duplicated: tuple[str, ...]
    duplicated_bytes: int
    slimmer: str | None
    saving_bytes: int

    @property
    def message(self) -> str:
        head = (
            f"family {self.family}: {self.image} ships CUDA libraries that its agents' wheels install again "
            f"({_shown_pins(self.duplicated)}; {self.duplicated_bytes / 1e6:,.1f} MB installed)"
        )
        if self.slimmer is None or not self.saving_bytes:
            return head
        return (
            f'{head}; from = "{self.slimmer}" would save about {self.saving_bytes / 1e6:,.1f} MB per machine '
            f"({', '.join(self.machines)})"
        )


@cache
def _flavours() -> tuple[Mapping[str, frozenset[str]], Mapping[str, tuple[str, ...]]]:
    text = (resources.files("depmin") / "data" / "cuda_images.toml").read_text(encoding="utf-8")
    document = _toml.loads(text)
    libraries = {flavour: frozenset(names) for flavour, names in document["flavours"].items()}
    includes = {flavour: tuple(names) for flavour, names in document.get("includes", {}).items()}
    return libraries, includes


def image_libraries(image: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """The flavours of an ``nvidia/cuda`` image tag and the wheel names (without ``-cuNN``) of the
    libraries it ships: ``runtime`` of ``12.3.2-runtime-ubuntu22.04`` ships cuBLAS, cuFFT, NCCL, ..."""
    found = _FLAVOURED.search(image)
    if found is None:
        return (), frozenset()
    libraries, includes = _flavours()
    words = [re.sub(r"\d+$", "", word) for word in found.group("flavour").split("-")]
    flavours = {"base", *words}
    for word in words:
        flavours.update(includes.get(word, ()))
    known = tuple(sorted(f for f in flavours if f in libraries))
    return known, frozenset(name for f in known for name in libraries[f])


def _slimmer(image: str) -> str | None:
    found = _FLAVOURED.search(image)
    if found is None or found.group("flavour") == "base":
        return None
    start, end = found.span("flavour")
    return re.sub(r"@sha256:[0-9a-f]+$", "", image[:start] + "base" + image[end:])


def base_duplicates(fleet: Fleet, locks: Mapping[str, Mapping[NormalizedName, Sized]]) -> tuple[BaseDuplicate, ...]:
    """Per root family from an ``nvidia/cuda`` image: the locked wheels below it that bring a library
    the image ships too, and what its ``-base`` flavour would save."""
    found = []
    for root in sorted(name for name, family in fleet.families.items() if family.from_image is not None):
        image = fleet.families[root].from_image or ""
        flavours, libraries = image_libraries(image)
        agents = [
            a for a in sorted(locks) if a in fleet.agents and fleet.family_chain(fleet.agents[a].family)[0].name == root
        ]
        if not libraries or not agents:
            continue
        pins = {(n, p.version): p.stored for a in agents for n, p in locks[a].items() if _library(n) in libraries}
        if not pins:
            continue
        _, kept = image_libraries(_slimmer(image) or image)
        left_out = sum(size for (name, _), size in pins.items() if _library(name) not in kept)
        cap = int(fleet.families[root].base_mb * 1_000_000)
        found.append(
            BaseDuplicate(
                family=root,
                image=image,
                flavours=flavours,
                machines=tuple(sorted({m for a in agents for m in fleet.agents[a].machines})),
                duplicated=tuple(f"{name}=={version}" for name, version in sorted(pins)),
                duplicated_bytes=sum(pins.values()),
                slimmer=_slimmer(image),
                saving_bytes=min(left_out, cap) if cap else left_out,
            )
        )
    return tuple(found)


def _root(fleet: Fleet, agent: str) -> str:
    return fleet.family_chain(fleet.agents[agent].family)[0].name


def _library(name: str) -> str:
    """``nvidia-cublas-cu12`` -> ``nvidia-cublas``: the library a wheel brings, whatever its CUDA."""
    return _SUFFIX.sub("", name)
