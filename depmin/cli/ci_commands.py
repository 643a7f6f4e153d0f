"""The CI commands: ``depmin audit`` (the locked distributions against an OSV vulnerability service; text,
JSON or SARIF) and ``depmin workflow`` (the generated GitHub Actions workflow, where GitHub reads it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from depmin import api
from depmin._files import write_atomic, write_generated
from depmin.cli import documents
from depmin.cli.options import Command, force, load
from depmin.cli.output import Output, dumps, shown
from depmin.errors import EXIT_FINDINGS, EXIT_OK, ConfigError, Problem
from depmin.layout import Layout
from depmin.manifest import SEVERITIES
from depmin.manifest.grammar import check_url

__all__ = ["AUDIT", "WORKFLOW"]


def cmd_audit(args: argparse.Namespace, output: Output) -> int:
    """Audit the chosen agents' locks; exit 1 when an advisory at or above the threshold is not ignored."""
    from depmin.auditing import sarif_document, text_lines  # noqa: PLC0415 - a later stage, imported when used

    fleet = load(args)
    if args.all and args.agent:
        raise ConfigError([Problem("depmin audit", "choose --agent NAME ... or --all, not both")])
    if args.url is not None:
        problem = check_url(args.url)
        if problem is not None or not args.url.startswith(("http://", "https://")):
            raise ConfigError([Problem("--url", problem or "an OSV service is reached over http(s)")])
    result = api.audit(fleet, args.agent or None, url=args.url, fail_on=args.fail_on)
    if args.sarif is not None:
        sarif = dumps(sarif_document(result))
        if str(args.sarif) == "-":
            output.print(sarif)
        else:
            try:
                write_atomic(args.sarif, sarif + "\n")
            except OSError as exc:
                problem = f"cannot write the SARIF log ({exc.strerror or exc}); pass a writable file"
                raise ConfigError([Problem(f"--sarif {args.sarif}", problem)]) from None
    if output.json:
        output.print(dumps(documents.audit_document(result)))
    elif str(args.sarif) != "-":
        for line in text_lines(result):
            output.print(line)
    return EXIT_OK if result.ok else EXIT_FINDINGS


def _audit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", action="append", metavar="NAME", help="this agent (repeatable)")
    parser.add_argument("--all", action="store_true", help="every agent of the fleet (the default)")
    parser.add_argument(
        "--fail-on", choices=SEVERITIES, default=None, help="lowest severity that fails (default: [audit] fail_on)"
    )
    parser.add_argument("--url", metavar="URL", help="the OSV service (default: [audit] url, else api.osv.dev)")
    parser.add_argument("--sarif", type=Path, metavar="FILE", help="also write a SARIF 2.1.0 log there ('-': stdout)")


AUDIT = Command(handler=cmd_audit, options=_audit_options)


def cmd_workflow(args: argparse.Namespace, output: Output) -> int:
    """Write the GitHub Actions workflow to .github/workflows/depmin.yml (or --output); a file depmin did
    not write is replaced only with --force."""
    from depmin.dockerfiles import registry_problem, render_workflow  # noqa: PLC0415 - a later stage

    fleet = load(args)
    layout = Layout.beside(fleet.path)
    registry = args.registry
    if registry is None:  # the registry the committed bake file was rendered for
        registry = api.DEFAULT_REGISTRY if not layout.bake.is_file() else _bake_registry(layout)
    problem = registry_problem(registry)
    if problem is not None:
        raise ConfigError([Problem("--registry", problem)])
    target: Path = args.output if args.output is not None else layout.workflow
    changed = write_generated(target, render_workflow(fleet, registry=registry), base=layout.base, force=args.force)
    if output.json:
        output.print(dumps(documents.workflow_document(target, changed)))
    else:
        output.print(f"{shown(target)}: {'written' if changed else 'unchanged'}")
    return EXIT_OK


def _bake_registry(layout: Layout) -> str:
    from depmin import staleness  # noqa: PLC0415 - a later stage, imported when used

    return staleness.bake_registry(layout)


def _workflow_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", type=Path, metavar="FILE", help="where (default: .github/workflows/depmin.yml)")
    parser.add_argument(
        "--registry", help="image registry prefix, host[:port][/path] (default: the bake file's, else ghcr.io/your-org)"
    )
    force(parser)


WORKFLOW = Command(handler=cmd_workflow, options=_workflow_options)
