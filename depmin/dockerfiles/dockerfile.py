"""The family and service Dockerfiles.

Every value from agents.toml or the scan goes through :mod:`depmin.dockerfiles.escape`: ``FROM`` takes
one image token, ``RUN`` arguments are shell-quoted, ``ENV`` values quoted with ``$`` escaped, ``COPY``
words escaped for Docker's lexer (JSON form when not plain), ``CMD`` and ``HEALTHCHECK`` are JSON
arrays. Private indexes are reached through the ``pip-conf`` build secret, mounted as
``/etc/pip.conf`` for the one ``pip install`` that needs it: no index URL is ever in ``ENV`` or ``ARG``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping

from depmin._files import MARKER
from depmin._secrets import has_credentials
from depmin.dockerfiles.escape import (
    comment,
    copy,
    copy_path,
    env_name,
    env_value,
    exec_form,
    image_ref,
    key,
    refuse,
    shell_word,
    shown,
    workdir_path,
)
from depmin.dockerfiles.inputs import (
    PIP_SECRET,
    BuildInputs,
    agent_pip_sources,
    agent_uses_indexes,
    family_image,
    family_pip_sources,
    family_uses_indexes,
)
from depmin.dockerfiles.probes import GPU_PROBE_PATH, HEALTH_PROBE_PATH, healthcheck
from depmin.layers.plan import Plan
from depmin.layout import family_lock
from depmin.manifest import Agent, Fleet, Machine
from depmin.requirements.tables import build_apt_packages

__all__ = ["family_dockerfile", "header", "service_dockerfile"]

_UID = 10001
_BASE_APT = ("ca-certificates", "tini", "tzdata")
# DL3008: apt versions are fixed by the digest-pinned base image and its snapshot; pinning Debian
# package versions by hand breaks every security update.
_IGNORE = "# hadolint ignore=DL3008\n"
_PIP = "pip install --no-cache-dir --require-hashes --no-deps"
_WHEEL = "pip wheel --no-cache-dir --require-hashes --no-deps"
_SECRET_MOUNT = f"--mount=type=secret,id={PIP_SECRET},target=/etc/pip.conf,required=true "


def header(what: str) -> str:
    """The first line of every Dockerfile (``what`` already :func:`~depmin.dockerfiles.escape.comment`-safe)."""
    return f"# {MARKER} from agents.toml ({what}). Do not edit: run `depmin dockerfiles`.\n"


def family_dockerfile(fleet: Fleet, name: str, inputs: BuildInputs) -> str:
    """The base image of family ``name``: from its image (a root) or its parent family's image."""
    family = fleet.families[name]
    config = fleet.path.name
    own_apt = _apt_words(config, name, [*family.apt], inputs.apt.get(name, ()))
    lines = [header(f"family {comment(name)}")]
    if family.extends is None:
        lines.append(f"FROM {image_ref(family.from_image or '', key(config, 'families', name, 'from'))}\n")
        lines += _root_setup(fleet, name, [*_BASE_APT, *own_apt.values()])
    else:
        lines.append(f"FROM {family_image(fleet, family.extends)}\n")
        if own_apt:
            lines.append(_IGNORE + _apt_run(own_apt.values()) + "\n")
    if family.machine is not None:
        machine = fleet.machines[family.machine]
        env = _machine_env(config, machine, machine.environment.keys())
        env.update({"NVIDIA_VISIBLE_DEVICES": "all", "NVIDIA_DRIVER_CAPABILITIES": "compute,utility"})
        lines.append(_env(env))
    lock = copy_path(f"locks/{family_lock(name)}", key(config, "families", name))
    secret = _SECRET_MOUNT if family_uses_indexes(fleet, name) else ""
    mounts, options = _pip_sources(config, *family_pip_sources(fleet, name))
    lines.append(
        copy([lock], "/tmp/family.lock")
        + f"\nRUN {secret}{mounts}{_PIP}{options} -r /tmp/family.lock \\\n    && rm /tmp/family.lock\n"
    )
    if family.extends is None:
        # --chmod: the probes run as `app`, whatever mode the files have in the build context.
        probes = f"COPY --chmod=0644 dockerfiles/base/health_probe.py {HEALTH_PROBE_PATH}\n"
        if fleet.has_gpu(name):
            probes += f"COPY --chmod=0644 dockerfiles/base/gpu_ready.py {GPU_PROBE_PATH}\n"
        lines += [probes, 'ENTRYPOINT ["tini", "--"]\n']
    return "\n".join(lines)


_MOUNT_SOURCE = re.compile(r"[A-Za-z0-9._/+@-]+")  # a bind-mount source: no ',' '=' or quote to split on


