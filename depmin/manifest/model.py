"""The frozen model of ``agents.toml``: a :class:`Fleet` of projects, machines, families and agents.

Only :mod:`depmin.manifest.load` builds these, after validating every value, so the types state what a
loaded fleet guarantees: every family chain starts ``from`` an image and names known families, every
need is one of :data:`NEEDS`, every policy value one of :data:`INCLUSIONS`. Every string that reaches
a generated file holds a value of the grammar of the place it lands (docs/agents-toml.md lists each
rule): no name, path, image, tag, apt package or environment entry holds a control character, and
no two agents (machines, families) share a :func:`slug`.
"""

from __future__ import annotations

import datetime
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from depmin.errors import ConfigError, Problem
from depmin.manifest.schema import did_you_mean

__all__ = [
    "CONFIG_NAME",
    "INCLUSIONS",
    "NEEDS",
    "NETWORKS",
    "SEVERITIES",
    "Agent",
    "Audit",
    "AuditIgnore",
    "Ci",
    "Family",
    "Fleet",
    "Inclusion",
    "Layers",
    "Machine",
    "Need",
    "Network",
    "Policy",
    "Project",
    "Resources",
    "Severity",
    "slug",
]

CONFIG_NAME = "agents.toml"

Need = Literal["cpu", "gpu", "web", "audio", "vision"]
"""A name an agent may list in ``needs``."""
NEEDS: tuple[Need, ...] = get_args(Need)  # in the order problems list them

Inclusion = Literal["include", "exclude"]
"""A ``[policy]`` value: whether imports of that kind go into an agent's requirements."""
INCLUSIONS: tuple[Inclusion, ...] = get_args(Inclusion)

Network = Literal["host", "bridge"]
"""A machine's ``network``: services share the host's network (ports unique per machine), or each has
its own network namespace on a bridge (ports unique per service, published by compose)."""
NETWORKS: tuple[Network, ...] = get_args(Network)
Severity = Literal["low", "medium", "high", "critical"]
"""An advisory's severity, lowest first; ``[audit] fail_on`` and ``depmin audit --fail-on`` name one."""
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

_EMPTY: Mapping[str, str] = types.MappingProxyType({})


def slug(name: str) -> str:
    """``name`` as it appears in generated names: ``'.'`` becomes ``'-'``, letters lower case.

    Bake target names cannot hold ``'.'``, and image and compose service names are lower case, so
    ``Foo.Bar`` and ``foo-bar`` would be one target, one image. The loader refuses two agents (or
    machines, or families) with one slug, so every renderer may name things by the slug.
    """
    return name.replace(".", "-").lower()


def _no_strings() -> Mapping[str, str]:
    return _EMPTY


@dataclass(frozen=True, kw_only=True, slots=True)
class Project:
    """``[project]``: ``root`` is resolved and a directory, ``python`` a supported ``"3.N"`` (3.10 to 3.14)."""

    name: str
    root: Path
    python: str
    platform: str
    source_roots: tuple[str, ...]
    constraints: Path | None
    max_file_mb: float = 10.0  # the scan reads no source file larger than this
    repository_hints: bool = True  # hand-written requirement files answer imports and give version ranges


@dataclass(frozen=True, kw_only=True, slots=True)
class Layers:
    """``[layers]``: the bound on unused bytes per service image, and the size-drift tolerance."""

    max_unused_mb: float = 100.0
    size_tolerance: float = 0.05
    max_derived: int = 4  # layers the plan may add on top of a family for the agents sharing a heavy stack

    @property
    def max_unused_bytes(self) -> int:
        return int(self.max_unused_mb * 1_000_000)


@dataclass(frozen=True, kw_only=True, slots=True)
class Policy:
    """What each import kind contributes to an agent's requirements: ``include`` or ``exclude``."""

    optional: Inclusion = "exclude"
    lazy: Inclusion = "include"
    type_only: Inclusion = "exclude"


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditIgnore:
    """One ``[[audit.ignore]]`` entry: an advisory ID (or an alias of it) accepted until ``until``, for ``reason``."""

    id: str
    reason: str
    until: datetime.date


