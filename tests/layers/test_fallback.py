"""The plan is never above either baseline on any machine by construction: where the greedy layers
lose, the machines take the winning baseline's arrangement and a warning says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import NormalizedName, canonicalize_name

import depmin.layers.plan as plan_module
from depmin.layers.plan import Package, closure, plan_layers
from depmin.manifest import parse_fleet

FLEET = """\
[project]
root = "."
[machines.MainPC]
[machines.PC2]
[families.cpu]
from = "python:3.11-slim"
[agents.big]
entrypoint = "e.py"
machines = ["MainPC"]
family = "cpu"
[agents.small]
entrypoint = "e.py"
machines = ["PC2"]
family = "cpu"
"""
MB = 1_000_000


def _locks() -> dict[str, dict[NormalizedName, Package]]:
    def lock(sizes: dict[str, int]) -> dict[NormalizedName, Package]:
        return {
            canonicalize_name(n): Package(name=canonicalize_name(n), version="1.0", size=s * MB, installed=s * MB)
            for n, s in sizes.items()
        }

    return {"big": lock({"heavy": 500, "shared": 10}), "small": lock({"shared": 10})}


def test_a_greedy_plan_that_loses_takes_the_baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "e.py").write_text("")
    fleet = parse_fleet(FLEET.encode(), path=tmp_path / "agents.toml")
    locks = _locks()
    honest = plan_layers(fleet, locks)
    assert not any("baseline" in w for w in honest.warnings)  # the real planner wins here on its own

    def bake_everything(view: plan_module._Fleet, family: str, inherited: set[NormalizedName], decisions: object):
        names = {n for agent, _ in view.below(family) for n in view.locks[agent]}
        return closure(names, view.packages) - inherited

    monkeypatch.setattr(plan_module, "_decide", bake_everything)
    # The repair toward the baselines would take "heavy" back out of cpu: off, to reach the fallback.
    monkeypatch.setattr(plan_module, "_toward_baselines", lambda fleet, locks, plan: plan)
    greedy = plan_module.plan_tree(fleet, locks)
    pc2 = next(m for m in greedy.machines if m.machine == "PC2")
    assert pc2.planned_installed == 510 * MB > pc2.no_families_installed == 10 * MB  # the bad plan loses

    plan = plan_layers(fleet, locks)
    for machine in plan.machines:
        assert machine.planned_installed <= min(machine.no_families_installed, machine.seed_families_installed)
    assert {m.machine: m.planned_installed for m in plan.machines} == {"MainPC": 510 * MB, "PC2": 10 * MB}
    assert plan.family_set("cpu") == ()
    assert "machine PC2: the planned layers stored +500.0 MB more than no families (baseline a)" in "\n".join(
        plan.warnings
    )
    assert plan_layers(fleet, locks) == plan  # deterministic
