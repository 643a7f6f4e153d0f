"""The ``depmin`` command: parse arguments, run the command, report errors, return an exit code.

The exit codes are :data:`depmin.errors.EXIT_CODES` (``depmin --help`` lists them).

The commands live in one module per group (:mod:`~depmin.cli.scan_commands`,
:mod:`~depmin.cli.lock_commands`, :mod:`~depmin.cli.build_commands`, :mod:`~depmin.cli.ci_commands`,
:mod:`~depmin.cli.init_commands`, :mod:`~depmin.cli.verify_commands`); this module only lists them
(:data:`COMMANDS`) and imports the module of the one command given, when its arguments are parsed.
Why: imports are about half of a warm ``depmin scan``, and a parser built from every command module
loaded ``depmin.drafting`` and the whole requirements stage before any work; ``depmin --help`` now
imports no command module (``tests/cli/test_startup.py``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from depmin._secrets import redact
from depmin._version import __version__
from depmin.cli.output import Output, label
from depmin.errors import EXIT_CODES, EXIT_CONFIG, EXIT_FINDINGS, EXIT_TOOL, ConfigError, DepminError, Problem

if TYPE_CHECKING:  # the command modules are imported when their command runs (start-up time)
    from depmin.cli.options import Command

__all__ = ["COMMANDS", "Listed", "build_parser", "main"]

EXIT_TABLE = "exit codes:\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES)


@dataclass(frozen=True, slots=True)
class Listed:
    """What the parser knows of a command before its module is imported: ``summary`` is both its line
    in ``depmin --help`` and its own description, ``example`` ends its ``--help``, and ``code`` names
    its :class:`~depmin.cli.options.Command` (``module:NAME``), whose options and handler live with the
    rest of its code."""

    name: str
    code: str
    summary: str
    example: str

    def command(self) -> Command:
        """The command's code; imports its module (once: later calls find it in ``sys.modules``)."""
        module, _, name = self.code.partition(":")
        return cast("Command", getattr(importlib.import_module(module), name))


