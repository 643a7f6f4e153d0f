"""The commands that pin and fetch distributions: ``lock`` and ``wheelhouse``; their options and text
reports."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from depmin import api
from depmin._secrets import redact
from depmin.cli import documents
from depmin.cli.options import Command, force, load, no_cache, python_option
from depmin.cli.output import Output, dumps, mb, shown
from depmin.errors import EXIT_FINDINGS, EXIT_OK, ConfigError, Problem
from depmin.layout import Layout
from depmin.manifest import Fleet

if TYPE_CHECKING:  # the lock stage is imported by the commands that run it (start-up time)
    from depmin.locking import FleetLock

__all__ = ["LOCK", "WHEELHOUSE"]


def _generated(args: argparse.Namespace, fleet: Fleet, output: Output) -> api.Generated:
    """Scan and generate the whole fleet, whichever agents were chosen: the union fixes every version."""
    scanned = api.scan(fleet, use_cache=not args.no_cache)
    output.scan_notices(scanned.warnings, scanned.skipped)
    return api.generate(fleet, scanned, chain=api.mapper(fleet, python=args.python))


def _require_one_choice(args: argparse.Namespace) -> None:
    """lock never defaults to the whole fleet (a slow, networked resolve): exactly one of the choices."""
    if sum(bool(x) for x in (args.agent, args.family, args.all)) != 1:
        raise ConfigError([Problem("depmin lock", "choose the agents: --agent NAME, --family F or --all")])


def cmd_lock(args: argparse.Namespace, output: Output) -> int:
    """Resolve hashed, fleet-consistent locks for the chosen agents (only the stale ones)."""
    fleet = load(args)
    _require_one_choice(args)
    selected = api.select_agents(fleet, args.agent, args.family)
    generated = _generated(args, fleet, output)
    if args.check:
        return _lock_check(output, api.lock_status(fleet, generated, selected, backend=args.backend))
    # The union pins every agent's distributions, guessed names included: as loud as `generate`,
    # and before resolving, so the warning shows even when the lock then fails.
    for warning in (generated.guesses, generated.ambiguities):
        if warning:
            output.warn(warning)
    done = _lock(args, output, fleet, generated, selected)
    result = done.result
    # The families' CUDA against every current lock of theirs, fresh ones too: never silently wrong.
    cuda = api.cuda_checks(fleet, selected)
    if output.json:
        output.print(dumps(documents.lock_document(done, cuda)))
    else:
        _print_lock(output, result)
    # One line per problem: a missing distribution or a family's conflict fails several agents
    # with the same text.
    problems = [
        problem
        for agent in result.agents
        for problem in agent.problems or ((agent.reason,) if agent.state == "failed" else ())
    ]
    for problem in dict.fromkeys(problems):
        output.error(redact(problem))
    mismatch = output.cuda(cuda)
    diverged = bool(result.divergences) and not args.allow_divergence
    return EXIT_OK if result.ok and not diverged and not mismatch else EXIT_FINDINGS


def _lock(
    args: argparse.Namespace, output: Output, fleet: Fleet, generated: api.Generated, selected: list[str]
) -> api.LockResult:
    """Write the selected agents' requirements.generated.txt (the locks' inputs), then lock them.

    Every file either step may write is checked first, so a refusal (a hand-written lock, a symlink
    out of the repository) leaves everything as it was."""
    _check_find_links(args.find_links or ())
    from depmin.locking import check_targets  # noqa: PLC0415 - a later stage, imported when used

    check_targets(Layout.beside(fleet.path), selected, force=args.force)
    chosen = set(selected)
    subset = api.Generated(
        agents=tuple(r for r in generated.agents if r.agent in chosen), guesses=None, ambiguities=None
    )
    api.write_requirements(fleet, subset, force=args.force)
    return api.lock(
        fleet,
        generated,
        selected,
        backend=args.backend,
        offline=args.offline,
        find_links=args.find_links or (),
        allow_divergence=args.allow_divergence,
        upgrade=args.upgrade,
        force=args.force,
        workers=args.workers,
        progress=output.progress("locking"),
    )


def _check_find_links(links: Sequence[Path]) -> None:
    """``--find-links`` names wheelhouse directories: refuse anything else before resolving."""
    problems = [
        Problem(f"--find-links {link}", "is not a directory; pass a wheelhouse directory")
        for link in links
        if not link.is_dir()
    ]
    if problems:
        raise ConfigError(problems)


def _print_lock(output: Output, result: FleetLock) -> None:
    changed = [a for a in result.agents if a.state != "fresh"]
    for agent in changed if not output.verbose else result.agents:
        count = f"{len(agent.packages)} distributions" if agent.packages else ""
        # a failure's reason is printed once, with the errors (several agents often share it)
        reason = "see the errors" if agent.state == "failed" else agent.reason
        output.print(f"{agent.agent}: {agent.state} ({reason}) {count}".rstrip())
    locked = [a.agent for a in result.agents if a.state == "locked"]
    if locked:
        output.print(f"re-resolved {len(locked)} stale agent(s): {', '.join(locked)}")
    for conflict in result.conflicts:
        output.print(redact(f"conflict: {conflict}"))
    for name, versions in result.divergences.items():
        shown_versions = "; ".join(f"{version} ({', '.join(agents)})" for version, agents in versions.items())
        output.print(f"divergent: {name}: {shown_versions}")
    unverified = sorted({f"{a.agent}: {m}" for a in result.agents for m in a.unverified})
    if unverified:
        output.note(
            f"note: {len(unverified)} import(s) not checked against wheel contents (no wheel on disk; "
            "`depmin wheelhouse` fetches them)" + (": " + ", ".join(unverified) if output.verbose else "")
        )
    output.warn_all(sorted({line for a in result.agents for line in a.uncertain}))
    for note in result.notes:
        output.note(note)
    _print_lock_summary(output, result)


def _print_lock_summary(output: Output, result: FleetLock) -> None:
    states = Counter(a.state for a in result.agents)
    output.table(
        ["agents", "locked", "fresh", "failed", "distributions", "divergences", "backend", "time"],
        [
            [
                str(len(result.agents)),
                str(states["locked"]),
                str(states["fresh"]),
                str(states["failed"]),
                str(result.distributions),
                str(len(result.divergences)),
                result.backend,
                f"{result.seconds:.2f} s",
            ]
        ],
    )


def _lock_check(output: Output, status: Mapping[str, str]) -> int:
    stale = {agent: why for agent, why in status.items() if why}
    if output.json:
        output.print(dumps(documents.lock_check_document(status)))
    else:
        for agent, why in stale.items():
            output.print(f"stale: {agent}: {why}; run `depmin lock --agent {agent}`")
        output.print(f"{len(status)} locks: {len(stale)} stale")
    return EXIT_FINDINGS if stale else EXIT_OK


def _selection_options(parser: argparse.ArgumentParser) -> None:
    """The options lock and wheelhouse share: which agents, and how to scan them."""
    parser.add_argument("--agent", action="append", metavar="NAME", help="this agent (repeatable)")
    parser.add_argument("--family", metavar="F", help="the agents of family F and of the families that extend it")
    no_cache(parser)
    python_option(parser)


def _lock_options(parser: argparse.ArgumentParser) -> None:
    _selection_options(parser)
    parser.add_argument("--all", action="store_true", help="every agent of the fleet")
    parser.add_argument(
        "--backend",
        choices=("uv", "pip-tools"),
        default="uv",
        help="resolver (default: uv; pip-tools runs pip-compile)",
    )
    parser.add_argument(
        "--offline", action="store_true", help="no network: only wheelhouses (find_links) and the cache"
    )
    parser.add_argument(
        "--find-links", action="append", type=Path, metavar="DIR", help="a wheelhouse directory to use too (repeatable)"
    )
    parser.add_argument(
        "--allow-divergence",
        action="store_true",
        help="accept different versions across families; lock agents alone when their family conflicts",
    )
    parser.add_argument("--upgrade", action="store_true", help="ignore current pins: re-resolve to the newest versions")
    parser.add_argument("--check", action="store_true", help="only say which locks are stale (offline; writes nothing)")
    force(parser)
    parser.add_argument("--workers", type=int, default=0, metavar="N", help="agents resolved at once (default: auto)")


def cmd_wheelhouse(args: argparse.Namespace, output: Output) -> int:
    """Download every locked file of the chosen agents into a versioned wheelhouse, hash-checked; no
    choice means the whole fleet."""
    fleet = load(args)
    selected = api.select_agents(fleet, args.agent, args.family)
    label = args.family or (args.agent[0] if args.agent and len(args.agent) == 1 else "fleet")
    generated = _generated(args, fleet, output)
    result = api.wheelhouse(fleet, generated, selected, label=label, directory=args.dest)
    if output.json:
        output.print(dumps(documents.wheelhouse_document(result)))
    else:
        total = sum(result.files.values())
        output.print(
            f"{shown(result.directory)}: {len(result.files)} files ({mb(total)}) for {len(result.agents)} agents; "
            f"{len(result.fetched)} downloaded, {len(result.files) - len(result.fetched)} already there (hash checked)"
        )
        output.print(f"use it with: depmin lock --offline --find-links {shown(result.directory)}")
    output.warn_all(result.uncertain)
    for problem in result.problems:
        output.error(problem)
    return EXIT_FINDINGS if result.problems else EXIT_OK


def _wheelhouse_options(parser: argparse.ArgumentParser) -> None:
    _selection_options(parser)
    parser.add_argument("--dest", type=Path, metavar="DIR", help="directory (default: wheelhouse/<label>-<digest>)")


LOCK = Command(handler=cmd_lock, options=_lock_options)
WHEELHOUSE = Command(handler=cmd_wheelhouse, options=_wheelhouse_options)
