"""Derived layers: a heavy stack shared by some, not all, agents of a family gets its own layer.

The bound on unused bytes keeps torch out of ``gpu-ada`` when most of its agents do not import it, so
each torch user would install its own CUDA stack. A derived layer ``gpu-ada-torch`` extends
``gpu-ada`` and only the agents that lock torch build on it. Candidates come from the plan's own
refusals (a distribution kept out of a family because of its non-users); they are scored by how many
images share them times their stored size (the "popularity contest" of Nix's layered images), and
the best ones are tried as a family of the agents that lock them. A candidate is kept when the
re-made plan stores fewer bytes on some machine and not more on any, up to
``[layers].max_derived`` derived layers. agents.toml is never changed: the derived families exist
only in the plan and its files (``locks/_families/<derived>/requirements.lock``, ``extends`` in
plan.json).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from depmin._names import NormalizedName
from depmin.manifest import Family, Fleet

if TYPE_CHECKING:
    from depmin.layers.plan import Package, Plan

__all__ = ["Copies", "derive", "planned_fleet", "with_copies"]

_TRIED = 6  # candidates re-planned per round: each costs one plan of the fleet
_REASONS = ("unused", "more bytes", "on ")  # refusals caused by the family's non-users


@dataclass(frozen=True, kw_only=True, slots=True)
class _Candidate:
    parent: str
    anchor: NormalizedName
    agents: tuple[str, ...]
    score: int
    adopts: tuple[str, ...] = ()  # derived layers of ``parent`` that move on top of this one


Planner = Callable[[Fleet, Mapping[str, Mapping[NormalizedName, "Package"]]], "Plan"]


def derive(fleet: Fleet, locks: Mapping[str, Mapping[NormalizedName, Package]], planner: Planner) -> Plan:
    """The plan of ``planner`` with up to ``[layers].max_derived`` derived layers that save bytes."""
    current_fleet, current = fleet, planner(fleet, locks)
    made: dict[str, _Candidate] = {}
    for _ in range(fleet.layers.max_derived):
        best: tuple[int, Fleet, Plan, str, _Candidate] | None = None
        for candidate in _candidates(current_fleet, current, locks, made)[:_TRIED]:
            name = _name(current_fleet, candidate)
            trial_fleet = _with_family(current_fleet, name, candidate.parent, candidate.agents, candidate.adopts)
            trial = planner(trial_fleet, locks)
            gain = _gain(current, trial)
            # At equal gain the layer for fewer agents: the others stay free for another layer.
            if gain > 0 and (best is None or (gain, -len(candidate.agents)) > (best[0], -len(best[4].agents))):
                best = (gain, trial_fleet, trial, name, candidate)
        if best is None:
            break
        _, current_fleet, current, name, candidate = best
        made[name] = candidate
    return _mark(current, made, locks)


def _candidates(
    fleet: Fleet, plan: Plan, locks: Mapping[str, Mapping[NormalizedName, Package]], made: Collection[str] = ()
) -> list[_Candidate]:
    found: dict[tuple[str, tuple[str, ...], tuple[str, ...]], _Candidate] = {}
    for anchor, decisions in plan.decisions.items():
        for decision in decisions:
            if decision.chosen or not any(reason in decision.reason for reason in _REASONS):
                continue
            direct = [a for a, spec in fleet.agents.items() if spec.family == decision.family and a in locks]
            users = tuple(sorted(a for a in direct if anchor in locks[a]))
            # Every direct agent may lock it while a derived layer's agents below the family do not:
            # the users then get a layer beside that one.
            below = _agents_below(fleet, locks, decision.family)
            reach = [a for a in below if anchor in locks[a]]
            if len(reach) >= 2 and len(reach) < len(below):
                # Users below the family, some on derived layers of it: a layer between the family and
                # those layers shares the distribution with them too (pyzmq under gpu-ada-torch).
                adopts = tuple(
                    f
                    for f in sorted(made)
                    if fleet.families[f].extends == decision.family
                    and set(on := _agents_below(fleet, locks, f)) <= set(reach)
                    and on
                )
                if adopts:
                    size = max(locks[a][anchor].stored for a in reach)
                    key = (decision.family, users, adopts)
                    candidate = _Candidate(
                        parent=decision.family, anchor=anchor, agents=users, score=len(reach) * size, adopts=adopts
                    )
                    if key not in found or candidate.score > found[key].score:
                        found[key] = candidate
            if len(users) < 2 or len(users) == len(below):
                continue
            size = max(locks[a][anchor].stored for a in users)
            # The users on one machine too: a layer the other machines' users do not share leaves
            # them free to share another stack (pydantic on PC2, torch on MainPC, one family).
            by_machines: dict[tuple[str, ...], list[str]] = {}
            for agent in users:
                by_machines.setdefault(fleet.agents[agent].machines, []).append(agent)
            groups = {users} | {tuple(g) for g in by_machines.values() if len(g) >= 2}
            for group in sorted(groups):
                candidate = _Candidate(parent=decision.family, anchor=anchor, agents=group, score=len(group) * size)
                key = (decision.family, group, ())
                if key not in found or candidate.score > found[key].score:
                    found[key] = candidate
    return sorted(found.values(), key=lambda c: (-c.score, c.parent, c.anchor))


def _agents_below(fleet: Fleet, locks: Mapping[str, object], family: str) -> list[str]:
    return [a for a, spec in fleet.agents.items() if a in locks and family in _chain(fleet, spec.family)]


def _chain(fleet: Fleet, family: str) -> set[str]:
    return {f.name for f in fleet.family_chain(family)}


def _gain(before: Plan, after: Plan) -> int:
    """Bytes saved over all machines, or 0 when any machine would store more."""
    pairs = list(zip(before.machines, after.machines, strict=True))
    if any(a.planned_installed > b.planned_installed for b, a in pairs):
        return 0
    return sum(b.planned_installed - a.planned_installed for b, a in pairs)


def _name(fleet: Fleet, candidate: _Candidate) -> str:
    return _free(f"{candidate.parent}-{candidate.anchor}", fleet.families)


def _free(base: str, taken: Collection[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` ... the first that is not a family yet."""
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    return name


