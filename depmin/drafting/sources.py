"""One reader per kind of source; each returns the services it describes, every value cited.

Every string read here comes from the scanned repository and is hostile: the readers only pick
values out (ports as integers in range, paths that exist under the root, names), and
:mod:`depmin.drafting.draft` checks each against the manifest's grammar before it reaches the draft.
Nothing is executed: Python files are parsed (``ast``), YAML is read with ``yaml.safe_load``.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from depmin import _toml
from depmin.drafting.commands import entrypoint_of, split_shell
from depmin.drafting.dockerfile import Instruction, instructions, last_stage
from depmin.drafting.model import Found, Kind, Service, Source
from depmin.errors import ConfigError, Problem
from depmin.scanning.tree import SKIP_DIRS, Tree, has_control, printable

__all__ = ["READERS", "YAML_KINDS", "candidate_files", "read_source"]

YAML_KINDS: frozenset[Kind] = frozenset({"startup", "compose", "kubernetes"})
_MAX_FILES = 20_000
_SKIP_MAIN_DIRS = frozenset({"tests", "test", "docs", "examples", "scripts", "tools", "benchmarks", "build", "dist"})
_DATA_SUFFIXES = frozenset(
    {".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".csv", ".txt", ".onnx", ".bin", ".pt", ".pkl"}
)
_URL = re.compile(r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::([0-9]{1,5}))?(/[^\s'\"|;&]*)?")
_COMPOSE = re.compile(r"(?:docker-)?compose(?:\.[A-Za-z0-9_-]+)*\.ya?ml")
_STARTUP = re.compile(r"startup[_-]?config(?:\.[A-Za-z0-9_-]+)*\.ya?ml")
_YamlLoad = Callable[[str], object]


def _walk(tree: Tree) -> Iterator[Path]:
    """Regular files under the root (no symlinked directory entered, VCS/venv/hidden skipped), sorted."""
    count = 0
    for directory, dirs, files in os.walk(tree.root):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIP_DIRS
            and not d.startswith(".")
            and not has_control(d)
            and not Path(directory, d).is_symlink()
        )
        for name in sorted(files):
            path = Path(directory, name)
            if has_control(name) or path.is_symlink():
                continue
            count += 1
            if count > _MAX_FILES:
                return
            yield path


def _kind_of(tree: Tree, path: Path) -> Kind | None:
    name = path.name
    rel = PurePosixPath(tree.rel(path))
    if name == "Dockerfile" or name.startswith("Dockerfile.") or name.endswith(".Dockerfile"):
        return "dockerfile"
    if _STARTUP.fullmatch(name):
        return "startup"
    if _COMPOSE.fullmatch(name):
        return "compose"
    if name == "Procfile":
        return "procfile"
    if name == "pyproject.toml":
        return "pyproject"
    if name.endswith((".yaml", ".yml")) and any(
        part in ("k8s", "kubernetes", "deploy", "manifests") for part in rel.parts
    ):
        return "kubernetes"
    if name.endswith(".py") and not (set(rel.parts[:-1]) & _SKIP_MAIN_DIRS) and not name.startswith("test_"):
        return "main" if len(rel.parts) > 1 else None
    return None


def candidate_files(tree: Tree, kinds: frozenset[Kind]) -> dict[Kind, list[Path]]:
    """The files of each chosen kind, sorted."""
    found: dict[Kind, list[Path]] = {}
    for path in _walk(tree):
        kind = _kind_of(tree, path)
        if kind is not None and kind in kinds:
            found.setdefault(kind, []).append(path)
    return found


class UnreadableError(Exception):
    """A source file that cannot be read or parsed; :func:`read_source` reports it as skipped."""


@dataclass(frozen=True, kw_only=True, slots=True)
class _File:
    """A source file as its reader sees it: the path relative to the root and the text."""

    rel: PurePosixPath  # agents/nlu/Dockerfile
    text: str

    @property
    def here(self) -> str:
        """The file's directory relative to the root; ``""`` at the root."""
        return "" if self.rel.parent.as_posix() == "." else self.rel.parent.as_posix()

    @property
    def bases(self) -> list[str]:
        """Where a path the file names is looked up: its own directory, then the root."""
        return [self.here, ""] if self.here else [""]


def _bytes(tree: Tree, path: Path) -> bytes:
    """The bytes of a bounded regular file under the root (:meth:`Tree.read`), or
    :class:`UnreadableError` saying why not, which :func:`read_source` reports."""
    try:
        return tree.read(path)
    except OSError as exc:
        raise UnreadableError(str(exc)) from None


