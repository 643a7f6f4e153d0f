"""The checks that need more than one table: references, family chains, paths under the root, ports,
and generated names that two tables would share.

Private to :mod:`depmin.manifest`. Each check is linear in the size of the fleet (a 1 MiB
agents.toml of tens of thousands of families or agents is checked in well under a second).
"""

from __future__ import annotations

from collections.abc import Mapping

from depmin.manifest.grammar import check_name, shown
from depmin.manifest.model import Agent, Family, Fleet, slug
from depmin.manifest.paths import ROOT, Want, check_path
from depmin.manifest.schema import Checker, KeyPath, did_you_mean

__all__ = ["MAX_CHAIN", "cross_check"]

MAX_CHAIN = 16  # families a chain of `extends` may hold: every image build repeats the chain


def cross_check(check: Checker, fleet: Fleet) -> None:
    """Record every problem that references, chains, paths, ports or generated names have."""
    for family in fleet.families.values():
        _check_family_refs(check, fleet, family)
    _check_chains(check, fleet.families)
    for agent in fleet.agents.values():
        _check_agent_refs(check, fleet, agent)
        _check_agent_paths(check, fleet, agent)
    _check_ports(check, fleet)
    _check_bake_targets(check, fleet)
    _check_gpus(check, fleet)


def _unknown(kind: str, value: str, known: Mapping[str, object]) -> str:
    """The message for a reference to a ``kind`` that is not defined."""
    if check_name(value) is not None:
        return f"unknown {kind} {shown(value)}, which is not a valid name; fix the name"
    hint = did_you_mean(value, known)
    return f"unknown {kind} {value!r}{hint}; define [{kind}s.{value}] or fix the name"


def _check_family_refs(check: Checker, fleet: Fleet, family: Family) -> None:
    where = ("families", family.name)
    if family.machine is not None and family.machine not in fleet.machines:
        check.error((*where, "machine"), _unknown("machine", family.machine, fleet.machines))
    if family.extends is not None and family.extends not in fleet.families:
        if check_name(family.extends) is not None:
            check.error((*where, "extends"), f"extends {shown(family.extends)}, which is not a valid name; fix it")
        else:
            hint = did_you_mean(family.extends, fleet.families)
            check.error(
                (*where, "extends"),
                f"extends unknown family {family.extends!r}{hint}; define [families.{family.extends}]",
            )


def _check_chains(check: Checker, families: Mapping[str, Family]) -> None:
    """Each family's chain of ``extends``: no cycle, at most :data:`MAX_CHAIN` long (linear overall)."""
    depth: dict[str, int] = {}  # a family's chain length, once known; -1 on a cycle
    for name in sorted(families):
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = name
        while current is not None and current in families and current not in depth and current not in on_path:
            path.append(current)
            on_path.add(current)
            current = families[current].extends
        if current is not None and current in on_path:
            cycle = path[path.index(current) :]
            for index, member in enumerate(cycle):
                check.error(
                    ("families", member, "extends"),
                    f"families extend each other in a cycle ({_cycle(cycle, index)}); one of them must use `from`",
                )
                depth[member] = -1
            path = path[: path.index(current)]
        below = 0 if current is None or current not in families else depth.get(current, 0)
        for member in reversed(path):
            below = -1 if below < 0 else below + 1
            depth[member] = below
            if below > MAX_CHAIN and depth.get(families[member].extends or "", 0) <= MAX_CHAIN:
                check.error(
                    ("families", member, "extends"),
                    f"its chain of `extends` holds {below} families, more than {MAX_CHAIN}; "
                    "start one of them `from` an image",
                )


def _cycle(cycle: list[str], start: int) -> str:
    """``a -> b -> a`` from ``cycle[start]``; a long cycle is cut, so messages stay short."""
    if len(cycle) <= 5:
        members = [*cycle[start:], *cycle[:start], cycle[start]]
    else:  # only the names shown are taken: the whole rotation per member would be quadratic
        first = [cycle[(start + offset) % len(cycle)] for offset in range(3)]
        members = [*first, f"... ({len(cycle)} families)", cycle[start]]
    return " -> ".join(members)


