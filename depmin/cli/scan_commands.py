"""The commands that read the sources: ``fleet``, ``scan``, ``why``, ``generate`` and ``needs``; their
options and text reports."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from depmin import api
from depmin._gc import paused
from depmin.cli import documents
from depmin.cli.documents import Mapped
from depmin.cli.options import Command, force, load, no_cache, no_options, python_option
from depmin.cli.output import Output, dumps, shortened, shown
from depmin.errors import EXIT_FINDINGS, EXIT_OK
from depmin.requirements import map_imports
from depmin.requirements.hints import read_hints
from depmin.scanning import AgentScan

if TYPE_CHECKING:  # scan maps imports but infers no needs: the needs module is imported by `needs` (start-up)
    from depmin.requirements import NeedsReport, Resolution

__all__ = ["FLEET", "GENERATE", "NEEDS", "SCAN", "WHY"]


def cmd_fleet(args: argparse.Namespace, output: Output) -> int:
    """Load and validate agents.toml and print the fleet."""
    fleet = load(args)
    if output.json:
        output.print(dumps(documents.fleet_document(fleet)))
        return EXIT_OK
    rows = [
        [
            agent.name,
            ",".join(agent.machines),
            agent.family,
            ",".join(map(str, agent.ports)),
            "" if agent.health_port is None else str(agent.health_port),
            ",".join(agent.needs),
            agent.entrypoint,
        ]
        for agent in fleet.agents.values()
    ]
    output.table(["agent", "machines", "family", "ports", "health", "needs", "entrypoint"], rows)
    output.print(
        f"{len(fleet.agents)} agents on {len(fleet.machines)} machines, {len(fleet.families)} families ({fleet.path})"
    )
    return EXIT_OK


def cmd_scan(args: argparse.Namespace, output: Output) -> int:
    """Walk each agent's import graph and report its third-party modules."""
    with paused():  # mapping and writing the scan make no reference cycles either (depmin._gc)
        return _scan(args, output)


def _scan(args: argparse.Namespace, output: Output) -> int:
    fleet = load(args)
    result = api.scan(fleet, args.agent or None, use_cache=not args.no_cache, progress=output.progress("scanning"))
    output.scan_notices(result.warnings, result.skipped)
    chain = api.mapper(fleet, python=args.python)
    hints = read_hints(fleet, (fleet.agent(scan.agent) for scan in result.agents))  # as generate reads them
    mapped = {s.agent: map_imports(fleet, fleet.agent(s.agent), s, chain, hints[s.agent]) for s in result.agents}
    if output.json:
        for piece in documents.scan_pieces(result, mapped, detail=args.detail):
            output.out.write(piece)
        output.print()
    else:
        for agent in result.agents:
            _print_agent(output, agent, mapped[agent.agent], detail=args.detail)
        output.print(_scan_summary(result))
    return EXIT_OK if result.ok else EXIT_FINDINGS


def _dists(found: tuple[Resolution, ...]) -> str:
    labels = (f"{r.distribution} ({r.source}{', ambiguous' if r.ambiguous else ''})" for r in found)
    return ", ".join(dict.fromkeys(labels))


def _print_agent(output: Output, scan: AgentScan, mapped: Mapped, *, detail: bool = False) -> None:
    output.print(f"{scan.agent}  ({scan.entrypoint}, run as {scan.run_mode}, Python {scan.python})")
    for error in scan.errors:
        output.print(f"  error: {error}")
    output.print(
        f"  first-party files: {len(scan.files)}  recovered: {len(scan.recovered)}  "
        f"missing first-party: {len(scan.missing)}  unresolved: {len(scan.unresolved)}"
    )
    rows = [
        [
            "  " + ext.module,
            ext.kind + (f" [{ext.marker}]" if ext.marker else ""),
            _dists(mapped[ext]),
            f"{ext.first.file}:{ext.first.line}",
        ]
        for ext in scan.third_party
    ]
    if rows:
        output.table(["  third-party", "kind", "distribution (source)", "first site"], rows)
    if detail:
        for ext in scan.third_party:
            output.print(f"  sites of {ext.module}: " + ", ".join(f"{hop.file}:{hop.line}" for hop in ext.sites))
    _print_findings(output, scan)
    output.print()


def _print_findings(output: Output, scan: AgentScan) -> None:
    for item in scan.missing:
        output.print(f"  missing first-party: {item.module} ({item.site.file}:{item.site.line}: {item.reason})")
    for item in scan.unresolved:
        output.print(f"  unresolved: {item.module} ({item.site.file}:{item.site.line}: {item.reason})")
    for recovered in scan.recovered:
        output.print(f"  recovered: {recovered.file} (does not parse: line {recovered.line}: {recovered.error})")
    for problem in scan.run_problems:
        output.print(f"  run mode: {problem}")
    if output.verbose:
        for note in scan.notes:
            output.print(f"  note: {note}")


def _scan_summary(result: api.FleetScan) -> str:
    files = {f for agent in result.agents for f in agent.files}
    recovered = {r.file for agent in result.agents for r in agent.recovered}
    missing = sum(len(agent.missing) for agent in result.agents)
    failed = sum(1 for agent in result.agents if not agent.ok)
    return (
        f"{len(result.agents)} agents: {len(files)} first-party files ({len(recovered)} recovered "
        f"from syntax errors), {missing} missing first-party imports, {failed} agents with errors; "
        f"parsed {result.files_parsed} files, {result.cache_hits} from cache, "
        f"{result.seconds:.2f} s"
    )


