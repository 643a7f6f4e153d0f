"""Where an agent's imports resolve: CPython's path finder over the agent's ``sys.path``, statically.

The input is the project tree, the agent's command line and the ``sys.path`` edits of its files:

* ``sys.path[0]`` is the entrypoint's directory for ``python path/to/agent.py`` and the working
  directory (the project root) for ``python -m pkg.agent`` (``run_mode``); the project's
  ``source_roots`` follow (they are ``PYTHONPATH`` in the image), see ``entry_roots``;
* ``sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))`` and its ``pathlib`` forms
  add a root for the rest of that file and for what it imports (``roots_at``); a ``pathlib.Path``
  entry that is not wrapped in ``str()`` is ignored, as Python's import system ignores it;
* in each root a regular package (``pkg/__init__.py``) wins over ``pkg.py``, which wins over a
  namespace portion (a directory without ``__init__.py``); a directory holding no Python file at
  all (``docker/`` full of Dockerfiles) does not make ``import docker`` first-party (``Finder``).

What resolves nowhere is stdlib when ``stdlib_modules`` of the agent's *target* Python (from
``stdlib-list``) holds its top-level name; ``STARTUP_MODULES`` are in ``sys.modules`` before any
user code runs, so no ``sys.path`` edit can shadow them. The file system is only listed, never
imported from, and each listing is read once per run; only the tree under the project root is
searched (the image holds nothing else), and what is not followed is reported (``Finder.skipped``).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from depmin.errors import DepminError
from depmin.manifest import Agent, Fleet
from depmin.scanning.results import RunMode
from depmin.scanning.sites import PathEdit
from depmin.scanning.tree import (
    SKIP_DIRS,
    NotReadError,
    RealPaths,
    SourceFiles,
    Tree,
    has_control,
    printable,
    source_files,
)

__all__ = [
    "STARTUP_MODULES",
    "Finder",
    "Module",
    "SearchPath",
    "absolute_name",
    "edits_above",
    "entry_roots",
    "module_of",
    "python_files",
    "roots_at",
    "run_mode",
    "stdlib_modules",
    "unique",
]

_PYTHONS = ("python", "python3")
# Modules in sys.modules before any user code runs (compiled in, frozen, or imported by `site` at
# start-up): a later sys.path edit cannot shadow them, whatever directories it adds.
STARTUP_MODULES = frozenset(
    {
        "sys", "builtins", "marshal", "posix", "time", "zipimport", "_imp", "_io", "_thread", "_warnings",
        "_weakref", "_abc", "_codecs", "_signal", "_frozen_importlib", "_frozen_importlib_external",
        "abc", "codecs", "encodings", "io", "os", "stat", "posixpath", "genericpath", "_collections_abc",
        "_sitebuiltins", "site",
    }
)  # fmt: skip


@cache
def stdlib_modules(python: str) -> frozenset[str]:
    """Top-level standard-library modules of the *target* Python ("3.10" … "3.13")."""
    from stdlib_list import short_versions, stdlib_list  # noqa: PLC0415 - slow import, used once

    if python not in short_versions:
        known = ", ".join(v for v in short_versions if v.startswith("3."))
        raise DepminError(f"no standard-library list for Python {python}; use one of {known}")
    return frozenset(name.split(".")[0] for name in stdlib_list(python)) | STARTUP_MODULES


def python_files(root: Path) -> list[Path]:
    """Every ``*.py`` under ``root``, skipping VCS, virtual-environment, cache and hidden directories,
    never entering a symlinked directory (:func:`depmin.scanning.tree.source_files`)."""
    return list(source_files(Tree.at(root)).files)


def module_of(rel: str) -> str:
    """The module a file under its ``sys.path`` root is imported as: ``pkg/app.py`` -> ``pkg.app``,
    and a package's ``pkg/__init__.py`` -> ``pkg`` (``pkg.__init__`` would be a second copy)."""
    dotted = posixpath.splitext(rel)[0].replace("/", ".")
    return dotted.removesuffix(".__init__") if dotted != "__init__" else dotted


def run_mode(agent: Agent) -> tuple[RunMode, str | None]:
    """``("module", "pkg.app")`` for ``python -m pkg.app`` or ``uvicorn pkg.app:app`` (``uvicorn pkg:app``
    when the entrypoint is ``pkg/__init__.py``); ``("script", None)`` for ``python path/to/app.py``
    (the default)."""
    dotted = module_of(agent.entrypoint)
    cmd = agent.cmd or ()
    if len(cmd) >= 3 and posixpath.basename(cmd[0]) in _PYTHONS and cmd[1] == "-m":
        return "module", cmd[2]
    if cmd and posixpath.basename(cmd[0]) not in _PYTHONS:
        for arg in cmd[1:]:
            if arg.partition(":")[0] == dotted:
                return "module", dotted
    return "script", None


