"""One compose file per machine: each of its agents with host networking and ``PORT_OFFSET``.

Every key and scalar from agents.toml is a YAML double-quoted scalar, ASCII only
(:func:`~depmin.dockerfiles.escape.yaml_string`), with ``$`` doubled in values (compose interpolates
``$``); environment keys must be variable names and service names image names, and two services
with one name are refused. No value can add a key (``privileged``, ``user``, ``pid``) to a service.
"""

from __future__ import annotations

from depmin._files import MARKER
from depmin.dockerfiles.escape import comment, compose_string, env_name, key, refuse, shown, yaml_string
from depmin.dockerfiles.inputs import BuildInputs, checked_registry, image_name, service_files
from depmin.manifest import Agent, Fleet, Machine, slug

__all__ = ["compose_file"]


def compose_file(fleet: Fleet, machine: Machine, inputs: BuildInputs) -> str:
    """The compose file of ``machine``; deterministic."""
    registry = checked_registry(inputs)
    lines = [
        f"# {MARKER} from agents.toml (machine {comment(machine.name)}). Do not edit: run `depmin dockerfiles`.",
        "# Agents use host networking and bind PORT_OFFSET + their ports, as the proposal's fleet table says.",
        "name: " + compose_string(f"ai-{slug(machine.name)}"),
        "services:",
    ]
    services: dict[str, str] = {}
    for agent, only in service_files(fleet):
        if machine.name not in agent.machines or (only is not None and only != machine.name):
            continue
        name = image_name(fleet, agent, None)  # one variant per machine: the service is the agent's name
        where = key(fleet.path.name, "agents", agent.name)
        if name in services:
            refuse(where, f"its compose service {shown(name)} is also the service of {services[name]}; rename one")
        services[name] = where
        # Only the repository is ours to escape: ${REGISTRY:-...} and ${TAG:-...} are interpolated on purpose.
        repository = image_name(fleet, agent, only).replace("$", "$$")
        image = f"${{REGISTRY:-{registry}}}/{repository}:${{TAG:-latest}}"
        lines += _service(fleet, agent, machine, name, image)
    return "\n".join(lines) + "\n"


def _service(fleet: Fleet, agent: Agent, machine: Machine, name: str, image: str) -> list[str]:
    where = key(fleet.path.name, "machines", machine.name, "env")
    out = [
        f"  {yaml_string(name)}:",
        f"    image: {yaml_string(image)}",
        "    network_mode: host",
        "    restart: unless-stopped",
        "    read_only: true",
        "    cap_drop: [ALL]",
        '    security_opt: ["no-new-privileges:true"]',
        "    tmpfs: [/tmp]",
        "    environment:",
        '      PORT_OFFSET: "${PORT_OFFSET:-0}"',
    ]
    out += [
        f"      {yaml_string(env_name(k, where))}: {compose_string(v)}" for k, v in sorted(machine.environment.items())
    ]
    out += ["    volumes:", "      - models:/app/models:ro", "      - data:/app/data"]
    if agent.docker_socket:
        out.append("      - /var/run/docker.sock:/var/run/docker.sock")
    if fleet.has_gpu(agent.family):
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
        out.append(f'      depmin.ports: "{",".join(str(int(p)) for p in agent.ports)}"')
    return out
