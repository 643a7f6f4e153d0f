"""The commands that build on the locks: ``plan``, ``dockerfiles`` and ``check``; their options and text
reports."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from depmin import api
from depmin._names import canonicalize_name
from depmin.cli import documents
from depmin.cli.options import Command, force, load, no_cache
from depmin.cli.output import Output, dumps, mb, pct, shown
from depmin.errors import EXIT_FINDINGS, EXIT_OK, ConfigError, Problem
from depmin.layout import Layout
from depmin.manifest import Fleet

if TYPE_CHECKING:  # the stages below are imported by the commands that run them (start-up time)
    from depmin.layers import Plan

__all__ = ["CHECK", "DOCKERFILES", "PLAN"]


def cmd_plan(args: argparse.Namespace, output: Output) -> int:
    """Decide the family layers from the locks; write family and delta locks and the report."""
    from depmin.layers import render as plan_render  # noqa: PLC0415 - a later stage, imported when used

    fleet = load(args)
    result = api.plan(fleet, measure=args.measure)
    plan = result.plan
    if args.explain:
        name = canonicalize_name(args.explain)
        if output.json:
            output.print(dumps(plan_render.explain_json(plan, name)))
        else:
            output.print(plan_render.explain(plan, name))
        return EXIT_OK
    if args.check:
        return _plan_check(fleet, result, output)
    if args.suggest_families:
        return _suggest(fleet, output)
    written = api.write_plan(fleet, result, force=args.force)
    errors = api.explain_plan(fleet, result)
    if output.json:
        output.print(dumps(documents.plan_document(plan, errors)))
    else:
        _print_plan(output, plan, written)
    for error in errors:
        output.error(error)
    return EXIT_FINDINGS if plan.problems else EXIT_OK


def _print_plan(output: Output, plan: Plan, written: Mapping[Path, bool]) -> None:
    rows = [
        [
            m.machine,
            mb(m.planned_installed),
            mb(m.no_families_installed),
            mb(m.seed_families_installed),
            mb(m.floor_installed),
            pct(m.planned_installed, m.floor_installed),
        ]
        for m in plan.machines
    ]
    output.print("bytes stored per machine (installed, with base images):")
    output.table(["machine", "planned", "no families (a)", "seed families (b)", "floor", "planned/floor"], rows)
    output.table(
        ["family", "on top of", "installed", "distributions"],
        [[f.family, f.extends or "-", mb(f.installed_bytes), ", ".join(f.packages) or "-"] for f in plan.families],
    )
    output.print(f"{len(written)} files under locks/: {_counts(written)}")
    for warning in plan.warnings:
        output.warn(warning)
    for note in plan.notes:
        output.note(f"note: {note}")


def _plan_check(fleet: Fleet, result: api.PlanResult, output: Output) -> int:
    problems = api.plan_drift(fleet, result)
    if output.json:
        output.print(dumps(documents.plan_check_document(problems)))
        return EXIT_FINDINGS if problems else EXIT_OK
    for problem in problems:
        output.print(f"size drift: {problem}")
    if not problems:
        output.print(f"no image grew beyond {fleet.layers.size_tolerance:.0%} of plan.json")
    return EXIT_FINDINGS if problems else EXIT_OK


def _suggest(fleet: Fleet, output: Output) -> int:
    suggestions = api.suggest_families(fleet)
    if output.json:
        output.print(dumps(documents.suggest_document(suggestions)))
        return EXIT_OK
    for s in suggestions:
        saved = ", ".join(f"{machine} {mb(size)}" for machine, size in sorted(s.saved.items()))
        output.print(f"[families.{s.name}] extends = {s.extends!r}: saves {saved}")
        output.print(f"  agents: {', '.join(s.agents)}")
        output.print(f"  would bake in: {', '.join(s.packages) or '-'}")
    if not suggestions:
        output.print("no sub-family would save bytes against the current agents.toml")
    return EXIT_OK


def _plan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--explain", metavar="DIST", help="say why DIST is or is not in a family layer")
    parser.add_argument(
        "--measure",
        action="store_true",
        help="read installed sizes of wheels not yet measured from their index (HTTP Range requests of "
        "each wheel's tail) into locks/installed-sizes.json",
    )
    force(parser)
    parser.add_argument(
        "--suggest-families",
        action="store_true",
        help="propose sub-families (clustered from the locks) and the bytes each saves; changes nothing",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="fail when an image grew beyond [layers] size_tolerance (writes nothing)",
    )


def cmd_check(args: argparse.Namespace, output: Output) -> int:
    """Exit 1 when a generated file is stale; print each, why, and the command that fixes it."""
    fleet = load(args)
    scanned = api.scan(fleet, use_cache=not args.no_cache)
    output.scan_notices(scanned.warnings, scanned.skipped)
    stale = api.check(fleet, use_cache=not args.no_cache, scanned=scanned)
    unclassified = api.unclassified(fleet, scanned)
    for line in unclassified:
        output.warn(line)
    cuda = api.cuda_checks(fleet)
    mismatch = output.cuda(cuda)
    if output.json:
        output.print(dumps(documents.check_document(stale, cuda)))
    else:
        for item in stale:
            output.print(f"stale: {shown(item.path)}: {item.reason}; run `{item.command}`")
        if not stale:
            output.print("all generated files are current")
    return EXIT_FINDINGS if stale or unclassified or mismatch else EXIT_OK


def _check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="parse every file again and plan and render everything again, trusting no sums file",
    )
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="ignored: the whole fleet is always checked (a deleted or renamed module affects agents "
        "whose files were not touched), so a subset of names can never give a false pass",
    )


def cmd_dockerfiles(args: argparse.Namespace, output: Output) -> int:
    """Render the build tree from the plan and the scan; write it under dockerfiles/."""
    from depmin.dockerfiles import context_root, no_wheel_warnings, registry_problem  # noqa: PLC0415

    problem = registry_problem(args.registry)  # before anything is read or written
    if problem is not None:
        raise ConfigError([Problem("--registry", problem)])
    fleet = load(args)
    context_root(fleet)  # a root the build context cannot hold: exit 2 now, not after the scan
    planned = api.plan(fleet)
    scanned = api.scan(fleet, use_cache=not args.no_cache)
    output.scan_notices(scanned.warnings, scanned.skipped)
    tree = api.render_dockerfiles(fleet, planned, scanned, registry=args.registry)
    written = api.write_dockerfiles(fleet, tree, force=args.force)
    for warning in no_wheel_warnings(Layout.beside(fleet.path), fleet, planned.sdists):  # before anyone builds
        output.warn(warning)
    if output.json:
        output.print(dumps(documents.dockerfiles_document(written)))
    else:
        output.print(f"{len(written)} files under dockerfiles/: {_counts(written)}")
    return EXIT_OK if scanned.ok else EXIT_FINDINGS


def _dockerfiles_options(parser: argparse.ArgumentParser) -> None:
    no_cache(parser)
    force(parser)
    parser.add_argument(
        "--registry",
        default=api.DEFAULT_REGISTRY,
        help="image registry prefix for bake and compose, host[:port][/path] (default: %(default)s)",
    )


CHECK = Command(handler=cmd_check, options=_check_options)
DOCKERFILES = Command(handler=cmd_dockerfiles, options=_dockerfiles_options)
PLAN = Command(handler=cmd_plan, options=_plan_options)


def _counts(written: Mapping[Path, bool]) -> str:
    """ "3 written, 60 unchanged" (", 1 removed": the file of a layer, agent or machine that is gone)."""
    removed = len(documents.removed(written))
    changed = sum(written.values()) - removed
    return f"{changed} written, {len(written) - changed - removed} unchanged" + (
        f", {removed} removed" if removed else ""
    )
