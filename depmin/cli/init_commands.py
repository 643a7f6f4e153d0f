"""``depmin init``: draft an agents.toml from what the monorepo already says."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from depmin import drafting
from depmin._files import check_replaceable, write_atomic
from depmin.cli import documents
from depmin.cli.options import Command
from depmin.cli.output import Output, dumps
from depmin.drafting import KINDS, Kind
from depmin.errors import EXIT_OK, ConfigError, DepminError, Problem
from depmin.manifest import CONFIG_NAME
from depmin.scanning.tree import Tree

__all__ = ["INIT"]


def _kinds(text: str) -> frozenset[Kind]:
    chosen: set[Kind] = set()
    for word in (part.strip() for part in text.split(",")):
        if word == "all":
            chosen.update(KINDS)
            continue
        kind = next((k for k in KINDS if k == word), None)
        if kind is None:
            raise ConfigError(
                [
                    Problem(
                        "--source",
                        f"unknown source {word[:40]!r}; use all or some of {', '.join(KINDS)}, comma-separated",
                    )
                ]
            )
        chosen.add(kind)
    return frozenset(chosen)


def cmd_init(args: argparse.Namespace, output: Output) -> int:
    """Read the repository's own descriptions of its services and write a draft agents.toml."""
    root: Path = (args.root if args.root is not None else Path.cwd()).absolute()
    if not root.is_dir():
        raise ConfigError([Problem(str(root), "is not a directory; pass --root DIRECTORY (the monorepo)")])
    config: Path = (args.config if args.config is not None else Path.cwd() / CONFIG_NAME).absolute()
    if not args.stdout and not args.force and (config.exists() or config.is_symlink()):
        raise DepminError(
            f"{config}: exists; depmin init never replaces it: pass --stdout to print the draft, or --force"
        )
    kinds = _kinds(args.source)
    tree = Tree.at(root.resolve())
    result = drafting.survey(tree, kinds, drafting.yaml_loader())
    if not result.agents:
        raise ConfigError(
            [
                Problem(
                    str(root),
                    f"no service found in {len(result.read)} source files; "
                    "pass --root or --source, or write agents.toml by hand",
                )
            ]
        )
    text = drafting.render(result, config=config)
    fleet = drafting.validate(text, config=config)
    if not args.no_needs:
        drafting.infer_families(result, fleet, use_cache=True)
        text = drafting.render(result, config=config)
        drafting.validate(text, config=config)
    if args.stdout and not output.json:
        output.out.write(text)
    elif not args.stdout:
        check_replaceable(config, base=config.parent, force=True)  # a regular file or absent, never a FIFO
        try:
            write_atomic(config, text)
        except OSError as exc:
            raise ConfigError(
                [Problem(str(config), f"cannot write ({exc.strerror or exc}); check the directory")]
            ) from None
    if output.json:
        written = None if args.stdout else config
        output.print(dumps(documents.init_document(result, written, text if args.stdout else None)))
    elif not args.stdout:
        for line in result.skipped:
            output.note(line)
        shown = os.path.relpath(config)
        output.print(
            f"{len(result.agents)} agents drafted from {len(result.read)} files into {shown}; next: depmin fleet"
        )
    return EXIT_OK


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        default="all",
        metavar="KINDS",
        help=f"which sources to read, comma-separated: all (default) or some of {', '.join(KINDS)}",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing agents.toml")
    parser.add_argument("--stdout", action="store_true", help="print the draft instead of writing agents.toml")
    parser.add_argument(
        "--no-needs", action="store_true", help="do not scan the drafted agents for needs (every family cpu)"
    )


INIT = Command(handler=cmd_init, options=_options)
