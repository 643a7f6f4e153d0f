"""The lock engine (``lock_fleet``) through a fake resolver: fleet-wide union, per-family fallback,
minimal conflicts, ``allow_divergence``, staleness and resolver failures.

The resolver is :class:`tests.locking.fake_uv.FakeUv`, an in-memory index; everything else is the
real engine: its requests, the parsing of the resolver's output, the rendered lock files (written to
``locks/<Agent>/`` as ``depmin lock`` writes them) and their headers, read back for the next run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from depmin._backend import Compile
from depmin.errors import ToolError
from depmin.layout import Layout
from depmin.locking import AgentLock, Check, FleetLock, LockInput, Target
from depmin.locking.files import parse_requirements
from depmin.locking.resolve import FLEET_WIDE
from tests.locking.driver import lock
from tests.locking.fake_uv import FakeUv, dist, sha256

CPU = Target(python="3.11", platform="x86_64-manylinux_2_28")
GPU = Target(python="3.11", platform="x86_64-manylinux_2_28", indexes=("https://gpu.example/simple",))
GAMMA_WHEELS = ("py3-none-manylinux_2_28_x86_64", "py3-none-macosx_11_0_arm64")
INDEX = (
    dist("alpha==1.0", "beta>=1"),
    dist("beta==1.0"),
    dist("beta==2.0"),
    dist("beta==3.0"),
    dist("gamma==1.0", "beta<3", tags=GAMMA_WHEELS),
    dist("delta==1.0", "beta<2"),
    dist("epsilon==1.0"),
    dist("epsilon==2.0"),
    *(dist(f"noise{i}==1.0") for i in range(6)),
)
FAMILY_CPU = "family cpu (the fleet's requirements conflict)"
ALONE = "agent alone (--allow-divergence)"


def agent(name: str, family: str, *requirements: str, target: Target = CPU, imports: Iterable[str] = ()) -> LockInput:
    """An agent's lock inputs; ``imports`` (``module`` or ``module=distribution``) are checked
    against the locked wheels."""
    checks = tuple(
        Check(module=module, distribution=canonicalize_name(distribution or module), source="mapping")
        for module, _, distribution in (text.partition("=") for text in imports)
    )
    return LockInput(
        agent=name,
        family=family,
        target=target,
        requirements=requirements,
        extra=frozenset(),
        checks=checks,
        constraints=(),
    )


class Workspace:
    """A fleet's lock inputs and its ``locks/`` directory, locked as ``depmin lock`` does."""

    def __init__(self, root: Path, backend: FakeUv, agents: Iterable[LockInput]) -> None:
        self.layout = Layout.beside(root / "agents.toml")
        self.backend = backend
        self.inputs = {item.agent: item for item in agents}

    def directory(self, agent: str) -> Path:
        return self.layout.agent_dir(agent)

    def lock(self, selected: Iterable[str] | None = None, **options: bool) -> FleetLock:
        return lock(self.layout.base, self.backend, self.inputs, selected, write=True, workers=2, **options)

    def text(self, agent: str, name: str = "requirements.lock") -> str:
        return (self.directory(agent) / name).read_text(encoding="utf-8")

    def pins(self, agent: str) -> dict[str, str]:
        return {pin.name: str(pin.version) for pin in parse_requirements(self.text(agent))}


def states(result: FleetLock) -> dict[str, str]:
    return {lock.agent: lock.state for lock in result.agents}


def by_agent(result: FleetLock) -> dict[str, AgentLock]:
    return {lock.agent: lock for lock in result.agents}


def agent_locks(backend: FakeUv) -> list[Compile]:
    """The requests that made agents' locks (hashed requirements), not unions, subsets or listings."""
    return [call for call in backend.calls if call.hashes and not call.pylock]


def test_the_union_gives_one_version_per_distribution_across_the_fleet(tmp_path: Path) -> None:
    alone = FakeUv(INDEX).compile(Compile(requirements=("alpha",), python="3.11", platform=CPU.platform))
    assert {pin.name: str(pin.version) for pin in parse_requirements(alone)}["beta"] == "3.0"  # A alone
    backend = FakeUv(INDEX)
    fleet = Workspace(tmp_path, backend, [agent("A", "cpu", "alpha"), agent("B", "cpu", "gamma")])
    result = fleet.lock()
    assert states(result) == {"A": "locked", "B": "locked"}
    assert fleet.pins("A") == {"alpha": "1.0", "beta": "2.0"}  # gamma's beta<3 holds A's beta too
    assert fleet.pins("B") == {"beta": "2.0", "gamma": "1.0"}  # each lock holds its own closure only
    assert (result.conflicts, result.divergences, result.distributions) == ((), {}, 3)
    assert {lock.scope for lock in result.agents} == {FLEET_WIDE}
    assert f"# pins: {FLEET_WIDE}\n" in fleet.text("A") and "# target: python 3.11" in fleet.text("A")
    assert result.backend == "uv 0.0-fake" and "backend: uv 0.0-fake" in fleet.text("B", "pylock.toml")


