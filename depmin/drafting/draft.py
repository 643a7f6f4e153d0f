"""The draft: the services of every source merged into agents, each value checked against the
grammar of agents.toml, rendered as commented TOML and validated by the manifest loader itself.

Merging: sources are read in the order of :data:`~depmin.drafting.model.KINDS` (startup configuration,
compose, Kubernetes, Dockerfiles, Procfiles, pyproject scripts, ``__main__`` blocks); a service of a
later kind with the entrypoint of an agent already drafted adds what that agent lacks, and a value
that disagrees goes into the agent's ``uncertain`` table with both sources. Two services of one kind
stay two agents (a startup configuration may start one script twice). A service with no entrypoint
under the root is not an agent: it is listed in :attr:`Draft.skipped`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from depmin.drafting.model import KINDS, Found, Kind, Service, Source
from depmin.drafting.sources import candidate_files, read_source
from depmin.errors import ConfigError, DepminError, Problem
from depmin.manifest import Fleet, grammar, parse_fleet
from depmin.manifest.paths import ROOT, check_path
from depmin.scanning.tree import Tree, printable

__all__ = ["Agent", "Draft", "render", "suggest_families", "survey", "toml_string", "validate"]

MACHINE = "main"
_SECRET_NAME = re.compile(r"(?i).*(?:secret|token|passw(?:or)?d|api_?key|private_?key|credential).*")
_PYTHON_IMAGE = re.compile(r"python:(3\.[0-9]{1,2})(?:[.-].*)?")
_DEFAULT_IMAGE = "python:{python}-slim-bookworm"
_NEED_FAMILIES: Mapping[str, tuple[str, tuple[str, ...], str]] = {
    "web": ("cpu-web", ("curl",), "cpu + curl for the web services' health checks"),
    "audio": ("cpu-audio", ("ffmpeg", "libsndfile1"), "cpu + ffmpeg and libsndfile"),
    "vision": ("cpu-vision", ("libgl1", "libglib2.0-0"), "cpu + the OpenCV run-time libraries"),
}
_GPU_IMAGE = "nvidia/cuda:12.3.2-runtime-ubuntu22.04"


@dataclass(kw_only=True, slots=True)
class Agent:
    """One drafted agent: every value checked, with the sources that gave it."""

    name: str
    entrypoint: Found[str]
    kinds: list[Kind]
    cmd: Found[tuple[str, ...]] | None = None
    ports: list[Found[int]] = field(default_factory=list)
    health: Found[str] | None = None
    health_port: Found[int] | None = None
    env: dict[str, Found[str]] = field(default_factory=dict)
    workdir: Found[str] | None = None
    files: list[Found[str]] = field(default_factory=list)
    family: str = "cpu"
    needs: list[str] = field(default_factory=lambda: ["cpu"])
    needs_evidence: str = ""
    uncertain: dict[str, str] = field(default_factory=dict)

    def doubt(self, key: str, text: str) -> None:
        if text not in self.uncertain.get(key, ""):
            self.uncertain[key] = f"{self.uncertain[key]}; {text}" if key in self.uncertain else text


@dataclass(kw_only=True, slots=True)
class Draft:
    root: Path
    python: str
    image: Found[str] | None
    network: str
    network_source: str
    agents: list[Agent]
    skipped: list[str]
    read: list[str]  # the files read, relative to the root
    families: dict[str, str] = field(default_factory=dict)  # family name -> why it is there


def _fits(rule: Callable[[str], str | None], value: str) -> bool:
    return rule(value) is None


def _name(text: str, taken: set[str]) -> str | None:
    """``text`` as a valid agent name not yet taken (its slug unique), or None."""
    candidate = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")[:60].strip("-._")
    if not candidate or not _fits(grammar.check_name, candidate):
        return None
    name, number = candidate, 2
    while name.lower().replace(".", "-") in taken:
        name = f"{candidate}-{number}"
        number += 1
    taken.add(name.lower().replace(".", "-"))
    return name


def _checked(agent: Agent, service: Service, tree: Tree) -> None:
    """Copy what ``service`` says into ``agent`` where it passes the manifest's grammar."""
    if service.cmd is not None and agent.cmd is None:
        if all(_fits(grammar.check_label, word) for word in service.cmd.value):
            agent.cmd = service.cmd
        else:
            agent.doubt(
                "cmd",
                f"{service.cmd.source.file}:{service.cmd.source.line}: a word holds a control character; "
                "write cmd by hand",
            )
    merged = agent.kinds[0] != service.kind
    for port in service.ports:
        if merged and agent.health_port is not None and port.value == agent.health_port.value:
            continue  # a later source publishing the health port: it stays health_port
        if all(p.value != port.value for p in agent.ports):
            if agent.kinds[0] != service.kind and agent.ports and service.kind not in ("dockerfile",):
                agent.doubt("ports", f"{port.source.cite()} also names port {port.value}")
            agent.ports.append(port)
    for key in ("health", "health_port"):
        given = getattr(service, key)
        mine = getattr(agent, key)
        if given is None:
            continue
        if key == "health" and not _fits(grammar.check_health, given.value):
            agent.doubt("health", f"{given.source.cite()}: not a health style depmin checks; tcp kept")
        elif mine is None:
            setattr(agent, key, given)
        elif mine.value != given.value:
            agent.doubt(key, f"{given.source.cite()} says {given.value}, {mine.source.file} says {mine.value}")
    for name, value in service.env.items():
        if not _fits(grammar.check_env_name, name):
            agent.doubt(
                "env",
                f"{value.source.file}:{value.source.line}: {printable(name)[:60]!r} is not an environment name; "
                "left out",
            )
        elif _SECRET_NAME.fullmatch(name):
            agent.doubt(
                "env",
                f"{name} looks like a secret ({value.source.file}:{value.source.line}); its value is left out: "
                "pass it at run time",
            )
        elif not _fits(grammar.check_env_value, value.value):
            agent.doubt(
                "env",
                f"{name} ({value.source.file}:{value.source.line}): its value is not a one-line value without "
                "credentials; left out",
            )
        elif name not in agent.env:
            agent.env[name] = value
    workdir = service.workdir
    if workdir is not None and agent.workdir is None and _is_dir(workdir.value, tree):
        agent.workdir = workdir
    for item in service.files:
        fine = check_path(item.value, base=tree.root.resolve(), within=ROOT, want="exists") is None
        if fine and all(f.value != item.value for f in agent.files):
            agent.files.append(item)
    settled = {
        "ports": bool(agent.ports),
        "entrypoint": True,
        "cmd": merged,
        "health_port": agent.health_port is not None,
        "health": agent.health is not None,
    }
    for key, text in service.uncertain.items():
        if not (merged and settled.get(key, False)):
            agent.doubt(key, text)


