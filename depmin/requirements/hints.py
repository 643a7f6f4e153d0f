"""Repository hints: what the monorepo's own hand-written requirement files already say.

For each agent, the files of its directory chain (the entrypoint's directory, then each parent up to
the project root, nearest first) are read as text, never run:

* ``requirements*.txt`` and ``requirements*.in``: one requirement a line (``grpcio-health-checking==1.62.1``);
* ``pyproject.toml``: ``[project] dependencies`` (and ``[project.optional-dependencies]``, as extras);
* ``setup.cfg``: ``[options] install_requires`` (and ``[options.extras_require]``, as extras);
* ``Pipfile``: ``[packages]`` (``requests = "*"``, ``grpcio = {version = ">=1.60"}``);
* ``setup.py``: the literal ``install_requires=[...]`` and ``extras_require={...}`` of its ``setup(...)``
  call, read with ``ast`` (the file is parsed, never run; a computed list declares nothing);
* ``requirements/*.txt|.in`` and ``requirements/extras/*.txt|.in`` (the ``requirements/`` directory
  convention): ``base``, ``default``, ``main``, ``prod``, ``production``, ``common``, ``runtime`` and
  ``install`` files declare the run-time dependencies, any other file an extra named by its stem
  (celery's ``requirements/extras/eventlet.txt``; ``test.txt`` is the extra ``test``, and as a
  development environment its pins are no version preference).

They do two things (``project.repository_hints = false`` turns both off):

1. a declared distribution that matches an import by the name rules answers that import when the
   chain could only guess it, when a family rule named it, or when several distributions provide it:
   ``traceloop-sdk`` declared beside ``import traceloop.sdk`` wins over the guessed ``traceloop``. The
   rules, for each dotted prefix of the import that no namespace sits above (``traceloop.sdk``,
   ``traceloop``): the name itself, ``python-X``, ``pyX``, ``X-sdk``, ``X-client``, ``X-python``;
2. a declared range or pin becomes the version range of that distribution's line in
   ``requirements.generated.txt`` (``project.constraints`` wins when it names the distribution),
   with the file and line in the comment, so the lock prefers what the repository wrote;
3. a declaration whose marker is false for the target (``colorama; sys_platform == "win32"``) beside an
   import depmin installs everywhere is reported: the import sits under a condition depmin cannot
   evaluate (httpie's ``if is_windows``), or the repository is wrong;
4. a lazy import whose distribution the files do not declare (or declare only in an extra: flask's
   ``asgiref`` in ``[project.optional-dependencies] async``) is reported by ``generate``, see
   :func:`depmin.requirements.declared.undeclared_note`: it stays installed, and the report names
   ``ignore_imports``.

A line that is not a requirement, a file that does not parse, a URL requirement: skipped. Hostile
text reaches only the comments, where :mod:`depmin.requirements.generated` escapes it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from depmin import _toml
from depmin._names import NormalizedName, canonicalize_name, name_and_extras
from depmin.manifest import Agent, Fleet
from depmin.requirements.tables import NamespaceTable, load_namespaces
from depmin.scanning import Tree

__all__ = ["Declaration", "Hints", "declarations_in", "read_hints"]

_REQUIREMENT_FILE = re.compile(r"requirements[\w.-]*\.(txt|in)")
_OTHER_FILES = ("pyproject.toml", "setup.cfg", "Pipfile", "setup.py")
_REQUIREMENTS_DIRS = ("requirements", "requirements/extras")
_RUNTIME_STEMS = frozenset({"base", "default", "main", "prod", "production", "common", "runtime", "install"})
_AFFIXES = (("", ""), ("python-", ""), ("py", ""), ("", "-sdk"), ("", "-client"), ("", "-python"))


@dataclass(frozen=True, kw_only=True, slots=True)
class Declaration:
    """One distribution a hand-written file declares: ``traceloop-sdk>=0.30`` at ``svc/requirements.in:3``."""

    distribution: NormalizedName
    specifier: str  # ">=0.30" or ""
    file: str  # relative to the project root
    line: int
    extra: str | None = None  # declared only for this extra (``[project.optional-dependencies] async``)
    marker: str | None = None  # the declaration's environment marker: ``sys_platform == "win32"``
    # from requirements/<stem>.txt other than the run-time stems (dev.txt, test.txt): often a pinned
    # development environment, so its pins are no version preference for the service
    development: bool = False

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Hints:
    """An agent's declarations, nearest file first; the first declaration of a name counts."""

    declarations: tuple[Declaration, ...] = ()

    def declared(self, distribution: str) -> Declaration | None:
        name = canonicalize_name(distribution)
        return next((d for d in self.declarations if d.distribution == name), None)

    def required(self, distribution: str) -> Declaration | None:
        """The nearest declaration of ``distribution`` outside any extra, or None."""
        name = canonicalize_name(distribution)
        return next((d for d in self.declarations if d.distribution == name and d.extra is None), None)

    def for_import(
        self, module: str, *, candidates: Iterable[str] = (), namespaces: NamespaceTable | None = None
    ) -> Declaration | None:
        """The declaration that answers ``module`` by the name rules, or None. ``candidates`` (the
        chain's own answers: a family rule's name, an ambiguous import's candidates) are tried first."""
        for name in (*candidates, *_names(module, namespaces or load_namespaces())):
            found = self.declared(name)
            if found is not None:
                return found
        return None

    def ranges(self) -> dict[NormalizedName, Declaration]:
        """Every declared distribution with a range, by the nearest declaration that is not a
        development environment's (``requirements/dev.txt``)."""
        found: dict[NormalizedName, Declaration] = {}
        for declaration in self.declarations:
            if not declaration.development:
                found.setdefault(declaration.distribution, declaration)
        return {name: d for name, d in found.items() if d.specifier and not d.development}