def _file(tree: Tree, path: Path) -> _File:
    """:func:`_bytes` decoded as UTF-8 (else :class:`UnreadableError`), with the path relative to the root."""
    try:
        text = _bytes(tree, path).decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableError("not UTF-8 text") from None
    return _File(rel=PurePosixPath(tree.rel(path)), text=text)


def _optional_text(tree: Tree, path: Path) -> str | None:
    """A file a source refers to (a compose service's Dockerfile): its text, or None when it is not
    a readable file inside the root (the service is still read)."""
    if not (tree.inside(path) and path.is_file()):
        return None
    try:
        return _file(tree, path).text
    except UnreadableError:
        return None


def _port(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 5:
        value = int(value)
    return value if isinstance(value, int) and 1 <= value <= 65535 else None


def _quote(text: str, limit: int = 100) -> str:
    shown = printable(text)
    return shown if len(shown) <= limit else shown[:limit] + "..."


def _health_from_command(text: str) -> tuple[str, int | None] | None:
    """``("http:/path", port)`` from a curl/wget probe of localhost, ``("tcp", port)`` from a socket one."""
    match = _URL.search(text)
    if match is not None:
        path = match.group(2) or "/"
        return f"http:{path}", _port(match.group(1)) if match.group(1) else 80
    if "grpc_health_probe" in text:
        port = re.search(r"-addr[= ][^\s:]*:([0-9]{1,5})", text)
        return "grpc", _port(port.group(1)) if port else None
    return None


def _service_name(text: str) -> str:
    """A name from the repository turned into an agent name: runs of other characters become '-'."""
    cleaned = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")
    return cleaned[:63].strip("-")


# -- Dockerfiles ------------------------------------------------------------------------------------


def _dockerfile_service(tree: Tree, path: Path, text: str, *, bases: list[str], name: str) -> Service:
    rel = tree.rel(path)
    base, stage = last_stage(instructions(text))
    service = Service(kind="dockerfile", name=name, origin=Source(file=rel))
    if base is not None:
        base_line = next((i.line for i in instructions(text) if i.name == "FROM" and base in i.value), 0)
        service.image = Found(value=base, source=Source(file=rel, line=base_line, text=f"FROM {_quote(base)}"))
    workdir = "/"
    command: Instruction | None = None
    entry: Instruction | None = None
    for instruction in stage:
        cited = Source(file=rel, line=instruction.line, text=f"{instruction.name} {_quote(instruction.value)}")
        if instruction.name == "WORKDIR":
            workdir = str(PurePosixPath(workdir, instruction.value))
        elif instruction.name == "EXPOSE":
            for word in instruction.value.split():
                port = _port(word.split("/", 1)[0])
                if port is None:
                    service.doubt("ports", f"{cited.cite()}: {_quote(word)} is not a port number")
                elif all(p.value != port for p in service.ports):
                    service.ports.append(Found(value=port, source=cited))
        elif instruction.name == "HEALTHCHECK":
            health = _health_from_command(instruction.value)
            if instruction.value.upper().startswith("NONE"):
                continue
            if health is None:
                service.doubt("health", f"{cited.cite()}: not an HTTP or gRPC probe of localhost; tcp assumed")
            else:
                service.health = Found(value=health[0], source=cited)
                if health[1] is not None:
                    service.health_port = Found(value=health[1], source=cited)
        elif instruction.name == "CMD":
            command = instruction
        elif instruction.name == "ENTRYPOINT":
            entry = instruction
        elif instruction.name in ("COPY", "ADD"):
            _copied_files(tree, service, instruction, cited, bases)
    argv: list[str] = []
    cited_command: Source | None = None
    for part in (entry, command):
        if part is None:
            continue
        words = part.json if part.json is not None else split_shell(part.value)
        if words is None:
            service.doubt("cmd", f"{rel}:{part.line}: {part.name} is not one simple command; write cmd by hand")
            return service
        argv.extend(words)
        cited_command = Source(file=rel, line=part.line, text=f"{part.name} {_quote(part.value)}")
    if argv and cited_command is not None:
        _set_command(tree, service, tuple(argv), cited_command, bases, workdir)
    entry_path = service.entrypoint.value if service.entrypoint is not None else ""
    if workdir != "/" and bases and bases[0] and entry_path.startswith(bases[0] + "/"):
        service.workdir = Found(
            value=bases[0], source=Source(file=rel, text="build context (the Dockerfile's directory)")
        )
    return service


def _copied_files(tree: Tree, service: Service, instruction: Instruction, cited: Source, bases: list[str]) -> None:
    words = list(instruction.json) if instruction.json is not None else instruction.value.split()
    if any(word.startswith("--from") for word in words):
        return
    words = [word for word in words if not word.startswith("--")]
    for source in words[:-1]:
        path = PurePosixPath(source)
        if path.is_absolute() or ".." in path.parts or any(c in source for c in "*?[$"):
            continue
        if path.suffix not in _DATA_SUFFIXES or path.name.startswith("requirements"):
            continue
        for base in bases:
            relative = PurePosixPath(base, path).as_posix() if base else path.as_posix()
            full = Path(tree.root, relative)
            if tree.inside(full) and full.is_file() and all(f.value != relative for f in service.files):
                service.files.append(Found(value=relative, source=cited))
                break


def _set_command(
    tree: Tree, service: Service, argv: tuple[str, ...], cited: Source, bases: list[str], workdir: str = "/"
) -> None:
    started = entrypoint_of(argv, tree=tree, bases=bases, workdir=workdir)
    if started is None:
        service.doubt("entrypoint", f"{cited.cite()}: no Python file under the root that this command starts")
        return
    service.entrypoint = Found(value=started.entrypoint, source=cited)
    base = bases[0] if bases else ""
    if not started.plain and base and started.entrypoint.startswith(base + "/") and service.workdir is None:
        service.workdir = Found(value=base, source=Source(file=cited.file, text="the directory the command runs in"))
    if not started.plain:
        service.cmd = Found(value=argv, source=cited)
        service.doubt("cmd", f"copied from {cited.file}:{cited.line}; its paths are relative to the image's WORKDIR")


def read_dockerfile(tree: Tree, path: Path, load_yaml: _YamlLoad | None) -> list[Service]:
    del load_yaml
    read = _file(tree, path)
    parent = read.rel.parent.name
    stem = parent if path.name == "Dockerfile" else f"{parent}-{path.name.replace('Dockerfile', '')}"
    return [_dockerfile_service(tree, path, read.text, bases=read.bases, name=_service_name(stem or "app"))]


# -- YAML: startup configuration, compose, Kubernetes ------------------------------------------------


def _line_of(text: str, needle: str, start: int = 0) -> int:
    """The first line of ``text`` from line ``start`` on holding ``needle`` (YAML readers give no line
    numbers to values), or 0."""
    for number, line in enumerate(text.splitlines(), 1):
        if number >= start and needle in line:
            return number
    return 0


def _load(load_yaml: _YamlLoad | None, text: str) -> list[object]:
    assert load_yaml is not None  # the caller checked the extra is installed
    try:
        loaded = load_yaml(text)
    except Exception as exc:  # a YAML error of any kind: the file is skipped (and reported), not the run
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise UnreadableError(f"not valid YAML ({first[:100]})") from None
    return loaded if isinstance(loaded, list) else [loaded]


def read_startup(tree: Tree, path: Path, load_yaml: _YamlLoad | None) -> list[Service]:
    """``agent_groups: {GROUP: {Name: {script_path, port, health_check_port}}}`` (or a list of such)."""
    read = _file(tree, path)
    text, rel = read.text, read.rel.as_posix()
    services: list[Service] = []
    for document in _load(load_yaml, text):
        groups = document.get("agent_groups") if isinstance(document, dict) else None
        if not isinstance(groups, dict):
            continue
        for group, members in groups.items():
            if not isinstance(members, dict):
                continue
            for name, entry in members.items():
                if not isinstance(name, str) or not isinstance(entry, dict):
                    continue
                line = _line_of(text, f"{name}:")
                service = Service(
                    kind="startup", name=name, origin=Source(file=rel, line=line, text=f"group {_quote(str(group))}")
                )
                script = entry.get("script_path")
                if isinstance(script, str):
                    started = entrypoint_of(("python", script), tree=tree, bases=[""])
                    if started is None:
                        service.doubt(
                            "entrypoint", f"{rel}:{line}: script_path {_quote(script)} is not a file under the root"
                        )
                    else:
                        service.entrypoint = Found(
                            value=started.entrypoint,
                            source=Source(file=rel, line=line, text=f"script_path {_quote(script)}"),
                        )
                port = _port(entry.get("port"))
                if port is not None:
                    service.ports.append(Found(value=port, source=Source(file=rel, line=line, text=f"port {port}")))
                health_port = _port(entry.get("health_check_port"))
                if health_port is not None:
                    service.health_port = Found(
                        value=health_port, source=Source(file=rel, line=line, text=f"health_check_port {health_port}")
                    )
                    service.doubt(
                        "health", "the startup configuration gives a health-check port, not its protocol: tcp assumed"
                    )
                services.append(service)
    return services


def _compose_ports(service: Service, ports: object, cited: Source) -> None:
    for item in ports if isinstance(ports, list) else []:
        if isinstance(item, dict):
            port = _port(item.get("target"))
        elif isinstance(item, (str, int)) and not isinstance(item, bool):
            text = str(item).split("/", 1)[0]
            port = _port(text.rsplit(":", 1)[-1])
        else:
            port = None
        if port is None:
            service.doubt("ports", f"{cited.file}: ports entry {_quote(str(item))} is not a container port")
        elif all(p.value != port for p in service.ports):
            service.ports.append(
                Found(value=port, source=Source(file=cited.file, line=cited.line, text=f"ports {_quote(str(item))}"))
            )


def _env_items(value: object) -> list[tuple[str, str | None]]:
    if isinstance(value, dict):
        return [(str(k), None if v is None else str(v)) for k, v in value.items()]
    items: list[tuple[str, str | None]] = []
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, str):
            name, equals, rest = entry.partition("=")
            items.append((name, rest if equals else None))
    return items