def _scan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", action="append", metavar="NAME", help="scan only this agent (repeatable)")
    no_cache(parser)
    python_option(parser)


def cmd_why(args: argparse.Namespace, output: Output) -> int:
    """Print the chain of imports that brings MODULE into AGENT."""
    fleet = load(args)
    scanned = api.scan(fleet, [args.agent_name], use_cache=not args.no_cache)
    output.scan_notices(scanned.warnings, scanned.skipped)
    result = scanned.agents[0]
    chain = api.why(result, args.module)
    if output.json:
        output.print(dumps(documents.why_document(result.agent, args.module, chain)))
        return EXIT_OK if chain is not None else EXIT_FINDINGS
    if chain is None:
        output.print(f"{args.module} is not reachable from {result.agent} ({result.entrypoint})")
        return EXIT_FINDINGS
    kind = next((e.kind for e in result.third_party if args.module in (e.module, *e.modules)), None)
    output.print(f"{result.agent} reaches {args.module}" + (f" ({kind})" if kind else "") + ":")
    for hop in chain:
        output.print(f"  {hop}")
    return EXIT_OK


def _why_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("agent_name", metavar="AGENT")
    parser.add_argument("module", metavar="MODULE", help="a module (zmq, google.protobuf) or a first-party file")
    no_cache(parser)


def cmd_generate(args: argparse.Namespace, output: Output) -> int:
    """Write locks/<Agent>/requirements.generated.txt for the chosen agents."""
    fleet = load(args)
    scanned = api.scan(fleet, args.agent or None, use_cache=not args.no_cache)
    output.scan_notices(scanned.warnings, scanned.skipped)
    generated = api.generate(fleet, scanned, chain=api.mapper(fleet, python=args.python))
    written = api.write_requirements(fleet, generated, force=args.force)
    if output.json:
        output.print(dumps(documents.generate_document(generated, written)))
    else:
        for result, (path, changed) in zip(generated.agents, written.items(), strict=True):
            state = "written" if changed else "unchanged"
            output.print(
                f"{shown(path)}: {state} ({len(result.install)} requirements, "
                f"{len(result.optional)} optional not installed)"
            )
        changed_count = sum(written.values())
        output.print(f"{len(written)} files: {changed_count} written, {len(written) - changed_count} unchanged")
    output.warn_all([warning for warning in (generated.guesses, generated.ambiguities) if warning])
    for note in generated.notes:
        output.note(f"note: {note if output.verbose else shortened(note)}")
    for line in generated.unclassified:  # each sets exit 1: all of them, never summarised
        output.warn(line)
    return EXIT_OK if scanned.ok and not generated.unclassified else EXIT_FINDINGS


def _generate_options(parser: argparse.ArgumentParser) -> None:
    """generate's and needs' options: those of scan, and --force."""
    _scan_options(parser)
    force(parser)


def cmd_needs(args: argparse.Namespace, output: Output) -> int:
    """Inferred needs vs declared needs and family; answers to the uncertain questions."""
    fleet = load(args)
    scanned = api.scan(fleet, args.agent or None, use_cache=not args.no_cache)
    output.scan_notices(scanned.warnings, scanned.skipped)
    generated = api.generate(fleet, scanned, chain=api.mapper(fleet, python=args.python))
    reports = api.infer_needs(fleet, scanned, generated)
    if output.json:
        output.print(dumps(documents.needs_document(reports)))
    else:
        for report in reports:
            _print_needs(output, report)
        mismatched = sum(1 for r in reports if r.mismatches)
        output.print(f"{len(reports)} agents: {mismatched} with needs or family mismatches")
    return EXIT_OK


def _print_needs(output: Output, report: NeedsReport) -> None:
    inferred = ", ".join(report.inferred) or "cpu only"
    output.print(
        f"{report.agent}  (family {report.family}; declared {', '.join(report.declared) or '-'}; inferred {inferred})"
    )
    for need, evidence in report.inferred.items():
        output.print(f"  {need}: {'; '.join(evidence)}")
    for mismatch in report.mismatches:
        output.print(f"  mismatch: {mismatch}")
    for key, answer in report.answers.items():
        output.print(f"  uncertain {key}: {answer}")
    _print_declared_files(output, report)
    output.print()


def _print_declared_files(output: Output, report: NeedsReport) -> None:
    for declared in report.declared_files:
        if declared.used_not_declared:
            output.print(f"  {declared.file}: used but not declared: {', '.join(declared.used_not_declared)}")
        if declared.other_name:
            output.print(f"  {declared.file}: declared under another name: {'; '.join(declared.other_name)}")
        for proposal in declared.proposals:
            output.print(f"  {declared.file}: if that is the same distribution, set {proposal}")
        if declared.declared_not_used and output.verbose:
            output.print(f"  {declared.file}: declared but not used: {', '.join(declared.declared_not_used)}")
        elif declared.declared_not_used:
            output.print(f"  {declared.file}: {len(declared.declared_not_used)} declared but not used (-v lists them)")


FLEET = Command(handler=cmd_fleet, options=no_options)


def _scan_command_options(parser: argparse.ArgumentParser) -> None:
    _scan_options(parser)
    parser.add_argument(
        "--detail",
        action="store_true",
        help="also list every import site (JSON: each agent's imports and each module's sites)",
    )


SCAN = Command(handler=cmd_scan, options=_scan_command_options)
WHY = Command(handler=cmd_why, options=_why_options)
GENERATE = Command(handler=cmd_generate, options=_generate_options)
NEEDS = Command(handler=cmd_needs, options=_generate_options)
