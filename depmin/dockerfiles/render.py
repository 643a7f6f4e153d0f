"""Pure rendering of the build tree: family and service Dockerfiles, the GPU readiness probe,
``.dockerignore``, ``docker-bake.hcl`` and one compose file per machine.

The shape is the proposal's section E with its mistakes fixed (see ``docs/dockerfiles.md``):

* every image runs a virtual environment at ``/opt/venv`` created in the family base, so a base
  whose Python belongs to the distribution (Debian's, on CUDA images) is never pip-installed into
  (PEP 668) and no ``/usr/local/lib/python3.11`` path is assumed;
* a service's delta lock is installed with ``pip --target /opt/service`` in a ``deps`` stage and only
  that directory is copied into the runtime stage, so the family's packages are never copied again;
* ``HEALTHCHECK`` uses an exec-form Python one-liner (a heredoc is not valid there).

Paths in the generated files are relative to the build context: the directory of agents.toml.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from depmin._files import MARKER
from depmin.layers.plan import Plan
from depmin.layout import family_lock
from depmin.manifest import Agent, Fleet, Machine

__all__ = ["DEFAULT_REGISTRY", "IMAGE_PREFIX", "BuildInputs", "render_tree"]

DEFAULT_REGISTRY = "ghcr.io/your-org"  # a placeholder users replace: images are pushed as REGISTRY/name:TAG
IMAGE_PREFIX = "depmin/family-"
IMAGE_TAG = ":current"  # a local name bake (named contexts) and buildah (local tags) both resolve
_UID = 10001
_BASE_APT = ("ca-certificates", "tini", "tzdata")
# DL3008: apt versions are fixed by the digest-pinned base image and its snapshot; pinning Debian
# package versions by hand breaks every security update.
_IGNORE = "# hadolint ignore=DL3008\n"


@dataclass(frozen=True, kw_only=True, slots=True)
class BuildInputs:
    """What rendering needs besides the fleet and the plan."""

    files: Mapping[str, tuple[str, ...]]  # agent -> first-party files of its closure (root-relative)
    apt: Mapping[str, tuple[str, ...]]  # family -> run-time apt packages its own distributions need
    root: str  # the project root relative to the build context ("examples/ai_system")
    registry: str = DEFAULT_REGISTRY


def render_tree(fleet: Fleet, plan: Plan, inputs: BuildInputs) -> dict[str, str]:
    """``{path relative to dockerfiles/: text}`` for the whole tree; deterministic."""
    files: dict[str, str] = {}
    for name in sorted(fleet.families):
        files[f"base/{name}.Dockerfile"] = _family(fleet, name, inputs)
    if any(f.gpu for f in fleet.families.values()):
        files["base/gpu_ready.py"] = _GPU_PROBE
    for agent, machine in _service_files(fleet):
        suffix = "" if machine is None else f".{machine}"
        files[f"agents/{agent.name}{suffix}.Dockerfile"] = _service(fleet, plan, agent, machine, inputs)
    files[".dockerignore"] = _DOCKERIGNORE
    files["docker-bake.hcl"] = _bake(fleet, inputs)
    for machine in sorted(fleet.machines):
        files[f"compose/{machine}.yaml"] = _compose(fleet, fleet.machines[machine], inputs)
    return files


def _header(what: str) -> str:
    return f"# {MARKER} from agents.toml ({what}). Do not edit: run `depmin dockerfiles`.\n"


def _family(fleet: Fleet, name: str, inputs: BuildInputs) -> str:
    family = fleet.families[name]
    gpu = fleet.has_gpu(name)
    own_apt = list(dict.fromkeys([*family.apt, *inputs.apt.get(name, ())]))
    lines = [_header(f"family {name}")]
    if family.extends is None:
        lines.append(f"FROM {family.from_image}\n")
        apt = list(dict.fromkeys([*_BASE_APT, *own_apt]))
        # A GPU base (a CUDA image) has no Python of its own: the family's `apt` list in agents.toml
        # installs the project's python3.N (and python3.N-venv) from the distribution. A CPU base is
        # a python image, whose `python3` is the one of its tag.
        python = f"python{fleet.project.python}" if gpu else "python3"
        lines += [
            f"ARG APP_UID={_UID}\nARG APP_GID={_UID}\n",
            "ENV DEBIAN_FRONTEND=noninteractive \\\n    PYTHONUNBUFFERED=1 \\\n    PYTHONDONTWRITEBYTECODE=1 \\\n"
            "    VIRTUAL_ENV=/opt/venv \\\n    PATH=/opt/venv/bin:$PATH\n",
            _IGNORE + _apt_run(apt) + ' \\\n    && groupadd --gid "${APP_GID}" app \\\n'
            '    && useradd --uid "${APP_UID}" --gid app --no-create-home --shell /usr/sbin/nologin app \\\n'
            f"    && {python} -m venv /opt/venv\n",
        ]
    else:
        lines.append(f"FROM {IMAGE_PREFIX}{family.extends}{IMAGE_TAG}\n")
        if own_apt:
            lines.append(_IGNORE + _apt_run(own_apt) + "\n")
    if family.machine is not None:
        env = dict(fleet.machines[family.machine].environment)
        env.update({"NVIDIA_VISIBLE_DEVICES": "all", "NVIDIA_DRIVER_CAPABILITIES": "compute,utility"})
        lines.append(_env(env))
    lock = f"locks/{family_lock(name)}"
    lines.append(
        f"COPY {lock} /tmp/family.lock\n"
        "RUN pip install --no-cache-dir --require-hashes --no-deps -r /tmp/family.lock \\\n"
        "    && rm /tmp/family.lock\n"
    )
    if gpu and family.extends is None:
        lines.append("COPY dockerfiles/base/gpu_ready.py /usr/local/bin/gpu_ready.py\n")
    if family.extends is None:
        lines.append('ENTRYPOINT ["tini", "--"]\n')
    return "\n".join(lines)


def _apt_run(packages: Iterable[str]) -> str:
    listed = " ".join(sorted(packages))
    return (
        "RUN apt-get update \\\n"
        f"    && apt-get install -y --no-install-recommends {listed} \\\n"
        "    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin"
    )


def _env(values: Mapping[str, str]) -> str:
    pairs = [f"{key}={_quote(value)}" for key, value in sorted(values.items())]
    return "ENV " + " \\\n    ".join(pairs) + "\n"


def _quote(value: str) -> str:
    return value if value and all(c.isalnum() or c in "._-:/,=+" for c in value) else json.dumps(value)


def _service_files(fleet: Fleet) -> list[tuple[Agent, str | None]]:
    """One Dockerfile per agent; one per machine when its machines' settings differ."""
    out: list[tuple[Agent, str | None]] = []
    for agent in sorted(fleet.agents.values(), key=lambda a: a.name):
        envs = {json.dumps(dict(fleet.machines[m].environment), sort_keys=True) for m in agent.machines}
        if len(envs) > 1:
            out.extend((agent, machine) for machine in agent.machines)
        else:
            out.append((agent, None))
    return out


