"""Rendering a layer :class:`~depmin.layers.plan.Plan`: family and delta locks, plan.json, plan.md, the
``--explain`` text and the size-drift check. Pure: text in, text out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace

from depmin._files import MARKER
from depmin._names import NormalizedName
from depmin.layers.plan import Plan
from depmin.layout import PLAN_JSON, PLAN_MD, SERVICE_LOCK_NAME, family_lock
from depmin.locking.files import Pinned, render_requirements
from depmin.manifest import Fleet
from depmin.requirements.tables import heavy_kind

__all__ = ["drift", "explain", "explain_json", "plan_json", "render_all"]


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _lock_text(title: str, names: tuple[NormalizedName, ...], entries: Mapping[NormalizedName, Pinned]) -> str:
    header = (
        f"{MARKER} (`depmin plan`): {title}.",
        "Do not edit: change agents.toml or the agents' locks, then run `depmin plan`.",
        "Install with: pip install --no-cache-dir --require-hashes --no-deps -r <this file>",
    )
    # The agents' `# via` lines name files and packages of other locks: left out here.
    return render_requirements(header, (replace(entries[name], via=()) for name in names))


def render_all(fleet: Fleet, plan: Plan, entries: Mapping[str, Mapping[NormalizedName, Pinned]]) -> dict[str, str]:
    """``{path relative to locks/: text}`` for every file the plan writes."""
    files: dict[str, str] = {}
    for layer in plan.families:
        # The pins of the agents on this layer: the fleet may lock another version of a name elsewhere.
        below = sorted({s.agent for s in plan.services if layer.family in s.chain} & set(entries))
        any_entry = {name: entry for agent in below for name, entry in entries[agent].items()}
        parent = layer.extends
        kind = "derived layer" if layer.derived else "family"
        title = f"{kind} {layer.family}" + (f" (on top of family {parent})" if parent else "")
        if layer.copy_of is not None:
            title += f", a copy of family {layer.copy_of} for {', '.join(layer.machines)}"
        files[str(family_lock(layer.family))] = _lock_text(title, layer.packages, any_entry)
    seen: set[str] = set()
    for image in plan.services:
        if image.agent in seen:  # one delta per agent: it does not depend on the machine
            continue
        seen.add(image.agent)
        title = f"what {image.agent} installs on top of family {image.family}"
        files[f"{image.agent}/{SERVICE_LOCK_NAME}"] = _lock_text(title, image.delta, entries[image.agent])
    files[PLAN_JSON] = json.dumps(plan_json(plan), indent=2, sort_keys=True) + "\n"
    files[PLAN_MD] = report(plan)
    return files


def plan_json(plan: Plan) -> dict[str, object]:
    return {
        "_generated": f"{MARKER} (`depmin plan`). Do not edit: run `depmin plan`.",
        "schema": "depmin.plan/1",
        "families": {
            f.family: {
                "packages": list(f.packages),
                "bytes": f.bytes,
                "installed_bytes": f.installed_bytes,
                "machines": list(f.machines),
                "extends": f.extends,
                "derived": f.derived,
                "agents": list(f.agents),
                **({} if f.copy_of is None else {"copy_of": f.copy_of}),
            }
            for f in plan.families
        },
        "services": {
            f"{s.agent}@{s.machine}": {
                "family": s.family,
                "delta": list(s.delta),
                "delta_bytes": s.delta_bytes,
                "unused": list(s.unused),
                "unused_bytes": s.unused_bytes,
                "total_bytes": s.total_bytes,
                "installed_bytes": s.installed_bytes,
                "pull_bytes": s.pull_bytes,
            }
            for s in plan.services
        },
        "machines": {
            m.machine: {
                "planned": m.planned,
                "no_families": m.no_families,
                "seed_families": m.seed_families,
                "floor": m.floor,
                "installed": {
                    "planned": m.planned_installed,
                    "no_families": m.no_families_installed,
                    "seed_families": m.seed_families_installed,
                    "floor": m.floor_installed,
                    "base_images": m.base_images,
                },
            }
            for m in plan.machines
        },
        "cuda": {
            c.family: {
                "cuda": c.cuda,
                "source": c.source,
                "status": c.status,
                "wheels": {version: list(pins) for version, pins in c.wheels.items()},
                "disagreeing": list(c.wrong),
                "index": c.index,
                "accepted": c.accepted or None,
            }
            for c in plan.cuda
        },
        "base_duplicates": {
            b.family: {
                "image": b.image,
                "flavours": list(b.flavours),
                "machines": list(b.machines),
                "duplicated": list(b.duplicated),
                "duplicated_bytes": b.duplicated_bytes,
                "slimmer": b.slimmer,
                "saving_bytes": b.saving_bytes,
            }
            for b in plan.bases
        },
        "problems": [str(problem) for problem in plan.problems],
        "warnings": list(plan.warnings),
        "notes": list(plan.notes),
    }


def report(plan: Plan) -> str:
    """plan.md: per machine, per family image and per service image, with both baselines."""
    lines = [
        f"<!-- {MARKER} (`depmin plan`). Do not edit. -->",
        "# Layer plan",
        "",
        "Bytes stored per machine: the locked wheels installed (measured from each wheel's file list, else",
        "its download size) plus the base images (`families.X.base_mb`). The plan minimises these. Baseline",
        "(a): no family layers, every service installs all its locked distributions itself. Baseline (b): the",
        "seed's fixed family stacks (section C) on the same locks. Floor: every locked distribution of the",
        "machine stored once.",
        "",
        "| machine | planned | no families (a) | vs (a) | seed families (b) | vs (b) | floor | vs floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in plan.machines:
        lines.append(
            f"| {m.machine} | {_mb(m.planned_installed)} | {_mb(m.no_families_installed)} "
            f"| {_ratio(m.planned_installed, m.no_families_installed)} | {_mb(m.seed_families_installed)} "
            f"| {_ratio(m.planned_installed, m.seed_families_installed)} | {_mb(m.floor_installed)} "
            f"| {_ratio(m.planned_installed, m.floor_installed)} |"
        )
    lines += [
        "",
        "Pulled (download bytes of the wheels, without base images):",
        "",
        "| machine | planned | no families (a) | seed families (b) | floor |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {m.machine} | {_mb(m.planned)} | {_mb(m.no_families)} | {_mb(m.seed_families)} | {_mb(m.floor)} |"
        for m in plan.machines
    ]
    lines += [
        "",
        "## Family layers",
        "",
        "| family | on top of | machines | installed | download | distributions |",
        "| --- | --- | --- | ---: | ---: | --- |",
    ]
    for f in plan.families:
        parent = (f.extends or "-") + (
            f" (a copy of {f.copy_of} by the plan)" if f.copy_of else " (derived by the plan)" if f.derived else ""
        )
        lines.append(
            f"| {f.family} | {parent} | {', '.join(f.machines) or '-'} | {_mb(f.installed_bytes)} "
            f"| {_mb(f.bytes)} | {', '.join(f.packages) or '-'} |"
        )
    lines += [
        "",
        "## Service images",
        "",
        "| service | machine | family | delta | unused | image installed | pull |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for s in plan.services:
        lines.append(
            f"| {s.agent} | {s.machine} | {s.family} | {_mb(s.delta_bytes)} "
            f"| {_mb(s.unused_bytes)} | {_mb(s.installed_bytes)} | {_mb(s.pull_bytes)} |"
        )
    lines += _heavy_stacks(plan)
    lines += _cuda(plan)
    if plan.problems or plan.warnings or plan.notes:
        lines += ["", "## Findings", ""]
        lines += [f"- error: {p}" for p in plan.problems]
        lines += [f"- warning: {w}" for w in plan.warnings]
        lines += [f"- note: {n}" for n in plan.notes]
    return "\n".join(lines) + "\n"


def _heavy_stacks(plan: Plan) -> list[str]:
    """Per family, each heavy framework the plan baked in or kept out, why, and the bytes of the choice."""
    rows = []
    for name, decisions in sorted(plan.decisions.items()):
        if heavy_kind(name) is None or name.startswith(("nvidia-", "cuda-")):
            continue
        for d in sorted(decisions, key=lambda d: d.family):
            verdict = "in" if d.chosen else "out"
            rows.append(
                f"| {d.family} | {name} | {verdict} | {d.reason} | {len(d.users)} | {_mb(d.saved)} | {_mb(d.cost)} |"
            )
    if not rows:
        return []
    return [
        "",
        "## Heavy stacks: in or out, and why",
        "",
        "Saved: installed bytes the services below the family would not carry; cost: the layer's copies, one",
        "per machine. A stack kept out because of the family's non-users may sit in a derived layer (above).",
        "",
        "| family | stack | layer | reason | services using it | saved | cost |",
        "| --- | --- | --- | --- | ---: | ---: | ---: |",
        *rows,
    ]


def _cuda(plan: Plan) -> list[str]:
    """Each GPU family's CUDA against its wheels', and the base images whose CUDA libraries they duplicate."""
    if not plan.cuda and not plan.bases:
        return []
    lines = [
        "",
        "## CUDA",
        "",
        "A family's CUDA (`families.X.cuda`, else guessed from its `nvidia/cuda` image) against the CUDA its",
        "agents' locked wheels are built for (torch's `+cuXYZ`, the runtime wheels' versions, `-cuNN` names).",
        "",
        "| family | CUDA | from | wheels' CUDA | verdict |",
        "| --- | --- | --- | --- | --- |",
    ]
    verdicts = {"ok": "agree", "mismatch": "error: disagree", "accepted": "disagree (accepted)", "undeclared": "-"}
    for c in plan.cuda:
        accepted = f" by families.{c.accepted_by}.accept_cuda_mismatch" if c.status == "accepted" else ""
        verdict = verdicts[c.status].replace("(accepted)", f"(accepted{accepted})")
        wheels = ", ".join(c.wheels) or "no CUDA wheels"
        lines.append(f"| {c.family} | {c.cuda or '-'} | {c.source} | {wheels} | {verdict} |")
    if plan.bases:
        lines += [
            "",
            "Base images that ship CUDA libraries the wheels install again (installed bytes of those wheels;",
            "the saving is the base image's copy of the libraries its `-base` flavour leaves out, estimated by",
            "the same wheels and at most `families.X.base_mb`, once per machine):",
            "",
            "| family | from | duplicated by | duplicated | slimmer base | saves per machine | machines |",
            "| --- | --- | --- | ---: | --- | ---: | --- |",
        ]
        for b in plan.bases:
            names = ", ".join(pin.split("==")[0] for pin in b.duplicated)
            lines.append(
                f"| {b.family} | {b.image} | {names} | {_mb(b.duplicated_bytes)} | {b.slimmer or '-'} "
                f"| {_mb(b.saving_bytes)} | {', '.join(b.machines)} |"
            )
    return lines


def _ratio(planned: int, baseline: int) -> str:
    return "-" if baseline == 0 else f"{planned / baseline:.2f}x"


def explain(plan: Plan, name: NormalizedName) -> str:
    """Why ``name`` is or is not in each family layer."""
    where = [f.family for f in plan.families if name in f.packages]
    users = plan.locked_by(name)
    head = f"{name} is in the {', '.join(where)} family layer" if where else f"{name} is in no family layer"
    lines = [head + f"; {len(users)} agents lock it" + (f": {', '.join(users)}" if users else "") + "."]
    for d in plan.decisions.get(name, ()):
        verdict = "baked into" if d.chosen else "kept out of"
        lines.append(
            f"- {verdict} {d.family}: {d.reason}; services below {d.family} that use it: {len(d.users)}; "
            f"saves {_mb(d.saved)} of service layers for {_mb(d.cost)} of family layers "
            f"(net {_mb(d.saved - d.cost)})"
        )
    if not plan.decisions.get(name):
        lines.append("- no family has two or more services that lock it, so every user installs it itself")
    return "\n".join(lines)


def explain_json(plan: Plan, name: NormalizedName) -> dict[str, object]:
    """``--explain --format json``: the same facts as :func:`explain`."""
    return {
        "schema": "depmin.explain/1",
        "distribution": name,
        "families": [f.family for f in plan.families if name in f.packages],
        "locked_by": list(plan.locked_by(name)),
        "decisions": [
            {
                "family": d.family,
                "chosen": d.chosen,
                "reason": d.reason,
                "users": list(d.users),
                "saved_bytes": d.saved,
                "cost_bytes": d.cost,
            }
            for d in plan.decisions.get(name, ())
        ],
    }


def drift(old: Mapping[str, object], plan: Plan, tolerance: float) -> list[str]:
    """Images whose bytes grew beyond ``tolerance`` against a committed plan.json, with the
    distributions responsible."""
    new = plan_json(plan)
    problems: list[str] = []
    for section, size_key, names_key in (
        ("families", "bytes", "packages"),
        ("services", "total_bytes", "delta"),
    ):
        before = old.get(section, {})
        after = new[section]
        assert isinstance(after, dict)
        if not isinstance(before, dict):
            continue
        for image, now in sorted(after.items()):
            was = before.get(image)
            if not isinstance(was, dict) or not was.get(size_key):
                continue
            if now[size_key] > was[size_key] * (1 + tolerance):
                added = sorted(set(now[names_key]) - set(was.get(names_key, [])))
                growth = (now[size_key] - was[size_key]) / was[size_key]
                problems.append(
                    f"{image}: {_mb(was[size_key])} -> {_mb(now[size_key])} (+{growth:.0%}, tolerance "
                    f"{tolerance:.0%}); new: {', '.join(added) or 'larger versions of the same ones'}"
                )
    return problems