def _is_dir(text: str, tree: Tree) -> bool:
    return check_path(text, base=tree.root.resolve(), within=ROOT, want="directory") is None


def _merge(services: Iterable[Service], tree: Tree, skipped: list[str]) -> list[Agent]:
    agents: list[Agent] = []
    by_entry: dict[str, Agent] = {}
    taken: set[str] = set()
    for service in sorted(services, key=lambda s: KINDS.index(s.kind)):
        entry = service.entrypoint
        if entry is None:
            why = "; ".join(service.uncertain.values()) or "no command that starts a Python file"
            skipped.append(f"{service.origin.cite()}: {printable(service.name)[:60]}: skipped: {why}")
            continue
        if check_path(entry.value, base=tree.root.resolve(), within=ROOT, want="file") is not None:
            skipped.append(f"{entry.source.cite()}: the entrypoint is not a regular file under the root; skipped")
            continue
        existing = by_entry.get(entry.value)
        if existing is not None and service.kind not in existing.kinds:
            existing.kinds.append(service.kind)
            _checked(existing, service, tree)
            continue
        name = _name(service.name, taken)
        if name is None:
            skipped.append(
                f"{service.origin.cite()}: {printable(service.name)[:60]!r} cannot be made an agent name; skipped"
            )
            continue
        agent = Agent(name=name, entrypoint=entry, kinds=[service.kind])
        if name != service.name:
            agent.doubt("name", f"{printable(service.name)[:60]!r} in {service.origin.file} renamed {name}")
        _checked(agent, service, tree)
        agents.append(agent)
        by_entry.setdefault(entry.value, agent)
    return agents


def _finish(agent: Agent) -> None:
    """Health defaults, and what the sources leave open."""
    if agent.health is not None and agent.health.value != "tcp" and agent.health_port is None and len(agent.ports) == 1:
        agent.health_port = agent.ports[0]
        agent.doubt("health_port", "the probe names no port; the agent's one port assumed")
    if agent.health_port is None:
        agent.doubt("health_port", "no source gives a health-check port; add health_port (and health) by hand")