def _service(fleet: Fleet, plan: Plan, agent: Agent, machine: str | None, inputs: BuildInputs) -> str:
    image = next((s for s in plan.services if s.agent == agent.name), None)
    delta = image.delta if image is not None else ()
    env_machine = fleet.machines[machine or agent.machines[0]]
    lines = [
        _header(f"agent {agent.name}" + (f" on {machine}" if machine else "")),
        f"FROM {IMAGE_PREFIX}{agent.family}{IMAGE_TAG} AS base\n",
    ]
    if delta:
        lines.append(
            "FROM base AS deps\n"
            f"COPY locks/{agent.name}/service.lock /tmp/service.lock\n"
            "RUN pip install --no-cache-dir --require-hashes --no-deps --target /opt/service -r /tmp/service.lock\n"
        )
    lines.append("FROM base AS runtime\n")
    if delta:
        lines.append("COPY --from=deps /opt/service /opt/service\n")
    gpu = fleet.has_gpu(agent.family)
    lines.append(_env(_runtime_env(agent, env_machine, bool(delta), gpu=gpu)))
    lines.append("WORKDIR /app\n")
    lines.append(_copies(inputs.root, [*inputs.files.get(agent.name, ()), *agent.files]))
    if agent.ports:
        lines.append("EXPOSE " + " ".join(str(p) for p in agent.ports) + "\n")
    if agent.health_port is not None:
        lines.append(_healthcheck(agent, gpu=gpu))
    # DL3066: the family base creates `app` with the UID/GID given as build args; the name resolves there.
    lines.append("# hadolint ignore=DL3066\nUSER app\n")
    lines.append("CMD " + json.dumps(list(agent.cmd or ("python", agent.entrypoint))) + "\n")
    return "\n".join(lines)


