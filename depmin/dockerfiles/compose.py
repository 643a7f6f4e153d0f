"""One compose file per machine: each of its agents on the machine's network mode.

On a ``network = "host"`` machine (the default) services use host networking and bind
``PORT_OFFSET`` + their ports; on a ``"bridge"`` machine each service has its own network namespace
and compose publishes its ports. Every named volume a service mounts is declared at the top level:
``models`` (read-only, shared) and one ``data-<service>`` volume per service (its own; read-only
unless the agent sets ``data_writable = true``). The agent with the docker socket gets the socket's
group (``DOCKER_GID``, required when it runs). ``resources`` become ``deploy.resources.limits``
(``cpus``, ``memory``) and the GPU reservation's ``count`` (``gpus``; ``all`` by default).

Every key and scalar from agents.toml is a YAML double-quoted scalar, ASCII only
(:func:`~depmin.dockerfiles.escape.yaml_string`), with ``$`` doubled in values (compose interpolates
``$``); environment keys must be variable names and service names image names, and two services
with one name are refused. No value can add a key (``privileged``, ``user``, ``pid``) to a service.
"""

from __future__ import annotations

from depmin._files import MARKER
from depmin.dockerfiles.escape import comment, compose_string, env_name, key, refuse, shown, yaml_string
from depmin.dockerfiles.inputs import BuildInputs, checked_registry, image_name, project_slug, service_files
from depmin.manifest import Agent, Fleet, Machine, slug

__all__ = ["compose_file"]


def compose_file(fleet: Fleet, machine: Machine, inputs: BuildInputs) -> str:
    """The compose file of ``machine``; deterministic."""
    registry = checked_registry(inputs)
    lines = [
        f"# {MARKER} from agents.toml (machine {comment(machine.name)}). Do not edit: run `depmin dockerfiles`.",
        _NETWORK_NOTE[machine.network],
        "name: " + compose_string(f"{project_slug(fleet)}-{slug(machine.name)}"),
        "services:",
    ]
    services: dict[str, str] = {}
    volumes = ["models"]
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
        volumes.append(_data_volume(name))
    if not services:
        lines[-1] = "services: {}"
    lines += ["volumes:", *(f"  {yaml_string(volume)}: {{}}" for volume in sorted(volumes))]
    return "\n".join(lines) + "\n"


_NETWORK_NOTE = {
    "host": "# Agents use host networking and bind PORT_OFFSET + their ports, as the proposal's fleet table says.",
    "bridge": "# Each agent has its own network namespace (bridge network); its ports are published as they are.",
}

# The group of /var/run/docker.sock differs per host: compose stops with this message when it is unset.
_DOCKER_GID = "${DOCKER_GID:?set DOCKER_GID to the group id of /var/run/docker.sock (stat -c %g)}"


def _data_volume(service: str) -> str:
    """The service's own writable data volume (a compose volume name: ``[a-zA-Z0-9._-]+``)."""
    return f"data-{service}"


def _deploy(agent: Agent, *, gpu: bool) -> list[str]:
    """``deploy.resources``: limits from ``agents.*.resources`` (values validated at load, quoted here
    all the same), and the GPU reservation of a GPU agent (``count``: ``gpus``, else all)."""
    resources = agent.resources
    if not resources.limits and not gpu:
        return []
    out = ["    deploy:", "      resources:"]
    if resources.limits:
        out.append("        limits:")
        out += [f"          cpus: {yaml_string(resources.cpus)}"] if resources.cpus is not None else []
        out += [f"          memory: {yaml_string(resources.memory)}"] if resources.memory is not None else []
    if gpu:
        count = resources.gpus or "all"
        out += [
            "        reservations:",
            "          devices:",
            "            - driver: nvidia",
            f"              count: {count if count == 'all' else int(count)}",
            "              capabilities: [gpu]",
        ]
    return out


def _service(fleet: Fleet, agent: Agent, machine: Machine, name: str, image: str) -> list[str]:
    config = fleet.path.name
    machine_key = key(config, "machines", machine.name, "env")
    agent_key = key(config, "agents", agent.name, "env")
    bridge = machine.network == "bridge"
    out = [
        f"  {yaml_string(name)}:",
        f"    image: {yaml_string(image)}",
        *(() if bridge else ("    network_mode: host",)),
        "    restart: unless-stopped",
        "    read_only: true",
        "    cap_drop: [ALL]",
        '    security_opt: ["no-new-privileges:true"]',
        "    tmpfs: [/tmp]",
    ]
    if bridge and agent.ports:
        out.append("    ports:")
        out += [f'      - "{int(port)}:{int(port)}"' for port in agent.ports]
    # A bridge network gives each service its own ports: an offset would only move them off the published ones.
    environment: dict[str, tuple[str, str | None]] = {"PORT_OFFSET": ("0" if bridge else "${PORT_OFFSET:-0}", None)}
    environment.update({k: (v, machine_key) for k, v in machine.environment.items()})
    environment.update({k: (v, agent_key) for k, v in agent.env.items()})  # the agent's own value wins
    out.append("    environment:")
    for variable, (value, where) in sorted(environment.items()):
        if where is None:  # ours: interpolated on purpose
            out.append(f"      {yaml_string(variable)}: {yaml_string(value)}")
        else:
            out.append(f"      {yaml_string(env_name(variable, where))}: {compose_string(value)}")
    access = "" if agent.data_writable else ":ro"
    out += ["    volumes:", "      - models:/app/models:ro", f"      - {_data_volume(name)}:/app/data{access}"]
    if agent.docker_socket:
        out.append("      - /var/run/docker.sock:/var/run/docker.sock")
        out += ["    group_add:", f"      - {yaml_string(_DOCKER_GID)}"]
    out += _deploy(agent, gpu=fleet.has_gpu(agent.family))
    if agent.ports:
        out.append("    labels:")
        out.append(f'      depmin.ports: "{",".join(str(int(p)) for p in agent.ports)}"')
    return out
