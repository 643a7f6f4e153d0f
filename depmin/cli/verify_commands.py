"""``depmin verify``: each agent's environment built from its locks, and its imports tried there."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from depmin import api
from depmin.cli import documents
from depmin.cli.options import Command, load, no_cache
from depmin.cli.output import Output, dumps
from depmin.errors import EXIT_FINDINGS, EXIT_OK, ConfigError, Problem

if TYPE_CHECKING:  # the verify stage is imported by the command that runs it (start-up time)
    from depmin.verification import AgentVerification, Heavy, ImageBuild

__all__ = ["VERIFY"]


def cmd_verify(args: argparse.Namespace, output: Output) -> int:
    """Install each chosen agent's locks in a fresh environment and import what its scan found."""
    fleet = load(args)
    if bool(args.agent) == bool(args.all):
        raise ConfigError([Problem("depmin verify", "choose the agents: --agent NAME (repeatable) or --all")])
    from depmin.verification import Heavy  # noqa: PLC0415 - a later stage, imported when used

    heavy = Heavy(skip_gpu=args.skip_heavy, max_mb=args.max_mb)
    image = _image_build(args, heavy) if args.image else None
    selected = api.select_agents(fleet, args.agent)
    scanned = api.scan(fleet, selected, use_cache=not args.no_cache)
    output.scan_notices(scanned.warnings, scanned.skipped)
    result = api.verify(
        fleet,
        scanned,
        selected,
        python=args.python,
        offline=args.offline,
        find_links=args.find_links or (),
        progress=output.progress("verifying"),
        warn=output.warn,
        heavy=heavy if heavy.active else None,
        image=image,
    )
    _warn_interpreters(output, result.agents)
    if output.json:
        output.print(dumps(documents.verify_document(result)))
    else:
        for agent in result.agents:
            _print_agent(output, agent)
    for agent in result.agents:
        for line in _errors(agent):
            output.error(f"{agent.agent}: {line}")
    return EXIT_OK if result.ok else EXIT_FINDINGS


def _image_build(args: argparse.Namespace, heavy: Heavy) -> ImageBuild:
    """The builder for ``--image`` (exit 2 without one); the venv-only options are refused with it."""
    given = [
        flag
        for flag, value in (("--python", args.python), ("--offline", args.offline), ("--find-links", args.find_links))
        if value
    ]
    if heavy.active:
        given.append("--skip-heavy/--max-mb")
    if given:
        problem = f"{', '.join(given)} apply to virtual environments, not to the built image; drop them or --image"
        raise ConfigError([Problem("depmin verify --image", problem)])
    from depmin.verification import image_build  # noqa: PLC0415 - a later stage, imported when used

    return image_build(args.build_volume or ())


def _warn_interpreters(output: Output, agents: tuple[AgentVerification, ...]) -> None:
    """Say so loudly when the environments are not on the Python the locks were made for."""
    seen = set()
    for agent in agents:
        key = (agent.python, agent.python_version, agent.target_version)
        if agent.python_version != agent.target_version and key not in seen:
            seen.add(key)
            output.warn(
                f"environments made with Python {agent.python_version} ({agent.python}), but the locks are for "
                f"Python {agent.target_version}: pass --python with a Python {agent.target_version} interpreter"
            )


def _print_agent(output: Output, agent: AgentVerification) -> None:
    state = "ok" if agent.ok else "FAILED"
    env = f"environment {agent.environment}" + (" reused" if agent.reused else "")
    if agent.image is not None:
        env = f"image {agent.image}"
    skipped = f", {len(agent.skipped)} skipped (marker false on the target)" if agent.skipped else ""
    output.print(
        f"{agent.agent}: {state}: {len(agent.modules)} module{'' if len(agent.modules) == 1 else 's'} "
        f"imported from {', '.join(agent.locks)}"
        f"{skipped} (python {agent.python_version}, {env})"
    )
    if agent.heavy:
        output.print(
            f"{agent.agent}: skipped as too heavy: {', '.join(agent.heavy)}; not imported therefore: "
            f"{', '.join(agent.unchecked) or 'nothing'}"
        )


def _errors(agent: AgentVerification) -> list[str]:
    lines = [f"locks do not install: {agent.install_error}"] if agent.install_error else []
    lines += [str(failure) for failure in agent.failures]
    lines += [f"pip check: {line}" for line in agent.pip_check]
    return lines


def _verify_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", action="append", metavar="NAME", help="this agent (repeatable)")
    parser.add_argument("--all", action="store_true", help="every agent of the fleet")
    parser.add_argument(
        "--python",
        type=Path,
        metavar="INTERPRETER",
        help="make the environments with this Python (default: python3.N of the lock's target on PATH)",
    )
    parser.add_argument("--offline", action="store_true", help="no index: install only from wheelhouses")
    parser.add_argument(
        "--find-links", action="append", type=Path, metavar="DIR", help="a wheelhouse directory to install from too"
    )
    parser.add_argument(
        "--image",
        action="store_true",
        help="build each agent's generated Dockerfile (buildah, else docker) and verify inside the image",
    )
    parser.add_argument(
        "--build-volume",
        action="append",
        metavar="HOST:CONTAINER[:OPTIONS]",
        help="with --image and buildah: mount this into every RUN of the builds (e.g. a pip.conf)",
    )
    parser.add_argument(
        "--skip-heavy", action="store_true", help="leave out the gpu stack of depmin/data/heavy.toml (torch, nvidia-*)"
    )
    parser.add_argument(
        "--max-mb", type=_megabytes, metavar="N", help="leave out every distribution above N installed megabytes"
    )
    no_cache(parser)


def _megabytes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e9:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of megabytes above 0; write e.g. --max-mb 500")
    return value


VERIFY = Command(handler=cmd_verify, options=_verify_options)
