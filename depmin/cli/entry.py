"""The ``depmin`` command: parse arguments, call the library, render, return an exit code.

Exit codes:

    0  ok
    1  findings or staleness (an agent had errors, a file is stale)
    2  usage or configuration error (agents.toml, arguments)
    3  an external tool or the network failed (or depmin itself failed: rerun with --debug)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from packaging.utils import canonicalize_name

from depmin import api
from depmin._version import __version__
from depmin.cli import output as _render
from depmin.errors import (
    EXIT_CONFIG,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_TOOL,
    ConfigError,
    DepminError,
    Problem,
)
from depmin.layers import render as _plan_render
from depmin.layers.plan import Plan
from depmin.locking.engine import FleetLock
from depmin.manifest.fleet import Fleet, find_config, load_fleet
from depmin.requirements.generated import RequirementLine, map_imports
from depmin.requirements.mapping import Resolution
from depmin.requirements.needs import NeedsReport
from depmin.scanning.walk import AgentScan, ExternalImport, Hop

__all__ = ["main"]

EXIT_TABLE = """\
exit codes:
  0  ok
  1  findings or staleness (an agent had errors, a file is stale)
  2  usage or configuration error (agents.toml, command-line arguments)
  3  an external tool or the network failed (or depmin itself failed: rerun with --debug)"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2, without printing usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError([Problem(self.prog, f"{message}; see `{self.prog} --help`")])


class Output:
    """Where the CLI writes: results to stdout, diagnostics to stderr, both honouring --quiet."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err
        self.quiet: bool = args.quiet
        self.verbose: bool = args.verbose
        self.json: bool = getattr(args, "format", "text") == "json"
        self.width = shutil.get_terminal_size((120, 24)).columns if out.isatty() else None
        self.err_width = shutil.get_terminal_size((100, 24)).columns if err.isatty() else 100

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def note(self, text: str) -> None:
        if not self.quiet:
            self.err.write(text + "\n")

    def warn(self, text: str) -> None:
        """A warning always shows, even with --quiet: guesses must be loud."""
        self.err.write(f"{_label('warning', self.err)} {text}\n")

    def progress(self, what: str) -> Callable[[str, int, int], None] | None:
        """A one-line progress bar on stderr, only on a terminal and without --quiet; it erases
        itself when done, so logs and pipes never see it."""
        if self.quiet or not self.err.isatty():
            return None

        def show(name: str, done: int, total: int) -> None:
            width = 24
            filled = width * done // max(total, 1)
            line = f"{what} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name}"
            self.err.write("\r" + line[: self.err_width].ljust(self.err_width))
            if done >= total:
                self.err.write("\r" + " " * (self.err_width) + "\r")
            self.err.flush()

        return show

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.print(_render.table(headers, rows, width=self.width))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def _globals(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--config", type=Path, default=default(None), help="the agents.toml to use (default: nearest one)"
    )
    parser.add_argument("--root", type=Path, default=default(None), help="monorepo root; overrides project.root")
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=default(False), help="print only results and errors"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default(False), help="say more about what happens"
    )
    parser.add_argument("--debug", action="store_true", default=default(False), help="show tracebacks of errors")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="depmin",
        description="Minimal, reproducible container builds for a Python monorepo of services.",
        epilog=EXIT_TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"depmin {__version__}")
    _globals(parser, defaults=True)
    # The same options after the command (`depmin scan -q`); SUPPRESS keeps the values given before it.
    after = _Parser(add_help=False)
    _globals(after, defaults=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (handler, summary, example, extra) in COMMANDS.items():
        sub = commands.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=f"example:\n  {example}\n\n{EXIT_TABLE}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[after],
        )
        _common(sub)
        extra(sub)
        sub.set_defaults(handler=handler)
    return parser


def _load(args: argparse.Namespace) -> Fleet:
    config: Path = args.config if args.config is not None else find_config(Path.cwd())
    return load_fleet(config, root=args.root)


def cmd_fleet(args: argparse.Namespace, output: Output) -> int:
    """Load and validate agents.toml and print the fleet."""
    fleet = _load(args)
    if output.json:
        output.print(_render.dumps(_fleet_json(fleet)))
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


def _fleet_json(fleet: Fleet) -> dict[str, object]:
    return {
        "schema": "depmin.fleet/1",
        "config": str(fleet.path),
        "root": str(fleet.project.root),
        "python": fleet.project.python,
        "platform": fleet.project.platform,
        "machines": {name: {"environment": dict(machine.environment)} for name, machine in fleet.machines.items()},
        "families": {
            name: {
                "base_image": fleet.base_image(name),
                "extends": family.extends,
                "machine": family.machine,
                "apt": list(fleet.apt_packages(name)),
            }
            for name, family in fleet.families.items()
        },
        "agents": {
            name: {
                "entrypoint": agent.entrypoint,
                "machines": list(agent.machines),
                "family": agent.family,
                "ports": list(agent.ports),
                "health_port": agent.health_port,
                "needs": list(agent.needs),
                "python": fleet.target_python(agent),
                "uncertain": dict(agent.uncertain),
            }
            for name, agent in fleet.agents.items()
        },
    }


def cmd_scan(args: argparse.Namespace, output: Output) -> int:
    """Walk each agent's import graph and report its third-party modules."""
    fleet = _load(args)
    result = api.scan(fleet, args.agent or None, use_cache=not args.no_cache, progress=output.progress("scanning"))
    chain = api.mapper(fleet, python=args.python)
    mapped = {scan.agent: map_imports(fleet, fleet.agent(scan.agent), scan, chain) for scan in result.agents}
    if output.json:
        for piece in _scan_json(result, mapped):
            output.out.write(piece)
        output.print()
    else:
        for agent in result.agents:
            _print_agent(output, agent, mapped[agent.agent])
        output.print(_scan_summary(result))
    return EXIT_OK if result.ok else EXIT_FINDINGS


