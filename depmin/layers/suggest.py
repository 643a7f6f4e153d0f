"""``depmin plan --suggest-families``: sub-families that would save bytes, clustered from the locks.

For each family of four or more agents, the agents are linked by the bytes their locks share beyond
the family's own layers, clustered (networkx modularity communities), and each cluster of two or more
is tried as a new family extending the old one: a suggestion is kept when the re-made plan stores
fewer bytes on some machine. agents.toml is never changed.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from depmin._names import NormalizedName
from depmin.layers.plan import Package, plan_tree
from depmin.manifest import Family, Fleet

__all__ = ["Suggestion", "suggest_families"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Suggestion:
    """A family depmin proposes (``depmin plan --suggest-families``), never written to agents.toml."""

    name: str
    extends: str
    agents: tuple[str, ...]
    packages: tuple[NormalizedName, ...]  # what the plan would bake into it
    saved: Mapping[str, int]  # machine -> bytes saved against the current plan


def suggest_families(fleet: Fleet, locks: Mapping[str, Mapping[NormalizedName, Package]]) -> tuple[Suggestion, ...]:
    """Cluster each family's agents by the bytes their locks share beyond the family's layers
    (networkx modularity communities) and propose a sub-family per cluster, with the bytes the
    plan would save per machine if agents.toml had it."""
    import networkx as nx  # noqa: PLC0415 - slow to import; only this command needs it

    current = plan_tree(fleet, locks)  # the declared tree: derived layers are what this proposes
    suggestions: list[Suggestion] = []
    for family in sorted(fleet.families):
        members = sorted(a for a, spec in fleet.agents.items() if spec.family == family and a in locks)
        if len(members) < 4:
            continue
        baked = {n for f in fleet.family_chain(family) for n in current.family_set(f.name)}
        graph = nx.Graph()
        graph.add_nodes_from(members)
        for i, left in enumerate(members):
            for right in members[i + 1 :]:
                shared = (set(locks[left]) & set(locks[right])) - baked
                weight = sum(locks[left][n].size for n in shared)
                if weight > 0:
                    graph.add_edge(left, right, weight=weight)
        clusters = nx.community.greedy_modularity_communities(graph, weight="weight") if graph.number_of_edges() else []
        for index, cluster in enumerate(sorted((sorted(c) for c in clusters if len(c) >= 2), key=lambda c: c[0])):
            name = f"{family}-{index + 1}"
            trial = _with_family(fleet, name, family, cluster)
            proposed = plan_tree(trial, locks)
            saved = {
                m.machine: b.planned - m.planned
                for m, b in zip(proposed.machines, current.machines, strict=True)
                if b.planned - m.planned
            }
            if sum(saved.values()) > 0:
                suggestions.append(
                    Suggestion(
                        name=name,
                        extends=family,
                        agents=tuple(cluster),
                        packages=proposed.family_set(name),
                        saved=saved,
                    )
                )
    return tuple(suggestions)


def _with_family(fleet: Fleet, name: str, parent: str, agents: Iterable[str]) -> Fleet:
    """``fleet`` with a new family ``name`` extending ``parent`` and ``agents`` moved into it."""
    chosen = set(agents)
    families = {**fleet.families, name: Family(name=name, extends=parent, tag=name)}
    moved = {
        agent_name: replace(spec, family=name) if agent_name in chosen else spec
        for agent_name, spec in fleet.agents.items()
    }
    return replace(fleet, families=types.MappingProxyType(families), agents=types.MappingProxyType(moved))
