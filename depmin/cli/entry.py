"""The ``depmin`` command: parse arguments, run the command, report errors, return an exit code.

The exit codes are :data:`depmin.errors.EXIT_CODES` (``depmin --help`` lists them).

The commands live in one module per group (:mod:`~depmin.cli.scan_commands`,
:mod:`~depmin.cli.lock_commands`, :mod:`~depmin.cli.build_commands`,
:mod:`~depmin.cli.verify_commands`); this module only assembles them.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from depmin._secrets import redact
from depmin._version import __version__
from depmin.cli import build_commands, ci_commands, init_commands, lock_commands, scan_commands, verify_commands
from depmin.cli.options import Command, Handler
from depmin.cli.output import Output, label
from depmin.errors import EXIT_CODES, EXIT_CONFIG, EXIT_FINDINGS, EXIT_TOOL, ConfigError, DepminError, Problem

__all__ = ["main"]

EXIT_TABLE = "exit codes:\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES)

# In the order `depmin --help` lists them.
COMMANDS: tuple[Command, ...] = (
    init_commands.INIT,
    build_commands.CHECK,
    build_commands.DOCKERFILES,
    scan_commands.FLEET,
    scan_commands.SCAN,
    scan_commands.GENERATE,
    scan_commands.NEEDS,
    build_commands.PLAN,
    scan_commands.WHY,
    lock_commands.LOCK,
    lock_commands.WHEELHOUSE,
    ci_commands.AUDIT,
    ci_commands.WORKFLOW,
    verify_commands.VERIFY,
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2, without printing usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError([Problem(self.prog, f"{message}; see `{self.prog} --help`")])


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
    """The whole command line: the global options, then one sub-parser per command of :data:`COMMANDS`."""
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
    for command in COMMANDS:
        sub = commands.add_parser(
            command.name,
            help=command.summary,
            description=command.summary,
            epilog=f"example:\n  {command.example}\n\n{EXIT_TABLE}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[after],
        )
        sub.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
        command.options(sub)
        sub.set_defaults(handler=command.handler)
    return parser


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
        stderr.write(
            f"depmin: internal error: {type(exc).__name__}: {redact(str(exc))}; rerun with --debug and report it\n"
        )
        return EXIT_TOOL


def _report(exc: DepminError, stream: TextIO) -> None:
    error = label("error", stream)
    if isinstance(exc, ConfigError):
        for problem in exc.problems:
            stream.write(f"{error} {redact(str(problem))}\n")
        if len(exc.problems) > 1:
            stream.write(f"{len(exc.problems)} problems\n")
        return
    stream.write(f"{error} {redact(str(exc))}\n")
