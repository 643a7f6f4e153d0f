"""Which locked distributions go into each family base image, and which stay in service layers.

The objective (``docs/layers.md``): for every machine *m*,

    bytes(m) = Σ_{families F used on m} layer(F) + Σ_{services s on m} delta(s)

is minimised, subject to ``unused(s) <= [layers].max_unused_mb`` for every service image *s*, where
``unused(s)`` is the size of the distributions its family chain bakes in that *s* does not lock.
A family layer is stored (and pulled) once per machine that runs any agent of the family or of a
family that extends it; a service layer once per service and machine.

Families are decided parents first. For a family *F*, a candidate distribution *d* brings its
dependency closure *U* (minus what *F*'s ancestors and *F* already hold). Baking *U* into *F*
saves ``Σ_s size(U ∩ lock(s))`` over the services *s* below *F* and costs
``size(U) * |machines of F|``; the candidate with the largest positive gain that keeps every
service under the bound is taken, until none is left. ``always`` and ``never`` lists per family
override the choice; GPU stacks never go into a family without ``gpu = true``.

Everything here is pure: sizes and dependencies come in as :class:`Package` values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace

from depmin._names import NormalizedName, canonicalize_name
from depmin.layers.cuda import BaseDuplicate, CudaCheck, accepted_warnings, base_duplicates, cuda_checks
from depmin.layers.gpu import in_gpu_set
from depmin.manifest import Fleet

__all__ = [
    "Decision",
    "FamilyLayer",
    "MachineBytes",
    "Package",
    "Plan",
    "PlanProblem",
    "ServiceImage",
    "closure",
    "plan_layers",
    "plan_tree",
    "seed_families",
]

CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"

# The seed's section C, "shared stacks to factor", as fixed family contents (baseline b).
SEED_STACKS: Mapping[str, tuple[str, ...]] = {
    "gpu": ("torch", "torchvision", "torchaudio", "transformers", "sentencepiece"),
    "vision": ("opencv-python-headless",),
    "web": ("fastapi", "uvicorn", "gunicorn"),
    "base": ("pyzmq", "redis", "grpcio", "pydantic", "orjson"),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Package:
    """A locked distribution: version, target-platform wheel size (download bytes), its installed bytes
    when measured (``None``: unknown, counted at the download size), and what it requires."""

    name: NormalizedName
    version: str
    size: int
    requires: frozenset[NormalizedName] = frozenset()
    installed: int | None = None

    @property
    def stored(self) -> int:
        """Bytes on a machine's disk once installed: the measured size, else the download size."""
        return self.size if self.installed is None else self.installed


@dataclass(frozen=True, kw_only=True, slots=True)
class FamilyLayer:
    family: str
    packages: tuple[NormalizedName, ...]  # this family's own additions (its parents' come below)
    bytes: int  # download bytes of the additions
    machines: tuple[str, ...]
    installed_bytes: int = 0  # installed bytes of the additions
    extends: str | None = None  # the family this layer sits on (agents.toml's, or the derived layer's parent)
    derived: bool = False  # made by the plan for some agents of ``extends``, not declared in agents.toml
    agents: tuple[str, ...] = ()  # a derived layer's agents
    copy_of: str | None = None  # a derived copy of this family for one machine (its contents may differ)


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceImage:
    agent: str
    machine: str
    family: str
    chain: tuple[str, ...]  # the family and its ancestors, root first
    delta: tuple[NormalizedName, ...]
    delta_bytes: int
    unused: tuple[NormalizedName, ...]
    unused_bytes: int
    total_bytes: int  # family chain + delta: what this image carries (download bytes)
    installed_bytes: int = 0  # family chain + delta, installed
    pull_bytes: int = 0  # base image + family chain + delta: what a machine without any layer pulls


@dataclass(frozen=True, kw_only=True, slots=True)
class MachineBytes:
    machine: str
    planned: int  # download bytes, the schema's figures
    no_families: int  # baseline (a): every service installs everything itself
    seed_families: int  # baseline (b): the seed's fixed family contents
    floor: int = 0  # every locked distribution of the machine once
    planned_installed: int = 0  # the same four on disk: installed bytes plus the base images
    no_families_installed: int = 0
    seed_families_installed: int = 0
    floor_installed: int = 0
    base_images: int = 0  # bytes of the base images the machine's families start from (families.X.base_mb)


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """Why a distribution is or is not in a family layer (``depmin plan --explain``)."""

    family: str
    chosen: bool
    reason: str
    users: tuple[str, ...]
    saved: int
    cost: int


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanProblem:
    """An error of the plan: a GPU stack where it must not be; ``agent`` is None for a family's own."""

    agent: str | None
    message: str

    def __str__(self) -> str:
        return self.message if self.agent is None else f"{self.agent}: {self.message}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    families: tuple[FamilyLayer, ...]
    services: tuple[ServiceImage, ...]
    machines: tuple[MachineBytes, ...]
    decisions: Mapping[NormalizedName, tuple[Decision, ...]] = field(repr=False)
    problems: tuple[PlanProblem, ...]  # errors: GPU stacks where they must not be
    notes: tuple[str, ...]  # unused families, families on another machine, derived layers
    warnings: tuple[str, ...] = ()  # fallbacks to a baseline, accepted CUDA mismatches, base images' duplicates
    cuda: tuple[CudaCheck, ...] = ()  # each GPU family's CUDA against its locked wheels
    bases: tuple[BaseDuplicate, ...] = ()  # base images whose CUDA libraries the wheels install again

    def family_set(self, family: str) -> tuple[NormalizedName, ...]:
        return next((f.packages for f in self.families if f.family == family), ())

    def locked_by(self, name: NormalizedName) -> tuple[str, ...]:
        """Agents whose lock holds ``name``: in their delta, or baked in their chain and used."""
        users = set()
        for image in self.services:
            baked = {n for family in image.chain for n in self.family_set(family)}
            if name in image.delta or (name in baked and name not in image.unused):
                users.add(image.agent)
        return tuple(sorted(users))