def _dists(found: tuple[Resolution, ...]) -> str:
    shown = (f"{r.distribution} ({r.source}{', ambiguous' if r.ambiguous else ''})" for r in found)
    return ", ".join(dict.fromkeys(shown))


def _print_agent(output: Output, scan: AgentScan, mapped: Mapping[ExternalImport, tuple[Resolution, ...]]) -> None:
    output.print(f"{scan.agent}  ({scan.entrypoint}, run as {scan.run_mode}, Python {scan.python})")
    for error in scan.errors:
        output.print(f"  error: {error}")
    output.print(
        f"  first-party files: {len(scan.files)}  recovered: {len(scan.recovered)}  "
        f"missing first-party: {len(scan.missing)}  unresolved: {len(scan.unresolved)}"
    )
    rows = [
        [
            ext.module,
            ext.kind + (f" [{ext.marker}]" if ext.marker else ""),
            _dists(mapped[ext]),
            f"{ext.first.file}:{ext.first.line}",
        ]
        for ext in scan.third_party
    ]
    if rows:
        output.table(
            ["  third-party", "kind", "distribution (source)", "first site"],
            [["  " + r[0], *r[1:]] for r in rows],
        )
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
    output.print()


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


def _scan_json(
    result: api.FleetScan, mapped: Mapping[str, Mapping[ExternalImport, tuple[Resolution, ...]]]
) -> Iterator[str]:
    """The scan document in pieces, one agent at a time, so a 500-agent fleet never holds its
    whole JSON in memory; the pieces join to exactly ``_render.dumps`` of the whole document."""
    summary = {
        "agents": len(result.agents),
        "agents_with_errors": sum(1 for agent in result.agents if not agent.ok),
        "files_parsed": result.files_parsed,
        "cache_hits": result.cache_hits,
    }
    yield '{"agents":['
    for index, agent in enumerate(result.agents):
        yield ("," if index else "") + _render.dumps(_agent_json(agent, mapped[agent.agent]))
    yield '],"schema":"depmin.scan/1","summary":' + _render.dumps(summary) + "}"