def survey(
    tree: Tree,
    kinds: frozenset[Kind],
    load_yaml: Callable[[str], object] | None,
    *,
    python: str | None = None,
) -> Draft:
    """Read every source of ``kinds`` under the tree's root and merge what they say."""
    files = candidate_files(tree, kinds)
    yaml_kinds: tuple[Kind, ...] = ("startup", "compose", "kubernetes")
    missing_yaml = [tree.shown(p) for kind in yaml_kinds for p in files.get(kind, [])]
    if load_yaml is None and missing_yaml:
        raise ConfigError(
            [
                Problem(
                    missing_yaml[0],
                    f"is YAML ({len(missing_yaml)} such files), and reading YAML needs PyYAML: "
                    "pip install 'depmin[init]', or leave those sources out with "
                    "--source dockerfile,procfile,pyproject,main",
                )
            ]
        )
    services: list[Service] = []
    read: list[str] = []
    for kind in KINDS:
        for path in files.get(kind, []):
            found = read_source(kind, tree, path, load_yaml)
            if found or kind != "main":
                read.append(tree.rel(path))
            services.extend(found)
    skipped: list[str] = []
    agents = _merge(services, tree, skipped)
    for agent in agents:
        _finish(agent)
    image = next((s.image for s in services if s.image is not None and _fits(grammar.check_image, s.image.value)), None)
    chosen_python = python
    if chosen_python is None and image is not None:
        match = _PYTHON_IMAGE.fullmatch(image.value)
        if match and match.group(1) in grammar.SUPPORTED_PYTHONS:
            chosen_python = match.group(1)
    if image is not None and not _PYTHON_IMAGE.fullmatch(image.value):
        image = None  # a family starts from a Python image; another base is the user's call
    bridge = next((s for s in services if s.network == "bridge" and s.entrypoint is not None), None)
    network, network_source = (
        ("bridge", f"{bridge.origin.file}: services in their own network namespaces") if bridge else ("host", "")
    )
    if network == "host" and _collide(agents):
        network, network_source = "bridge", "two agents use one port: each gets its own network namespace"
    return Draft(
        root=tree.root,
        python=chosen_python or "3.11",
        image=image,
        network=network,
        network_source=network_source,
        agents=agents,
        skipped=skipped,
        read=read,
    )


def _collide(agents: list[Agent]) -> bool:
    seen: set[int] = set()
    for agent in agents:
        uses = {p.value for p in agent.ports} | ({agent.health_port.value} if agent.health_port else set())
        if seen & uses:
            return True
        seen |= uses
    return False


def suggest_families(result: Draft, inferred: Mapping[str, Mapping[str, tuple[str, ...]]]) -> None:
    """Needs and a family for each agent from what ``depmin needs`` infers (agent -> need -> evidence)."""
    for agent in result.agents:
        needs = inferred.get(agent.name, {})
        wanted = sorted(needs)
        agent.needs = wanted if "gpu" in wanted else ["cpu", *wanted]
        agent.needs_evidence = "; ".join(
            f"{need}: {evidence[0]}" for need, evidence in sorted(needs.items()) if evidence
        )
        if "gpu" in needs:
            agent.family = "gpu"
            result.families["gpu"] = "an agent needs a GPU"
            if len(wanted) > 1:
                agent.doubt(
                    "family",
                    f"it also needs {', '.join(n for n in wanted if n != 'gpu')}: "
                    "gpu has none of their system packages",
                )
        else:
            others = [need for need in wanted if need in _NEED_FAMILIES]
            if others:
                agent.family = _NEED_FAMILIES[others[0]][0]
                result.families[agent.family] = f"an agent needs {others[0]}"
                if len(others) > 1:
                    agent.doubt("family", f"it needs {', '.join(others)}; {agent.family} provides {others[0]} only")