def closure(names: Iterable[NormalizedName], packages: Mapping[NormalizedName, Package]) -> set[NormalizedName]:
    """``names`` and everything they require, transitively, among ``packages``."""
    seen: set[NormalizedName] = set()
    todo = [n for n in names if n in packages]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(r for r in packages[name].requires if r in packages and r not in seen)
    return seen


def _is_gpu(name: str, packages: Mapping[NormalizedName, Package]) -> bool:
    """In the GPU set (:func:`depmin.layers.gpu.in_gpu_set`); a name not locked counts as its GPU build."""
    known = packages.get(canonicalize_name(name))
    return in_gpu_set(canonicalize_name(name), "0" if known is None else known.version)


@dataclass
class _Fleet:
    """The plan's view of the fleet: services, machines and sizes."""

    fleet: Fleet
    locks: Mapping[str, Mapping[NormalizedName, Package]]
    packages: dict[NormalizedName, Package]
    services: list[tuple[str, str]]  # (agent, machine)
    cache: dict[str, Mapping[NormalizedName, Package]] = field(default_factory=dict)
    stored_cache: dict[str, Mapping[NormalizedName, int]] = field(default_factory=dict)

    def size(self, names: Iterable[NormalizedName]) -> int:
        """Stored (installed) bytes: what the plan minimises."""
        return sum(self.packages[n].stored for n in names if n in self.packages)

    def download(self, names: Iterable[NormalizedName]) -> int:
        return sum(self.packages[n].size for n in names if n in self.packages)

    def at(self, family: str) -> Mapping[NormalizedName, Package]:
        """The distributions as the services below ``family`` lock them: a layer holds their versions."""
        if family not in self.cache:
            found = dict(self.packages)
            for agent, _ in sorted(self.below(family), reverse=True):
                found.update(self.locks[agent])
            self.cache[family] = found
        return self.cache[family]

    def size_in(self, family: str, names: Iterable[NormalizedName]) -> int:
        """Stored bytes of ``names`` in ``family``'s layer."""
        stored = self.stored_in(family)
        return sum(stored[n] for n in names if n in stored)

    def stored_in(self, family: str) -> Mapping[NormalizedName, int]:
        """``{name: stored bytes}`` as :meth:`at` sizes them (the greedy search asks millions of times)."""
        if family not in self.stored_cache:
            self.stored_cache[family] = {n: p.stored for n, p in self.at(family).items()}
        return self.stored_cache[family]

    def download_in(self, family: str, names: Iterable[NormalizedName]) -> int:
        packages = self.at(family)
        return sum(packages[n].size for n in names if n in packages)

    def base(self, agent: str) -> tuple[str, int]:
        """The agent's base image and its bytes (``families.X.base_mb`` of the chain's root)."""
        root = self.fleet.family_chain(self.fleet.agents[agent].family)[0]
        return root.from_image or root.name, int(root.base_mb * 1_000_000)

    def below(self, family: str) -> list[tuple[str, str]]:
        return [(a, m) for a, m in self.services if family in self.chain(a)]

    def chain(self, agent: str) -> list[str]:
        return [f.name for f in self.fleet.family_chain(self.fleet.agents[agent].family)]


def plan_layers(fleet: Fleet, locks: Mapping[str, Mapping[NormalizedName, Package]]) -> Plan:
    """Decide every family layer for the locked agents of ``fleet``, with the derived layers that save
    bytes (:mod:`depmin.layers.derive`); pure and deterministic."""
    from depmin.layers.derive import derive  # noqa: PLC0415 - derive re-plans through this module

    plan = derive(fleet, locks, plan_tree)
    plan = _toward_baselines(fleet, locks, plan)
    plan, fallbacks = _no_worse_than_baselines(fleet, locks, plan)
    versions = {agent: {name: p.version for name, p in lock.items()} for agent, lock in locks.items()}
    checks = cuda_checks(fleet, versions)
    bases = base_duplicates(fleet, locks)
    mismatches = [PlanProblem(agent=None, message=c.message) for c in checks if c.status == "mismatch"]
    return replace(
        plan,
        problems=(*plan.problems, *mismatches),
        warnings=(*fallbacks, *accepted_warnings(checks), *(b.message for b in bases)),
        notes=(*plan.notes, *(c.message for c in checks if c.status == "undeclared")),
        cuda=checks,
        bases=bases,
    )


def _limits(plan: Plan) -> dict[str, int]:
    return {m.machine: _smaller_baseline(m) for m in plan.machines}