def _hop_json(hop: Hop) -> dict[str, object]:
    return {"file": hop.file, "line": hop.line, "module": hop.module}


def _agent_json(scan: AgentScan, mapped: Mapping[ExternalImport, tuple[Resolution, ...]]) -> dict[str, object]:
    return {
        "agent": scan.agent,
        "entrypoint": scan.entrypoint,
        "python": scan.python,
        "run_mode": scan.run_mode,
        "run_problems": list(scan.run_problems),
        "errors": list(scan.errors),
        "files": list(scan.files),
        "third_party": [
            {
                "module": ext.module,
                "kind": ext.kind,
                "marker": ext.marker,
                "dynamic": ext.dynamic,
                "modules": list(ext.modules),
                "first_site": _hop_json(ext.first),
                "sites": [_hop_json(hop) for hop in ext.sites],
                "distributions": [
                    {
                        "import": r.module,
                        "distribution": r.distribution,
                        "source": r.source,
                        "ambiguous": r.ambiguous,
                        "candidates": list(r.candidates),
                    }
                    for r in mapped[ext]
                ],
            }
            for ext in scan.third_party
        ],
        "stdlib": list(scan.stdlib),
        "missing_first_party": [
            {"module": u.module, "kind": u.kind, "site": _hop_json(u.site), "reason": u.reason} for u in scan.missing
        ],
        "unresolved": [
            {"module": u.module, "kind": u.kind, "site": _hop_json(u.site), "reason": u.reason} for u in scan.unresolved
        ],
        "recovered_files": [{"file": r.file, "error": r.error, "line": r.line} for r in scan.recovered],
        "notes": list(scan.notes),
        "imports": [
            {
                "file": r.file,
                "line": r.line,
                "module": r.module,
                "level": r.level,
                "kind": r.kind,
                "category": r.category,
                "recovered": r.recovered,
                "target": r.target,
            }
            for r in scan.imports
        ],
    }


def cmd_why(args: argparse.Namespace, output: Output) -> int:
    """Print the chain of imports that brings MODULE into AGENT."""
    fleet = _load(args)
    result = api.scan(fleet, [args.agent_name], use_cache=not args.no_cache).agents[0]
    chain = api.why(result, args.module)
    if output.json:
        hops = None if chain is None else [_hop_json(hop) for hop in chain]
        output.print(
            _render.dumps({"schema": "depmin.why/1", "agent": result.agent, "module": args.module, "chain": hops})
        )
        return EXIT_OK if chain is not None else EXIT_FINDINGS
    if chain is None:
        output.print(f"{args.module} is not reachable from {result.agent} ({result.entrypoint})")
        return EXIT_FINDINGS
    kind = next((e.kind for e in result.third_party if args.module in (e.module, *e.modules)), None)
    output.print(f"{result.agent} reaches {args.module}" + (f" ({kind})" if kind else "") + ":")
    for hop in chain:
        output.print(f"  {hop}")
    return EXIT_OK


def cmd_generate(args: argparse.Namespace, output: Output) -> int:
    """Write locks/<Agent>/requirements.generated.txt for the chosen agents."""
    fleet = _load(args)
    scanned = api.scan(fleet, args.agent or None, use_cache=not args.no_cache)
    generated = api.generate(fleet, scanned, chain=api.mapper(fleet, python=args.python))
    written = api.write_requirements(fleet, generated, force=args.force)
    if output.json:
        output.print(_render.dumps(_generate_json(fleet, generated, written)))
    else:
        for result, (path, changed) in zip(generated.agents, written.items(), strict=True):
            state = "written" if changed else "unchanged"
            output.print(
                f"{_shown(path)}: {state} ({len(result.install)} requirements, "
                f"{len(result.optional)} optional not installed)"
            )
        changed_count = sum(written.values())
        output.print(f"{len(written)} files: {changed_count} written, {len(written) - changed_count} unchanged")
    for warning in (generated.guesses, generated.ambiguities):
        if warning:
            output.warn(warning)
    return EXIT_OK if scanned.ok else EXIT_FINDINGS


