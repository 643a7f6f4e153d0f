"""The plan's input from the committed locks: installed sizes from locks/installed-sizes.json, else download sizes."""

from __future__ import annotations

import shutil
from pathlib import Path

from depmin import api
from depmin.locking.installed import SIZES_NAME, parse_sizes
from depmin.manifest import load_fleet

ROOT = Path(__file__).resolve().parents[2]


def test_committed_installed_sizes_are_what_the_plan_counts(tmp_path: Path) -> None:
    shutil.copy(ROOT / "agents.toml", tmp_path / "agents.toml")
    shutil.copytree(ROOT / "locks", tmp_path / "locks")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    fleet = load_fleet(tmp_path / "agents.toml")
    measured = parse_sizes((tmp_path / "locks" / SIZES_NAME).read_text(encoding="utf-8"))
    result = api.plan(fleet)
    torches = [lock["torch"] for lock in result.packages.values() if "torch" in lock]
    sized = [p for lock in result.packages.values() for p in lock.values() if p.size]
    assert sized and all(p.installed is not None for p in sized)
    assert sum(p.installed or 0 for p in sized) > sum(p.size for p in sized)  # wheels are compressed
    assert set(result.installed) <= set(measured)
    assert not any("not measured" in note for note in result.plan.notes)
    assert torches and all(t.installed is not None and t.installed > 2 * t.size for t in torches)
    # Without the measurements (offline, never measured): download sizes, and the plan says so.
    (tmp_path / "locks" / SIZES_NAME).unlink()
    offline = api.plan(fleet)
    assert all(p.installed is None for lock in offline.packages.values() for p in lock.values() if p.size)
    assert any(f"installed sizes of {len({p.name for p in sized})} distributions are not measured" in n
               for n in offline.plan.notes)  # fmt: skip
    assert offline.plan.machines[0].planned_installed < result.plan.machines[0].planned_installed