def _with_family(fleet: Fleet, name: str, parent: str, agents: Iterable[str], adopts: Iterable[str] = ()) -> Fleet:
    """``fleet`` with a family ``name`` extending ``parent``, ``agents`` moved into it and the families
    ``adopts`` moved on top of it."""
    family = Family(name=name, extends=parent, tag=name, machine=fleet.families[parent].machine)
    return _adding(fleet, family, agents, adopts)


def _adding(fleet: Fleet, family: Family, agents: Iterable[str], adopts: Iterable[str] = ()) -> Fleet:
    """``fleet`` with ``family``, ``agents`` moved into it and the families ``adopts`` on top of it."""
    chosen = set(agents)
    families = {**fleet.families, family.name: family}
    families.update({f: replace(families[f], extends=family.name) for f in adopts})
    moved = {a: replace(spec, family=family.name) if a in chosen else spec for a, spec in fleet.agents.items()}
    return replace(fleet, families=types.MappingProxyType(families), agents=types.MappingProxyType(moved))


def _mark(plan: Plan, made: Mapping[str, _Candidate], locks: Mapping[str, Mapping[NormalizedName, Package]]) -> Plan:
    """Flag the derived layers in ``plan`` and say in its notes why each exists."""
    if not made:
        return plan
    families = tuple(
        replace(layer, derived=True, agents=made[layer.family].agents) if layer.family in made else layer
        for layer in plan.families
    )
    parents = {layer.family: layer.extends for layer in plan.families}
    notes = [
        f"derived layer {name} on top of {parents.get(name) or c.parent}: {c.anchor} and what they share, "
        f"for the {len(c.agents)} agents of {c.parent} that lock it ({', '.join(c.agents) or '-'})"
        + (f" and the derived layers {', '.join(c.adopts)}, now on top of it" if c.adopts else "")
        + f"; the others stay on {c.parent}"
        for name, c in sorted(made.items())
    ]
    return replace(plan, families=families, notes=tuple(sorted({*plan.notes, *notes})))


