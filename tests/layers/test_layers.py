"""The layer plan: a hand-computed fleet asserted exactly, and properties on random fleets."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.utils import NormalizedName, canonicalize_name

from depmin.layers.derive import planned_fleet
from depmin.layers.plan import Package, PlanProblem, closure, plan_layers
from depmin.manifest import Fleet, parse_fleet

HAND = """\
[project]
root = "."
[layers]
max_unused_mb = {bound}
[machines.A]
[machines.B]
[families.cpu]
from = "python:3.11-slim"
[families.web]
extends = "cpu"
[families.gpu]
from = "nvidia/cuda:12.3.2-runtime-ubuntu22.04"
gpu = true
machine = "A"
{agents}
"""

SIZES = {
    "pyzmq": 10,
    "pyyaml": 5,
    "numpy": 50,
    "fastapi": 20,
    "starlette": 10,
    "torch": 1000,
    "nvidia-cublas-cu12": 500,
}
REQUIRES = {"fastapi": {"starlette"}, "torch": {"nvidia-cublas-cu12"}}
LOCKS = {
    "s1": ("A", "cpu", {"pyzmq", "pyyaml"}),
    "s2": ("A", "cpu", {"pyzmq", "numpy"}),
    "s3": ("B", "cpu", {"pyzmq", "numpy"}),
    "w1": ("A", "web", {"pyzmq", "fastapi", "starlette"}),
    "w2": ("A", "web", {"fastapi", "starlette", "pyyaml"}),
    "g1": ("A", "gpu", {"torch", "nvidia-cublas-cu12"}),
    "g2": ("A", "gpu", {"torch", "nvidia-cublas-cu12", "numpy"}),
}


def _package(name: str, size: int, requires: set[str] | None = None) -> Package:
    return Package(
        name=canonicalize_name(name),
        version="1.0",
        size=size,
        requires=frozenset(canonicalize_name(r) for r in requires or ()),
    )


def _fleet(tmp_path: Path, locks: dict[str, tuple[str, str, set[str]]], bound: float) -> Fleet:
    (tmp_path / "e.py").write_text("")
    agents = "".join(
        f'[agents.{name}]\nentrypoint = "e.py"\nmachines = ["{machine}"]\nfamily = "{family}"\n'
        for name, (machine, family, _) in locks.items()
    )
    text = HAND.format(bound=bound, agents=agents)
    return parse_fleet(text.encode(), path=tmp_path / "agents.toml")


def _locks(locks: dict[str, tuple[str, str, set[str]]]) -> dict[str, dict[NormalizedName, Package]]:
    return {
        agent: {canonicalize_name(n): _package(n, SIZES[n], REQUIRES.get(n)) for n in names}
        for agent, (_, _, names) in locks.items()
    }


def test_hand_computed_plan(tmp_path: Path) -> None:
    plan = plan_layers(_fleet(tmp_path, LOCKS, bound=0.00006), _locks(LOCKS))
    assert {f.family: f.packages for f in plan.families} == {
        "cpu": ("pyzmq",),
        "web": ("fastapi", "starlette"),
        "gpu": ("nvidia-cublas-cu12", "torch"),
    }
    machines = {m.machine: (m.planned, m.no_families, m.seed_families) for m in plan.machines}
    assert machines == {"A": (1650, 3200, 1650), "B": (60, 60, 60)}
    w2 = next(s for s in plan.services if s.agent == "w2")
    assert (w2.delta, w2.unused, w2.unused_bytes, w2.total_bytes) == (("pyyaml",), ("pyzmq",), 10, 45)
    [numpy] = [d for d in plan.decisions["numpy"] if d.family == "cpu"]
    assert (numpy.chosen, numpy.reason, numpy.saved, numpy.cost) == (
        False,
        "it would cost more bytes than it saves",
        100,
        100,
    )
    assert plan.problems == ()


def test_unused_bound_keeps_a_shared_package_out(tmp_path: Path) -> None:
    plan = plan_layers(_fleet(tmp_path, LOCKS, bound=0.000005), _locks(LOCKS))
    assert plan.family_set("cpu") == ()
    [zmq] = [d for d in plan.decisions["pyzmq"] if d.family == "cpu"]
    assert zmq.reason == "w2 on A would carry 0.0 MB unused (bound: [layers] max_unused_mb = 5e-06)"


FIX = (
    '; lock the CPU build: set indexes = ["https://download.pytorch.org/whl/cpu"] on [families.cpu] '
    "and run `depmin lock --all`"
)


def test_gpu_stack_in_a_cpu_agent_lock_is_a_problem(tmp_path: Path) -> None:
    locks = {**LOCKS, "s1": ("A", "cpu", {"pyzmq", "torch", "nvidia-cublas-cu12"})}
    plan = plan_layers(_fleet(tmp_path, locks, bound=100), _locks(locks))
    assert plan.problems == (
        PlanProblem(agent="s1", message="family cpu has no GPU, but its lock holds nvidia-cublas-cu12, torch" + FIX),
    )
    assert str(plan.problems[0]) == "s1: family cpu has no GPU, but its lock holds nvidia-cublas-cu12, torch" + FIX
    assert "torch" not in plan.family_set("cpu")


# -- properties ---------------------------------------------------------------------------------

NAMES = [f"d{i}" for i in range(10)]


@st.composite
def fleets(
    draw: st.DrawFn,
) -> tuple[dict[str, tuple[str, str, set[str]]], dict[str, int], dict[str, set[str]], float]:
    sizes = {n: draw(st.integers(1, 100)) for n in NAMES}
    requires = {
        n: {m for m in NAMES[i + 1 :] if draw(st.booleans()) and draw(st.booleans())} for i, n in enumerate(NAMES)
    }
    count = draw(st.integers(1, 7))
    locks = {}
    for i in range(count):
        machine = draw(st.sampled_from(["A", "B"]))
        family = draw(st.sampled_from(["cpu", "web"]))
        direct = draw(st.sets(st.sampled_from(NAMES), max_size=5))
        everything = {n for d in direct for n in _closure_of(d, requires)}
        locks[f"s{i}"] = (machine, family, everything)
    bound = draw(st.sampled_from([0.00001, 0.0001, 0.001]))
    return locks, sizes, requires, bound


def _closure_of(name: str, requires: dict[str, set[str]]) -> set[str]:
    seen, todo = set(), [name]
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(requires[n])
    return seen


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(fleets())
def test_plan_properties(
    tmp_path: Path,
    drawn: tuple[dict[str, tuple[str, str, set[str]]], dict[str, int], dict[str, set[str]], float],
) -> None:
    locks, sizes, requires, bound = drawn
    packages = {
        agent: {canonicalize_name(n): _package(n, sizes[n], requires[n]) for n in names}
        for agent, (_, _, names) in locks.items()
    }
    declared = _fleet(tmp_path, locks, bound)
    plan = plan_layers(declared, packages)
    fleet = planned_fleet(declared, plan)  # the derived layers as families
    merged = {name: p for lock in packages.values() for name, p in lock.items()}
    for layer in plan.families:
        inherited = set().union(*(plan.family_set(f.name) for f in fleet.family_chain(layer.family)))
        assert closure(layer.packages, merged) <= inherited  # dependency-closed (with its parents)
    for image in plan.services:
        chain = set().union(*(plan.family_set(f.name) for f in fleet.family_chain(image.family)))
        lock = set(packages[image.agent])
        assert (chain & lock) | set(image.delta) == lock  # family + delta installs exactly the lock
        assert image.unused_bytes <= fleet.layers.max_unused_bytes
    for machine in plan.machines:
        assert machine.planned <= machine.no_families
        assert machine.planned_installed <= machine.no_families_installed
        on = [a for a, (m, _, _) in locks.items() if m == machine.machine]
        floor = sum(sizes[n] for n in set().union(*(locks[a][2] for a in on)))  # computed here, not by the plan
        bare = sum(sizes[n] for a in on for n in locks[a][2])
        assert machine.floor_installed == floor <= machine.planned_installed
        assert machine.no_families_installed == bare
    assert plan == plan_layers(declared, packages)  # deterministic


def test_suggest_families_clusters_agents_sharing_a_stack(tmp_path: Path) -> None:
    from depmin.layers.suggest import suggest_families  # noqa: PLC0415

    locks = {
        "n1": ("A", "cpu", {"pyzmq", "numpy"}),
        "n2": ("A", "cpu", {"pyzmq", "numpy"}),
        "n3": ("A", "cpu", {"pyzmq", "pyyaml"}),
        "n4": ("A", "cpu", {"pyzmq", "pyyaml"}),
        "n5": ("A", "cpu", {"pyzmq"}),
    }
    # numpy shared by two agents: kept out of cpu by the unused-bytes bound (50 > 40)
    fleet = _fleet(tmp_path, locks, bound=0.00004)
    assert "numpy" not in plan_layers(fleet, _locks(locks)).family_set("cpu")
    [suggestion] = [s for s in suggest_families(fleet, _locks(locks)) if "n1" in s.agents]
    assert suggestion.extends == "cpu"
    assert suggestion.agents == ("n1", "n2")
    assert suggestion.packages == ("numpy",)
    assert suggestion.saved == {"A": 50}