def _excess(installed: Mapping[str, int], limits: Mapping[str, int]) -> int:
    return sum(max(0, installed[m] - limit) for m, limit in limits.items())


def _toward_baselines(fleet: Fleet, locks: Mapping[str, Mapping[NormalizedName, Package]], plan: Plan) -> Plan:
    """Where a machine stores more than a baseline, bake more into single families, one move at a time.

    The greedy choice refuses a distribution that some machine would pay for without saving
    (``_machine_loss``), even when that machine is far below both baselines and another one is above
    one: the proposal's families (b) share ``pyzmq`` over a family used on two machines and pay its
    copy on the machine without users. A move bakes a distribution (with its dependencies) into one
    family, declared or derived, and takes it out of the layers above it; it is taken when it lowers
    the bytes by which machines exceed the smaller baseline, lifts no machine above it, keeps every
    image within ``[layers].max_unused_mb`` and obeys the vetoes of the greedy choice (``never``, GPU
    stacks, diverged versions). The largest reduction is taken first, until none is left."""
    limits = _limits(plan)
    if all(m.planned_installed <= limits[m.machine] for m in plan.machines):
        return plan
    from depmin.layers.derive import planned_fleet  # noqa: PLC0415 - derive imports this module

    built = planned_fleet(fleet, plan)
    view = _view(built, locks)
    sets: dict[str, set[NormalizedName]] = {f.family: set(f.packages) for f in plan.families}
    before = _images(view, sets)
    moves = _Moves(view=view, fleet=built, limits=limits, bound=fleet.layers.max_unused_bytes, plan=plan)
    sets, current, made = moves.greedy(sets, before)
    if _excess(current.installed, limits) > 0:
        # A distribution baked in early may take the room under the bound that others need, which a
        # greedy addition never gives back (tokenizers in the root before the layer its users share
        # existed): each one taken out in turn, then the greedy moves again; the best that helps wins.
        found: tuple[tuple[int, int, str, str], dict[str, set[NormalizedName]], _Images, list[_Move]] | None = None
        for family in _parents_first(built):
            held = sets[family]
            needed = {r for n in held for r in view.at(family)[n].requires if n in view.at(family)}
            for name in sorted(held - needed):
                trial = {**sets, family: held - {name}}
                images = _images(view, trial)  # above a limit for now, maybe: the moves after it count
                after_sets, after, more = moves.greedy(trial, images, banned=(family, name))
                if any(after.installed[m] > max(current.installed[m], limits[m]) for m in limits):
                    continue
                key = (_excess(after.installed, limits), sum(after.installed.values()), family, name)
                if key[0] < _excess(current.installed, limits) and (found is None or key < found[0]):
                    out = _Move(family=family, name=name, unit={name}, before=current, after=images, out=True)
                    found = (key, after_sets, after, [out, *more])
        if found is not None:
            _, sets, current, extra = found
            made = [*made, *extra]
    if not made:
        return plan
    decisions = {n: list(d) for n, d in plan.decisions.items()}
    for move in made:
        kept = [d for d in decisions.get(move.name, []) if not (move.out and d.family == move.family)]
        decisions[move.name] = [*kept, moves.decision(move)]
    rebuilt = _assemble(view, sets, decisions)
    return replace(rebuilt, families=_marked(rebuilt, plan), notes=plan.notes)