def read_compose(tree: Tree, path: Path, load_yaml: _YamlLoad | None) -> list[Service]:  # noqa: PLR0915
    read = _file(tree, path)
    text, rel, here = read.text, read.rel, read.here
    found: list[Service] = []
    for document in _load(load_yaml, text):
        services = document.get("services") if isinstance(document, dict) else None
        for name, spec in services.items() if isinstance(services, dict) else ():
            if not isinstance(name, str) or not isinstance(spec, dict):
                continue
            line = _line_of(text, f"{name}:")
            cited = Source(file=rel.as_posix(), line=line, text=f"service {_quote(name)}")
            service = Service(kind="compose", name=name, origin=cited, network="bridge")
            bases = read.bases
            build = spec.get("build")
            context = build.get("context") if isinstance(build, dict) else build if isinstance(build, str) else None
            if isinstance(context, str):
                joined = os.path.normpath(PurePosixPath(here, context).as_posix() if here else context)
                if joined != ".." and not joined.startswith("../") and not PurePosixPath(joined).is_absolute():
                    base = "" if joined == "." else joined
                    bases = [base, *[b for b in bases if b != base]]
                    dockerfile = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
                    if isinstance(dockerfile, str):
                        docker_path = Path(tree.root, base, dockerfile)
                        docker_text = _optional_text(tree, docker_path)
                        if docker_text is not None:
                            inner = _dockerfile_service(tree, docker_path, docker_text, bases=bases, name=name)
                            service.ports, service.health, service.health_port = (
                                inner.ports,
                                inner.health,
                                inner.health_port,
                            )
                            service.entrypoint, service.cmd, service.files = inner.entrypoint, inner.cmd, inner.files
                            service.uncertain.update(inner.uncertain)
            command = spec.get("command")
            words = (
                split_shell(command)
                if isinstance(command, str)
                else tuple(command)
                if isinstance(command, list) and all(isinstance(w, str) for w in command)
                else None
            )
            if words:
                service.entrypoint, service.cmd = None, None
                service.uncertain.pop("cmd", None)
                service.uncertain.pop("entrypoint", None)
                _set_command(
                    tree,
                    service,
                    words,
                    Source(
                        file=rel.as_posix(),
                        line=_line_of(text, "command") or line,
                        text=f"command {_quote(str(command))}",
                    ),
                    bases,
                )
            _compose_ports(service, spec.get("ports"), cited)
            for port in spec.get("expose", []) if isinstance(spec.get("expose"), list) else []:
                number = _port(str(port).split("/", 1)[0])
                if number is not None and all(p.value != number for p in service.ports):
                    service.ports.append(
                        Found(value=number, source=Source(file=cited.file, line=line, text=f"expose {number}"))
                    )
            for key, value in _env_items(spec.get("environment")):
                if value is None:
                    service.doubt("env", f"{_quote(key)} is taken from the environment compose runs in; set it by hand")
                else:
                    service.env[key] = Found(
                        value=value,
                        source=Source(
                            file=cited.file, line=_line_of(text, key) or line, text=f"environment {_quote(key)}"
                        ),
                    )
            check = spec.get("healthcheck")
            test = check.get("test") if isinstance(check, dict) else None
            if isinstance(test, list):
                test = " ".join(str(word) for word in test)
            if isinstance(test, str):
                health = _health_from_command(test)
                probe = Source(file=cited.file, line=_line_of(text, "test") or line, text=f"healthcheck {_quote(test)}")
                if health is not None:
                    service.health = Found(value=health[0], source=probe)
                    if health[1] is not None:
                        service.health_port = Found(value=health[1], source=probe)
            found.append(service)
    return found


