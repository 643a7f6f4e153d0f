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
:class:`~depmin.errors.ConfigError`. Nothing else leaves :func:`load_fleet`. Every value that
reaches a generated file is checked against the grammar of the place it lands
(:mod:`depmin.manifest.grammar`, :mod:`depmin.manifest.paths`), so a loaded fleet holds no value
that could change the structure of a Dockerfile, bake file, compose file or requirements file.
"""

from __future__ import annotations

import datetime
import functools
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeGuard, TypeVar

from depmin.errors import ConfigError, Problem
from depmin.manifest import grammar
from depmin.manifest.bounds import read_config
from depmin.manifest.model import (
    CONFIG_NAME,
    INCLUSIONS,
    NEEDS,
    NETWORKS,
    SEVERITIES,
    Agent,
    Audit,
    AuditIgnore,
    Ci,
    Family,
    Fleet,
    Layers,
    Machine,
    Need,
    Policy,
    Project,
    Resources,
    slug,
)
from depmin.manifest.paths import CONFIG_DIRECTORY, ROOT, check_path
from depmin.manifest.refs import cross_check
from depmin.manifest.schema import Checker, KeyPath, Rule, did_you_mean

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
    """Read ``config`` (a regular file only: a FIFO or device is refused, not waited on) and
    validate it; ``root`` overrides ``project.root``."""
    return parse_fleet(read_config(config), path=config, root=root)


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


_TOP_KEYS = ("project", "policy", "mapping", "layers", "audit", "ci", "machines", "families", "agents")
_AUDIT_KEYS = ("url", "fail_on", "ignore")
_IGNORE_KEYS = ("id", "reason", "until")
_CI_KEYS = ("runner", "image_scan_fail_on", "remote_builder")
_LAYERS_KEYS = ("max_unused_mb", "size_tolerance", "max_derived")
_PROJECT_KEYS = (
    "name",
    "root",
    "python",
    "platform",
    "source_roots",
    "constraints",
    "max_file_mb",
    "repository_hints",
)
_POLICY_KEYS = ("optional", "lazy", "type_only")
_MACHINE_KEYS = ("description", "cuda_arch", "env", "notes", "network")
_FAMILY_KEYS = (
    "from", "extends", "machine", "tag", "apt", "gpu", "display", "indexes", "find_links",
    "description", "build_apt", "notes", "uncertain", "always", "never", "base_mb", "cuda",
    "accept_cuda_mismatch",
)  # fmt: skip
_AGENT_KEYS = (
    "entrypoint", "machines", "family", "ports", "health_port", "health", "needs", "python",
    "cmd", "files", "extra_requirements", "include_optional", "ignore_imports", "accept_unresolved", "mapping",
    "requirements", "docker_socket", "notes", "uncertain", "workdir", "env", "entry_modules",
    "resources", "data_writable",
)  # fmt: skip
_RESOURCES_KEYS = ("cpus", "memory", "gpus")
_EXAMPLES = {"cpus": "2", "memory": "4g", "gpus": "all"}


def _build(check: Checker, doc: Mapping[str, object], *, path: Path, root: Path | None) -> Fleet | None:
    check.known_keys(doc, (), _TOP_KEYS)
    project = _project(check, check.table(doc, ("project",), required=True), path, root)
    policy = _policy(check, check.table(doc, ("policy",)))
    layers = _layers(check, check.table(doc, ("layers",)))
    audit = _audit(check, check.table(doc, ("audit",)))
    ci = _ci(check, check.table(doc, ("ci",)))
    mapping = _mapping(check, doc, ("mapping",))
    machines = _named(check, doc, "machines", _machine)
    config_directory = path.parent.resolve()
    families = _named(check, doc, "families", lambda c, n, t: _family(c, n, t, config_directory))
    agents = _named(check, doc, "agents", _agent)
    if project is None:
        return None
    fleet = Fleet(
        path=path,
        project=project,
        policy=policy,
        layers=layers,
        audit=audit,
        ci=ci,
        mapping=mapping,
        machines=types.MappingProxyType(machines),
        families=types.MappingProxyType(families),
        agents=types.MappingProxyType(agents),
    )
    cross_check(check, fleet)
    return fleet


def _project(check: Checker, table: Mapping[str, object], path: Path, root: Path | None) -> Project | None:
    """``[project]``, or None when its root is not a directory (nothing relative to it can be checked)."""
    where = ("project",)
    check.known_keys(table, where, _PROJECT_KEYS)
    name = check.string(table, (*where, "name"), default=path.parent.name)
    check.rule((*where, "name"), name, grammar.check_label)
    root_text = check.string(table, (*where, "root"), default=".")
    python = check.string(table, (*where, "python"), default="3.11")
    check.rule((*where, "python"), python, grammar.check_python)
    platform = check.string(table, (*where, "platform"), default="x86_64-manylinux_2_28")
    check.rule((*where, "platform"), platform, grammar.check_platform)
    source_roots = check.strings(table, (*where, "source_roots"), default=(".",))
    constraints = check.optional_string(table, (*where, "constraints"))
    max_file_mb = check.number(
        table, (*where, "max_file_mb"), default=10.0, low=0, high=1024, what="megabytes", open_low=True
    )
    repository_hints = check.boolean(table, (*where, "repository_hints"), default=True)
    if not check.rule((*where, "root"), root_text, grammar.check_label):
        return None
    resolved_root = _root(check, root if root is not None else path.parent / root_text)
    if resolved_root is None:
        return None
    for index, source_root in enumerate(source_roots):
        problem = check_path(source_root, base=resolved_root, within=ROOT, want="directory")
        if problem is not None:
            check.error((*where, "source_roots", str(index)), problem)
    return Project(
        name=name,
        root=resolved_root,
        python=python,
        platform=platform,
        source_roots=source_roots,
        constraints=None if constraints is None else _constraints(check, path, constraints),
        max_file_mb=max_file_mb,
        repository_hints=repository_hints,
    )


def _root(check: Checker, given: Path) -> Path | None:
    """``project.root`` (or ``--root``) resolved, or None with the problem recorded."""
    where = ("project", "root")
    text = str(given)
    if len(text) > 4096:
        check.error(where, f"{grammar.shown(text)} is too long (at most 4096 characters); fix project.root")
        return None
    try:
        resolved = given.resolve()
        is_directory = resolved.is_dir()
    except (OSError, RuntimeError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "a NUL or a symlink loop?"
        check.error(where, f"{grammar.shown(text)} cannot be resolved ({reason}); fix project.root or pass --root")
        return None
    bad = grammar.control_character(str(resolved))  # a symlink may lead to such a name too
    if bad is not None:
        check.error(where, f"{grammar.shown(str(resolved))} contains {bad}; rename the directory or fix project.root")
        return None
    if not is_directory:
        check.error(where, f"{resolved} is not a directory; fix project.root (relative to agents.toml) or pass --root")
        return None
    return resolved


def _constraints(check: Checker, config: Path, given: str) -> Path:
    base = config.parent.resolve()
    problem = check_path(given, base=base, within=CONFIG_DIRECTORY, want="file")
    if problem is not None:
        check.error(("project", "constraints"), problem)
        return base / given
    return (base / given).resolve()


def _policy(check: Checker, table: Mapping[str, object]) -> Policy:
    where = ("policy",)
    check.known_keys(table, where, _POLICY_KEYS)
    return Policy(
        optional=check.choice(table, (*where, "optional"), INCLUSIONS, default="exclude"),
        lazy=check.choice(table, (*where, "lazy"), INCLUSIONS, default="include"),
        type_only=check.choice(table, (*where, "type_only"), INCLUSIONS, default="exclude"),
    )


def _layers(check: Checker, table: Mapping[str, object]) -> Layers:
    where = ("layers",)
    check.known_keys(table, where, _LAYERS_KEYS)
    return Layers(
        max_unused_mb=check.number(
            table, (*where, "max_unused_mb"), default=100.0, low=0, high=1_000_000, what="megabytes"
        ),
        size_tolerance=check.number(
            table, (*where, "size_tolerance"), default=0.05, low=0, high=10, what="a fraction of the image size"
        ),
        max_derived=_count(check, table, (*where, "max_derived"), default=4, high=64),
    )


def _audit(check: Checker, table: Mapping[str, object]) -> Audit:
    """``[audit]`` and its ``[[audit.ignore]]`` entries: each needs an ID, a reason and an ``until`` date."""
    where = ("audit",)
    check.known_keys(table, where, _AUDIT_KEYS)
    url = check.optional_string(table, (*where, "url"))
    if url is not None and (not check.rule((*where, "url"), url, grammar.check_url) or url.startswith("file:")):
        if url.startswith("file:"):
            check.error((*where, "url"), "an OSV service is reached over http(s); write http(s)://HOST")
        url = None
    fail_on = check.choice(table, (*where, "fail_on"), SEVERITIES, default="high")
    entries = table.get("ignore", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        check.error((*where, "ignore"), "expected [[audit.ignore]] tables with id, reason and until = 2027-01-31")
        return Audit(url=url, fail_on=fail_on)
    ignores: list[AuditIgnore] = []
    for number, entry in enumerate(entries):
        at = (*where, "ignore", str(number))
        check.known_keys(entry, at, _IGNORE_KEYS)
        advisory = check.string(entry, (*at, "id"), default=None)
        reason = check.string(entry, (*at, "reason"), default=None)
        until = entry.get("until")
        valid = check.rule((*at, "id"), advisory, grammar.check_advisory)
        if reason is not None and not reason.strip():
            check.error((*at, "reason"), "is empty; say why the advisory does not apply")
            valid = False
        valid = check.rule((*at, "reason"), reason, grammar.check_label) and valid
        if not isinstance(until, datetime.date) or isinstance(until, datetime.datetime):
            check.error((*at, "until"), "expected a date (until = 2027-01-31, no quotes): when to look again")
            valid = False
        if valid and advisory is not None and reason is not None and isinstance(until, datetime.date):
            ignores.append(AuditIgnore(id=advisory, reason=reason, until=until))
    return Audit(url=url, fail_on=fail_on, ignore=tuple(ignores))


def _ci(check: Checker, table: Mapping[str, object]) -> Ci:
    """``[ci]``: what the generated GitHub Actions workflow runs on and how strict its image scan is."""
    where = ("ci",)
    check.known_keys(table, where, _CI_KEYS)
    runner = check.string(table, (*where, "runner"), default="ubuntu-latest")
    if not check.rule((*where, "runner"), runner, grammar.check_name):
        runner = "ubuntu-latest"
    return Ci(
        runner=runner,
        image_scan_fail_on=check.choice(table, (*where, "image_scan_fail_on"), SEVERITIES, default="high"),
        remote_builder=check.boolean(table, (*where, "remote_builder"), default=False),
    )


def _count(check: Checker, table: Mapping[str, object], where: KeyPath, *, default: int, high: int) -> int:
    """A whole number in ``[0, high]``."""
    value = check.number(table, where, default=default, low=0, high=high, what="a whole number")
    if value != int(value):
        check.error(where, f"expected a whole number in [0, {high}], got {value!r}; write an integer")
        return default
    return int(value)


def _mapping(check: Checker, container: Mapping[str, object], where: KeyPath) -> Mapping[str, str]:
    """``import name = "distribution"``: the fleet's ``[mapping]`` or an agent's ``mapping``."""
    return check.str_map(container, where, key_rule=grammar.check_import_name, value_rule=grammar.check_distribution)


def _named(
    check: Checker,
    doc: Mapping[str, object],
    section: str,
    build: Callable[[Checker, str, Mapping[str, object]], T | None],
) -> dict[str, T]:
    """The tables of ``[section.NAME]``; each name valid, and no two the same once slugged."""
    table = check.table(doc, (section,), required=section == "agents")
    built: dict[str, T] = {}
    slugs: dict[str, str] = {}
    for name in sorted(table):
        where = (section, name)
        if check.rule(where, name, grammar.check_name):
            first = slugs.setdefault(slug(name), name)
            if first != name:
                check.error(
                    where,
                    f"duplicate name: {name!r} and {first!r} are both {slug(name)!r} in image, bake-target and "
                    "compose-service names ('.' becomes '-', letters lower case); rename one",
                )
        item = build(check, name, check.table(table, where))
        if item is not None:
            built[name] = item
    return built


def _machine(check: Checker, name: str, table: Mapping[str, object]) -> Machine:
    where = ("machines", name)
    check.known_keys(table, where, _MACHINE_KEYS)
    cuda_arch = check.optional_string(table, (*where, "cuda_arch"))
    check.rule((*where, "cuda_arch"), cuda_arch, grammar.check_cuda_arch)
    return Machine(
        name=name,
        description=_free_text(check, table, (*where, "description")),
        cuda_arch=cuda_arch,
        env=_env(check, table, (*where, "env")),
        notes=_free_text(check, table, (*where, "notes")),
        network=check.choice(table, (*where, "network"), NETWORKS, default="host"),
    )


def _env(check: Checker, table: Mapping[str, object], where: KeyPath) -> Mapping[str, str]:
    """An environment table (``machines.*.env``, ``agents.*.env``): variable names, one-line values."""
    return check.str_map(table, where, key_rule=grammar.check_env_name, value_rule=grammar.check_env_value)


def _free_text(check: Checker, table: Mapping[str, object], where: KeyPath) -> str:
    text = check.string(table, where, default="")
    check.rule(where, text, grammar.check_free_text)
    return text


def _reason(value: str) -> str | None:
    """``accept_unresolved`` values: why the import may stay unresolved, in words."""
    if not value.strip():
        return 'is empty; say why the import may stay unresolved (e.g. "removed in 2024; guarded by try")'
    return grammar.check_free_text(value)


def _uncertain(check: Checker, table: Mapping[str, object], where: KeyPath) -> Mapping[str, str]:
    return check.str_map(table, where, key_rule=grammar.check_label, value_rule=grammar.check_free_text)


def _checked_strings(check: Checker, table: Mapping[str, object], where: KeyPath, rule: Rule) -> tuple[str, ...]:
    values = check.strings(table, where, default=())
    check.rules(where, values, rule)
    return values


def _family(check: Checker, name: str, table: Mapping[str, object], config_directory: Path) -> Family:
    where = ("families", name)
    check.known_keys(table, where, _FAMILY_KEYS)
    from_image = check.optional_string(table, (*where, "from"))
    check.rule((*where, "from"), from_image, grammar.check_image)
    extends = check.optional_string(table, (*where, "extends"))
    if (from_image is None) == (extends is None):
        check.error(where, 'give exactly one of `from = "image"` or `extends = "family"`')
    tag = check.string(table, (*where, "tag"), default=name)
    check.rule((*where, "tag"), tag, grammar.check_tag)
    link_rule: Rule = functools.partial(_find_link, base=config_directory)
    cuda = check.optional_string(table, (*where, "cuda"))
    if not check.rule((*where, "cuda"), cuda, grammar.check_cuda_version):
        cuda = None
    return Family(
        name=name,
        from_image=from_image,
        extends=extends,
        machine=check.optional_string(table, (*where, "machine")),
        tag=tag,
        apt=_checked_strings(check, table, (*where, "apt"), grammar.check_apt),
        build_apt=_checked_strings(check, table, (*where, "build_apt"), grammar.check_apt),
        gpu=check.boolean(table, (*where, "gpu"), default=False),
        display=check.boolean(table, (*where, "display"), default=False),
        indexes=_checked_strings(check, table, (*where, "indexes"), grammar.check_url),
        find_links=_checked_strings(check, table, (*where, "find_links"), link_rule),
        description=_free_text(check, table, (*where, "description")),
        notes=_free_text(check, table, (*where, "notes")),
        uncertain=_uncertain(check, table, (*where, "uncertain")),
        always=_checked_strings(check, table, (*where, "always"), grammar.check_distribution),
        never=_checked_strings(check, table, (*where, "never"), grammar.check_distribution),
        base_mb=check.number(
            table, (*where, "base_mb"), default=0.0, low=0, high=1_000_000, what="megabytes of the `from` image"
        ),
        cuda=cuda,
        accept_cuda_mismatch=_acceptance(check, table, (*where, "accept_cuda_mismatch")),
    )


def _acceptance(check: Checker, table: Mapping[str, object], where: KeyPath) -> str:
    """``accept_cuda_mismatch``: why the family's CUDA wheels may disagree with its CUDA, on one line."""
    reason = check.string(table, where, default="")
    if where[-1] in table and isinstance(table[where[-1]], str) and not reason.strip():
        check.error(where, 'is empty; say why the mismatch is accepted (e.g. "the cu121 index is not reachable")')
        return ""
    return reason if check.rule(where, reason, grammar.check_label) else ""