def _names(module: str, namespaces: NamespaceTable) -> list[str]:
    parts = module.split(".")
    prefixes = [".".join(parts[:end]) for end in range(len(parts), 0, -1)]
    names: list[str] = []
    for prefix in prefixes:
        if namespaces.blocking(prefix, module) is not None or prefix in namespaces.names:
            break  # a namespace's own name says nothing about who provides a module under it
        base = canonicalize_name(prefix.strip("_") or prefix)
        names.extend(f"{before}{base}{after}" for before, after in _AFFIXES)
    return names


def read_hints(fleet: Fleet, agents: Iterable[Agent]) -> dict[str, Hints]:
    """Each agent's hints, read through the project's :class:`~depmin.scanning.Tree` (regular files
    inside the root under the size cap); empty when ``project.repository_hints`` is false."""
    if not fleet.project.repository_hints:
        return {agent.name: Hints() for agent in agents}
    tree = Tree.of(fleet.project)
    cache: dict[Path, tuple[Declaration, ...]] = {}
    hints = {}
    for agent in agents:
        found: list[Declaration] = []
        for directory in _chain(fleet.project.root, (fleet.project.root / agent.entrypoint).parent):
            if directory not in cache:
                cache[directory] = _directory(tree, directory)
            found.extend(cache[directory])
        hints[agent.name] = Hints(declarations=tuple(found))
    return hints


def _chain(root: Path, directory: Path) -> list[Path]:
    chain = []
    while directory == root or root in directory.parents:
        chain.append(directory)
        if directory == root:
            break
        directory = directory.parent
    return chain


def _directory(tree: Tree, directory: Path) -> tuple[Declaration, ...]:
    try:
        names = sorted(entry.name for entry in directory.iterdir())
    except OSError:
        return ()
    wanted = [name for name in names if _REQUIREMENT_FILE.fullmatch(name) or name in _OTHER_FILES]
    found: list[Declaration] = []
    for name in wanted:
        found.extend(_read(tree, directory / name, name))
    for folder in _REQUIREMENTS_DIRS:
        try:
            listed = sorted(
                entry.name for entry in (directory / folder).iterdir() if entry.name.endswith((".txt", ".in"))
            )
        except OSError:
            continue
        for name in listed:
            stem = name.rsplit(".", 1)[0]
            runtime = stem.lower() in _RUNTIME_STEMS and folder == "requirements"
            development = folder == "requirements" and not runtime
            for declaration in _read(tree, directory / folder / name, "requirements.txt"):
                found.append(replace(declaration, extra=None if runtime else stem, development=development))
    return tuple(found)


def _read(tree: Tree, path: Path, name: str) -> list[Declaration]:
    try:
        text = tree.read(path).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # not a regular file inside the root, too large, or not text: not a hint
    return declarations_in(name, tree.rel(path), text)