def _shown(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def _generate_json(fleet: Fleet, generated: api.Generated, written: dict[Path, bool]) -> dict[str, object]:
    def line_json(line: RequirementLine) -> dict[str, object]:
        return {
            "distribution": line.distribution,
            "requirement": line.requirement,
            "kind": line.kind,
            "imports": list(line.imports),
            "site": None if line.site is None else _hop_json(line.site),
            "source": None if line.resolution is None else line.resolution.source,
            "candidates": [] if line.resolution is None else list(line.resolution.candidates),
        }

    return {
        "schema": "depmin.generate/1",
        "agents": [
            {
                "agent": result.agent,
                "file": str(path),
                "changed": changed,
                "install": [line_json(line) for line in result.install],
                "optional": [line_json(line) for line in result.optional],
                "excluded": [line_json(line) for line in result.excluded],
            }
            for result, (path, changed) in zip(generated.agents, written.items(), strict=True)
        ],
        "warnings": [w for w in (generated.guesses, generated.ambiguities) if w],
    }


def _generate_options(parser: argparse.ArgumentParser) -> None:
    _scan_options(parser)
    _force(parser)


def cmd_needs(args: argparse.Namespace, output: Output) -> int:
    """Inferred needs vs declared needs and family; answers to the uncertain questions."""
    fleet = _load(args)
    scanned = api.scan(fleet, args.agent or None, use_cache=not args.no_cache)
    generated = api.generate(fleet, scanned, chain=api.mapper(fleet, python=args.python))
    reports = api.infer_needs(fleet, scanned, generated)
    if output.json:
        output.print(_render.dumps({"schema": "depmin.needs/1", "agents": [_needs_json(r) for r in reports]}))
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
    for declared in report.declared_files:
        if declared.used_not_declared:
            output.print(f"  {declared.file}: used but not declared: {', '.join(declared.used_not_declared)}")
        if declared.other_name:
            output.print(f"  {declared.file}: declared under another name: {'; '.join(declared.other_name)}")
        if declared.declared_not_used and output.verbose:
            output.print(f"  {declared.file}: declared but not used: {', '.join(declared.declared_not_used)}")
        elif declared.declared_not_used:
            output.print(f"  {declared.file}: {len(declared.declared_not_used)} declared but not used (-v lists them)")
    output.print()


def _needs_json(report: NeedsReport) -> dict[str, object]:
    return {
        "agent": report.agent,
        "family": report.family,
        "declared": list(report.declared),
        "inferred": {need: list(evidence) for need, evidence in report.inferred.items()},
        "mismatches": list(report.mismatches),
        "uncertain_answers": dict(report.answers),
        "declared_files": [
            {
                "file": d.file,
                "used_not_declared": list(d.used_not_declared),
                "declared_not_used": list(d.declared_not_used),
                "declared_under_another_name": list(d.other_name),
            }
            for d in report.declared_files
        ],
    }


def cmd_plan(args: argparse.Namespace, output: Output) -> int:
    """Decide the family layers from the locks; write family and delta locks and the report."""
    fleet = _load(args)
    result = api.plan(fleet)
    plan = result.plan
    if args.explain:
        name = canonicalize_name(args.explain)
        if output.json:
            output.print(_render.dumps(_plan_render.explain_json(plan, name)))
        else:
            output.print(_plan_render.explain(plan, name))
        return EXIT_OK
    if args.check:
        return _plan_check(fleet, plan, output)
    if args.suggest_families:
        return _suggest(fleet, output)
    written = api.write_plan(fleet, result, force=args.force)
    if output.json:
        output.print(_render.dumps({**_plan_render.plan_json(plan), "errors": list(result.errors())}))
    else:
        rows = [
            [
                m.machine,
                _mb(m.planned),
                _mb(m.no_families),
                _mb(m.seed_families),
                _pct(m.planned, m.no_families),
            ]
            for m in plan.machines
        ]
        output.table(["machine", "planned", "no families (a)", "seed families (b)", "planned/(a)"], rows)
        output.table(
            ["family", "bytes", "distributions"],
            [[f.family, _mb(f.bytes), ", ".join(f.packages) or "-"] for f in plan.families],
        )
        changed = sum(written.values())
        output.print(f"{len(written)} files under locks/: {changed} written, {len(written) - changed} unchanged")
        for note in plan.notes:
            output.note(f"note: {note}")
    for error in result.errors():
        output.err.write(f"{_label('error', output.err)} {error}\n")
    return EXIT_FINDINGS if plan.problems else EXIT_OK


def _plan_check(fleet: Fleet, plan: Plan, output: Output) -> int:
    committed = fleet.path.parent / "locks" / "plan.json"
    try:
        old = json.loads(committed.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DepminError(f"{committed}: cannot read the committed plan ({exc}); run `depmin plan` first") from None
    problems = _plan_render.drift(old, plan, fleet.layers.size_tolerance)
    if output.json:
        output.print(_render.dumps({"schema": "depmin.plan-check/1", "drift": problems}))
        return EXIT_FINDINGS if problems else EXIT_OK
    for problem in problems:
        output.print(f"size drift: {problem}")
    if not problems:
        output.print(f"no image grew beyond {fleet.layers.size_tolerance:.0%} of {committed.name}")
    return EXIT_FINDINGS if problems else EXIT_OK


def _suggest(fleet: Fleet, output: Output) -> int:
    suggestions = api.suggest_families(fleet)
    if output.json:
        items = [
            {
                "family": s.name,
                "extends": s.extends,
                "agents": list(s.agents),
                "packages": list(s.packages),
                "saved": dict(s.saved),
            }
            for s in suggestions
        ]
        output.print(_render.dumps({"schema": "depmin.suggest/1", "suggestions": items}))
        return EXIT_OK
    for s in suggestions:
        saved = ", ".join(f"{machine} {_mb(size)}" for machine, size in sorted(s.saved.items()))
        output.print(f"[families.{s.name}] extends = {s.extends!r}: saves {saved}")
        output.print(f"  agents: {', '.join(s.agents)}")
        output.print(f"  would bake in: {', '.join(s.packages) or '-'}")
    if not suggestions:
        output.print("no sub-family would save bytes against the current agents.toml")
    return EXIT_OK


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _pct(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{part / whole:.2f}"


def _plan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--explain", metavar="DIST", help="say why DIST is or is not in a family layer")
    _force(parser)
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
    fleet = _load(args)
    stale = api.check(fleet, use_cache=not args.no_cache)
    if output.json:
        items = [{"path": str(s.path), "reason": s.reason, "command": s.command} for s in stale]
        output.print(_render.dumps({"schema": "depmin.check/1", "stale": items}))
    else:
        for item in stale:
            output.print(f"stale: {_shown(item.path)}: {item.reason}; run `{item.command}`")
        if not stale:
            output.print("all generated files are current")
    return EXIT_FINDINGS if stale else EXIT_OK


def _check_options(parser: argparse.ArgumentParser) -> None:
    _no_cache(parser)
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="ignored: the whole fleet is always checked (a deleted or renamed module affects agents "
        "whose files were not touched), so a subset of names can never give a false pass",
    )


def cmd_dockerfiles(args: argparse.Namespace, output: Output) -> int:
    """Render the build tree from the plan and the scan; write it under dockerfiles/."""
    fleet = _load(args)
    planned = api.plan(fleet)
    scanned = api.scan(fleet, use_cache=not args.no_cache)
    tree = api.render_dockerfiles(fleet, planned, scanned, registry=args.registry)
    written = api.write_dockerfiles(fleet, tree, force=args.force)
    if output.json:
        items = [{"path": str(path), "changed": changed} for path, changed in written.items()]
        output.print(_render.dumps({"schema": "depmin.dockerfiles/1", "files": items}))
    else:
        changed = sum(written.values())
        output.print(f"{len(written)} files under dockerfiles/: {changed} written, {len(written) - changed} unchanged")
    return EXIT_OK if scanned.ok else EXIT_FINDINGS


def _dockerfiles_options(parser: argparse.ArgumentParser) -> None:
    _no_cache(parser)
    _force(parser)
    parser.add_argument(
        "--registry",
        default="ghcr.io/your-org",
        help="image registry prefix for bake and compose (default: %(default)s)",
    )


def _scan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", action="append", metavar="NAME", help="scan only this agent (repeatable)")
    _no_cache(parser)
    _python_option(parser)


def _why_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("agent_name", metavar="AGENT")
    parser.add_argument("module", metavar="MODULE", help="a module (zmq, google.protobuf) or a first-party file")
    _no_cache(parser)


def _force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="overwrite files that depmin did not generate")


def _no_cache(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-cache", action="store_true", help="parse every file again, ignoring the cache")


def _python_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--python",
        type=Path,
        metavar="INTERPRETER",
        help="also map imports through the distributions installed for this Python (read, never imported)",
    )


def _no_options(parser: argparse.ArgumentParser) -> None:
    del parser


def _lock_generated(args: argparse.Namespace, fleet: Fleet) -> api.Generated:
    """Scan and generate the whole fleet (the union fixes every version); write the chosen
    agents' requirements.generated.txt, the locks' inputs."""
    scanned = api.scan(fleet, use_cache=not args.no_cache)
    return api.generate(fleet, scanned, chain=api.mapper(fleet, python=args.python))


def _lock_selection(args: argparse.Namespace, fleet: Fleet) -> list[str]:
    given = sum(bool(x) for x in (args.agent, args.family, getattr(args, "all", False)))
    if given != 1 and args.command == "lock":
        raise ConfigError([Problem("depmin lock", "choose the agents: --agent NAME, --family F or --all")])
    return api.select_agents(fleet, args.agent, args.family)


def cmd_lock(args: argparse.Namespace, output: Output) -> int:
    """Resolve hashed, fleet-consistent locks for the chosen agents (only the stale ones)."""
    fleet = _load(args)
    selected = _lock_selection(args, fleet)
    generated = _lock_generated(args, fleet)
    if args.check:
        return _lock_check(output, api.lock_status(fleet, generated, selected, backend=args.backend))
    chosen = set(selected)
    subset = api.Generated(
        agents=tuple(r for r in generated.agents if r.agent in chosen), guesses=None, ambiguities=None
    )
    api.write_requirements(fleet, subset, force=args.force)
    done = api.lock(
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
    result = done.result
    if output.json:
        output.print(_render.dumps(_lock_json(done)))
    else:
        _print_lock(output, result)
    for agent in result.agents:
        for problem in agent.problems or ((agent.reason,) if agent.state == "failed" else ()):
            output.err.write(f"{_label('error', output.err)} {problem}\n")
    diverged = bool(result.divergences) and not args.allow_divergence
    return EXIT_OK if result.ok and not diverged else EXIT_FINDINGS


def _print_lock(output: Output, result: FleetLock) -> None:
    changed = [a for a in result.agents if a.state != "fresh"]
    for agent in changed if not output.verbose else result.agents:
        count = f"{len(agent.packages)} distributions" if agent.packages else ""
        output.print(f"{agent.agent}: {agent.state} ({agent.reason}) {count}".rstrip())
    locked = [a.agent for a in result.agents if a.state == "locked"]
    if locked:
        output.print(f"re-resolved {len(locked)} stale agent(s): {', '.join(locked)}")
    for conflict in result.conflicts:
        output.print(f"conflict: {conflict}")
    for name, versions in result.divergences.items():
        shown = "; ".join(f"{version} ({', '.join(agents)})" for version, agents in versions.items())
        output.print(f"divergent: {name}: {shown}")
    unverified = sorted({f"{a.agent}: {m}" for a in result.agents for m in a.unverified})
    if unverified:
        output.note(
            f"note: {len(unverified)} import(s) not checked against wheel contents (no wheel on disk; "
            "`depmin wheelhouse` fetches them)" + (": " + ", ".join(unverified) if output.verbose else "")
        )
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
        rows = [{"agent": agent, "stale": bool(why), "reason": why} for agent, why in status.items()]
        output.print(_render.dumps({"schema": "depmin.lock-check/1", "agents": rows}))
    else:
        for agent, why in stale.items():
            output.print(f"stale: {agent}: {why}; run `depmin lock --agent {agent}`")
        output.print(f"{len(status)} locks: {len(stale)} stale")
    return EXIT_FINDINGS if stale else EXIT_OK


def _lock_json(done: api.LockResult) -> dict[str, object]:
    result = done.result
    return {
        "schema": "depmin.lock/1",
        "backend": result.backend,
        "agents": [
            {
                "agent": a.agent,
                "state": a.state,
                "reason": a.reason,
                "scope": a.scope,
                "packages": [{"name": p.name, "version": str(p.version), "hashes": list(p.hashes)} for p in a.packages],
                "problems": list(a.problems),
                "unverified_imports": list(a.unverified),
            }
            for a in result.agents
        ],
        "conflicts": [
            {
                "scope": c.scope,
                "requirements": {k: list(v) for k, v in c.requirements.items()},
                "explanation": c.explanation,
            }
            for c in result.conflicts
        ],
        "divergences": {
            name: {v: list(agents) for v, agents in versions.items()} for name, versions in result.divergences.items()
        },
        "written": sorted(str(path) for path, changed in done.written.items() if changed),
        "summary": {
            "agents": len(result.agents),
            "distributions": result.distributions,
            "divergences": len(result.divergences),
            "seconds": round(result.seconds, 3),
        },
    }


def _lock_options(parser: argparse.ArgumentParser) -> None:
    _wheelhouse_options(parser)
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
    _force(parser)
    parser.add_argument("--workers", type=int, default=0, metavar="N", help="agents resolved at once (default: auto)")


def cmd_wheelhouse(args: argparse.Namespace, output: Output) -> int:
    """Download every locked file of the chosen agents into a versioned wheelhouse, hash-checked."""
    fleet = _load(args)
    selected = _lock_selection(args, fleet)
    label = args.family or (args.agent[0] if args.agent and len(args.agent) == 1 else "fleet")
    generated = _lock_generated(args, fleet)
    result = api.wheelhouse(fleet, generated, selected, label=label, directory=args.dest)
    if output.json:
        output.print(
            _render.dumps(
                {
                    "schema": "depmin.wheelhouse/1",
                    "directory": str(result.directory),
                    "agents": list(result.agents),
                    "files": dict(result.files),
                    "fetched": list(result.fetched),
                    "problems": list(result.problems),
                    "unverified_imports": list(result.unverified),
                }
            )
        )
    else:
        total = sum(result.files.values())
        output.print(
            f"{_shown(result.directory)}: {len(result.files)} files ({_mb(total)}) for {len(result.agents)} agents; "
            f"{len(result.fetched)} downloaded, {len(result.files) - len(result.fetched)} already there (hash checked)"
        )
        output.print(f"use it with: depmin lock --offline --find-links {_shown(result.directory)}")
    for problem in result.problems:
        output.err.write(f"{_label('error', output.err)} {problem}\n")
    return EXIT_FINDINGS if result.problems else EXIT_OK


def _wheelhouse_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", action="append", metavar="NAME", help="this agent (repeatable)")
    parser.add_argument("--family", metavar="F", help="the agents of family F and of the families that extend it")
    _no_cache(parser)
    _python_option(parser)
    if parser.prog.endswith("wheelhouse"):
        parser.add_argument("--dest", type=Path, metavar="DIR", help="directory (default: wheelhouse/<label>-<digest>)")


Handler = Callable[[argparse.Namespace, Output], int]
COMMANDS: dict[str, tuple[Handler, str, str, Callable[[argparse.ArgumentParser], None]]] = {
    "check": (
        cmd_check,
        "exit 1 when a generated file is stale against the sources and agents.toml (writes nothing)",
        "depmin check",
        _check_options,
    ),
    "dockerfiles": (
        cmd_dockerfiles,
        "write family and thin service Dockerfiles, docker-bake.hcl, .dockerignore and compose files",
        "depmin dockerfiles --registry ghcr.io/acme",
        _dockerfiles_options,
    ),
    "fleet": (
        cmd_fleet,
        "validate agents.toml and list the agents with machine, family and ports",
        "depmin fleet --format json",
        _no_options,
    ),
    "scan": (
        cmd_scan,
        "walk each agent's imports from its entrypoint; list its third-party modules and sites",
        "depmin scan --agent NLUAgent",
        _scan_options,
    ),
    "generate": (
        cmd_generate,
        "write locks/<Agent>/requirements.generated.txt: the agent's minimal requirements, with provenance",
        "depmin generate --agent NLUAgent",
        _generate_options,
    ),
    "needs": (
        cmd_needs,
        "infer GPU/web/audio/vision needs; report mismatches with needs and family and requirement files",
        "depmin needs --agent AffectiveProcessingCenter",
        _generate_options,
    ),
    "plan": (
        cmd_plan,
        "decide what goes into each family base image; write family and delta locks and the report",
        "depmin plan --explain torch",
        _plan_options,
    ),
    "why": (
        cmd_why,
        "show the chain of imports (file:line at each hop) that brings MODULE into AGENT",
        "depmin why NLUAgent zmq",
        _why_options,
    ),
    "lock": (
        cmd_lock,
        "write locks/<Agent>/requirements.lock and pylock.toml: hashed, one version per distribution fleet-wide",
        "depmin lock --all",
        _lock_options,
    ),
    "wheelhouse": (
        cmd_wheelhouse,
        "download every locked wheel of the chosen agents into a versioned wheelhouse, checking each hash",
        "depmin wheelhouse --family cpu",
        _wheelhouse_options,
    ),
}


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run depmin with ``argv``; return the exit code (see the module docstring)."""
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help(stdout)
            return EXIT_CONFIG
        handler: Handler = args.handler
        return handler(args, Output(args, stdout, stderr))
    except DepminError as exc:
        if debug:
            traceback.print_exc(file=stderr)
        _report(exc, stderr)
        return exc.exit_code
    except BrokenPipeError:  # `depmin scan | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        stderr.write("depmin: interrupted; files already written are complete\n")
        return 130
    except Exception as exc:  # a bug in depmin: still one line unless --debug
        if debug:
            traceback.print_exc(file=stderr)
        stderr.write(f"depmin: internal error: {type(exc).__name__}: {exc}; rerun with --debug and report it\n")
        return EXIT_TOOL


def _label(word: str, stream: TextIO) -> str:
    """``error:`` in red (``warning:`` in yellow) on a terminal, plain when NO_COLOR is set."""
    if not stream.isatty() or "NO_COLOR" in os.environ:
        return f"{word}:"
    colour = "31" if word == "error" else "33"
    return f"\033[1;{colour}m{word}:\033[0m"


def _report(exc: DepminError, stream: TextIO) -> None:
    error = _label("error", stream)
    if isinstance(exc, ConfigError):
        for problem in exc.problems:
            stream.write(f"{error} {problem}\n")
        if len(exc.problems) > 1:
            stream.write(f"{len(exc.problems)} problems\n")
        return
    stream.write(f"{error} {exc}\n")