def _find_link(link: str, *, base: Path) -> str | None:
    """A ``find_links`` entry: a URL, or a wheelhouse directory inside the directory of agents.toml."""
    if "://" in link:
        return grammar.check_url(link)
    return check_path(link, base=base, within=CONFIG_DIRECTORY, want="absent-or-directory")


def _agent(check: Checker, name: str, table: Mapping[str, object]) -> Agent | None:
    """``[agents.NAME]``, or None when a required key is missing (the problem is recorded).

    Paths (``entrypoint``, ``files``, ``requirements``) are checked against the root in
    :func:`~depmin.manifest.refs.cross_check`, names of families and machines there too.
    """
    where = ("agents", name)
    check.known_keys(table, where, _AGENT_KEYS)
    entrypoint = check.string(table, (*where, "entrypoint"), default=None)
    family = check.string(table, (*where, "family"), default=None)
    machines = check.strings(table, (*where, "machines"), default=None)
    ports = check.ports(table, (*where, "ports"))
    health_port = check.port(table, (*where, "health_port"))
    health = check.string(table, (*where, "health"), default="tcp")
    check.rule((*where, "health"), health, grammar.check_health)
    needs = _needs(check, check.strings(table, (*where, "needs"), default=()), (*where, "needs"))
    python = check.optional_string(table, (*where, "python"))
    check.rule((*where, "python"), python, grammar.check_python)
    cmd = check.strings(table, (*where, "cmd"), default=None) if "cmd" in table else None
    check.rules((*where, "cmd"), cmd, grammar.check_label)
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
        extra_requirements=_checked_strings(check, table, (*where, "extra_requirements"), grammar.check_requirement),
        include_optional=_checked_strings(
            check, table, (*where, "include_optional"), grammar.check_import_or_distribution
        ),
        ignore_imports=_checked_strings(check, table, (*where, "ignore_imports"), grammar.check_import_or_distribution),
        entry_modules=_checked_strings(check, table, (*where, "entry_modules"), grammar.check_module_pattern),
        accept_unresolved=check.str_map(
            table, (*where, "accept_unresolved"), key_rule=grammar.check_import_name, value_rule=_reason
        ),
        mapping=_mapping(check, table, (*where, "mapping")),
        requirements=check.strings(table, (*where, "requirements"), default=()),
        docker_socket=check.boolean(table, (*where, "docker_socket"), default=False),
        notes=_free_text(check, table, (*where, "notes")),
        uncertain=_uncertain(check, table, (*where, "uncertain")),
        workdir=check.optional_string(table, (*where, "workdir")),  # a path: checked in cross_check
        env=_env(check, table, (*where, "env")),
        resources=_resources(check, check.table(table, (*where, "resources")), (*where, "resources")),
        data_writable=check.boolean(table, (*where, "data_writable"), default=False),
    )