def entry_roots(fleet: Fleet, agent: Agent, mode: RunMode) -> tuple[Path, ...]:
    """The ``sys.path`` the entrypoint starts with: ``sys.path[0]``, then the source roots."""
    root = fleet.project.root
    first = (root / agent.entrypoint).parent if mode == "script" else root
    return unique((first, *((root / r).resolve() for r in fleet.project.source_roots)))


def index_of(root: Path, files: Iterable[Path]) -> dict[str, str]:
    """Each module or package name of ``files`` (``source_files`` of ``root``) and the first file that has it."""
    index: dict[str, str] = {}
    for path in files:
        stem = path.parent.name if path.name == "__init__.py" else path.stem
        index.setdefault(stem, path.relative_to(root).as_posix())
    return index


def identity_of(directory: Path) -> tuple[int, int] | None:
    """``directory``'s ``(st_dev, st_ino)``, None when it cannot be stat-ed."""
    try:
        info = directory.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


@dataclass(frozen=True, kw_only=True, slots=True)
class SearchPath:
    """``sys.path`` at one line of a file, after the file's own edits above that line."""

    roots: tuple[Path, ...]
    ignored: tuple[Path, ...]  # pathlib.Path entries, which the import system skips
    added: tuple[Path, ...]  # the str entries the edits put on it, in order


def roots_at(file: Path, roots: tuple[Path, ...], edits: Sequence[PathEdit], line: int) -> SearchPath:
    """``roots`` (``sys.path`` when ``file`` starts running) changed by the edits before ``line``."""
    ignored: list[Path] = []
    added: list[Path] = []
    for edit in edits:
        if edit.line >= line:
            break
        target = _edit_target(file, edit.path)
        if not edit.str_entry:
            ignored.append(target)
            continue
        roots = unique((target, *roots)) if edit.position == "insert" else unique((*roots, target))
        added.append(target)
    return SearchPath(roots=roots, ignored=tuple(ignored), added=tuple(added))


def edits_above(edits: Sequence[PathEdit], line: int) -> int:
    """How many of ``edits`` :func:`roots_at` applies for an import at ``line``."""
    return next((count for count, edit in enumerate(edits) if edit.line >= line), len(edits))


@lru_cache(maxsize=1 << 16)
def _edit_target(file: Path, path: str) -> Path:
    """The directory an edit of ``file`` names: one object per (file, edit), so the search paths
    built from it compare and hash by identity first."""
    return Path(posixpath.normpath((file.parent / path).as_posix()))


def absolute_name(package: str, level: int, module: str) -> str | None:
    """``from ..x import y`` (``level`` 2, ``module`` ``"x"``) in ``package`` ``"a.b"`` -> ``"a.x"``;
    None when the dots climb beyond the top-level package."""
    parts = package.split(".") if package else []
    if level - 1 > len(parts) or (level - 1 == len(parts) and not module):
        return None
    base = ".".join(parts[: len(parts) - (level - 1)])
    return ".".join(p for p in (base, module) if p)


def unique(paths: Iterable[Path]) -> tuple[Path, ...]:
    """``paths`` without repeats, first occurrence kept (as ``sys.path`` is searched)."""
    return tuple(dict.fromkeys(paths))


@dataclass(frozen=True, kw_only=True, slots=True)
class Module:
    """A module as the path finder finds it."""

    name: str
    file: Path | None  # None for a namespace package
    search: tuple[Path, ...]  # where its submodules live (empty for a plain module)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Listing:
    files: frozenset[str]  # every entry that is not a directory (a FIFO too: reading it says why not)
    dirs: frozenset[str]
    refused: frozenset[str]  # a control character in the name, or a symlink that leads out of the root


_NOTHING = _Listing(files=frozenset(), dirs=frozenset(), refused=frozenset())