def planned_fleet(fleet: Fleet, plan: Plan) -> Fleet:
    """``fleet`` with the plan's derived layers as families and their agents moved onto them: what a
    renderer builds (a derived family's lock is ``locks/_families/<name>/requirements.lock``, its
    parent ``extends``; each agent's ``service.lock`` is relative to the layer it is on). A copy of a
    family for one machine (``copy_of``) keeps the family's settings; a family on top of a copied one
    extends the copy on that machine, as the plan's ``extends`` says."""
    derived = sorted(
        (f for f in plan.families if f.derived),
        key=lambda f: (len(plan_chain(plan, f.family)), f.copy_of is not None, f.family),
    )
    for layer in derived:
        if layer.family in fleet.families:
            continue
        if layer.copy_of is not None and layer.copy_of in fleet.families:
            fleet = _adding(fleet, _copy(fleet.families[layer.copy_of], layer.family, layer.extends), layer.agents)
        elif layer.extends is not None:
            fleet = _with_family(fleet, layer.family, layer.extends, layer.agents)
    moved = {
        f.family: replace(fleet.families[f.family], extends=f.extends)
        for f in plan.families
        if f.family in fleet.families
        and fleet.families[f.family].extends != f.extends
        and (f.extends is None or f.extends in fleet.families)
    }
    if moved:
        fleet = replace(fleet, families=types.MappingProxyType({**fleet.families, **moved}))
    return fleet


@dataclass(frozen=True, kw_only=True, slots=True)
class Copies:
    """:func:`with_copies`' fleet, which copy stands for which family on which machine, and the
    agents each copy carries."""

    fleet: Fleet
    copies: Mapping[tuple[str, str], str]  # (family, machine) -> the copy's name
    agents: Mapping[str, tuple[str, ...]]  # copy -> the agents moved onto it


def with_copies(fleet: Fleet, plan: Plan, wanted: Iterable[tuple[str, str]]) -> Copies:
    """``fleet`` with a copy of each family of ``wanted`` for its machine, where the family's images
    run on other machines too: the first of its machines by name keeps the family itself, each other
    one gets ``<family>-<machine>`` with its agents there moved onto it. A family on top of a copied
    one, on that copy's machine, extends the copy. Each machine may then hold its own contents in
    the family's layer; a caller copies only the families of agents that each run on one machine."""
    machines = {f.family: f.machines for f in plan.families}
    families = dict(fleet.families)
    copies: dict[tuple[str, str], str] = {}
    for family, machine in sorted(wanted, key=lambda fm: (len(fleet.family_chain(fm[0])), fm)):
        on = machines.get(family, ())
        parent = fleet.families[family].extends
        if len(on) < 2 or machine == on[0]:
            owner = on[0] if on else machine
            if parent is not None and (parent, owner) in copies:
                families[family] = replace(families[family], extends=copies[parent, owner])
            continue
        name = _free(f"{family}-{machine.lower()}", families)
        extends = None if parent is None else copies.get((parent, machine), parent)
        families[name] = _copy(fleet.families[family], name, extends)
        copies[family, machine] = name
    agents: dict[str, list[str]] = {}
    specs = dict(fleet.agents)
    for agent, spec in fleet.agents.items():
        target = next((copies[spec.family, m] for m in spec.machines if (spec.family, m) in copies), None)
        if target is not None:
            specs[agent] = replace(spec, family=target)
            agents.setdefault(target, []).append(agent)
    copied = replace(fleet, families=types.MappingProxyType(families), agents=types.MappingProxyType(specs))
    return Copies(fleet=copied, copies=copies, agents={c: tuple(sorted(a)) for c, a in agents.items()})


def _copy(family: Family, name: str, extends: str | None) -> Family:
    """``family``'s settings (base image, apt, CUDA, indexes ...) under ``name``, on top of ``extends``."""
    return replace(family, name=name, tag=name, extends=extends)


def plan_chain(plan: Plan, family: str) -> list[str]:
    """The derived layer and the derived layers below it, root first."""
    parents = {f.family: f.extends for f in plan.families if f.derived}
    chain = [family]
    while (parent := parents.get(chain[-1])) is not None:
        chain.append(parent)
    return chain[::-1]