def _runtime_env(agent: Agent, machine: Machine, has_delta: bool, *, gpu: bool) -> dict[str, str]:
    env = {"PYTHONPATH": "/app:/opt/service" if has_delta else "/app", "AGENT_NAME": agent.name}
    if has_delta:
        env["PATH"] = "/opt/service/bin:/opt/venv/bin:$PATH"
    for key in ("OMP_NUM_THREADS", "UVICORN_WORKERS", "PYTORCH_CUDA_ALLOC_CONF"):
        if key in machine.environment and (gpu or key != "PYTORCH_CUDA_ALLOC_CONF"):
            env[key] = machine.environment[key]
    return env


def _copies(root: str, paths: Iterable[str]) -> str:
    """One ``COPY`` per directory (few layers), sources relative to the context, same layout in /app."""
    by_dir: dict[str, list[str]] = {}
    for path in sorted(set(paths)):
        by_dir.setdefault(posixpath.dirname(path), []).append(path)
    lines = []
    for directory, members in sorted(by_dir.items()):
        sources = [posixpath.join(root, member) for member in members]
        target = f"/app/{directory}/" if directory else "/app/"
        lines.append("COPY " + json.dumps([*sources, target]))
    return "\n".join(lines) + "\n"


def _healthcheck(agent: Agent, *, gpu: bool) -> str:
    port = f"int(os.environ.get('PORT_OFFSET', '0')) + {agent.health_port}"
    if agent.health.startswith("http:"):
        path = agent.health.removeprefix("http:")
        probe = f"import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{{{port}}}{path}', timeout=4)"
    else:
        probe = f"import os, socket; socket.create_connection(('127.0.0.1', {port}), timeout=4).close()"
    command = (
        ["python", "/usr/local/bin/gpu_ready.py", "--and", "python", "-c", probe] if gpu else ["python", "-c", probe]
    )
    return (
        "HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \\\n    CMD "
        + json.dumps(command)
        + "\n"
    )


_GPU_PROBE = f'''#!/usr/bin/env python3
"""{MARKER}: the GPU readiness probe of the proposal (section C), as a script.

Exit 0 when ``nvidia-smi`` answers, torch sees a CUDA device and its compute capability is at least
the lowest one in TORCH_CUDA_ARCH_LIST; ``--and CMD...`` then runs CMD and exits with its code.
"""

import os
import shutil
import subprocess
import sys


def ready() -> bool:
    if shutil.which("nvidia-smi") is None or subprocess.run(["nvidia-smi"], capture_output=True).returncode:
        return False
    try:
        import torch
    except ImportError:
        return True  # an agent without torch only needs the driver
    if not torch.cuda.is_available():
        return False
    wanted = [float(v) for v in os.environ.get("TORCH_CUDA_ARCH_LIST", "0").replace(";", " ").split() if v[0].isdigit()]
    major, minor = torch.cuda.get_device_capability(0)
    return not wanted or major + minor / 10 >= min(wanted)


if __name__ == "__main__":
    if not ready():
        sys.exit(1)
    if sys.argv[1:2] == ["--and"]:
        sys.exit(subprocess.run(sys.argv[2:]).returncode)
'''

_DOCKERIGNORE = f"""# {MARKER}. Do not edit: run `depmin dockerfiles`.
# Keeps models, data, logs and build artifacts out of the build context (the agents.toml directory).
# Docker reads .dockerignore at the context root: copy or link this file there, or build with
# BuildKit, which reads <Dockerfile>.dockerignore beside each Dockerfile.
**/.git
**/__pycache__
**/*.py[cod]
**/.venv
**/venv
**/node_modules
**/models
**/model_cache
**/checkpoints
**/*.pt
**/*.bin
**/*.safetensors
**/*.onnx
**/data
**/datasets
**/logs
**/*.log
**/artifacts
**/build
**/dist
**/.pytest_cache
**/.mypy_cache
**/.ruff_cache
"""


