"""``depmin verify --image``: each agent's generated Dockerfile built (its family chain first) and
the import check run inside the image, as the image's user, in an empty directory.

The Dockerfiles are the ones ``depmin dockerfiles`` wrote under ``dockerfiles/``: the agent's
``agents/<Agent>.Dockerfile`` starts ``FROM depmin/family-<f>:current``, which is the image of
``base/<f>.Dockerfile``, which may itself start from another family's image; the chain is built
root first under those local names, so the agent's build finds them as a ``docker bake`` run would.
Each family is built once per run (and buildah's ``--layers`` cache skips unchanged steps on the
next one). The agent's image is tagged ``depmin-verify/<agent>:current``.

Inside the image the check uses the family's virtual environment (``/opt/venv/bin/python -I``)
with the image's ``PYTHONPATH`` minus ``/app`` (the agent's own code is never imported), so it
sees the service layer at ``/opt/service`` as the agent does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from depmin._backend import images
from depmin._backend.environments import PROBE
from depmin._backend.interpreters import last_line
from depmin._secrets import redact
from depmin.dockerfiles.inputs import IMAGE_PREFIX, IMAGE_TAG
from depmin.dockerfiles.probes import VENV_PYTHON
from depmin.errors import ConfigError, DepminError, Problem
from depmin.layout import Layout
from depmin.manifest import Agent, Fleet, slug
from depmin.scanning import AgentScan
from depmin.verification.diagnosis import classify
from depmin.verification.model import AgentVerification, ImportFailure, Verification
from depmin.verification.plan import Modules, install_locks, modules_to_import

__all__ = ["ImageBuild", "agent_tag", "dockerfile_chain", "first_from", "image_build", "verify_images"]

Progress = Callable[[str, int, int], None]
Warn = Callable[[str], None]

_FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE | re.MULTILINE)
_NO_COMPILER = (
    " (a release without a wheel for the target is compiled where there is no compiler: a family image has "
    "none, only a service's build-wheels stage does; lock a release with a wheel, or move the distribution "
    "to the agents that need it with families.<F>.never)"
)
_APP = "/app"  # where the agent's own code is copied: never on the check's sys.path
_SETUP = "import sys, tempfile; print('%d.%d' % sys.version_info[:2], tempfile.mkdtemp(prefix='depmin-verify-'))"
_PIP_CHECK = (
    "import json, runpy, sys\n"
    "sys.path[0:0] = json.loads(sys.argv[1])\n"
    "sys.argv = ['pip', 'check']\n"
    "runpy.run_module('pip', run_name='__main__', alter_sys=True)\n"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ImageBuild:
    """How the images are built: the builder, and ``volumes`` mounted into every ``RUN`` (buildah)."""

    builder: images.Builder
    volumes: tuple[str, ...] = ()


def first_from(text: str) -> str | None:
    """The image of a Dockerfile's first ``FROM`` (``FROM depmin/family-cpu:current AS base``)."""
    found = _FROM.search(text)
    return None if found is None else found.group(1)


def agent_tag(agent: str) -> str:
    return f"depmin-verify/{slug(agent)}:current"


def dockerfile_chain(layout: Layout, agent: Agent) -> tuple[tuple[str, Path], ...]:
    """``(tag, Dockerfile)`` pairs to build, root family first, the agent's own last; DepminError
    naming the command when ``depmin dockerfiles`` has not written them."""
    own = _agent_dockerfile(layout, agent)
    families = {
        f"{IMAGE_PREFIX}{slug(path.name.removesuffix('.Dockerfile'))}{IMAGE_TAG}": path
        for path in sorted((layout.dockerfiles / "base").glob("*.Dockerfile"))
    }
    chain: list[tuple[str, Path]] = [(agent_tag(agent.name), own)]
    image = first_from(own.read_text(encoding="utf-8"))
    while image is not None and image in families and all(tag != image for tag, _ in chain):
        chain.append((image, families[image]))
        image = first_from(families[image].read_text(encoding="utf-8"))
    if len(chain) == 1:
        raise DepminError(
            f"{own} does not start from a family image under {layout.dockerfiles / 'base'}; run `depmin dockerfiles`"
        )
    return tuple(reversed(chain))


def _agent_dockerfile(layout: Layout, agent: Agent) -> Path:
    directory = layout.dockerfiles / "agents"
    candidates = [directory / f"{agent.name}.Dockerfile"]
    candidates += [directory / f"{agent.name}.{machine}.Dockerfile" for machine in agent.machines]
    for path in candidates:
        if path.is_file():
            return path
    raise DepminError(f"no Dockerfile for {agent.name} ({candidates[0]}); run `depmin dockerfiles` first")