def _check_agent_refs(check: Checker, fleet: Fleet, agent: Agent) -> None:
    where = ("agents", agent.name)
    if agent.family not in fleet.families:
        if check_name(agent.family) is not None:
            check.error((*where, "family"), f"unknown family {shown(agent.family)}, which is not a valid name; fix it")
        else:
            hint = did_you_mean(agent.family, fleet.families)
            check.error(
                (*where, "family"),
                f"unknown family {agent.family!r}{hint}; define [families.{agent.family}] or fix the name",
            )
    if not agent.machines:
        check.error((*where, "machines"), "no machine given; list at least one of the [machines] tables")
    for machine in dict.fromkeys(agent.machines):
        if machine not in fleet.machines:
            check.error((*where, "machines"), _unknown("machine", machine, fleet.machines))
    if len(set(agent.machines)) != len(agent.machines):
        check.error((*where, "machines"), "a machine is listed twice; remove one")


def _check_agent_paths(check: Checker, fleet: Fleet, agent: Agent) -> None:
    where = ("agents", agent.name)
    _check_under_root(check, fleet, agent.entrypoint, (*where, "entrypoint"), "file")
    for index, extra in enumerate(agent.files):
        _check_under_root(check, fleet, extra, (*where, "files", str(index)), "exists")
    for index, requirement in enumerate(agent.requirements):
        _check_under_root(check, fleet, requirement, (*where, "requirements", str(index)), "file")
    if agent.workdir is not None:
        _check_under_root(check, fleet, agent.workdir, (*where, "workdir"), "directory")


def _check_under_root(check: Checker, fleet: Fleet, text: str, where: KeyPath, want: Want) -> None:
    problem = check_path(text, base=fleet.project.root, within=ROOT, want=want)
    if problem is not None:
        check.error(where, problem)


def _check_ports(check: Checker, fleet: Fleet) -> None:
    """No two agents use one port on one host-network machine; on a bridge machine each service has its
    own network namespace, so only one agent's own ports must differ (its ``ports`` list has no repeat).
    An agent's ``health_port`` may be one of its own ``ports`` (one HTTP port serving ``/healthz``)."""
    owners: dict[tuple[str, int], str] = {}
    for agent in fleet.agents.values():
        uses = [(port, "ports") for port in agent.ports]
        if agent.health_port is not None and agent.health_port not in agent.ports:
            uses.append((agent.health_port, "health_port"))
        for machine in dict.fromkeys(agent.machines):
            if machine not in fleet.machines or fleet.machines[machine].network != "host":
                continue
            for port, key in uses:
                first = owners.setdefault((machine, port), agent.name)
                if first != agent.name:
                    owner = f"agents.{first}.{'ports' if port in fleet.agents[first].ports else 'health_port'}"
                    check.error(
                        ("agents", agent.name, key),
                        f"port {port} on {machine} is already used by {owner}; choose a free port "
                        f'(or give {machine} network = "bridge" if each service has its own network namespace)',
                    )


def _check_bake_targets(check: Checker, fleet: Fleet) -> None:
    """No agent's bake target is a family's (``family-<family>``) or another agent's per-machine one
    (``<agent>-<machine>``, for an agent on several machines), once names are slugged."""
    taken: dict[str, str] = {f"family-{slug(name)}": f"families.{name}" for name in fleet.families}
    for agent in fleet.agents.values():
        if len(agent.machines) > 1:
            for machine in agent.machines:
                taken.setdefault(f"{slug(agent.name)}-{slug(machine)}", f"agents.{agent.name} on {machine}")
    for agent in fleet.agents.values():
        owner = taken.get(slug(agent.name))
        if owner is not None:
            check.error(
                ("agents", agent.name),
                f"the bake target and image name {slug(agent.name)!r} is also the one of {owner}; rename the agent",
            )


def _check_gpus(check: Checker, fleet: Fleet) -> None:
    """``resources.gpus`` only where the image gets a GPU: an agent of a family whose chain has ``gpu = true``."""
    for agent in fleet.agents.values():
        if agent.resources.gpus is not None and not _chain_has_gpu(fleet.families, agent.family):
            check.error(
                ("agents", agent.name, "resources", "gpus"),
                f"family {agent.family!r} has no GPU (no gpu = true in its chain); remove gpus or move the agent "
                "to a GPU family",
            )


def _chain_has_gpu(families: Mapping[str, Family], name: str) -> bool:
    """Like :meth:`Fleet.has_gpu`, but safe on a chain with a cycle or an unknown family (reported elsewhere)."""
    seen: set[str] = set()
    current: str | None = name
    while current is not None and current in families and current not in seen:
        seen.add(current)
        if families[current].gpu:
            return True
        current = families[current].extends
    return False