def test_each_agent_is_resolved_against_the_unions_pins_with_the_targets_hashes(tmp_path: Path) -> None:
    backend = FakeUv(INDEX)
    fleet = Workspace(tmp_path, backend, [agent("A", "cpu", "alpha"), agent("B", "cpu", "gamma", imports=["gamma"])])
    assert states(fleet.lock()) == {"A": "locked", "B": "locked"}
    requests = {call.requirements: call for call in agent_locks(backend)}
    assert set(requests) == {("alpha",), ("gamma",)}
    assert set(requests[("gamma",)].constraints) == {"alpha==1.0", "beta==2.0", "gamma==1.0"}
    linux, mac = (f"gamma-1.0-{tag}.whl" for tag in GAMMA_WHEELS)
    lock = fleet.text("B")
    assert f"--hash=sha256:{sha256(linux)}" in lock and sha256(mac) not in lock  # the resolver printed both
    pylock = fleet.text("B", "pylock.toml")
    assert f"https://files.example/{linux}" in pylock and mac not in pylock
    assert 'dependencies = [{ name = "beta" }]' in pylock  # gamma's, from the resolver's "# via gamma"


def test_an_import_no_locked_wheel_provides_fails_its_agent_only(tmp_path: Path) -> None:
    backend = FakeUv(INDEX)
    fleet = Workspace(
        tmp_path, backend, [agent("A", "cpu", "alpha", imports=["widget=alpha"]), agent("B", "cpu", "gamma")]
    )
    result = fleet.lock()
    assert states(result) == {"A": "failed", "B": "locked"} and not result.ok
    assert by_agent(result)["A"].reason.startswith("A: import widget is not provided by any locked distribution")
    assert not fleet.directory("A").exists()


def test_a_conflict_is_narrowed_to_its_requirements_and_agents_then_each_family_resolves(tmp_path: Path) -> None:
    agents = [
        agent("A", "cpu", "alpha", "noise0", "noise1"),
        agent("B", "cpu", "noise2", "beta>=2", "epsilon<2"),
        agent("D", "legacy", "delta", "noise3", "epsilon"),
        agent("E", "cpu", "beta>=2", "noise4"),
        agent("G", "gpu", "alpha", "noise5", target=GPU),
    ]
    fleet = Workspace(tmp_path, FakeUv(INDEX), agents)
    result = fleet.lock()
    (conflict,) = result.conflicts
    assert conflict.scope == "the fleet"
    assert dict(conflict.requirements) == {"beta>=2": ("B", "E"), "delta": ("D",)}
    assert conflict.explanation.startswith("delta 1.0 depends on beta<2, but beta 3.0 was chosen for beta>=2")
    assert set(states(result).values()) == {"locked"} and result.ok
    scopes = {lock.agent: lock.scope for lock in result.agents}
    legacy = "family legacy (the fleet's requirements conflict)"
    assert scopes == {"A": FAMILY_CPU, "B": FAMILY_CPU, "D": legacy, "E": FAMILY_CPU, "G": FLEET_WIDE}
    assert f"# pins: {legacy}\n" in fleet.text("D")
    assert fleet.pins("D")["epsilon"] == "1.0"  # legacy prefers what cpu, resolved first, pinned; not 2.0
    # The gpu target (its own index) resolves after the cpu target and prefers the versions it
    # pinned; of the two families' pins of beta, legacy's is taken last (families go by name).
    assert result.divergences == {"beta": {"1.0": ("D", "G"), "3.0": ("A", "B", "E")}}
    assert fleet.pins("G")["beta"] == "1.0"


def test_a_conflict_within_a_family_fails_the_family_unless_divergence_is_allowed(tmp_path: Path) -> None:
    agents = [
        agent("A", "cpu", "beta>=2"),
        agent("B", "cpu", "delta"),
        agent("C", "cpu", "alpha"),
        agent("H", "cpu", "beta>=2", "delta"),
        agent("F", "other", "gamma"),
    ]
    fleet = Workspace(tmp_path, FakeUv(INDEX), agents)
    result = fleet.lock()
    assert states(result) == {"A": "failed", "B": "failed", "C": "failed", "F": "locked", "H": "failed"}
    assert [c.scope for c in result.conflicts] == ["the fleet", "family cpu"]
    assert dict(result.conflicts[1].requirements) == {"beta>=2": ("A", "H"), "delta": ("B", "H")}
    reason = by_agent(result)["C"].reason
    assert reason.startswith("family cpu: cannot be installed together: beta>=2 (by A, H); delta (by B, H).")
    assert reason.endswith("; fix it, or pass --allow-divergence to lock agents alone")
    assert sorted(path.name for path in (tmp_path / "locks").iterdir()) == ["F"]

    result = fleet.lock(allow_divergence=True)
    assert states(result) == {"A": "locked", "B": "locked", "C": "locked", "F": "fresh", "H": "failed"}
    assert by_agent(result)["H"].reason.startswith("H: its own requirements conflict: ")
    assert {lock.scope for lock in result.agents if lock.state == "locked"} == {ALONE}
    # C alone would take beta 3.0; it keeps F's current 2.0, the version the fleet uses now
    assert [fleet.pins(name)["beta"] for name in "ABCF"] == ["2.0", "1.0", "2.0", "2.0"]
    assert result.divergences == {"beta": {"1.0": ("B",), "2.0": ("A", "C", "F")}}