def image_build(volumes: Sequence[str] = ()) -> ImageBuild:
    """The builder on this machine (buildah, else a running docker), or ConfigError (exit 2) with the fix."""
    builder = images.find_builder()
    if builder is None:
        fix = "install buildah (Debian: apt-get install buildah) or start docker, or verify without --image"
        raise ConfigError(
            [Problem("depmin verify --image", f"neither buildah nor a running docker is available; {fix}")]
        )
    if volumes and builder.kind != "buildah":
        fix = "install buildah, or drop --build-volume"
        raise ConfigError(
            [Problem("--build-volume", f"only buildah mounts volumes into a build (found docker); {fix}")]
        )
    for volume in volumes:
        host, _, rest = volume.partition(":")
        inside = rest.partition(":")[0]
        if not host or not Path(host).exists() or not inside.startswith("/"):
            fix = "write HOST:CONTAINER[:OPTIONS] with an existing HOST path and an absolute CONTAINER path"
            raise ConfigError([Problem("--build-volume", f"{volume!r} is not a volume; {fix}")])
    return ImageBuild(builder=builder, volumes=tuple(volumes))


def verify_images(
    fleet: Fleet,
    scans: Mapping[str, AgentScan],
    agents: Sequence[str],
    *,
    build: ImageBuild,
    progress: Progress | None = None,
) -> Verification:
    """Build each agent's image (families once per run) and import its modules inside it."""
    layout = Layout.beside(fleet.path)
    built: dict[str, str | None] = {}  # tag -> the build's error, None when it built
    done = []
    for number, name in enumerate(agents, 1):
        agent = fleet.agent(name)
        modules = modules_to_import(scans[name], fleet.target_python(agent), fleet.project.platform)
        done.append(_verify(fleet, layout, agent, modules, build, built))
        if progress is not None:
            progress(name, number, len(agents))
    return Verification(agents=tuple(done))


def _verify(
    fleet: Fleet,
    layout: Layout,
    agent: Agent,
    modules: Modules,
    build: ImageBuild,
    built: dict[str, str | None],
) -> AgentVerification:
    locks = tuple(path.relative_to(layout.base).as_posix() for path in install_locks(layout, fleet, agent))
    tag = agent_tag(agent.name)
    error = None
    for image, dockerfile in dockerfile_chain(layout, agent):
        if image not in built:
            built[image] = images.build_image(
                build.builder, context=layout.base, dockerfile=dockerfile, tag=image, volumes=build.volumes
            )
        if built[image] is not None:
            error = f"{dockerfile.relative_to(layout.base).as_posix()} does not build: {built[image]}"
            if "gcc" in error or "cc: not found" in error:
                error += _NO_COMPILER
            break
    version, failures, complaints = (
        ("", (), ()) if error is not None else _check_inside(build.builder, tag, agent, modules.checked)
    )
    return AgentVerification(
        agent=agent.name,
        python=VENV_PYTHON,
        python_version=version,
        target_version=fleet.target_python(agent),
        locks=locks,
        environment=tag,
        reused=False,
        modules=modules.checked,
        skipped=modules.skipped,
        failures=failures,
        install_error=error,
        pip_check=complaints,
        sdist_only=(),
        image=tag,
    )


def _check_inside(
    builder: images.Builder, tag: str, agent: Agent, modules: Sequence[str]
) -> tuple[str, tuple[ImportFailure, ...], tuple[str, ...]]:
    """(the image's Python version, the failed imports, ``pip check``'s complaints), as the image's user."""
    config = images.image_config(builder, tag)
    paths = [p for p in config.env.get("PYTHONPATH", "").split(":") if p and p != _APP and not p.startswith(_APP + "/")]
    front = json.dumps(paths)
    with images.container(builder, tag) as box:
        code, out, err = box.run([VENV_PYTHON, "-I", "-c", _SETUP], user=config.user, workdir="/")
        words = out.split()
        if code != 0 or len(words) != 2:
            raise DepminError(f"{tag}: {VENV_PYTHON} does not run as {config.user}: {redact(last_line(err))}")
        version, empty = words

        def probe(names: Sequence[str]) -> dict[str, str | None] | None:
            code, out, _ = box.run([VENV_PYTHON, "-I", "-c", PROBE, front, *names], user=config.user, workdir=empty)
            lines = out.strip().splitlines()
            try:
                found = json.loads(lines[-1]) if code == 0 and lines else None
            except json.JSONDecodeError:
                found = None
            if not isinstance(found, dict) or set(found) != set(names):
                return None
            return {str(k): None if v is None else redact(str(v)) for k, v in found.items()}

        imported = probe(modules) if modules else {}
        if imported is None:  # a module killed the interpreter: try each alone, so only it is blamed
            alone = {name: probe([name]) for name in modules}
            imported = {
                n: r[n] if r is not None else "the interpreter died while importing it" for n, r in alone.items()
            }
        code, out, err = box.run([VENV_PYTHON, "-I", "-c", _PIP_CHECK, front], user=config.user, workdir=empty)
    complaints: tuple[str, ...] = ()
    if code != 0:
        complaints = tuple(redact(line.strip()) for line in out.splitlines() if line.strip()) or (
            redact(last_line(err)),
        )
    failures = tuple(
        classify(module, error, imported, agent=agent.name, family=agent.family, in_image=True)
        for module, error in sorted(imported.items())
        if error is not None
    )
    return version, failures, complaints