def _pip_sources(config: str, indexes: Iterable[str], links: Iterable[str]) -> tuple[str, str]:
    """``(mounts, options)`` for a ``pip install`` of a lock resolved with ``indexes`` and ``links``:
    each index and find-links URL without credentials as an option (shell-quoted), each local
    wheelhouse (relative to agents.toml, the build context) bind-mounted for that one instruction.
    URLs with credentials are not written: they come from the ``pip-conf`` secret."""
    where = key(config, "families", "*", "indexes")
    options = [f" --extra-index-url={shell_word(url, where)}" for url in indexes if not has_credentials(url)]
    mounts = []
    for number, link in enumerate(links):
        if "://" in link:
            if not has_credentials(link):
                options.append(f" --find-links={shell_word(link, key(config, 'families', '*', 'find_links'))}")
            continue
        source = posixpath.normpath(copy_path(link, key(config, "families", "*", "find_links")))
        if not _MOUNT_SOURCE.fullmatch(source) or source.startswith("-"):
            refuse(
                key(config, "families", "*", "find_links"),
                f"the wheelhouse {shown(link)} holds a character a build mount cannot take; "
                "use letters, digits and '._/+@-' in its path",
            )
        target = f"/tmp/find-links/{number}"
        mounts.append(f"--mount=type=bind,source={source},target={target} ")
        options.append(f" --find-links={target}")
    return "".join(mounts), "".join(options)


def _root_setup(fleet: Fleet, name: str, apt: Iterable[str]) -> list[str]:
    # A GPU base (a CUDA image) has no Python of its own: the family's `apt` list in agents.toml
    # installs the project's python3.N (and python3.N-venv) from the distribution. A CPU base is
    # a python image, whose `python3` is the one of its tag.
    if fleet.has_gpu(name):
        python = shell_word(f"python{fleet.project.python}", key(fleet.path.name, "project", "python"))
    else:
        python = "python3"
    return [
        f"ARG APP_UID={_UID}\nARG APP_GID={_UID}\n",
        "ENV DEBIAN_FRONTEND=noninteractive \\\n    PYTHONUNBUFFERED=1 \\\n    PYTHONDONTWRITEBYTECODE=1 \\\n"
        "    VIRTUAL_ENV=/opt/venv \\\n    PATH=/opt/venv/bin:$PATH\n",
        _IGNORE + _apt_run(apt) + ' \\\n    && groupadd --gid "${APP_GID}" app \\\n'
        '    && useradd --uid "${APP_UID}" --gid app --no-create-home --shell /usr/sbin/nologin app \\\n'
        f"    && {python} -m venv /opt/venv\n",
    ]


def _apt_words(config: str, family: str, declared: Iterable[str], needed: Iterable[str]) -> dict[str, str]:
    """``{package: its shell word}``: the family's ``apt``, then the packages its distributions need
    (from depmin's table)."""
    words: dict[str, str] = {}
    for package in declared:
        words.setdefault(package, shell_word(package, key(config, "families", family, "apt")))
    for package in needed:
        words.setdefault(package, shell_word(package, f"the apt packages of family {comment(family)}"))
    return words


def _apt_run(words: Iterable[str]) -> str:
    listed = " ".join(sorted(set(words)))
    return (
        "RUN apt-get update \\\n"
        f"    && apt-get install -y --no-install-recommends {listed} \\\n"
        "    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin"
    )


def _machine_env(config: str, machine: Machine, keys: Iterable[str]) -> dict[str, str]:
    """The machine's environment for ``keys``: names checked, values written for ``ENV``."""
    where = ("machines", machine.name, "env")
    values = machine.environment
    return {env_name(k, key(config, *where)): env_value(values[k], key(config, *where, k)) for k in keys}


def _env(pairs: Mapping[str, str]) -> str:
    """One ``ENV`` of already written ``key=value`` pairs, sorted by key."""
    return "ENV " + " \\\n    ".join(f"{k}={v}" for k, v in sorted(pairs.items())) + "\n"


def service_dockerfile(fleet: Fleet, plan: Plan, agent: Agent, machine: str | None, inputs: BuildInputs) -> str:
    """The thin image of ``agent`` (on ``machine`` when it has one file per machine)."""
    config = fleet.path.name
    where = key(config, "agents", agent.name)
    image = next((s for s in plan.services if s.agent == agent.name), None)
    delta = image.delta if image is not None else ()
    env_machine = fleet.machines[machine or agent.machines[0]]
    on = f" on {comment(machine)}" if machine else ""
    lines = [header(f"agent {comment(agent.name)}{on}"), f"FROM {family_image(fleet, agent.family)} AS base\n"]
    if delta:
        secret = _SECRET_MOUNT if agent_uses_indexes(fleet, agent) else ""
        mounts, options = _pip_sources(config, *agent_pip_sources(fleet, agent))
        lock = copy_path(f"locks/{agent.name}/service.lock", where)
        if inputs.sdists.get(agent.name):
            built = inputs.sdists[agent.name]
            lines.append(
                _build_wheels(fleet, agent, built, copy([lock], "/tmp/service.lock"), secret + mounts, options)
            )
        else:
            lines.append(
                "FROM base AS deps\n"
                + copy([lock], "/tmp/service.lock")
                + f"\nRUN {secret}{mounts}{_PIP}{options} --target /opt/service -r /tmp/service.lock\n"
            )
    lines.append("FROM base AS runtime\n")
    if delta:
        lines.append("COPY --from=deps /opt/service /opt/service\n")
    gpu = fleet.has_gpu(agent.family)
    lines.append(_env(_runtime_env(config, agent, env_machine, bool(delta), gpu=gpu)))
    lines.append("WORKDIR /app\n")
    scanned = [(path, f"{where} (a file of its closure)") for path in inputs.files.get(agent.name, ())]
    lines.append(_copies(config, inputs.root, scanned))
    declared = _declared_copies(config, inputs.root, agent)
    if declared:
        lines.append(declared)
    if agent.workdir is not None:
        lines.append(f"WORKDIR {workdir_path(agent.workdir, key(config, 'agents', agent.name, 'workdir'))}\n")
    if agent.ports:
        lines.append("EXPOSE " + " ".join(str(int(p)) for p in agent.ports) + "\n")
    if agent.health_port is not None:
        lines.append(healthcheck(agent, gpu=gpu, where=key(config, "agents", agent.name, "health")))
    # DL3066: the family base creates `app` with the UID/GID given as build args; the name resolves there.
    lines.append("# hadolint ignore=DL3066\nUSER app\n")
    lines.append("CMD " + exec_form(agent.cmd or ("python", agent.entrypoint)) + "\n")
    return "\n".join(lines)


