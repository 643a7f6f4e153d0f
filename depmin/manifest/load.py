"""Read and validate ``agents.toml`` into a frozen :class:`~depmin.manifest.model.Fleet`.

The manifest is the contract users write::

    [agents.NLUAgent]
    entrypoint = "main_pc_code/agents/nlu_agent.py"
    machines = ["MainPC"]
    family = "cpu"
    ports = [5709]
    health_port = 6709

Validation never stops at the first problem: every problem is collected with its key path
(and the line of ``agents.toml`` where the key stands) and raised together as one
:class:`~depmin.errors.ConfigError`. Nothing else leaves :func:`load_fleet`.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeGuard, TypeVar

from depmin.errors import ConfigError, Problem
from depmin.manifest.model import (
    CONFIG_NAME,
    INCLUSIONS,
    NEEDS,
    Agent,
    Family,
    Fleet,
    Layers,
    Machine,
    Need,
    Policy,
    Project,
)
from depmin.manifest.schema import Checker, KeyPath, did_you_mean

__all__ = ["find_config", "load_fleet", "parse_fleet"]

T = TypeVar("T")


def find_config(start: Path) -> Path:
    """The nearest ``agents.toml`` in ``start`` or one of its parents."""
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError([Problem(str(start), f"no {CONFIG_NAME} here or in a parent directory; pass --config PATH")])


def load_fleet(config: Path, *, root: Path | None = None) -> Fleet:
    """Read ``config`` and validate it; ``root`` overrides ``project.root``."""
    try:
        data = config.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError([Problem(str(config), f"cannot read: {reason}; check the path given to --config")]) from None
    return parse_fleet(data, path=config, root=root)


def parse_fleet(data: bytes, *, path: Path, root: Path | None = None) -> Fleet:
    """Validate the text of an agents.toml that lives at ``path``."""
    check = Checker(path.name, data)
    document = check.parse_toml()
    if document is None:
        raise ConfigError(check.problems)
    fleet = _build(check, document, path=path, root=root)
    if check.problems or fleet is None:
        raise ConfigError(check.problems)
    return fleet


_TOP_KEYS = ("project", "policy", "mapping", "layers", "machines", "families", "agents")
_LAYERS_KEYS = ("max_unused_mb", "size_tolerance")
_PROJECT_KEYS = ("name", "root", "python", "platform", "source_roots", "constraints", "max_file_mb")
_POLICY_KEYS = ("optional", "lazy", "type_only")
_MACHINE_KEYS = ("description", "cuda_arch", "env", "notes")
_FAMILY_KEYS = (
    "from", "extends", "machine", "tag", "apt", "gpu", "display", "indexes", "find_links",
    "description", "notes", "uncertain", "always", "never",
)  # fmt: skip
_AGENT_KEYS = (
    "entrypoint", "machines", "family", "ports", "health_port", "health", "needs", "python",
    "cmd", "files", "extra_requirements", "include_optional", "ignore_imports", "mapping",
    "requirements", "docker_socket", "notes", "uncertain",
)  # fmt: skip
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PYTHON = re.compile(r"^3\.(\d+)$")
_HEALTH = re.compile(r"^(tcp|http:/\S*)$")


def _build(check: Checker, doc: Mapping[str, object], *, path: Path, root: Path | None) -> Fleet | None:
    check.known_keys(doc, (), _TOP_KEYS)
    project = _project(check, check.table(doc, ("project",), required=True), path, root)
    policy = _policy(check, check.table(doc, ("policy",)))
    layers = _layers(check, check.table(doc, ("layers",)))
    mapping = check.str_map(doc, ("mapping",))
    machines = _named(check, doc, "machines", _machine)
    families = _named(check, doc, "families", _family)
    agents = _named(check, doc, "agents", _agent)
    if project is None:
        return None
    fleet = Fleet(
        path=path,
        project=project,
        policy=policy,
        layers=layers,
        mapping=mapping,
        machines=types.MappingProxyType(machines),
        families=types.MappingProxyType(families),
        agents=types.MappingProxyType(agents),
    )
    _cross_check(check, fleet)
    return fleet


def _project(check: Checker, table: Mapping[str, object], path: Path, root: Path | None) -> Project | None:
    """``[project]``, or None when its root is not a directory (nothing relative to it can be checked)."""
    where = ("project",)
    check.known_keys(table, where, _PROJECT_KEYS)
    name = check.string(table, (*where, "name"), default=path.parent.name)
    root_text = check.string(table, (*where, "root"), default=".")
    python = check.string(table, (*where, "python"), default="3.11")
    _check_python(check, python, (*where, "python"))
    platform = check.string(table, (*where, "platform"), default="x86_64-manylinux_2_28")
    source_roots = check.strings(table, (*where, "source_roots"), default=(".",))
    constraints = check.optional_string(table, (*where, "constraints"))
    max_file_mb = table.get("max_file_mb", 10.0)
    if isinstance(max_file_mb, bool) or not isinstance(max_file_mb, (int, float)) or not 0 < max_file_mb <= 1024:
        check.error((*where, "max_file_mb"), f"expected a number of megabytes in (0, 1024], got {max_file_mb!r}")
        max_file_mb = 10.0
    resolved_root = (root if root is not None else path.parent / root_text).resolve()
    if not resolved_root.is_dir():
        fix = "fix project.root (relative to agents.toml) or pass --root"
        check.error((*where, "root"), f"{resolved_root} is not a directory; {fix}")
        return None
    _check_source_roots(check, resolved_root, source_roots)
    return Project(
        name=name,
        root=resolved_root,
        python=python,
        platform=platform,
        source_roots=source_roots,
        constraints=None if constraints is None else _constraints_path(check, path.parent / constraints),
        max_file_mb=float(max_file_mb),
    )


def _check_source_roots(check: Checker, root: Path, source_roots: tuple[str, ...]) -> None:
    for index, source_root in enumerate(source_roots):
        if not (root / source_root).is_dir():
            check.error(
                ("project", "source_roots", str(index)),
                f"{source_root!r} is not a directory under {root}; fix or remove it",
            )


def _constraints_path(check: Checker, given: Path) -> Path:
    resolved = given.resolve()
    if not resolved.is_file():
        check.error(("project", "constraints"), f"{resolved} does not exist; fix the path")
    return resolved


def _check_python(check: Checker, value: str, where: KeyPath) -> None:
    match = _PYTHON.match(value)
    if match is None or int(match.group(1)) < 8:
        check.error(where, f'{value!r} is not a Python version like "3.11"; use MAJOR.MINOR, 3.8 or newer')


def _policy(check: Checker, table: Mapping[str, object]) -> Policy:
    where = ("policy",)
    check.known_keys(table, where, _POLICY_KEYS)
    return Policy(
        optional=check.choice(table, (*where, "optional"), INCLUSIONS, default="exclude"),
        lazy=check.choice(table, (*where, "lazy"), INCLUSIONS, default="include"),
        type_only=check.choice(table, (*where, "type_only"), INCLUSIONS, default="exclude"),
    )


def _named(
    check: Checker,
    doc: Mapping[str, object],
    section: str,
    build: Callable[[Checker, str, Mapping[str, object]], T | None],
) -> dict[str, T]:
    table = check.table(doc, (section,), required=section == "agents")
    built: dict[str, T] = {}
    folded: dict[str, str] = {}
    for name in sorted(table):
        where = (section, name)
        if not _NAME.match(name):
            check.error(
                where,
                "names may use letters, digits, '_', '.', '-' and start with a letter or digit",
            )
        clash = folded.setdefault(name.lower(), name)
        if clash != name:
            check.error(where, f"duplicate name: differs from {clash!r} only in case; rename one")
        body = check.table(table, where)
        item = build(check, name, body)
        if item is not None:
            built[name] = item
    return built


def _layers(check: Checker, table: Mapping[str, object]) -> Layers:
    where = ("layers",)
    check.known_keys(table, where, _LAYERS_KEYS)
    values: dict[str, float] = {}
    for key, default in (("max_unused_mb", 100.0), ("size_tolerance", 0.05)):
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            check.error((*where, key), f"expected a number >= 0, got {value!r}")
            value = default
        values[key] = float(value)
    return Layers(**values)


def _machine(check: Checker, name: str, table: Mapping[str, object]) -> Machine:
    where = ("machines", name)
    check.known_keys(table, where, _MACHINE_KEYS)
    return Machine(
        name=name,
        description=check.string(table, (*where, "description"), default=""),
        cuda_arch=check.optional_string(table, (*where, "cuda_arch")),
        env=check.str_map(table, (*where, "env")),
        notes=check.string(table, (*where, "notes"), default=""),
    )


def _family(check: Checker, name: str, table: Mapping[str, object]) -> Family:
    where = ("families", name)
    check.known_keys(table, where, _FAMILY_KEYS)
    from_image = check.optional_string(table, (*where, "from"))
    extends = check.optional_string(table, (*where, "extends"))
    if (from_image is None) == (extends is None):
        check.error(where, 'give exactly one of `from = "image"` or `extends = "family"`')
    return Family(
        name=name,
        from_image=from_image,
        extends=extends,
        machine=check.optional_string(table, (*where, "machine")),
        tag=check.string(table, (*where, "tag"), default=name),
        apt=check.strings(table, (*where, "apt"), default=()),
        gpu=check.boolean(table, (*where, "gpu"), default=False),
        display=check.boolean(table, (*where, "display"), default=False),
        indexes=check.strings(table, (*where, "indexes"), default=()),
        find_links=check.strings(table, (*where, "find_links"), default=()),
        description=check.string(table, (*where, "description"), default=""),
        notes=check.string(table, (*where, "notes"), default=""),
        uncertain=check.str_map(table, (*where, "uncertain")),
        always=check.strings(table, (*where, "always"), default=()),
        never=check.strings(table, (*where, "never"), default=()),
    )


def _agent(check: Checker, name: str, table: Mapping[str, object]) -> Agent | None:
    """``[agents.NAME]``, or None when a required key is missing (the problem is recorded)."""
    where = ("agents", name)
    check.known_keys(table, where, _AGENT_KEYS)
    entrypoint = check.string(table, (*where, "entrypoint"), default=None)
    family = check.string(table, (*where, "family"), default=None)
    machines = check.strings(table, (*where, "machines"), default=None)
    ports = check.ports(table, (*where, "ports"))
    health_port = check.port(table, (*where, "health_port"))
    health = check.string(table, (*where, "health"), default="tcp")
    if not _HEALTH.match(health):
        check.error((*where, "health"), f'{health!r} is neither "tcp" nor "http:/path"; use one of them')
    needs = _needs(check, check.strings(table, (*where, "needs"), default=()), (*where, "needs"))
    python = check.optional_string(table, (*where, "python"))
    if python is not None:
        _check_python(check, python, (*where, "python"))
    cmd = check.strings(table, (*where, "cmd"), default=None) if "cmd" in table else None
    if entrypoint is None or family is None or machines is None:
        return None
    return Agent(
        name=name,
        entrypoint=entrypoint,
        machines=machines,
        family=family,
        ports=ports,
        health_port=health_port,
        health=health,
        needs=needs,
        python=python,
        cmd=cmd,
        files=check.strings(table, (*where, "files"), default=()),
        extra_requirements=check.strings(table, (*where, "extra_requirements"), default=()),
        include_optional=check.strings(table, (*where, "include_optional"), default=()),
        ignore_imports=check.strings(table, (*where, "ignore_imports"), default=()),
        mapping=check.str_map(table, (*where, "mapping")),
        requirements=check.strings(table, (*where, "requirements"), default=()),
        docker_socket=check.boolean(table, (*where, "docker_socket"), default=False),
        notes=check.string(table, (*where, "notes"), default=""),
        uncertain=check.str_map(table, (*where, "uncertain")),
    )


def _needs(check: Checker, given: tuple[str, ...], where: KeyPath) -> tuple[Need, ...]:
    """The known needs of ``given``; each unknown one is a recorded problem (so no fleet is built)."""
    known: list[Need] = []
    for need in given:
        if _is_need(need):
            known.append(need)
        else:
            hint = did_you_mean(need, NEEDS)
            check.error(where, f"unknown need {need!r}{hint}; use some of {', '.join(NEEDS)}")
    return tuple(known)


def _is_need(value: str) -> TypeGuard[Need]:
    return value in NEEDS


def _cross_check(check: Checker, fleet: Fleet) -> None:
    """Checks that need more than one table: references, cycles, files, ports."""
    for family in fleet.families.values():
        _check_family_refs(check, fleet, family)
    for agent in fleet.agents.values():
        _check_agent_refs(check, fleet, agent)
    _check_ports(check, fleet)


def _check_family_refs(check: Checker, fleet: Fleet, family: Family) -> None:
    where = ("families", family.name)
    if family.machine is not None and family.machine not in fleet.machines:
        hint = did_you_mean(family.machine, fleet.machines)
        check.error(
            (*where, "machine"),
            f"unknown machine {family.machine!r}{hint}; define [machines.{family.machine}]",
        )
    if family.extends is None:
        return
    if family.extends not in fleet.families:
        hint = did_you_mean(family.extends, fleet.families)
        check.error(
            (*where, "extends"),
            f"extends unknown family {family.extends!r}{hint}; define [families.{family.extends}]",
        )
        return
    _check_no_cycle(check, fleet, family)


def _check_no_cycle(check: Checker, fleet: Fleet, family: Family) -> None:
    """Follow ``extends`` from ``family``; record a problem if the walk comes back to a family it passed."""
    seen = [family.name]
    current: str | None = family.extends
    while current is not None and current in fleet.families:
        if current in seen:
            cycle = " -> ".join([*seen[seen.index(current) :], current])
            check.error(
                ("families", family.name, "extends"),
                f"families extend each other in a cycle ({cycle}); one of them must use `from`",
            )
            return
        seen.append(current)
        current = fleet.families[current].extends


def _check_agent_refs(check: Checker, fleet: Fleet, agent: Agent) -> None:
    where = ("agents", agent.name)
    if agent.family not in fleet.families:
        hint = did_you_mean(agent.family, fleet.families)
        check.error(
            (*where, "family"),
            f"unknown family {agent.family!r}{hint}; define [families.{agent.family}] or fix the name",
        )
    if not agent.machines:
        check.error((*where, "machines"), "no machine given; list at least one of the [machines] tables")
    for machine in agent.machines:
        if machine not in fleet.machines:
            hint = did_you_mean(machine, fleet.machines)
            check.error(
                (*where, "machines"),
                f"unknown machine {machine!r}{hint}; define [machines.{machine}] or fix the name",
            )
    _check_inside_root(check, fleet.project.root, agent.entrypoint, (*where, "entrypoint"), must_be_file=True)
    for index, extra in enumerate(agent.files):
        _check_inside_root(check, fleet.project.root, extra, (*where, "files", str(index)), must_be_file=False)


def _check_inside_root(check: Checker, root: Path, relative: str, where: KeyPath, *, must_be_file: bool) -> None:
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        check.error(where, f"{relative!r} must be a path relative to the project root, inside it")
        return
    target = root / candidate
    exists = target.is_file() if must_be_file else target.exists()
    if not exists:
        check.error(where, f"{relative!r} does not exist under {root}; fix the path or the project root")


def _check_ports(check: Checker, fleet: Fleet) -> None:
    """No two uses of one port on one machine (ports and health ports alike)."""
    for machine in fleet.machines:
        owners: dict[int, str] = {}
        for agent in fleet.agents.values():
            if machine not in agent.machines:
                continue
            uses = [(port, "ports") for port in agent.ports]
            if agent.health_port is not None:
                uses.append((agent.health_port, "health_port"))
            for port, key in uses:
                here = f"agents.{agent.name}.{key}"
                first = owners.setdefault(port, here)
                if first != here:
                    check.error(
                        ("agents", agent.name, key),
                        f"port {port} on {machine} is already used by {first}; choose a free port",
                    )