# -- rendering ----------------------------------------------------------------------------------------


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string: quotes, backslashes and every control character escaped."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif code < 0x20 or 0x7F <= code <= 0x9F or char in "\u2028\u2029":
            out.append(f"\\u{code:04X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else toml_string(name)


def _comment(sources: Iterable[Source]) -> str:
    cites = list(dict.fromkeys(source.cite() for source in sources))
    if not cites:
        return ""
    text = printable("; ".join(cites))
    return "  # from " + (text if len(text) <= 160 else text[:160] + "...")


def _strings(values: Iterable[str]) -> str:
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def render(result: Draft, *, config: Path) -> str:
    """The draft agents.toml for a file at ``config`` (``project.root`` is written relative to it)."""
    root_text = Path(os.path.relpath(result.root.resolve(), config.parent.resolve())).as_posix()
    lines = [
        "# agents.toml: drafted by `depmin init` from what the repository says; review it, then run",
        "# `depmin fleet` and `depmin scan`. Each inferred value cites its source; questions are in each",
        "# agent's `uncertain` table. Every key is documented in docs/agents-toml.md.",
        "",
        "[project]",
        f"name = {toml_string(result.root.resolve().name)}",
        f"root = {toml_string(root_text)}",
        f'python = "{result.python}"' + (_comment([result.image.source]) if result.image else ""),
        'source_roots = ["."]',
        "",
        f"[machines.{MACHINE}]",
        'description = "the one machine of the draft; split the agents over machines as they run"',
    ]
    if result.network == "bridge":
        lines.append(f'network = "bridge"  # {printable(result.network_source)[:160]}')
    lines += ["", "[families.cpu]"]
    image = result.image.value if result.image else _DEFAULT_IMAGE.format(python=result.python)
    lines.append(f"from = {toml_string(image)}" + (_comment([result.image.source]) if result.image else ""))
    lines.append('apt = ["tini", "ca-certificates", "tzdata"]')
    if result.image is None:
        lines.append('uncertain = { from = "no Dockerfile names a Python base image: the default was chosen" }')
    for family, why in sorted(result.families.items()):
        lines += ["", f"[families.{family}]"]
        if family == "gpu":
            lines += [
                f'from = "{_GPU_IMAGE}"  # {why}',
                f'apt = ["python{result.python}", "python{result.python}-venv", "tini", "ca-certificates", "tzdata"]',
                "gpu = true",
                'uncertain = { from = "the CUDA version is a guess: match it to the PyTorch wheels the agents lock" }',
            ]
        else:
            need = next(n for n, spec in _NEED_FAMILIES.items() if spec[0] == family)
            _, apt, description = _NEED_FAMILIES[need]
            lines += [
                'extends = "cpu"',
                f"apt = {_strings(apt)}  # {why}",
                f"description = {toml_string(description)}",
            ]
    for agent in result.agents:
        lines += ["", f"[agents.{_key(agent.name)}]"]
        lines.append(f"entrypoint = {toml_string(agent.entrypoint.value)}{_comment([agent.entrypoint.source])}")
        lines.append(f'machines = ["{MACHINE}"]')
        lines.append(f"family = {toml_string(agent.family)}")
        if agent.ports:
            lines.append(
                "ports = ["
                + ", ".join(str(p.value) for p in agent.ports)
                + "]"
                + _comment(p.source for p in agent.ports)
            )
        if agent.health_port is not None:
            lines.append(f"health_port = {agent.health_port.value}{_comment([agent.health_port.source])}")
        if agent.health is not None and agent.health.value != "tcp":
            lines.append(f"health = {toml_string(agent.health.value)}{_comment([agent.health.source])}")
        evidence = f"  # {printable(agent.needs_evidence)[:160]}" if agent.needs_evidence else ""
        lines.append(f"needs = {_strings(agent.needs)}{evidence}")
        if agent.cmd is not None:
            lines.append(f"cmd = {_strings(agent.cmd.value)}{_comment([agent.cmd.source])}")
        if agent.workdir is not None:
            lines.append(f"workdir = {toml_string(agent.workdir.value)}{_comment([agent.workdir.source])}")
        if agent.files:
            lines.append(f"files = {_strings(f.value for f in agent.files)}{_comment(f.source for f in agent.files)}")
        lines.append(f"notes = {toml_string('drafted from ' + ', '.join(agent.kinds))}")
        if agent.uncertain:
            pairs = ", ".join(f"{_key(k)} = {toml_string(v)}" for k, v in sorted(agent.uncertain.items()))
            lines.append(f"uncertain = {{ {pairs} }}")
        if agent.env:
            lines.append(f"[agents.{_key(agent.name)}.env]")
            for name, value in sorted(agent.env.items()):
                lines.append(f"{name} = {toml_string(value.value)}{_comment([value.source])}")
    return "\n".join(lines) + "\n"


def validate(text: str, *, config: Path) -> Fleet:
    """The draft loaded by the manifest loader, exactly as `depmin fleet` will load it."""
    try:
        return parse_fleet(text.encode("utf-8"), path=config)
    except ConfigError as exc:
        problems = "; ".join(str(p) for p in exc.problems[:3])
        raise DepminError(
            f"the draft does not validate ({problems}); this is a bug in depmin init: report it"
        ) from None
