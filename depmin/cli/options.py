"""What the command modules share: the :class:`Command` record of one command's code, the options
several commands take, and loading the fleet that ``--config``/``--root`` point at."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from depmin._runpath import check_imports_outside
from depmin.cli.output import Output
from depmin.manifest import Fleet, find_config, load_fleet

__all__ = ["Command", "Handler", "force", "load", "no_cache", "no_options", "python_option"]

Handler = Callable[[argparse.Namespace, Output], int]


@dataclass(frozen=True, kw_only=True, slots=True)
class Command:
    """One ``depmin`` command's code: ``options`` adds its own arguments to its parser and ``handler`` runs
    it. Its name, summary and example are in :data:`depmin.cli.entry.COMMANDS`, which names this record
    so that the parser is built without importing the command's module (start-up time)."""

    handler: Handler
    options: Callable[[argparse.ArgumentParser], None]


def load(args: argparse.Namespace) -> Fleet:
    """The fleet of ``--config`` (default: the nearest agents.toml from the working directory), with ``--root``."""
    config: Path = args.config if args.config is not None else find_config(Path.cwd())
    fleet = load_fleet(config, root=args.root)
    check_imports_outside(fleet.project.root)
    return fleet


def no_options(parser: argparse.ArgumentParser) -> None:
    """For a command that takes only the common options."""
    del parser


def force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="overwrite files that depmin did not generate")


def no_cache(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-cache", action="store_true", help="parse every file again, ignoring the cache")


def python_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--python",
        type=Path,
        metavar="INTERPRETER",
        help="also map imports through the distributions installed for this Python (read, never imported)",
    )