def _k8s_port(value: object, named: Mapping[str, int]) -> int | None:
    return named.get(value) if isinstance(value, str) and not value.isdigit() else _port(value)


def read_kubernetes(tree: Tree, path: Path, load_yaml: _YamlLoad | None) -> list[Service]:
    read = _file(tree, path)
    text, rel = read.text, read.rel.as_posix()
    found: list[Service] = []
    for document in _load(load_yaml, text):
        if not isinstance(document, dict) or document.get("kind") not in (
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "Pod",
            "Job",
        ):
            continue
        spec = document.get("spec")
        if document.get("kind") != "Pod":
            template = spec.get("template") if isinstance(spec, dict) else None
            spec = template.get("spec") if isinstance(template, dict) else None
        containers = spec.get("containers") if isinstance(spec, dict) else None
        for container in containers if isinstance(containers, list) else []:
            if not isinstance(container, dict) or not isinstance(container.get("name"), str):
                continue
            name = container["name"]
            line = _line_of(text, f"- name: {name}") or _line_of(text, f"name: {name}")
            cited = Source(file=rel, line=line, text=f"container {_quote(name)}")
            service = Service(kind="kubernetes", name=name, origin=cited, network="bridge")
            named: dict[str, int] = {}
            for item in container.get("ports", []) if isinstance(container.get("ports"), list) else []:
                port = _port(item.get("containerPort")) if isinstance(item, dict) else None
                if port is None:
                    continue
                if isinstance(item.get("name"), str):
                    named[item["name"]] = port
                service.ports.append(
                    Found(
                        value=port,
                        source=Source(
                            file=rel,
                            line=_line_of(text, f"containerPort: {port}", line) or line,
                            text=f"containerPort {port}",
                        ),
                    )
                )
            words = [*(container.get("command") or []), *(container.get("args") or [])]
            if words and all(isinstance(w, str) for w in words):
                _set_command(
                    tree,
                    service,
                    tuple(words),
                    Source(file=rel, line=_line_of(text, "command:", line) or line, text="command/args"),
                    [""],
                )
            for probe_key in ("readinessProbe", "livenessProbe"):
                probe = container.get(probe_key)
                if not isinstance(probe, dict) or service.health is not None:
                    continue
                probe_line = _line_of(text, probe_key, line) or line
                for style, key in (("http", "httpGet"), ("tcp", "tcpSocket"), ("grpc", "grpc")):
                    spec_probe = probe.get(key)
                    if not isinstance(spec_probe, dict):
                        continue
                    port = _k8s_port(spec_probe.get("port"), named)
                    path_text = spec_probe.get("path", "/") if style == "http" else ""
                    value = f"http:{path_text}" if style == "http" and isinstance(path_text, str) else style
                    source = Source(file=rel, line=probe_line, text=f"{probe_key} {key}")
                    service.health = Found(value=value, source=source)
                    if port is not None:
                        service.health_port = Found(value=port, source=source)
                    break
            for item in container.get("env", []) if isinstance(container.get("env"), list) else []:
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    continue
                if (
                    "value" in item
                    and isinstance(item["value"], (str, int, float))
                    and not isinstance(item["value"], bool)
                ):
                    service.env[item["name"]] = Found(
                        value=str(item["value"]),
                        source=Source(
                            file=rel,
                            line=_line_of(text, f"name: {item['name']}", line) or line,
                            text=f"env {_quote(item['name'])}",
                        ),
                    )
                else:
                    service.doubt(
                        "env", f"{_quote(item['name'])} comes from a secret or config map (valueFrom); set it by hand"
                    )
            found.append(service)
    return found