def _bake(fleet: Fleet, inputs: BuildInputs) -> str:
    lines = [
        f"# {MARKER} from agents.toml. Do not edit: run `depmin dockerfiles`.",
        "# docker buildx bake -f dockerfiles/docker-bake.hcl MainPC",
        "",
        f'variable "REGISTRY" {{\n  default = "{inputs.registry}"\n}}',
        'variable "TAG" {\n  default = "latest"\n}',
        "",
    ]
    groups: dict[str, list[str]] = {m: [] for m in fleet.machines}
    for name in sorted(fleet.families):
        family = fleet.families[name]
        target = f"family-{name}"
        contexts = (
            {}
            if family.extends is None
            else {f"{IMAGE_PREFIX}{family.extends}{IMAGE_TAG}": f"target:family-{family.extends}"}
        )
        lines.append(_target(target, f"dockerfiles/base/{name}.Dockerfile", f"ai-base:{family.tag}", contexts))
        for used_on in _family_machines(fleet, name):
            groups[used_on].append(target)
    for agent, machine in _service_files(fleet):
        suffix = "" if machine is None else f".{machine}"
        target = f"{agent.name}{suffix}".replace(".", "-")
        contexts = {f"{IMAGE_PREFIX}{agent.family}{IMAGE_TAG}": f"target:family-{agent.family}"}
        lines.append(
            _target(
                target,
                f"dockerfiles/agents/{agent.name}{suffix}.Dockerfile",
                f"{agent.name.lower()}{suffix.lower()}",
                contexts,
            )
        )
        for m in [machine] if machine else agent.machines:
            groups[m].append(target)
    for machine, targets in sorted(groups.items()):
        listed = ", ".join(json.dumps(t) for t in targets)
        lines.append(f'group "{machine}" {{\n  targets = [{listed}]\n}}\n')
    listed = ", ".join(json.dumps(m) for m in sorted(groups))
    lines.append(f'group "default" {{\n  targets = [{listed}]\n}}')
    return "\n".join(lines) + "\n"


def _target(name: str, dockerfile: str, image: str, contexts: Mapping[str, str]) -> str:
    ref = f"${{REGISTRY}}/{image.split(':', maxsplit=1)[0]}"
    tag = image.split(":")[1] if ":" in image else "${TAG}"
    body = [
        f'target "{name}" {{',
        '  context = ".."',
        f'  dockerfile = "{dockerfile}"',
        f'  tags = ["{ref}:{tag}"]',
        f'  cache-from = ["type=registry,ref={ref}:buildcache-{name}"]',
        f'  cache-to = ["type=registry,ref={ref}:buildcache-{name},mode=max"]',
    ]
    if contexts:
        pairs = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in sorted(contexts.items()))
        body.append(f"  contexts = {{ {pairs} }}")
    body.append("}\n")
    return "\n".join(body)


def _family_machines(fleet: Fleet, family: str) -> list[str]:
    machines = {
        m for a in fleet.agents.values() if family in [f.name for f in fleet.family_chain(a.family)] for m in a.machines
    }
    return sorted(machines)


def _compose(fleet: Fleet, machine: Machine, inputs: BuildInputs) -> str:
    lines = [
        f"# {MARKER} from agents.toml (machine {machine.name}). Do not edit: run `depmin dockerfiles`.",
        "# Agents use host networking and bind PORT_OFFSET + their ports, as the proposal's fleet table says.",
        "name: " + json.dumps(f"ai-{machine.name.lower()}"),
        "services:",
    ]
    for agent, only in _service_files(fleet):
        if machine.name not in agent.machines or (only is not None and only != machine.name):
            continue
        suffix = "" if only is None else f".{only.lower()}"
        lines += _compose_service(
            fleet, agent, machine, f"${{REGISTRY:-{inputs.registry}}}/{agent.name.lower()}{suffix}:${{TAG:-latest}}"
        )
    return "\n".join(lines) + "\n"


def _compose_service(fleet: Fleet, agent: Agent, machine: Machine, image: str) -> list[str]:
    gpu = fleet.has_gpu(agent.family)
    out = [
        f"  {agent.name.lower()}:",
        f"    image: {json.dumps(image)}",
        "    network_mode: host",
        "    restart: unless-stopped",
        "    read_only: true",
        "    cap_drop: [ALL]",
        '    security_opt: ["no-new-privileges:true"]',
        "    tmpfs: [/tmp]",
        "    environment:",
        '      PORT_OFFSET: "${PORT_OFFSET:-0}"',
    ]
    out += [f"      {key}: {json.dumps(value)}" for key, value in sorted(machine.environment.items())]
    out += ["    volumes:", "      - models:/app/models:ro", "      - data:/app/data"]
    if agent.docker_socket:
        out.append("      - /var/run/docker.sock:/var/run/docker.sock")
    if gpu:
        out += [
            "    deploy:",
            "      resources:",
            "        reservations:",
            "          devices:",
            "            - driver: nvidia",
            "              count: all",
            "              capabilities: [gpu]",
        ]
    if agent.ports:
        out.append("    labels:")
        out.append(f'      depmin.ports: "{",".join(str(p) for p in agent.ports)}"')
    return out
