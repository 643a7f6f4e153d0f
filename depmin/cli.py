"""The ``depmin`` command: parse arguments, call the library, render, return an exit code.

Exit codes:

    0  ok
    1  findings or staleness (an agent had errors, a file is stale)
    2  usage or configuration error (agents.toml, arguments)
    3  an external tool or the network failed (or depmin itself failed: rerun with --debug)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from depmin import __version__, _render
from depmin.errors import EXIT_CONFIG, EXIT_OK, EXIT_TOOL, ConfigError, DepminError, Problem
from depmin.manifest import Fleet, find_config, load_fleet

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

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def note(self, text: str) -> None:
        if not self.quiet:
            self.err.write(text + "\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.print(_render.table(headers, rows, width=self.width))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="depmin",
        description="Minimal, reproducible container builds for a Python monorepo of services.",
        epilog=EXIT_TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"depmin {__version__}")
    parser.add_argument("--config", type=Path, help="the agents.toml to use (default: nearest one)")
    parser.add_argument("--root", type=Path, help="monorepo root; overrides project.root")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only results and errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="say more about what happens")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (handler, summary, example, extra) in COMMANDS.items():
        sub = commands.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=f"example:\n  {example}\n\n{EXIT_TABLE}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
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
        f"{len(fleet.agents)} agents on {len(fleet.machines)} machines, "
        f"{len(fleet.families)} families ({fleet.path})"
    )
    return EXIT_OK


def _fleet_json(fleet: Fleet) -> dict[str, object]:
    return {
        "config": str(fleet.path),
        "root": str(fleet.project.root),
        "python": fleet.project.python,
        "platform": fleet.project.platform,
        "machines": {
            name: {"environment": dict(machine.environment)}
            for name, machine in fleet.machines.items()
        },
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


def _no_options(parser: argparse.ArgumentParser) -> None:
    del parser


Handler = Callable[[argparse.Namespace, Output], int]
COMMANDS: dict[str, tuple[Handler, str, str, Callable[[argparse.ArgumentParser], None]]] = {
    "fleet": (
        cmd_fleet,
        "validate agents.toml and list the agents with machine, family and ports",
        "depmin fleet --format json",
        _no_options,
    ),
}


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
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
    except KeyboardInterrupt:
        stderr.write("depmin: interrupted; files already written are complete\n")
        return 130
    except Exception as exc:  # a bug in depmin: still one line unless --debug
        if debug:
            traceback.print_exc(file=stderr)
        stderr.write(
            f"depmin: internal error: {type(exc).__name__}: {exc}; "
            "rerun with --debug and report it\n"
        )
        return EXIT_TOOL


def _report(exc: DepminError, stream: TextIO) -> None:
    if isinstance(exc, ConfigError):
        for problem in exc.problems:
            stream.write(f"error: {problem}\n")
        if len(exc.problems) > 1:
            stream.write(f"{len(exc.problems)} problems\n")
        return
    stream.write(f"error: {exc}\n")