class Finder:
    """Python's path finder over a fixed tree, with directory listings cached for the run.

    Only ``tree`` is searched. A ``sys.path`` directory that resolves outside its root lists as
    empty; an entry whose name holds a control character, or a symlink leading out of the root, is
    not followed, yet an import naming it resolves to it, so that reading it reports why
    (:meth:`~depmin.scanning.tree.Tree.read`). The search for Python files below a directory
    enters each real directory once, whatever symlinks lead to it. Each refusal is in ``skipped``.
    """

    def __init__(self, tree: Tree | None = None, *, listed: SourceFiles | None = None) -> None:
        self.tree = tree or Tree.at(Path(os.sep))
        self._listed = listed  # source_files(tree), when the caller listed it already
        self._listings: dict[Path, _Listing] = {}
        # Listed for names_at only: the listing and what reading it regularly would add to skipped.
        self._raw: dict[Path, tuple[_Listing, dict[Path, str]]] = {}
        self._names: dict[Path, frozenset[str]] = {}
        self._tops: dict[Path, frozenset[str]] = {}
        self._interned: dict[Path, Path] = {}
        self._has_python: dict[tuple[int, int], bool] = {}  # by (st_dev, st_ino): each directory once
        self._holds_at: dict[Path, bool] = {}
        self._index: dict[Path, dict[str, str]] = {}
        self._found: dict[tuple[str, tuple[Path, ...]], Module | None] = {}
        self._skipped: dict[Path, str] = {}
        self._escapes: dict[Path, NotReadError | None] = {}
        self._real = RealPaths()
        self.rels: dict[Path, str] = {}  # file -> path relative to the root, shared by the walks
        # What the search read of the tree, for depmin.scanning.scan_record: each listing, in order,
        # with the paths it reports as skipped; each directory's identity (None: it cannot be stat-ed).
        self.lists: dict[Path, tuple[_Listing, dict[Path, str]]] = {}
        self.identities: dict[Path, tuple[int, int] | None] = {}

    @property
    def skipped(self) -> tuple[str, ...]:
        """What the search did not follow, one message each, sorted."""
        return tuple(sorted(set(self._skipped.values())))

    def interned(self, path: Path) -> Path:
        """The first ``Path`` equal to ``path`` this finder saw: equal paths of every agent's walk
        are then one object, which dictionaries compare by identity first."""
        return self._interned.setdefault(path, path)

    def checked(self, path: Path) -> Path:
        """``path``, or raise :class:`NotReadError` when the tree refuses it (out of the root, a
        control character); memoised, as every agent that reaches a file checks it."""
        if path not in self._escapes:
            self._escapes[path] = self.tree.escape(path, real=self._real(path))
        refused = self._escapes[path]
        if refused is not None:
            raise refused.with_traceback(None)
        return path

    def listing(self, directory: Path) -> tuple[frozenset[str], frozenset[str]]:
        """The file names and the directory names in ``directory`` (none when it cannot be listed)."""
        found = self._entries(directory)
        return found.files, found.dirs

    def _entries(self, directory: Path) -> _Listing:
        found = self._listings.get(directory)
        if found is None:
            listed = self._raw.pop(directory, None) or self._list(directory)
            self._skipped.update(listed[1])
            found = self._listings[directory] = listed[0]
        return found

    def _list(self, directory: Path) -> tuple[_Listing, dict[Path, str]]:
        """The listing of ``directory``, and each path a search through it reports as skipped."""
        listed = self.lists[directory] = self.read_listing(directory)
        return listed

    def read_listing(self, directory: Path) -> tuple[_Listing, dict[Path, str]]:
        """:meth:`_list` from the file system, not memoised and not recorded."""
        skips: dict[Path, str] = {}
        if not self.tree.inside(directory):
            if directory.is_dir():  # on sys.path through an edit: what the image holds is the root only
                where = printable(os.path.realpath(directory))
                why = f"a sys.path directory outside the project root ({where}), not searched"
                fix = "move the code it holds into the project, or fix the sys.path edit"
                skips[directory] = self.tree.skipped(directory, f"{why}; {fix}")
            return _NOTHING, skips
        files: set[str] = set()
        dirs: set[str] = set()
        refused: set[str] = set()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    name = entry.name
                    if has_control(name) or (entry.is_symlink() and not self.tree.inside(directory / name)):
                        path = directory / name
                        refused.add(name)
                        skips[path] = self.tree.skipped(path, self.tree.escape(path))
                    else:
                        (dirs if entry.is_dir() else files).add(name)
        except OSError:
            pass
        return _Listing(files=frozenset(files), dirs=frozenset(dirs), refused=frozenset(refused)), skips

    def names_at(self, directory: Path) -> frozenset[str] | None:
        """Every name ``find`` could match in ``directory`` (a superset: a package, a module, a
        namespace portion, a refused entry). None while searching ``directory`` would still report a
        skipped path: then the search itself must run, as only it reports that path. Listing it
        here reports nothing."""
        names = self._names.get(directory)
        if names is None:
            found = self._listings.get(directory)
            if found is None:
                raw = self._raw.get(directory)
                if raw is None:
                    raw = self._raw[directory] = self._list(directory)
                if raw[1]:
                    return None
                found = raw[0]
            stems = {n[:-3] for n in found.files | found.refused if n.endswith(".py")}
            names = self._names[directory] = frozenset(stems | found.dirs | found.refused)
        return names

    def elsewhere(self, root: Path, name: str) -> str | None:
        """A first-party module or package called ``name`` anywhere under ``root``, if any."""
        return self.index(root).get(name)

    def index(self, root: Path) -> dict[str, str]:
        """Each module or package name under ``root`` and the first file that has it (memoised;
        from the listing the finder was given when ``root`` is its tree's)."""
        index = self._index.get(root)
        if index is None:
            listed = self._listed if self._listed is not None and root == self.tree.root else None
            files = (listed or source_files(Tree.at(root))).files
            index = self._index[root] = index_of(root, files)
        return index

    def holds_python(self, directory: Path) -> bool:
        """Whether ``directory`` or a directory below it holds a ``*.py`` file."""
        known = self._holds_at.get(directory)
        if known is None:
            known = self._holds_at[directory] = self._holds(directory, ())
        return known

    def _holds(self, directory: Path, chain: tuple[tuple[int, int], ...]) -> bool:
        identity = self.identities[directory] = identity_of(directory)
        if identity is None:
            return False
        known = self._has_python.get(identity)
        if known is None and identity in chain:
            self._skipped[directory] = self.tree.skipped(directory, "a symlink loop; remove the symlink")
            return False
        if known is None:
            files, dirs = self.listing(directory)
            known = any(name.endswith(".py") for name in files) or any(
                self._holds(directory / d, (*chain, identity)) for d in sorted(dirs) if d not in SKIP_DIRS
            )
            self._has_python[identity] = known
        return known

    def indexes(self) -> dict[Path, dict[str, str]]:
        """Each root :meth:`elsewhere` looked in, and the index it made of it (:func:`index_of`)."""
        return self._index

    def refusal(self, path: Path) -> NotReadError | None:
        """What :meth:`checked` would raise for ``path`` now, read again (not memoised)."""
        return self.tree.escape(path, real=self._real(path))

    def escapes(self) -> dict[Path, NotReadError | None]:
        """Each path :meth:`checked` checked, and its refusal."""
        return self._escapes

    def top_names(self, directory: Path) -> frozenset[str]:
        """The top-level names a ``sys.path`` entry ``directory`` makes importable (memoised)."""
        known = self._tops.get(directory)
        if known is None:
            found = self._entries(directory)
            names = {name[:-3] for name in found.files if name.endswith(".py")}
            names.update(d for d in found.dirs if d not in SKIP_DIRS and self.holds_python(directory / d))
            names.update(n.removesuffix(".py") for n in found.refused if n.removesuffix(".py").isidentifier())
            known = self._tops[directory] = frozenset(names)
        return known

    def find(self, name: str, part: str, search: tuple[Path, ...]) -> Module | None:
        """``part`` (the last component of ``name``) in ``search``, as CPython finds it; memoised
        for the run (the tree does not change while depmin reads it, and agents share packages)."""
        key = (name, search)
        if key in self._found:
            return self._found[key]
        found = self._find(name, part, search)
        self._found[key] = found
        return found

    def _find(self, name: str, part: str, search: tuple[Path, ...]) -> Module | None:
        found = self._find_in(name, part, search)
        if found is None:
            return None
        # The same file found through another search path is the same object (see interned).
        file = None if found.file is None else self.interned(found.file)
        return Module(name=name, file=file, search=tuple(self.interned(p) for p in found.search))

    def _find_in(self, name: str, part: str, search: tuple[Path, ...]) -> Module | None:
        portions: list[Path] = []
        for directory in search:
            entries = self._entries(directory)
            files, dirs = entries.files, entries.dirs
            if part in entries.refused:  # reading it reports why it is not followed
                return Module(name=name, file=directory / part, search=())
            if part in dirs:
                package = directory / part
                inner = self._entries(package)
                if "__init__.py" in inner.files | inner.refused:
                    return Module(name=name, file=package / "__init__.py", search=(package,))
            if f"{part}.py" in files | entries.refused:
                return Module(name=name, file=directory / f"{part}.py", search=())
            if part in dirs and self.holds_python(directory / part):
                portions.append(directory / part)
        if portions:
            return Module(name=name, file=None, search=tuple(portions))
        return None

    def resolve(self, dotted: str, roots: tuple[Path, ...]) -> tuple[list[Module], str | None]:
        """Each module along ``dotted`` that resolves, and the first name that does not."""
        found: list[Module] = []
        search: tuple[Path, ...] = roots
        name = ""
        for part in dotted.split("."):
            name = f"{name}.{part}" if name else part
            module = self.find(name, part, search)
            if module is None:
                return found, name
            found.append(module)
            search = module.search
            if not search:
                rest = dotted[len(name) :]
                return found, (dotted if rest else None)
        return found, None
