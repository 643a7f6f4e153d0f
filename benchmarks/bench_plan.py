"""Bytes stored per machine by the layer plan, against both baselines and the floor.

    python3 benchmarks/bench_plan.py             # the bundled fleet (committed locks) and the synthetic one
    python3 benchmarks/bench_plan.py --seed 2    # another synthetic fleet of the same shape
    python3 benchmarks/bench_plan.py --seeds 20  # and the worst ratios over synthetic seeds 1..20

Columns: planned (with derived layers), planned on agents.toml's tree only (``max_derived = 0``),
(a) no families, (b) the seed proposal's fixed families, and the floor (every locked distribution of
the machine stored once), all in installed bytes plus base images, as plan.md counts them.

The synthetic fleet has the real fleet's shape (issue 16): two machines; GPU families on each where
only some agents use torch (3 of 10 on MainPC's gpu-ada, 2 of 6 on PC2's gpu-ampere, two of those with
the transformers stack too); a CPU family of 30 agents over both machines, three of which import torch
(locked as the +cpu build); 40 small shared distributions picked with a popularity skew.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from packaging.utils import NormalizedName

from depmin import api
from depmin.layers.derive import planned_fleet
from depmin.layers.gpu import in_gpu_set
from depmin.layers.plan import Package, Plan, plan_layers, plan_tree
from depmin.manifest import Fleet, load_fleet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.layers.shaped_fleet import MB, shaped_fleet, shaped_locks  # noqa: E402

# Installed sizes (MB) of the heavy stacks, close to the real wheels' unpacked sizes.
TORCH = {"torch": 1600, "triton": 420, "sympy": 75, "networkx": 17, "mpmath": 5, "jinja2": 1, "filelock": 1,
         "fsspec": 1, "nvidia-cudnn-cu12": 1000, "nvidia-cublas-cu12": 700, "nvidia-nccl-cu12": 300,
         "nvidia-cusparse-cu12": 280, "nvidia-cufft-cu12": 290, "nvidia-cusolver-cu12": 270}  # fmt: skip
TORCH_REQUIRES = {"torch": set(TORCH) - {"torch"}}
TRANSFORMERS = {"transformers": 45, "tokenizers": 9, "safetensors": 1, "huggingface-hub": 3, "regex": 3}
CPU_TORCH = {"torch": 700, "sympy": 75, "networkx": 17, "mpmath": 5}


def _agents(rng: random.Random) -> list[tuple[str, str, str, dict[str, int]]]:
    small = {f"lib{i:02d}": max(1, int(rng.lognormvariate(1.0, 1.2))) for i in range(40)}
    weights = [1 / (i + 1) for i in range(40)]

    def picks() -> dict[str, int]:
        chosen = set(rng.choices(list(small), weights=weights, k=rng.randint(4, 14)))
        return {n: small[n] for n in chosen}

    agents = []
    for family, machine, count, torch_users in (("gpu-ada", "MainPC", 10, 3), ("gpu-ampere", "PC2", 6, 2)):
        for i in range(count):
            lock = picks()
            if i < torch_users:
                lock |= TORCH | (TRANSFORMERS if i < 2 else {})
            agents.append((f"{family}-{i}", machine, family, lock))
    for i in range(30):
        family = "cpu-web" if i % 3 == 0 else "cpu"
        lock = picks() | (CPU_TORCH if i in (4, 11, 25) else {})
        agents.append((f"cpu-{i}", "MainPC" if i % 2 else "PC2", family, lock))
    return agents


def synthetic(seed: int, directory: Path) -> tuple[Fleet, dict[str, dict[NormalizedName, Package]]]:
    agents = _agents(random.Random(seed))
    fleet = shaped_fleet(directory, {agent: (machine, family) for agent, machine, family, _ in agents})
    locks = {agent: {n: (_version(n, lock), size) for n, size in lock.items()} for agent, _, _, lock in agents}
    return fleet, shaped_locks(locks, TORCH_REQUIRES)


def _version(name: str, lock: dict[str, int]) -> str:
    return "2.5.1+cpu" if name == "torch" and lock["torch"] == CPU_TORCH["torch"] else "1.0"


def _table(
    title: str, fleet: Fleet, locks: Mapping[str, Mapping[NormalizedName, Package]], plan: Plan, tree: Plan
) -> str:
    lines = [
        f"**{title}**",
        "",
        "| machine | planned | tree only | (a) no families | (b) seed families | floor "
        "| planned/(a) | planned/(b) | planned/floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m, t in zip(plan.machines, tree.machines, strict=True):
        lines.append(
            f"| {m.machine} | {m.planned_installed / MB:,.0f} MB | {t.planned_installed / MB:,.0f} MB "
            f"| {m.no_families_installed / MB:,.0f} MB | {m.seed_families_installed / MB:,.0f} MB "
            f"| {m.floor_installed / MB:,.0f} MB | {m.planned_installed / m.no_families_installed:.2f} "
            f"| {m.planned_installed / m.seed_families_installed:.2f} | {m.planned_installed / m.floor_installed:.2f} |"
        )
    derived = [
        f"{f.family} ({len(f.agents)} agents{', a copy of ' + f.copy_of if f.copy_of else ''})"
        for f in plan.families
        if f.derived
    ]
    lines += ["", f"Derived layers: {', '.join(derived) or 'none'}.", ""]
    lines += [f"GPU distributions in layers of non-GPU families: {_gpu_in_cpu(fleet, plan, locks) or 'none'}."]
    checks = Counter(c.status for c in plan.cuda)
    lines += [f"CUDA checks of GPU families: {', '.join(f'{n} {s}' for s, n in sorted(checks.items())) or 'none'}.", ""]
    return "\n".join(lines)


def _gpu_in_cpu(fleet: Fleet, plan: Plan, locks: Mapping[str, Mapping[NormalizedName, Package]]) -> int:
    """How many distributions of the GPU set (at the versions the layer's agents lock) a layer of a
    family without ``gpu = true`` bakes in."""
    built = planned_fleet(fleet, plan)
    found = 0
    for layer in plan.families:
        if built.has_gpu(layer.family):
            continue
        below = [locks[s.agent] for s in plan.services if layer.family in s.chain]
        found += sum(any(in_gpu_set(n, lock[n].version) for lock in below if n in lock) for n in layer.packages)
    return found


def _worst(seeds: range) -> str:
    """The largest planned/(a), planned/(b) and planned/floor over the synthetic fleets of ``seeds``,
    and how many machines are above a baseline."""
    worst = {"(a)": 0.0, "(b)": 0.0, "floor": 0.0}
    above = gpu = 0
    for seed in seeds:
        with tempfile.TemporaryDirectory() as directory:
            shaped, locks = synthetic(seed, Path(directory))
            plan = plan_layers(shaped, locks)
        gpu += _gpu_in_cpu(shaped, plan, locks)
        for m in plan.machines:
            worst["(a)"] = max(worst["(a)"], m.planned_installed / m.no_families_installed)
            worst["(b)"] = max(worst["(b)"], m.planned_installed / m.seed_families_installed)
            worst["floor"] = max(worst["floor"], m.planned_installed / m.floor_installed)
            above += m.planned_installed > min(m.no_families_installed, m.seed_families_installed)
    figures = ", ".join(f"planned/{k} ≤ {v:.2f}" for k, v in worst.items())
    return (
        f"**Synthetic fleets of seeds {seeds.start}-{seeds.stop - 1}**: {figures}; machines above a baseline: "
        f"{above} of {2 * len(seeds)}; GPU distributions in non-GPU layers: {gpu}.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=0, help="also the worst ratios over synthetic seeds 1..N")
    args = parser.parse_args(argv)
    fleet = load_fleet(ROOT / "agents.toml")
    bundled = api.plan(fleet)
    tree_fleet = dataclasses.replace(fleet, layers=dataclasses.replace(fleet.layers, max_derived=0))
    print(
        _table(
            "Bundled fleet (committed locks)",
            fleet,
            bundled.packages,
            bundled.plan,
            plan_layers(tree_fleet, bundled.packages),
        )
    )
    with tempfile.TemporaryDirectory() as directory:
        shaped, locks = synthetic(args.seed, Path(directory))
        print(_table(f"Synthetic fleet of the real shape (seed {args.seed})", shaped, locks, plan_layers(shaped, locks),
                     plan_tree(shaped, locks)))  # fmt: skip
    if args.seeds:
        print(_worst(range(1, args.seeds + 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