@dataclass(frozen=True, kw_only=True, slots=True)
class Audit:
    """``[audit]``: the OSV service (None: the public one), the severity that fails, the accepted advisories."""

    url: str | None = None
    fail_on: Severity = "high"
    ignore: tuple[AuditIgnore, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Ci:
    """``[ci]``: the generated workflow's runner, the image-scan severity that fails, remote BuildKit builders."""

    runner: str = "ubuntu-latest"
    image_scan_fail_on: Severity = "high"
    remote_builder: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Machine:
    """``[machines.NAME]``: a host the agents run on, with its environment defaults."""

    name: str
    description: str = ""
    cuda_arch: str | None = None
    env: Mapping[str, str] = field(default_factory=_no_strings)
    notes: str = ""
    network: Network = "host"

    @property
    def environment(self) -> Mapping[str, str]:
        """The machine's environment defaults, ``TORCH_CUDA_ARCH_LIST`` included."""
        merged = dict(self.env)
        if self.cuda_arch is not None:
            merged["TORCH_CUDA_ARCH_LIST"] = self.cuda_arch
        return types.MappingProxyType(dict(sorted(merged.items())))


@dataclass(frozen=True, kw_only=True, slots=True)
class Family:
    """``[families.NAME]``: a base image; exactly one of ``from_image`` and ``extends`` is set."""

    name: str
    from_image: str | None = None
    extends: str | None = None
    machine: str | None = None
    tag: str = ""
    apt: tuple[str, ...] = ()
    build_apt: tuple[str, ...] = ()  # only in the build-wheels stage that compiles sdist-only releases
    gpu: bool = False
    display: bool = False
    indexes: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    description: str = ""
    notes: str = ""
    uncertain: Mapping[str, str] = field(default_factory=_no_strings)
    always: tuple[str, ...] = ()  # distributions always baked into this family's layer
    never: tuple[str, ...] = ()  # distributions never baked into it
    base_mb: float = 0.0  # size of the `from` image on disk, when known (0: not counted)
    cuda: str | None = None  # the CUDA version its wheels are built for ("12.1"); None: guessed from the image
    accept_cuda_mismatch: str = ""  # why locked CUDA wheels may disagree with ``cuda`` (a warning, not an error)


@dataclass(frozen=True, kw_only=True, slots=True)
class Resources:
    """``agents.*.resources``: compose ``deploy.resources`` of the service, as agents.toml spells them.

    ``cpus`` is a decimal number of CPUs (``"1.5"``), ``memory`` a byte count with a unit (``"4g"``),
    ``gpus`` ``"all"`` or a count (``"1"``), only on an agent of a GPU family; None: no limit set."""

    cpus: str | None = None
    memory: str | None = None
    gpus: str | None = None

    @property
    def limits(self) -> bool:
        return self.cpus is not None or self.memory is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class Agent:
    """``[agents.NAME]``: one service; ``health`` is ``"tcp"``, ``"grpc"`` or ``"http:/path"`` (an open set).

    ``workdir`` is a directory relative to the project root (the container's working directory is the
    image's copy of it); ``env`` the service's own environment (compose ``environment``);
    ``resources`` its compose limits; ``data_writable`` whether its ``/app/data`` volume is mounted
    writable (by default read-only).
    """

    name: str
    entrypoint: str
    machines: tuple[str, ...]
    family: str
    ports: tuple[int, ...] = ()
    health_port: int | None = None
    health: str = "tcp"
    needs: tuple[Need, ...] = ()
    python: str | None = None
    cmd: tuple[str, ...] | None = None
    files: tuple[str, ...] = ()
    extra_requirements: tuple[str, ...] = ()
    include_optional: tuple[str, ...] = ()
    ignore_imports: tuple[str, ...] = ()
    # modules a host loads by computed name (plugins, entry points): walked as lazily imported; `*` is one part
    entry_modules: tuple[str, ...] = ()
    # module -> why it may stay unresolved (a removed legacy module, a file generated at build time)
    accept_unresolved: Mapping[str, str] = field(default_factory=_no_strings)
    mapping: Mapping[str, str] = field(default_factory=_no_strings)
    requirements: tuple[str, ...] = ()
    docker_socket: bool = False
    notes: str = ""
    uncertain: Mapping[str, str] = field(default_factory=_no_strings)
    workdir: str | None = None
    env: Mapping[str, str] = field(default_factory=_no_strings)
    resources: Resources = Resources()
    data_writable: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Fleet:
    """The whole validated manifest. ``path`` is the agents.toml it came from."""

    path: Path
    project: Project
    policy: Policy
    layers: Layers
    mapping: Mapping[str, str]
    machines: Mapping[str, Machine]
    families: Mapping[str, Family]
    agents: Mapping[str, Agent]
    audit: Audit = Audit()
    ci: Ci = Ci()

    def agent(self, name: str) -> Agent:
        """The agent called ``name``; a :class:`DepminError` with a suggestion otherwise."""
        try:
            return self.agents[name]
        except KeyError:
            hint = did_you_mean(name, self.agents)
            message = f"no agent named {name!r}{hint}; `depmin fleet` lists the agents"
            raise ConfigError([Problem(self.path.name, message)]) from None

    def family_chain(self, name: str) -> tuple[Family, ...]:
        """The family and its ancestors, root first: ``cpu, cpu-web`` for ``cpu-web``."""
        chain: list[Family] = []
        current: str | None = name
        while current is not None:
            family = self.families[current]
            chain.append(family)
            current = family.extends
        return tuple(reversed(chain))

    def has_gpu(self, family: str) -> bool:
        """Whether images of the family get a GPU: ``gpu = true`` on it or on one of its ancestors."""
        return any(member.gpu for member in self.family_chain(family))

    def base_image(self, family: str) -> str:
        """The image the family's chain starts ``from``."""
        root = self.family_chain(family)[0]
        assert root.from_image is not None  # guaranteed by validation
        return root.from_image

    def cuda_setting(self, family: str) -> tuple[Family, str] | None:
        """The family of the chain that declares ``cuda`` (the nearest to ``family``) and its value."""
        for member in reversed(self.family_chain(family)):
            if member.cuda is not None:
                return member, member.cuda
        return None

    def cuda_acceptance(self, family: str) -> tuple[Family, str] | None:
        """The family of the chain whose ``accept_cuda_mismatch`` applies (the nearest) and its reason."""
        for member in reversed(self.family_chain(family)):
            if member.accept_cuda_mismatch:
                return member, member.accept_cuda_mismatch
        return None

    def apt_packages(self, family: str) -> tuple[str, ...]:
        """Apt packages of the family and its ancestors, in order, without repeats."""
        seen: dict[str, None] = {}
        for member in self.family_chain(family):
            seen.update(dict.fromkeys(member.apt))
        return tuple(seen)

    def target_python(self, agent: Agent) -> str:
        """The Python the agent's requirements and lock are for: its own, else the project's."""
        return agent.python or self.project.python