# -- Procfile, pyproject scripts, __main__ blocks -------------------------------------------------------


def read_procfile(tree: Tree, path: Path, load_yaml: _YamlLoad | None) -> list[Service]:
    del load_yaml
    read = _file(tree, path)
    found: list[Service] = []
    for number, line in enumerate(read.text.splitlines(), 1):
        name, colon, command = line.partition(":")
        if not colon or not re.fullmatch(r"[A-Za-z0-9_-]+", name.strip()):
            continue
        cited = Source(file=read.rel.as_posix(), line=number, text=_quote(line.strip()))
        service = Service(kind="procfile", name=name.strip(), origin=cited)
        words = split_shell(command.strip())
        if words:
            _set_command(tree, service, words, cited, read.bases)
        port = re.search(r"--port[= ]([0-9]{1,5})", command)
        if port is not None and _port(port.group(1)) is not None:
            service.ports.append(Found(value=int(port.group(1)), source=cited))
        if "$PORT" in command:
            service.doubt("ports", f"{cited.file}:{number} listens on $PORT; give its port")
        found.append(service)
    return found


def read_pyproject(tree: Tree, path: Path, load_yaml: _YamlLoad | None) -> list[Service]:
    del load_yaml
    read = _file(tree, path)
    text, rel, here = read.text, read.rel, read.here
    try:
        document = _toml.loads(text)
    except _toml.TOMLDecodeError:
        return []
    project = document.get("project")
    scripts = project.get("scripts") if isinstance(project, dict) else None
    found: list[Service] = []
    for name, target in scripts.items() if isinstance(scripts, dict) else ():
        if not isinstance(target, str):
            continue
        module = target.split(":", 1)[0].strip()
        cited = Source(file=rel.as_posix(), line=_line_of(text, name), text=f"[project.scripts] {_quote(name)}")
        service = Service(kind="pyproject", name=name, origin=cited)
        bases = [b for b in (here, f"{here}/src" if here else "src", "") if b is not None]
        _set_command(tree, service, ("python", "-m", module), cited, bases)
        if service.entrypoint is not None and service.cmd is not None:
            service.uncertain.pop("cmd", None)
            service.doubt(
                "cmd",
                f"the script runs {_quote(target)}; `python -m {_quote(module)}` runs the module, "
                "check it calls that function",
            )
        found.append(service)
    return found


