"""What rendering needs besides the fleet and the plan, and the names every renderer shares.

:class:`BuildInputs` carries each agent's first-party files, each family's run-time apt packages, the
project root inside the build context and the registry. The functions here name things the same way
in every file: family images, bake targets, service images, the service files of each agent, and
whether a family or an agent reaches a private index (through the ``pip-conf`` build secret).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from depmin._secrets import has_credentials
from depmin.dockerfiles.escape import bake_name, image_ref, key, refuse, registry_problem, shown
from depmin.manifest import Agent, Family, Fleet, slug
from depmin.manifest.grammar import OCI_PATH_COMPONENT, OCI_TAG

__all__ = [
    "DEFAULT_REGISTRY",
    "IMAGE_PREFIX",
    "IMAGE_TAG",
    "PIP_SECRET",
    "BuildInputs",
    "agent_pip_sources",
    "agent_uses_indexes",
    "base_repository",
    "checked_registry",
    "family_image",
    "family_pip_sources",
    "family_target",
    "family_uses_indexes",
    "image_name",
    "image_tag",
    "project_slug",
    "service_files",
    "service_target",
]

DEFAULT_REGISTRY = "ghcr.io/your-org"  # a placeholder users replace: images are pushed as REGISTRY/name:TAG
IMAGE_PREFIX = "depmin/family-"
IMAGE_TAG = ":current"  # a local name bake (named contexts) and buildah (local tags) both resolve
PIP_SECRET = "pip-conf"  # the build secret holding the pip.conf that names the private indexes

# An OCI repository path component and a tag (distribution/reference): what image names must be, by
# the manifest's own grammar (checked again here: a Fleet built in code skips the loader).
_REPOSITORY = re.compile(OCI_PATH_COMPONENT)
_TAG = re.compile(OCI_TAG)


@dataclass(frozen=True, kw_only=True, slots=True)
class BuildInputs:
    """What rendering needs besides the fleet and the plan."""

    files: Mapping[str, tuple[str, ...]]  # agent -> first-party files of its closure (root-relative)
    apt: Mapping[str, tuple[str, ...]]  # family -> run-time apt packages its own distributions need
    root: str  # the project root relative to the build context ("examples/ai_system")
    registry: str = DEFAULT_REGISTRY
    # agent -> the ``name==version`` pins of its service lock that have only an sdist for the target:
    # its Dockerfile builds the lock's wheels in a stage with a compiler (``build-wheels``).
    sdists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def checked_registry(inputs: BuildInputs) -> str:
    """The registry, refused (exit 2, naming ``--registry``) unless it is ``host[:port][/path]``."""
    problem = registry_problem(inputs.registry)
    if problem is not None:
        refuse("--registry", problem)
    return inputs.registry


def project_slug(fleet: Fleet) -> str:
    """``project.name`` as a name component of generated names (compose projects, base images): lower
    case letters and digits joined by single dashes (``ai_system`` is ``ai-system``); ``depmin`` when
    nothing is left."""
    words = re.findall(r"[a-z0-9]+", fleet.project.name.lower())
    return "-".join(words)[:40].strip("-") or "depmin"


def base_repository(fleet: Fleet) -> str:
    """The registry repository every family image is pushed to, ``<project slug>-base``: bake tags and the
    CI workflow's scan and publish steps both name it from here."""
    return f"{project_slug(fleet)}-base"


def family_image(fleet: Fleet, family: str) -> str:
    """The local name of a family image, ``depmin/family-<slug>:current``: one ``FROM`` token (an image
    repository is lower case, so the slug of :func:`depmin.manifest.slug`, unique across families)."""
    return image_ref(f"{IMAGE_PREFIX}{slug(family)}{IMAGE_TAG}", key(fleet.path.name, "families", family))


def family_target(fleet: Fleet, family: str) -> str:
    """The bake target of a family: ``family-<slug>`` (:func:`depmin.manifest.slug`)."""
    return bake_name(f"family-{slug(family)}", key(fleet.path.name, "families", family))


def service_target(fleet: Fleet, agent: Agent, machine: str | None) -> str:
    """The bake target of an agent's image, its slug (``<agent>-<machine>`` when it has one file per
    machine); bake_file refuses two with one name, whatever the manifest checked."""
    name = agent.name if machine is None else f"{agent.name}.{machine}"
    return bake_name(slug(name), key(fleet.path.name, "agents", agent.name))


def image_name(fleet: Fleet, agent: Agent, machine: str | None) -> str:
    """The repository of an agent's image under the registry: its name lower-cased (``.machine``)."""
    name = (agent.name if machine is None else f"{agent.name}.{machine}").lower()
    if not _REPOSITORY.fullmatch(name):
        refuse(
            key(fleet.path.name, "agents", agent.name),
            f"{shown(name)} cannot be an image name (lower-case letters and digits joined by '.', '_' or '-'); "
            "rename the agent or the machine",
        )
    return name


def image_tag(fleet: Fleet, family: str) -> str:
    """A family's ``tag`` ("" when it has none), refused unless it is an image tag (it lands in bake
    and cache references)."""
    tag = fleet.families[family].tag
    if tag and not _TAG.fullmatch(tag):
        refuse(
            key(fleet.path.name, "families", family, "tag"),
            f"{shown(tag)} is not an image tag; use at most 128 letters, digits, '_', '.' and '-' (not first)",
        )
    return tag


def service_files(fleet: Fleet) -> list[tuple[Agent, str | None]]:
    """One Dockerfile per agent; one per machine when its machines' settings differ."""
    out: list[tuple[Agent, str | None]] = []
    for agent in sorted(fleet.agents.values(), key=lambda a: a.name):
        envs = {json.dumps(dict(fleet.machines[m].environment), sort_keys=True) for m in agent.machines}
        if len(envs) > 1:
            out.extend((agent, machine) for machine in agent.machines)
        else:
            out.append((agent, None))
    return out


def _family_members(fleet: Fleet, family: str) -> list[Family]:
    """The families whose indexes a family's layer was locked with: the chains of every family built on it."""
    built_on = [name for name in fleet.families if family in {f.name for f in fleet.family_chain(name)}]
    return [member for name in built_on for member in fleet.family_chain(name)]


def _sources(members: list[Family]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The indexes and find-links of ``members``, each once, in order."""
    indexes = tuple(dict.fromkeys(url for member in members for url in member.indexes))
    links = tuple(dict.fromkeys(link for member in members for link in member.find_links))
    return indexes, links


def _needs_secret(members: list[Family]) -> bool:
    indexes, links = _sources(members)
    return any(has_credentials(url) for url in (*indexes, *links))


def family_uses_indexes(fleet: Fleet, family: str) -> bool:
    """Whether installing the family's lock needs the ``pip-conf`` secret: an index or find-links URL
    with credentials in the chain of a family built on it (the layer holds their agents' packages)."""
    return _needs_secret(_family_members(fleet, family))


def agent_uses_indexes(fleet: Fleet, agent: Agent) -> bool:
    """Whether an agent's delta lock needs the ``pip-conf`` secret (credentials in its family chain)."""
    return _needs_secret(list(fleet.family_chain(agent.family)))


def family_pip_sources(fleet: Fleet, family: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The indexes and find-links the family's lock was resolved with."""
    return _sources(_family_members(fleet, family))


def agent_pip_sources(fleet: Fleet, agent: Agent) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The indexes and find-links the agent's delta lock was resolved with."""
    return _sources(list(fleet.family_chain(agent.family)))
