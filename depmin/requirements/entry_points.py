"""The repository's own entry points: the first-party modules a plugin host loads by name.

A project that registers plugins declares them (``pyproject.toml``'s ``[project.entry-points."keyring.backends"]``,
``SecretService = "keyring.backends.SecretService"``; ``setup.cfg``'s ``[options.entry_points]``), and the
host finds them with ``importlib.metadata.entry_points(group=...)``: no import statement names them, so
the walk cannot reach them unless ``agents.<Name>.entry_modules`` does. The files of each agent's
directory chain are read as text (as :mod:`depmin.requirements.hints` reads requirement files), never
run; console and GUI scripts are left out (they start agents rather than plug into one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from depmin import _toml
from depmin.manifest import Agent, Fleet
from depmin.scanning import Tree

__all__ = ["EntryPoint", "entry_points_in", "read_entry_points"]

_SCRIPTS = frozenset({"console_scripts", "gui_scripts", "scripts", "gui-scripts"})


@dataclass(frozen=True, kw_only=True, slots=True, order=True)
class EntryPoint:
    """``keyring.backends.SecretService`` in the group ``keyring.backends`` at ``pyproject.toml:93``."""

    module: str
    group: str
    file: str
    line: int
    path: str = ""  # the module's first-party file under a source root ("" until resolved)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def read_entry_points(fleet: Fleet, agents: Iterable[Agent]) -> dict[str, tuple[EntryPoint, ...]]:
    """Each agent's entry points from the ``pyproject.toml`` and ``setup.cfg`` of its directory chain;
    none when ``project.repository_hints`` is false."""
    agents = list(agents)
    if not fleet.project.repository_hints:
        return {agent.name: () for agent in agents}
    tree = Tree.of(fleet.project)
    root = fleet.project.root
    found: dict[str, tuple[EntryPoint, ...]] = {}
    cache: dict[Path, tuple[EntryPoint, ...]] = {}
    for agent in agents:
        points: list[EntryPoint] = []
        directory = (root / agent.entrypoint).parent
        while directory == root or root in directory.parents:
            if directory not in cache:
                cache[directory] = tuple(_directory(tree, directory))
            points.extend(cache[directory])
            if directory == root:
                break
            directory = directory.parent
        found[agent.name] = tuple(_resolved(fleet, points))
    return found


def _resolved(fleet: Fleet, points: Iterable[EntryPoint]) -> list[EntryPoint]:
    """The entry points whose module is a first-party file under a source root, with that file."""
    root = fleet.project.root
    found = []
    for point in points:
        parts = point.module.split(".")
        for source in fleet.project.source_roots:
            base = root.joinpath(source, *parts)
            path = next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)
            if path is not None and (path.resolve() == root.resolve() or root.resolve() in path.resolve().parents):
                found.append(replace(point, path=path.relative_to(root).as_posix()))
                break
    return found


def _directory(tree: Tree, directory: Path) -> list[EntryPoint]:
    points: list[EntryPoint] = []
    for name in ("pyproject.toml", "setup.cfg"):
        path = directory / name
        if not path.is_file():
            continue
        try:
            text = tree.read(path).decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        points.extend(entry_points_in(name, tree.rel(path), text))
    return points


def entry_points_in(name: str, shown: str, text: str) -> list[EntryPoint]:
    """The plugin entry points of one file's ``text`` (``name`` says the format), sorted; none when it
    does not parse."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    groups = _pyproject(text) if name == "pyproject.toml" else _setup_cfg(text)
    found = set()
    for group, values in groups.items():
        if group in _SCRIPTS:
            continue
        for value in values:
            module = value.split(":")[0].strip()
            if module and all(part.isidentifier() for part in module.split(".")):
                found.add(EntryPoint(module=module, group=group, file=shown, line=_line_of(text, value)))
    return sorted(found)


def _pyproject(text: str) -> dict[str, list[str]]:
    try:
        project = _toml.loads(text).get("project")
    except ValueError:
        return {}
    table = project.get("entry-points") if isinstance(project, Mapping) else None
    if not isinstance(table, Mapping):
        return {}
    return {
        str(group): [value for value in entries.values() if isinstance(value, str)]
        for group, entries in table.items()
        if isinstance(entries, Mapping)
    }


def _setup_cfg(text: str) -> dict[str, list[str]]:
    import configparser  # noqa: PLC0415 - only for a setup.cfg (start-up time of every generate and check)

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
        section = dict(parser.items("options.entry_points")) if parser.has_section("options.entry_points") else {}
    except configparser.Error:
        return {}
    found: dict[str, list[str]] = {}
    for group, body in section.items():
        for line in body.splitlines():
            _, equals, value = line.partition("=")
            if equals and value.strip():
                found.setdefault(group, []).append(value.strip())
    return found


def _line_of(text: str, needle: str) -> int:
    at = text.find(needle)
    return 1 if at < 0 else text.count("\n", 0, at) + 1