def _has_main_block(text: str | bytes) -> int:
    """The line of a top-level ``if __name__ == "__main__":``, or 0 (the file is parsed, never run)."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return 0
    for node in module.body:
        test = node.test if isinstance(node, ast.If) else None
        if (
            isinstance(test, ast.Compare)
            and isinstance(test.left, ast.Name)
            and test.left.id == "__name__"
            and len(test.comparators) == 1
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__"
        ):
            return node.lineno
    return 0


def read_main(tree: Tree, path: Path, load_yaml: _YamlLoad | None) -> list[Service]:
    del load_yaml
    data = _bytes(tree, path)  # bytes: ast.parse honours the file's PEP 263 coding declaration
    if b"__main__" not in data:
        return []
    line = _has_main_block(data)
    if not line:
        return []
    rel = PurePosixPath(tree.rel(path))
    stem = rel.parent.name if rel.name in ("__main__.py", "app.py", "main.py", "server.py") else rel.stem
    cited = Source(file=rel.as_posix(), line=line, text='if __name__ == "__main__":')
    service = Service(kind="main", name=_service_name(stem), origin=cited)
    service.entrypoint = Found(value=rel.as_posix(), source=cited)
    service.doubt("ports", "found by its __main__ block only: no source gives its ports")
    return [service]


READERS: Mapping[Kind, Callable[[Tree, Path, _YamlLoad | None], list[Service]]] = {
    "startup": read_startup,
    "compose": read_compose,
    "kubernetes": read_kubernetes,
    "dockerfile": read_dockerfile,
    "procfile": read_procfile,
    "pyproject": read_pyproject,
    "main": read_main,
}


def read_source(kind: Kind, tree: Tree, path: Path, load_yaml: _YamlLoad | None) -> list[Service]:
    if kind in YAML_KINDS and load_yaml is None:
        raise ConfigError([Problem(tree.shown(path), "is YAML; reading it needs PyYAML")])
    try:
        return READERS[kind](tree, path, load_yaml)
    except UnreadableError as exc:
        origin = Source(file=tree.rel(path))
        return [Service(kind=kind, name=path.name, origin=origin, uncertain={"file": f"{printable(str(exc))}"})]
