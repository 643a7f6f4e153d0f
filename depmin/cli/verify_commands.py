"""``depmin verify``: each agent's environment built from its locks, and its imports tried there."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from depmin import api
from depmin.cli import documents
from depmin.cli.options import Command, load, no_cache
from depmin.cli.output import Output, dumps
from depmin.errors import EXIT_FINDINGS, EXIT_OK, ConfigError, Problem

if TYPE_CHECKING:  # the verify stage is imported by the command that runs it (start-up time)
    from depmin.verification import AgentVerification

__all__ = ["VERIFY"]


def cmd_verify(args: argparse.Namespace, output: Output) -> int:
    """Install each chosen agent's locks in a fresh environment and import what its scan found."""
    fleet = load(args)
    if bool(args.agent) == bool(args.all):
        raise ConfigError([Problem("depmin verify", "choose the agents: --agent NAME (repeatable) or --all")])
    if args.image:
        _refuse_image()
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


def _refuse_image() -> None:
    if shutil.which("buildah") is None:
        fix = "install buildah (Debian: apt-get install buildah), or verify in a virtual environment without --image"
        raise ConfigError([Problem("depmin verify --image", f"buildah is not on PATH; {fix}")])
    raise ConfigError(
        [Problem("depmin verify --image", "verifying inside the built image is not implemented yet; drop --image")]
    )


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
    skipped = f", {len(agent.skipped)} skipped (marker false on the target)" if agent.skipped else ""
    output.print(
        f"{agent.agent}: {state}: {len(agent.modules)} module{'' if len(agent.modules) == 1 else 's'} "
        f"imported from {', '.join(agent.locks)}"
        f"{skipped} (python {agent.python_version}, {env})"
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
        "--image", action="store_true", help="verify inside the built image with buildah (not implemented yet)"
    )
    no_cache(parser)


VERIFY = Command(
    name="verify",
    handler=cmd_verify,
    summary="install each agent's locks as its image does in a fresh environment; import every module its scan found",
    example="depmin verify --agent NLUAgent",
    options=_verify_options,
)