def _marked(
    rebuilt: Plan, plan: Plan, copies: Mapping[str, tuple[str, tuple[str, ...]]] | None = None
) -> tuple[FamilyLayer, ...]:
    """``rebuilt``'s layers, those derived in ``plan`` flagged so again with their agents, and each copy
    of ``copies`` (name -> the family it copies, its agents) flagged as one: :func:`_assemble` knows
    only the fleet's families."""
    derived = {f.family: (None, f.agents) for f in plan.families if f.derived} | dict(copies or {})
    return tuple(
        replace(f, derived=True, copy_of=derived[f.family][0], agents=derived[f.family][1])
        if f.family in derived
        else f
        for f in rebuilt.families
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class _Move:
    """One step toward the baselines: ``unit`` baked into ``family`` (or ``name`` taken out of it)."""

    family: str
    name: NormalizedName
    unit: set[NormalizedName]
    before: _Images
    after: _Images
    out: bool = False


# A candidate move: its sort key (excess, bytes, unused bytes, family, name), the sets, images and unit.
_Trial = tuple[tuple[int, int, int, str, str], dict[str, set[NormalizedName]], "_Images", set[NormalizedName]]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Moves:
    """The per family moves of :func:`_toward_baselines` over one fleet."""

    view: _Fleet
    fleet: Fleet
    limits: Mapping[str, int]
    bound: int
    plan: Plan

    def greedy(
        self, sets: dict[str, set[NormalizedName]], current: _Images, banned: tuple[str, str] | None = None
    ) -> tuple[dict[str, set[NormalizedName]], _Images, list[_Move]]:
        """Take the move that lowers the excess over the limits most, until none does; never the
        ``banned`` (family, distribution), just taken out."""
        limits, made = self.limits, []
        while _excess(current.installed, limits) > 0:
            best: _Trial | None = None
            old = {i.agent: i.unused_bytes for i in current.images}
            for family in _parents_first(self.fleet):
                for name, unit in _additions(self.view, family, sets):
                    if (family, name) == banned:
                        continue
                    trial = dict(sets)
                    trial[family] = sets[family] | unit
                    for below in _descendants(self.fleet, family):
                        trial[below] = sets[below] - unit
                    images = _images(self.view, trial)
                    if any(images.installed[m] > max(current.installed[m], limits[m]) for m in limits):
                        continue
                    if any(i.unused_bytes > max(self.bound, old[i.agent]) for i in images.images):
                        continue
                    # At equal bytes the fewer unused: room under the bound stays for the moves after it.
                    unused = sum(i.unused_bytes for i in images.images)
                    key = (_excess(images.installed, limits), sum(images.installed.values()), unused, family, name)
                    if key[0] < _excess(current.installed, limits) and (best is None or key < best[0]):
                        best = (key, trial, images, unit)
            if best is None:
                break
            (_, _, _, into, taken), sets, after, unit = best
            made.append(_Move(family=into, name=canonicalize_name(taken), unit=unit, before=current, after=after))
            current = after
        return sets, current, made

    def decision(self, move: _Move) -> Decision:
        view, family = self.view, move.family
        users = _names((a, m) for a, m in view.below(family) if move.name in view.locks[a])
        reason = _moved_reason(move.before.installed, move.after.installed, self.limits, self.plan)
        if move.out:
            reason = "taken out to make room under [layers].max_unused_mb for the moves after it"
        saved = sum(move.before.installed.values()) - sum(move.after.installed.values())
        cost = view.size_in(family, move.unit)
        return Decision(family=family, chosen=not move.out, reason=reason, users=users, saved=saved + cost, cost=cost)


def _moved_reason(before: Mapping[str, int], after: Mapping[str, int], limits: Mapping[str, int], plan: Plan) -> str:
    by_name = {m.machine: m for m in plan.machines}
    helped = [m for m in sorted(limits) if after[m] < before[m] and before[m] > limits[m]]
    parts = []
    for machine in helped:
        m = by_name[machine]
        which = (
            "the proposal's families (b)" if m.seed_families_installed <= m.no_families_installed else "no families (a)"
        )
        parts.append(f"{machine} ({(before[machine] - after[machine]) / 1e6:.1f} MB less, toward {which})")
    return "baked in so that a machine stores no more than a baseline: " + ", ".join(parts)


def _additions(
    view: _Fleet, family: str, sets: Mapping[str, set[NormalizedName]]
) -> Iterable[tuple[NormalizedName, set[NormalizedName]]]:
    """Distributions two services below ``family`` lock that its chain does not hold, with what
    they require, where the greedy choice's vetoes allow them."""
    chain = view.fleet.family_chain(family)
    held = set().union(*(sets.get(f.name, set()) for f in chain))
    below = view.below(family)
    users: dict[NormalizedName, int] = {}
    versions: dict[NormalizedName, set[str]] = {}
    for agent, _ in below:
        for name, package in view.locks[agent].items():
            users[name] = users.get(name, 0) + 1
            versions.setdefault(name, set()).add(package.version)
    local = {n: view.locks[a][n] for a, _ in reversed(below) for n in view.locks[a]}
    never = {canonicalize_name(n) for n in view.fleet.families[family].never}
    gpu = view.fleet.has_gpu(family)
    for name in sorted(n for n, count in users.items() if count >= 2 and n not in held):
        unit = closure([name], local) - held
        if unit & never or any(len(versions.get(n, ())) > 1 for n in unit):
            continue
        if not gpu and any(in_gpu_set(n, local[n].version) for n in unit if n in local):
            continue
        yield name, unit


def _descendants(fleet: Fleet, family: str) -> list[str]:
    return sorted(f for f in fleet.families if f != family and family in {c.name for c in fleet.family_chain(f)})


_BASELINES = {"none": "no families (baseline a)", "seed": "the proposal's families (baseline b)"}


def _no_worse_than_baselines(
    fleet: Fleet, locks: Mapping[str, Mapping[NormalizedName, Package]], plan: Plan
) -> tuple[Plan, list[str]]:
    """The greedy ``plan``, except that the machines where a baseline stores fewer bytes take that
    baseline's arrangement; the warnings say which baseline won where and by how much.

    Machines sharing a family layer fall back together (one layer cannot hold two contents), with the
    first arrangement no worse than both baselines on each of them. Where there is none (the planned
    layers or baseline (a) suit one machine, baseline (b) the other), the shared layers are copied per
    machine (``cpu`` on MainPC, a derived copy ``cpu-pc2`` on PC2) and each machine takes its own best
    arrangement: a machine stores only the layers its images use, so a copy costs no stored bytes, only
    one more image to build. An agent that runs on two of those machines has one image for both and
    keeps them joined."""
    if all(m.planned_installed <= _smaller_baseline(m) for m in plan.machines):
        return plan, []
    from depmin.layers.derive import planned_fleet, with_copies  # noqa: PLC0415 - derive imports this module

    built = planned_fleet(fleet, plan)
    view = _view(built, locks)
    contents: dict[str, Mapping[str, set[NormalizedName]]] = {
        "none": {f: set() for f in built.families},
        "seed": seed_families(built, view.packages, view),
        "planned": {f.family: set(f.packages) for f in plan.families},
    }
    seed = _images(view, contents["seed"])
    over = {i.machine for i in seed.images if i.unused_bytes > fleet.layers.max_unused_bytes}
    taken, warnings = _fallbacks(plan, built, over)
    if not taken:
        return plan, warnings
    copied = with_copies(built, plan, sorted(_to_copy(built, plan, taken, contents)))
    sets = dict(contents["planned"])
    for (family, machine), how in taken.items():
        sets[copied.copies.get((family, machine), family) if machine else family] = set(contents[how][family])
    # The greedy reasons no longer hold for a layer that took a baseline's contents.
    baseline = {copied.copies.get((f, m), f) if m else f for (f, m), how in taken.items() if how != "planned"}
    decisions = {n: [d for d in ds if d.family not in baseline] for n, ds in plan.decisions.items()}
    fallen = _assemble(_view(copied.fleet, locks), sets, decisions)
    copies = {target: (family, copied.agents.get(target, ())) for (family, _), target in copied.copies.items()}
    families = _marked(fallen, plan, copies)
    # The baselines stay those of agents.toml's tree: (b) of a copy would count only its own machine's users.
    before = {m.machine: m for m in plan.machines}
    machines = tuple(
        replace(
            m,
            seed_families=before[m.machine].seed_families,
            seed_families_installed=before[m.machine].seed_families_installed,
        )
        for m in fallen.machines
    )
    notes = [
        f"derived layer {target}: a copy of {family} for {machine}, so that each machine of a shared layer "
        "stores no more than a baseline (the warnings say which)"
        for (family, machine), target in sorted(copied.copies.items())
    ]
    notes = sorted({*plan.notes, *notes})
    return replace(fallen, families=families, machines=machines, notes=tuple(notes)), warnings


def _to_copy(
    fleet: Fleet,
    plan: Plan,
    taken: Mapping[tuple[str, str | None], str],
    contents: Mapping[str, Mapping[str, set[NormalizedName]]],
) -> set[tuple[str, str]]:
    """The (family, machine) pairs whose layer differs from what the family's first machine puts in
    it, with every family on top of them on the same machine (its images must build on the copy)."""
    owner = {f.family: f.machines[0] for f in plan.families if f.machines}

    def content(family: str, machine: str) -> set[NormalizedName]:
        return contents[taken[family, machine]][family]

    differ = {
        (f, m) for (f, m) in taken if m is not None and (f, owner[f]) in taken and content(f, m) != content(f, owner[f])
    }
    chains = {g: {c.name for c in fleet.family_chain(g)} for g in fleet.families}
    return {(g, m) for f, m in differ for g in fleet.families if f in chains[g] and (g, m) in taken}


def _smaller_baseline(m: MachineBytes) -> int:
    return min(m.no_families_installed, m.seed_families_installed)


def _fallbacks(plan: Plan, fleet: Fleet, over: Collection[str]) -> tuple[dict[tuple[str, str | None], str], list[str]]:
    """Which layers take a baseline's contents: ``{(family, machine): arrangement}``, machine None where
    the family's layer is one for all its machines, with the warnings; ``over`` are the machines where
    baseline (b) bakes more unused bytes into an image than [layers].max_unused_mb allows."""
    by_name = {m.machine: m for m in plan.machines}
    groups: dict[str, set[str]] = {m: {m} for m in by_name}  # machines joined by a shared family layer
    for layer in plan.families:
        joined = set().union(*(groups[m] for m in layer.machines)) if layer.machines else set()
        for machine in joined:
            groups[machine] = joined
    taken: dict[tuple[str, str | None], str] = {}
    warnings = []
    for group in sorted({tuple(sorted(g)) for g in groups.values()}):
        machines = [by_name[m] for m in group]
        if all(m.planned_installed <= _smaller_baseline(m) for m in machines):
            continue
        shared = {f.family: f.machines for f in plan.families if set(f.machines) & set(group)}
        chosen, fits = _choose(machines, over)
        one_each = not any(len(set(a.machines) & set(group)) > 1 for a in fleet.agents.values())
        split = not fits and len(group) > 1 and one_each and fleet.layers.max_derived > 0
        for m in machines:
            how, fit = _choose([m], over) if split else (chosen, fits)
            why = "" if fit else "; no arrangement within [layers].max_unused_mb is below both baselines here"
            if split:  # every machine's own arrangement, the planned one too: its copies hold it
                taken.update({(f, m.machine): how for f, on in shared.items() if m.machine in on})
            elif how != "planned":
                taken.update({(f, None): how for f in shared})
            if how != "planned":
                saved = m.planned_installed - _installed(m, how)
                warnings.append(
                    f"machine {m.machine}: the planned layers stored {saved / 1_000_000:+.1f} MB more than "
                    f"{_BASELINES[how]}; its family layers take that baseline's contents"
                    f"{' (each machine its own: the notes name the copies)' if split else ''}{why}"
                )
            elif m.planned_installed > _smaller_baseline(m):
                warnings.append(
                    f"machine {m.machine}: the planned layers store "
                    f"{(m.planned_installed - _smaller_baseline(m)) / 1_000_000:.1f} MB more than the smaller "
                    f"baseline, which would exceed [layers].max_unused_mb{why}"
                )
    return taken, warnings


def _installed(m: MachineBytes, arrangement: str) -> int:
    return {"planned": m.planned_installed, "none": m.no_families_installed, "seed": m.seed_families_installed}[
        arrangement
    ]


def _choose(machines: Collection[MachineBytes], over: Collection[str]) -> tuple[str, bool]:
    """The first arrangement no worse than both baselines on every one of ``machines`` (planned, then
    (a), then (b) unless it exceeds the unused bound there), and True; else the one storing the
    fewest bytes on them, and False."""
    allowed = ["planned", "none"] + ([] if any(m.machine in over for m in machines) else ["seed"])
    fits = [k for k in allowed if all(_installed(m, k) <= _smaller_baseline(m) for m in machines)]
    if fits:
        return fits[0], True
    return min(allowed, key=lambda k: (sum(_installed(m, k) for m in machines), allowed.index(k))), False


def plan_tree(fleet: Fleet, locks: Mapping[str, Mapping[NormalizedName, Package]]) -> Plan:
    """Decide every family layer of agents.toml's tree of families, without derived layers."""
    view = _view(fleet, locks)
    sets: dict[str, set[NormalizedName]] = {}
    decisions: dict[NormalizedName, list[Decision]] = {}
    for family in _parents_first(fleet):
        inherited = set().union(*(sets[f.name] for f in fleet.family_chain(family)[:-1]))
        sets[family] = _decide(view, family, inherited, decisions)
    return _assemble(view, sets, decisions)


def _view(fleet: Fleet, locks: Mapping[str, Mapping[NormalizedName, Package]]) -> _Fleet:
    return _Fleet(
        fleet=fleet,
        locks=locks,
        packages=_packages(locks),
        services=sorted((a, m) for a in locks if a in fleet.agents for m in fleet.agents[a].machines),
    )


def _assemble(
    view: _Fleet, sets: Mapping[str, set[NormalizedName]], decisions: Mapping[NormalizedName, list[Decision]]
) -> Plan:
    """The plan of the family contents ``sets``, with both baselines and the floor on the same fleet."""
    fleet = view.fleet
    planned = _images(view, sets)
    seed = _images(view, seed_families(fleet, view.packages, view))
    bare = _images(view, {f: set() for f in fleet.families})
    floor = _floor(view)
    return Plan(
        families=tuple(
            FamilyLayer(
                family=f,
                packages=tuple(sorted(sets[f])),
                bytes=view.download_in(f, sets[f]),
                installed_bytes=view.size_in(f, sets[f]),
                machines=tuple(sorted({m for _, m in view.below(f)})),
                extends=fleet.families[f].extends,
            )
            for f in sorted(sets)
        ),
        services=planned.images,
        machines=tuple(
            MachineBytes(
                machine=m,
                planned=planned.download[m],
                no_families=bare.download[m],
                seed_families=seed.download[m],
                floor=floor[m][0],
                planned_installed=planned.installed[m],
                no_families_installed=bare.installed[m],
                seed_families_installed=seed.installed[m],
                floor_installed=floor[m][1],
                base_images=planned.bases[m],
            )
            for m in sorted(fleet.machines)
        ),
        decisions={n: tuple(d) for n, d in sorted(decisions.items()) if d},
        problems=tuple(_problems(view)),
        notes=tuple(_notes(view)),
    )


def _packages(locks: Mapping[str, Mapping[NormalizedName, Package]]) -> dict[NormalizedName, Package]:
    """One package per name: the largest when versions differ (family layers are sized by it)."""
    merged: dict[NormalizedName, Package] = {}
    for agent in sorted(locks):
        for name, package in sorted(locks[agent].items()):
            known = merged.get(name)
            if known is None or (package.stored, package.version) > (known.stored, known.version):
                merged[name] = package
    return merged


def _parents_first(fleet: Fleet) -> list[str]:
    return sorted(fleet.families, key=lambda f: (len(fleet.family_chain(f)), f))


def _decide(
    view: _Fleet,
    family: str,
    inherited: set[NormalizedName],
    decisions: dict[NormalizedName, list[Decision]],
) -> set[NormalizedName]:
    spec = view.fleet.families[family]
    gpu = view.fleet.has_gpu(family)
    below = view.below(family)
    machines = len({m for _, m in below})
    never = {canonicalize_name(n) for n in spec.never}
    chosen = closure((canonicalize_name(n) for n in spec.always), view.packages) - inherited
    unused = {
        s: view.size_in(family, chosen | inherited) - view.size_in(family, (chosen | inherited) & set(view.locks[s[0]]))
        for s in below
    }
    users: dict[NormalizedName, list[tuple[str, str]]] = {}
    for service in below:
        for name in view.locks[service[0]]:
            users.setdefault(name, []).append(service)
    # One layer holds one version: a name whose services below this family lock different versions
    # stays in their service layers (the fleet may hold torch+cpu in cpu and a CUDA torch in gpu-ada).
    diverged = {n for n, u in users.items() if len({view.locks[a][n].version for a, _ in u}) > 1}
    local = {n: view.locks[u[0][0]][n] for n, u in users.items()}  # dependencies as locked below the family
    gpu_names = {  # at the versions locked below this family: torch+cpu is no GPU library
        n for n, u in users.items() if any(in_gpu_set(n, view.locks[a][n].version) for a, _ in u)
    } | {n for n in view.packages if n not in users and _is_gpu(n, view.packages)}
    rejected: dict[NormalizedName, tuple[str, int, int]] = {}
    # What the greedy loop asks again for every candidate in every round, computed once: each name's
    # closure, and its stored bytes times the services below that lock it (the bytes baking it saves).
    closures: dict[NormalizedName, set[NormalizedName]] = {}
    stored = view.stored_in(family)
    held = Counter(n for a, _ in below for n in view.locks[a])
    weight = {n: stored[n] * count for n, count in held.items() if n in stored}
    while True:
        best: tuple[int, NormalizedName, set[NormalizedName], int, int] | None = None
        for name in sorted(n for n, u in users.items() if len(u) >= 2 and n not in chosen and n not in inherited):
            if name not in closures:
                closures[name] = closure([name], local)
            unit = closures[name] - inherited - chosen
            saved = sum(weight.get(n, 0) for n in unit)
            cost = view.size_in(family, unit) * machines
            reason = _veto(view, family, unit, never, gpu_names if not gpu else set(), diverged, unused, below)
            if reason is None and saved - cost <= 0:
                reason = "it would cost more bytes than it saves"
            if reason is None:
                reason = _machine_loss(view, family, unit, below)
            if reason is not None:
                rejected[name] = (reason, saved, cost)
                continue
            if best is None or saved - cost > best[0]:
                best = (saved - cost, name, unit, saved, cost)
        if best is None:
            break
        _, name, unit, saved, cost = best
        chosen |= unit
        for service in below:
            unused[service] += view.size_in(family, [n for n in unit if n not in view.locks[service[0]]])
        rejected.pop(name, None)
        for member in sorted(unit - {name}):
            rejected.pop(member, None)
            decisions.setdefault(member, []).append(
                Decision(
                    family=family,
                    chosen=True,
                    reason=f"a dependency of {name}, baked in with it",
                    users=_names(users.get(member, [])),
                    saved=sum(view.size_in(family, {member} & set(view.locks[a])) for a, _ in below),
                    cost=view.size_in(family, {member}) * machines,
                )
            )
        decisions.setdefault(name, []).append(
            Decision(
                family=family,
                chosen=True,
                reason=f"shared by {len(users[name])} services",
                users=_names(users[name]),
                saved=saved,
                cost=cost,
            )
        )
    for name, (reason, saved, cost) in rejected.items():
        if name not in chosen:
            decisions.setdefault(name, []).append(
                Decision(
                    family=family,
                    chosen=False,
                    reason=reason,
                    users=_names(users[name]),
                    saved=saved,
                    cost=cost,
                )
            )
    return chosen


def _veto(
    view: _Fleet,
    family: str,
    unit: set[NormalizedName],
    never: set[NormalizedName],
    forbidden: set[NormalizedName],
    diverged: set[NormalizedName],
    unused: Mapping[tuple[str, str], int],
    below: list[tuple[str, str]],
) -> str | None:
    if unit & never:
        return f"the family's `never` list names {', '.join(sorted(unit & never))}"
    if unit & forbidden:
        return "a GPU stack never goes into a family without gpu = true"
    if unit & diverged:
        return f"its versions differ among the services below the family ({', '.join(sorted(unit & diverged))})"
    bound = view.fleet.layers.max_unused_bytes
    for service in below:
        extra = view.size_in(family, [n for n in unit if n not in view.locks[service[0]]])
        if unused[service] + extra > bound:
            return (
                f"{service[0]} on {service[1]} would carry {(unused[service] + extra) / 1e6:.1f} MB unused "
                f"(bound: [layers] max_unused_mb = {view.fleet.layers.max_unused_mb:g})"
            )
    return None


def _machine_loss(view: _Fleet, family: str, unit: set[NormalizedName], below: list[tuple[str, str]]) -> str | None:
    """No machine may store more than it did without the move: each pays for the layer once."""
    for machine in sorted({m for _, m in below}):
        saved = sum(view.size_in(family, [n for n in unit if n in view.locks[a]]) for a, m in below if m == machine)
        if saved < view.size_in(family, unit):
            return f"on {machine} it would cost {view.size_in(family, unit) - saved} bytes more than it saves"
    return None


def _names(services: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(sorted({f"{a}@{m}" for a, m in services}))


def seed_families(
    fleet: Fleet, packages: Mapping[NormalizedName, Package], view: _Fleet | None = None
) -> dict[str, set[NormalizedName]]:
    """Baseline (b): the seed's fixed stacks, closed under dependencies, where locked: GPU stacks
    in the GPU families that need them, opencv in vision variants, the web stack in web families,
    the messaging stack in every root family."""
    sets: dict[str, set[NormalizedName]] = {}
    for family in _parents_first(fleet):
        chain = fleet.family_chain(family)
        inherited = set().union(*(sets[f.name] for f in chain[:-1]))
        wanted: list[str] = []
        if len(chain) == 1:
            wanted += SEED_STACKS["base"]
        if fleet.families[family].machine is not None and fleet.has_gpu(family):
            wanted += SEED_STACKS["gpu"]
        for stack in ("vision", "web"):
            if stack in family:
                wanted += SEED_STACKS[stack]
        needed = set(wanted)
        if view is not None:  # "only where required": names some service below the family locks
            needed = {n for n in wanted if any(canonicalize_name(n) in view.locks[a] for a, _ in view.below(family))}
        sets[family] = closure((canonicalize_name(n) for n in needed), packages) - inherited
    return sets


@dataclass(frozen=True, slots=True)
class _Images:
    images: tuple[ServiceImage, ...]
    download: dict[str, int]  # machine -> download bytes of its family layers and service layers
    installed: dict[str, int]  # machine -> installed bytes of the same, plus its base images
    bases: dict[str, int]  # machine -> bytes of its base images


def _images(view: _Fleet, sets: Mapping[str, set[NormalizedName]]) -> _Images:
    download = dict.fromkeys(view.fleet.machines, 0)
    used: dict[str, set[str]] = {m: set() for m in view.fleet.machines}
    bases: dict[str, dict[str, int]] = {m: {} for m in view.fleet.machines}
    images: list[ServiceImage] = []
    deltas: dict[str, int] = dict.fromkeys(view.fleet.machines, 0)
    for agent, machine in view.services:
        chain = view.chain(agent)
        baked = set().union(*(sets.get(f, set()) for f in chain))
        lock = set(view.locks[agent])
        delta = lock - baked
        unused = baked - lock
        used[machine].update(chain)
        image, base_bytes = view.base(agent)
        bases[machine][image] = base_bytes
        own = view.locks[agent]  # the delta at this agent's own versions
        baked_download = sum(view.download_in(f, sets.get(f, set())) for f in chain)
        baked_stored = sum(view.size_in(f, sets.get(f, set())) for f in chain)
        delta_download = sum(own[n].size for n in delta)
        delta_stored = sum(own[n].stored for n in delta)
        images.append(
            ServiceImage(
                agent=agent,
                machine=machine,
                family=chain[-1],
                chain=tuple(chain),
                delta=tuple(sorted(delta)),
                delta_bytes=delta_download,
                unused=tuple(sorted(unused)),
                unused_bytes=sum(view.size_in(f, sets.get(f, set()) - lock) for f in chain),
                total_bytes=baked_download + delta_download,
                installed_bytes=baked_stored + delta_stored,
                pull_bytes=base_bytes + baked_download + delta_download,
            )
        )
        download[machine] += delta_download
        deltas[machine] += delta_stored
    installed = {}
    for machine, families in used.items():
        download[machine] += sum(view.download_in(f, sets.get(f, set())) for f in families)
        layers = sum(view.size_in(f, sets.get(f, set())) for f in families)
        installed[machine] = deltas[machine] + layers + sum(bases[machine].values())
    return _Images(
        images=tuple(images),
        download=download,
        installed=installed,
        bases={m: sum(b.values()) for m, b in bases.items()},
    )


def _floor(view: _Fleet) -> dict[str, tuple[int, int]]:
    """Per machine, every distribution its services lock stored once (download, installed + bases)."""
    found = {}
    for machine in view.fleet.machines:
        agents = [a for a, m in view.services if m == machine]
        pins = {(n, p.version): p for a in agents for n, p in view.locks[a].items()}  # each version once
        bases = dict(view.base(a) for a in agents)
        stored = sum(p.stored for p in pins.values()) + sum(bases.values())
        found[machine] = (sum(p.size for p in pins.values()), stored)
    return found


def _problems(view: _Fleet) -> list[PlanProblem]:
    problems = []
    for name, family in sorted(view.fleet.families.items()):
        gpu_always = sorted(n for n in family.always if _is_gpu(n, view.packages))
        if gpu_always and not view.fleet.has_gpu(name):
            message = f"family {name} has no GPU, but its `always` list bakes in {', '.join(gpu_always)}"
            problems.append(PlanProblem(agent=None, message=message))
    for agent, lock in sorted(view.locks.items()):
        if agent not in view.fleet.agents:
            continue
        agent_family = view.fleet.agents[agent].family
        gpu = sorted(n for n in lock if in_gpu_set(n, lock[n].version))
        if gpu and not view.fleet.has_gpu(agent_family):
            more = f" and {len(gpu) - 4} more" if len(gpu) > 4 else ""
            message = f"family {agent_family} has no GPU, but its lock holds {', '.join(gpu[:4])}{more}"
            if any(n.startswith("torch") for n in lock):
                root = view.fleet.family_chain(agent_family)[0].name
                message += (
                    f'; lock the CPU build: set indexes = ["{CPU_TORCH_INDEX}"] on [families.{root}] '
                    "and run `depmin lock --all`"
                )
            problems.append(PlanProblem(agent=agent, message=message))
    return problems


def _notes(view: _Fleet) -> list[str]:
    fleet = view.fleet
    notes = []
    unmeasured = sorted(n for n, p in view.packages.items() if p.installed is None and p.size)
    if unmeasured:
        notes.append(
            f"installed sizes of {len(unmeasured)} distributions are not measured, counted at their download "
            "size (offline, or not asked); run `depmin plan --measure` to read them from the wheels"
        )
    for name, family in sorted(fleet.families.items()):
        if not view.below(name):
            notes.append(f"family {name} has no agents")
        for agent in sorted(a for a, _ in view.below(name)):
            spec = fleet.agents[agent]
            if family.machine is not None and family.machine not in spec.machines:
                notes.append(
                    f"{agent} runs on {', '.join(spec.machines)} but its family {name} is for {family.machine}"
                )
    return sorted(set(notes))