def _resources(check: Checker, table: Mapping[str, object], where: KeyPath) -> Resources:
    """``resources = { cpus = "2", memory = "4g", gpus = 1 }``: each value a string (or a number,
    written back as its decimal text) checked against compose's grammar for it."""
    check.known_keys(table, where, _RESOURCES_KEYS)
    rules: dict[str, Rule] = {"cpus": grammar.check_cpus, "memory": grammar.check_memory, "gpus": grammar.check_gpus}
    values: dict[str, str | None] = {}
    for name, rule in rules.items():
        value = table.get(name)
        text = _resource_text(value)
        if value is not None and text is None:
            check.error((*where, name), f'expected a string or a number; write e.g. {name} = "{_EXAMPLES[name]}"')
        values[name] = text if check.rule((*where, name), text, rule) else None
    return Resources(cpus=values["cpus"], memory=values["memory"], gpus=values["gpus"])


def _resource_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return str(value) if isinstance(value, int) or value != int(value) else str(int(value))


def _needs(check: Checker, given: tuple[str, ...], where: KeyPath) -> tuple[Need, ...]:
    """The known needs of ``given``; each unknown one is a recorded problem (so no fleet is built)."""
    known: list[Need] = []
    for need in given:
        if _is_need(need):
            known.append(need)
        else:
            hint = did_you_mean(need, NEEDS)
            check.error(where, f"unknown need {grammar.shown(need)}{hint}; use some of {', '.join(NEEDS)}")
    return tuple(known)


def _is_need(value: str) -> TypeGuard[Need]:
    return value in NEEDS