def _build_wheels(
    fleet: Fleet, agent: Agent, sdists: tuple[str, ...], copy_lock: str, mounts: str, options: str
) -> str:
    """The ``build-wheels`` stage (the family image plus a compiler) that turns every line of the
    service lock into a wheel, hash-checked, and the ``deps`` stage that installs those wheels
    without the compiler. A CPU base is a python image whose headers are its own; a GPU base gets the
    project's python3.N-dev from the distribution, like its python3.N. The build packages the sdists
    need beyond the compiler come from depmin's table (``dlib`` runs CMake), then ``build_apt``."""
    tools = ["build-essential", *build_apt_packages(pin.split("==")[0] for pin in sdists)]
    for family in fleet.family_chain(agent.family):
        where = key(fleet.path.name, "families", family.name, "build_apt")
        tools += [shell_word(package, where) for package in family.build_apt]
    if fleet.has_gpu(agent.family):
        dev = f"python{fleet.project.python}-dev"
        tools.append(shell_word(dev, key(fleet.path.name, "project", "python")))
    return (
        "FROM base AS build-wheels\n"
        + _IGNORE
        + _apt_run(tools)
        + "\n"
        + copy_lock
        + f"\nRUN {mounts}{_WHEEL}{options} --wheel-dir /wheels -r /tmp/service.lock\n\n"
        + "FROM base AS deps\n"
        + "RUN --mount=type=bind,from=build-wheels,source=/wheels,target=/tmp/wheels \\\n"
        + "    pip install --no-cache-dir --no-deps --no-index --target /opt/service /tmp/wheels/*.whl\n"
    )


def _runtime_env(config: str, agent: Agent, machine: Machine, has_delta: bool, *, gpu: bool) -> dict[str, str]:
    env = {
        "PYTHONPATH": "/app:/opt/service" if has_delta else "/app",
        "AGENT_NAME": env_value(agent.name, key(config, "agents", agent.name)),
    }
    if has_delta:
        env["PATH"] = '"/opt/service/bin:/opt/venv/bin:$PATH"'  # ours: Docker expands $PATH here on purpose
    wanted = ("OMP_NUM_THREADS", "UVICORN_WORKERS", "PYTORCH_CUDA_ALLOC_CONF")
    keys = [k for k in wanted if k in machine.environment and (gpu or k != "PYTORCH_CUDA_ALLOC_CONF")]
    env.update(_machine_env(config, machine, keys))
    return env


def _declared_copies(config: str, root: str, agent: Agent) -> str:
    """One ``COPY`` per ``files`` entry to the same path under /app, so a directory keeps its name and
    its structure (``COPY dir /app/`` would spill its contents into /app) and a file its directory."""
    where = key(config, "agents", agent.name, "files")
    lines = []
    for path in sorted(dict.fromkeys(agent.files)):
        clean = posixpath.normpath(copy_path(path, where))
        if clean == ".":  # the whole root: its contents are /app
            lines.append(copy([root or "."], "/app/", json_form=True))
        else:
            lines.append(copy([posixpath.join(root, clean)], f"/app/{clean}", json_form=True))
    return "\n".join(lines) + "\n" if lines else ""


def _copies(config: str, root: str, paths: Iterable[tuple[str, str]]) -> str:
    """One ``COPY`` per directory (few layers), sources relative to the context, same layout in /app;
    ``paths`` are ``(root-relative path, where it came from)``."""
    if root:
        copy_path(root, key(config, "project", "root"))
    by_dir: dict[str, list[str]] = {}
    first = dict(reversed(list(paths)))  # each path once, with where it came from first
    for path, where in sorted(first.items()):
        by_dir.setdefault(posixpath.dirname(copy_path(path, where)), []).append(path)
    lines = []
    for directory, members in sorted(by_dir.items()):
        target = f"/app/{directory}/" if directory else "/app/"
        lines.append(copy([posixpath.join(root, member) for member in members], target, json_form=True))
    return "\n".join(lines) + "\n"