def test_only_stale_agents_are_resolved_again(tmp_path: Path) -> None:
    backend = FakeUv(INDEX)
    fleet = Workspace(
        tmp_path, backend, [agent("A", "cpu", "alpha"), agent("B", "cpu", "gamma"), agent("C", "cpu", "noise0")]
    )
    fleet.lock()
    locks = {name: fleet.text(name) for name in "AB"}
    backend.calls.clear()
    assert set(states(fleet.lock()).values()) == {"fresh"} and backend.calls == []

    fleet.inputs["C"] = agent("C", "cpu", "noise0", "noise1")
    assert states(fleet.lock(["A"])) == {"A": "fresh"} and backend.calls == []  # C is stale, not selected
    result = fleet.lock()
    assert {lock.agent: lock.reason for lock in result.agents if lock.state == "locked"} == {"C": "inputs changed"}
    assert [call.requirements for call in agent_locks(backend)] == [("noise0", "noise1")]
    assert {name: fleet.text(name) for name in "AB"} == locks

    fleet.inputs["C"] = agent("C", "cpu", "beta<2")  # the union's beta moves under A and B
    result = fleet.lock()
    reasons = {"A": "fleet pins moved", "B": "fleet pins moved", "C": "inputs changed"}
    assert {lock.agent: lock.reason for lock in result.agents} == reasons
    assert [fleet.pins(name)["beta"] for name in "ABC"] == ["1.0", "1.0", "1.0"]


def test_agents_with_the_same_requirements_are_resolved_once(tmp_path: Path) -> None:
    backend = FakeUv(INDEX)
    fleet = Workspace(tmp_path, backend, [agent(name, "cpu", "alpha", "gamma") for name in ("A", "B", "C")])
    assert set(states(fleet.lock()).values()) == {"locked"}
    assert len(agent_locks(backend)) == 1
    assert fleet.text("A").replace("agent A", "agent B") == fleet.text("B")


def test_after_the_union_uv_runs_offline_first_and_goes_online_on_a_miss(tmp_path: Path) -> None:
    def cache_misses_for_gamma(request: Compile) -> None:
        if request.offline and "gamma" in request.requirements:
            raise ToolError("uv: gamma is not in the cache")

    backend = FakeUv(INDEX, on_call=cache_misses_for_gamma)
    fleet = Workspace(tmp_path, backend, [agent("A", "cpu", "alpha"), agent("B", "cpu", "gamma")])
    assert set(states(fleet.lock()).values()) == {"locked"}
    tries = sorted((call.requirements, call.offline) for call in agent_locks(backend))
    assert tries == [(("alpha",), True), (("gamma",), False), (("gamma",), True)]
    assert [call.offline for call in backend.calls if not call.hashes] == [False]  # the union itself goes online


def test_an_agent_whose_lock_becomes_unsatisfiable_fails_alone(tmp_path: Path) -> None:
    def yank_before_the_locks(request: Compile) -> None:  # the index drops beta 3.0 after the union pinned it
        if request.hashes and not request.pylock:
            backend.yank("beta==3.0")

    backend = FakeUv(INDEX, on_call=yank_before_the_locks)
    fleet = Workspace(tmp_path, backend, [agent("A", "cpu", "alpha"), agent("B", "cpu", "noise0")])
    result = fleet.lock()
    assert states(result) == {"A": "failed", "B": "locked"} and not result.ok
    assert by_agent(result)["A"].reason == (
        "uv: the requirements cannot be installed together: "
        "no version of beta satisfies beta>=1 (by alpha) and beta==3.0 (a constraint)"
    )
    assert not fleet.directory("A").exists() and fleet.pins("B") == {"noise0": "1.0"}


def test_a_resolver_failure_that_is_no_conflict_stops_the_run(tmp_path: Path) -> None:
    def unreachable(request: Compile) -> None:
        raise ToolError("uv cannot reach the package index (the default index (PyPI)): dns error")

    fleet = Workspace(tmp_path, FakeUv(INDEX, on_call=unreachable), [agent("A", "cpu", "alpha")])
    with pytest.raises(ToolError, match="cannot reach the package index"):
        fleet.lock()
    assert not (tmp_path / "locks").exists()