def declarations_in(name: str, shown: str, text: str) -> list[Declaration]:
    """The declarations of one file's ``text``; ``name`` is its file name (which format), ``shown``
    its path in messages. A file that does not parse declares nothing."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines: list[tuple[int, str, str | None]]
    if name == "pyproject.toml":
        lines = [(n, t, None) for n, t in _toml_list(text, ("project", "dependencies"))] + _toml_extras(text)
    elif name == "Pipfile":
        lines = [(n, t, None) for n, t in _pipfile(text)]
    elif name == "setup.cfg":
        lines = _setup_cfg(text)
    elif name == "setup.py":
        lines = _setup_py(text)
    else:
        lines = [(number, line.split(" #", 1)[0], None) for number, line in enumerate(text.split("\n"), start=1)]
    found = []
    for number, line, extra in lines:
        declaration = _declaration(line.strip(), shown, number, extra)
        if declaration is not None:
            found.append(declaration)
    return found


def _declaration(text: str, shown: str, line: int, extra: str | None = None) -> Declaration | None:
    if not text or text.startswith(("#", "-")):
        return None
    simple = name_and_extras(text)  # a bare name (``redis``, ``uvicorn[standard]``): read without packaging
    if simple is not None:
        return Declaration(distribution=canonicalize_name(simple[0]), specifier="", file=shown, line=line, extra=extra)
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415 - imports packaging.tags (depmin._names)

    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    if requirement.url:
        return None
    return Declaration(
        distribution=canonicalize_name(requirement.name),
        specifier=str(requirement.specifier),
        file=shown,
        line=line,
        extra=extra,
        marker=None if requirement.marker is None else str(requirement.marker),
    )


def _line_of(text: str, needle: str) -> int:
    """The 1-based line of the first occurrence of ``needle`` in ``text`` (1 when absent)."""
    at = text.find(needle)
    return 1 if at < 0 else text.count("\n", 0, at) + 1


def _toml_list(text: str, keys: tuple[str, ...]) -> list[tuple[int, str]]:
    try:
        value: object = _toml.loads(text)
    except ValueError:
        return []
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    if not isinstance(value, list):
        return []
    return [(_line_of(text, item), item) for item in value if isinstance(item, str)]


def _toml_extras(text: str) -> list[tuple[int, str, str | None]]:
    """``[project.optional-dependencies]``: each extra's requirement lines, extras in name order."""
    try:
        value: object = _toml.loads(text).get("project")
    except ValueError:
        return []
    extras = value.get("optional-dependencies") if isinstance(value, Mapping) else None
    if not isinstance(extras, Mapping):
        return []
    return [
        (_line_of(text, item), item, str(extra))
        for extra, items in sorted(extras.items())
        if isinstance(items, list)
        for item in items
        if isinstance(item, str)
    ]


def _setup_py(text: str) -> list[tuple[int, str, str | None]]:
    """The literal ``install_requires`` and ``extras_require`` keywords of ``setup(...)`` calls."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found: list[tuple[int, str, str | None]] = []
    for node in ast.walk(module):
        if not isinstance(node, ast.Call) or _called(node.func) not in ("setup", "setuptools.setup"):
            continue
        for keyword in node.keywords:
            if keyword.arg == "install_requires":
                found.extend((line, item, None) for line, item in _strings(keyword.value))
            elif keyword.arg == "extras_require" and isinstance(keyword.value, ast.Dict):
                for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        found.extend((line, item, key.value) for line, item in _strings(value))
    return found


def _called(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return None


def _strings(node: ast.expr) -> list[tuple[int, str]]:
    """The string constants of a list or tuple literal, with their lines; nothing for anything else."""
    if not isinstance(node, ast.List | ast.Tuple):
        return []
    return [(e.lineno, e.value) for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _pipfile(text: str) -> list[tuple[int, str]]:
    try:
        packages = _toml.loads(text).get("packages")
    except ValueError:
        return []
    if not isinstance(packages, Mapping):
        return []
    found = []
    for name, value in packages.items():
        version = value.get("version", "") if isinstance(value, Mapping) else value
        if isinstance(name, str) and isinstance(version, str):
            found.append((_line_of(text, name), name + ("" if version.strip() == "*" else version)))
    return found


def _setup_cfg(text: str) -> list[tuple[int, str, str | None]]:
    """``[options] install_requires``, then ``[options.extras_require]`` (each extra, in name order)."""
    import configparser  # noqa: PLC0415 - only for a setup.cfg (start-up time of every scan)

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
        sections: list[tuple[str | None, str]] = [(None, parser.get("options", "install_requires", fallback=""))]
        if parser.has_section("options.extras_require"):
            sections += sorted(parser.items("options.extras_require"))
    except configparser.Error:
        return []
    return [
        (_line_of(text, line.strip()), line.strip(), extra)
        for extra, value in sections
        for line in value.splitlines()
        if line.strip()
    ]
