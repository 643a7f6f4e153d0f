"""``docker-bake.hcl``: one target per family and per service image, a group per machine.

Every string from agents.toml is an HCL string literal (:func:`~depmin.dockerfiles.escape.hcl_text`:
escapes, ``${`` and ``%{`` doubled) and is checked against the grammar of the place it lands (target
names, image names and tags, the registry), so no value can close a string and add an attribute
(``output``, ``secret``, ``ssh``, ``entitlements``) or a block. Two targets with one name are refused.
Targets whose Dockerfile mounts the ``pip-conf`` secret declare it, read from the file ``PIP_CONF``.

Bake resolves a local file's ``context`` against the directory bake runs in, not against the bake
file, and each ``dockerfile`` against its context. The documented command runs from the directory of
agents.toml (the build context), so every target's context is the variable ``CONTEXT``, default
``"."``; run from elsewhere, ``CONTEXT=/path/to/that/directory`` points bake at it. Names come from
the manifest: the example machine of the header is the fleet's first one, the family images are named
after ``project.name``.
"""

from __future__ import annotations

from collections.abc import Mapping

from depmin._files import MARKER
from depmin.dockerfiles.escape import comment, hcl_string, hcl_text, key, refuse, shown
from depmin.dockerfiles.inputs import (
    PIP_SECRET,
    BuildInputs,
    agent_uses_indexes,
    base_repository,
    checked_registry,
    family_image,
    family_target,
    family_uses_indexes,
    image_name,
    image_tag,
    service_files,
    service_target,
)
from depmin.manifest import Fleet

__all__ = ["bake_file", "family_machines"]

_SECRET = f'  secret = ["id={PIP_SECRET},src=${{PIP_CONF}}"]'


def bake_file(fleet: Fleet, inputs: BuildInputs) -> str:
    """The bake file of the whole fleet; deterministic."""
    targets: list[str] = []
    # target and group name -> the key it came from, to refuse a second one
    owners: dict[str, str] = {"default": "the default group"}
    groups: dict[str, list[str]] = {m: [] for m in fleet.machines}
    for group in sorted(groups):
        _claim(owners, group, key(fleet.path.name, "machines", group), what="group")
    for name in sorted(fleet.families):
        family = fleet.families[name]
        target = _claim(owners, family_target(fleet, name), key(fleet.path.name, "families", name))
        contexts = {} if family.extends is None else _context(fleet, family.extends)
        tag = image_tag(fleet, name)
        secret = family_uses_indexes(fleet, name)
        base = base_repository(fleet)
        targets.append(_target(target, f"dockerfiles/base/{name}.Dockerfile", base, tag, contexts, secret))
        for used_on in family_machines(fleet, name):
            groups[used_on].append(target)
    for agent, machine in service_files(fleet):
        suffix = "" if machine is None else f".{machine}"
        where = key(fleet.path.name, "agents", agent.name)
        target = _claim(owners, service_target(fleet, agent, machine), where)
        dockerfile = f"dockerfiles/agents/{agent.name}{suffix}.Dockerfile"
        image = image_name(fleet, agent, machine)
        secret = agent_uses_indexes(fleet, agent)
        targets.append(_target(target, dockerfile, image, "", _context(fleet, agent.family), secret))
        for m in [machine] if machine else agent.machines:
            groups[m].append(target)
    uses_secret = any(_SECRET in text for text in targets)
    head = _head(checked_registry(inputs), uses_secret, min(fleet.machines, default="default"))
    return "\n".join([*head, *targets, *_groups(groups)]) + "\n"


def _head(registry: str, uses_secret: bool, machine: str) -> list[str]:
    # staleness.bake_registry reads the registry back from exactly this `variable "REGISTRY"` block.
    lines = [
        f"# {MARKER} from agents.toml. Do not edit: run `depmin dockerfiles`.",
        "# From the directory of agents.toml (the build context), one machine's images:",
        f"#   docker buildx bake -f dockerfiles/docker-bake.hcl {comment(machine)}",
        "# From elsewhere, give that directory: CONTEXT=/path/to/it docker buildx bake -f ...",
        "",
        f'variable "REGISTRY" {{\n  default = {hcl_string(registry)}\n}}',
        'variable "TAG" {\n  default = "latest"\n}',
        'variable "CONTEXT" {\n  default = "."\n}',
    ]
    if uses_secret:
        lines += [
            "# The pip.conf naming the private indexes (with their credentials): PIP_CONF=/path/to/pip.conf",
            'variable "PIP_CONF" {\n  default = "pip.conf"\n}',
        ]
    return [*lines, ""]


def _claim(owners: dict[str, str], target: str, where: str, *, what: str = "target") -> str:
    if target in owners:
        refuse(where, f"its bake {what} {shown(target)} is also the name of {owners[target]}; rename one of them")
    owners[target] = where
    return target


def _context(fleet: Fleet, family: str) -> dict[str, str]:
    return {family_image(fleet, family): f"target:{family_target(fleet, family)}"}


def _target(name: str, dockerfile: str, image: str, tag: str, contexts: Mapping[str, str], secret: bool) -> str:
    ref = f"${{REGISTRY}}/{hcl_text(image)}"
    body = [
        f"target {hcl_string(name)} {{",
        '  context = "${CONTEXT}"',
        f"  dockerfile = {hcl_string(dockerfile)}",
        f'  tags = ["{ref}:{hcl_text(tag) if tag else "${TAG}"}"]',
        f'  cache-from = ["type=registry,ref={ref}:buildcache-{hcl_text(name)}"]',
        f'  cache-to = ["type=registry,ref={ref}:buildcache-{hcl_text(name)},mode=max"]',
    ]
    if contexts:
        pairs = ", ".join(f"{hcl_string(k)} = {hcl_string(v)}" for k, v in sorted(contexts.items()))
        body.append(f"  contexts = {{ {pairs} }}")
    if secret:
        body.append(_SECRET)
    body.append("}\n")
    return "\n".join(body)


def _groups(groups: Mapping[str, list[str]]) -> list[str]:
    lines = []
    for machine, targets in sorted(groups.items()):
        listed = ", ".join(hcl_string(t) for t in targets)
        lines.append(f"group {hcl_string(machine)} {{\n  targets = [{listed}]\n}}\n")
    listed = ", ".join(hcl_string(m) for m in sorted(groups))
    lines.append(f'group "default" {{\n  targets = [{listed}]\n}}')
    return lines


def family_machines(fleet: Fleet, family: str) -> list[str]:
    machines = {
        m for a in fleet.agents.values() if family in [f.name for f in fleet.family_chain(a.family)] for m in a.machines
    }
    return sorted(machines)