# In the order `depmin --help` lists them.
COMMANDS: tuple[Listed, ...] = (
    Listed(
        "init",
        "depmin.cli.init_commands:INIT",
        summary="draft agents.toml from the repository's Dockerfiles, compose, Kubernetes, Procfiles, scripts",
        example="depmin init --root path/to/monorepo --stdout",
    ),
    Listed(
        "check",
        "depmin.cli.build_commands:CHECK",
        summary="exit 1 when a generated file is stale against the sources and agents.toml (writes nothing)",
        example="depmin check",
    ),
    Listed(
        "dockerfiles",
        "depmin.cli.build_commands:DOCKERFILES",
        summary="write family and thin service Dockerfiles, docker-bake.hcl, .dockerignore and compose files",
        example="depmin dockerfiles --registry ghcr.io/acme",
    ),
    Listed(
        "fleet",
        "depmin.cli.scan_commands:FLEET",
        summary="validate agents.toml and list the agents with machine, family and ports",
        example="depmin fleet --format json",
    ),
    Listed(
        "scan",
        "depmin.cli.scan_commands:SCAN",
        summary="walk each agent's imports from its entrypoint; list its third-party modules and sites",
        example="depmin scan --agent NLUAgent",
    ),
    Listed(
        "generate",
        "depmin.cli.scan_commands:GENERATE",
        summary="write locks/<Agent>/requirements.generated.txt: the agent's minimal requirements, with provenance",
        example="depmin generate --agent NLUAgent",
    ),
    Listed(
        "needs",
        "depmin.cli.scan_commands:NEEDS",
        summary="infer GPU/web/audio/vision needs; report mismatches with needs and family and requirement files",
        example="depmin needs --agent AffectiveProcessingCenter",
    ),
    Listed(
        "plan",
        "depmin.cli.build_commands:PLAN",
        summary="decide what goes into each family base image; write family and delta locks and the report",
        example="depmin plan --explain torch",
    ),
    Listed(
        "why",
        "depmin.cli.scan_commands:WHY",
        summary="show the chain of imports (file:line at each hop) that brings MODULE into AGENT",
        example="depmin why NLUAgent zmq",
    ),
    Listed(
        "lock",
        "depmin.cli.lock_commands:LOCK",
        summary="write locks/<Agent>/requirements.lock and pylock.toml: hashed, one version per distribution "
        "fleet-wide",
        example="depmin lock --all",
    ),
    Listed(
        "wheelhouse",
        "depmin.cli.lock_commands:WHEELHOUSE",
        summary="download every locked wheel of the chosen agents into a versioned wheelhouse, checking each hash",
        example="depmin wheelhouse --family cpu",
    ),
    Listed(
        "audit",
        "depmin.cli.ci_commands:AUDIT",
        summary="check every locked distribution against an OSV vulnerability service (pip-audit); fail at a severity",
        example="depmin audit --all --fail-on high --sarif audit.sarif",
    ),
    Listed(
        "workflow",
        "depmin.cli.ci_commands:WORKFLOW",
        summary="write the GitHub Actions workflow: gates, families then services on the bake matrix, image scan, "
        "publish",
        example="depmin workflow --registry ghcr.io/acme",
    ),
    Listed(
        "verify",
        "depmin.cli.verify_commands:VERIFY",
        summary="install each agent's locks as its image does in a fresh environment; import every module its "
        "scan found",
        example="depmin verify --agent NLUAgent",
    ),
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2, without printing usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError([Problem(self.prog, f"{message}; see `{self.prog} --help`")])


class _CommandParser(_Parser):
    """One command's parser: its own options are added when it is first used, so that building the whole
    command line imports no command module. argparse hands the arguments after the command's name to
    this parser's ``parse_known_args`` (``--help`` included), and to no other parser."""

    listed: Listed | None = None  # set by build_parser; None once the command's options are added

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        if self.listed is not None:
            listed, self.listed = self.listed, None
            listed.command().options(self)
        return super().parse_known_args(*args, **kwargs)


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
    """The whole command line: the global options, then one sub-parser per command of :data:`COMMANDS`
    (each given its own options when it parses)."""
    parser = _Parser(
        prog="depmin",
        description="Minimal, reproducible container builds for a Python monorepo of services.",
        epilog=EXIT_TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"depmin {__version__}")
    _globals(parser, defaults=True)
    # The same options after the command (`depmin scan -q`); SUPPRESS keeps the values given before it.
    after = _CommandParser(add_help=False)  # the class of the parsers it is a parent of, for typeshed
    _globals(after, defaults=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)
    for listed in COMMANDS:
        sub = commands.add_parser(
            listed.name,
            help=listed.summary,
            description=listed.summary,
            epilog=f"example:\n  {listed.example}\n\n{EXIT_TABLE}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[after],
        )
        sub.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
        sub.listed = listed
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
        command = next(listed for listed in COMMANDS if listed.name == args.command).command()
        return command.handler(args, Output(args, stdout, stderr))
    except DepminError as exc:
        if debug:
            _traceback(stderr)
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
            _traceback(stderr)
        stderr.write(
            f"depmin: internal error: {type(exc).__name__}: {redact(str(exc))}; rerun with --debug and report it\n"
        )
        return EXIT_TOOL


def _traceback(stream: TextIO) -> None:
    """The traceback of the exception being handled (--debug); traceback is imported only then."""
    import traceback  # noqa: PLC0415 - only on an error with --debug (start-up time)

    traceback.print_exc(file=stream)


def _report(exc: DepminError, stream: TextIO) -> None:
    error = label("error", stream)
    if isinstance(exc, ConfigError):
        for problem in exc.problems:
            stream.write(f"{error} {redact(str(problem))}\n")
        if len(exc.problems) > 1:
            stream.write(f"{len(exc.problems)} problems\n")
        return
    stream.write(f"{error} {redact(str(exc))}\n")
