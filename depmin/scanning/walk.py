"""Each agent's first-party source graph, walked from its entrypoint the way Python imports.

Resolution follows CPython's path finder over the agent's ``sys.path``:

* ``sys.path[0]`` is the entrypoint's directory for ``python path/to/agent.py`` and the working
  directory (the project root) for ``python -m pkg.agent``; the project's ``source_roots`` follow
  (they are ``PYTHONPATH`` in the image);
* ``sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))`` and its ``pathlib`` forms
  add a root for the rest of that file and for what it imports; a ``pathlib.Path`` entry that is
  not wrapped in ``str()`` is ignored, as Python's import system ignores it;
* in each root a regular package (``pkg/__init__.py``) wins over ``pkg.py``, which wins over a
  namespace portion (a directory without ``__init__.py``); a directory holding no Python file at
  all (``docker/`` full of Dockerfiles) does not make ``import docker`` first-party;
* every parent package's ``__init__.py`` runs on import, so its imports count, and
  ``from pkg import name`` follows ``name`` when it is a submodule.

Everything that does not resolve is stdlib (for the agent's *target* Python, from
``stdlib-list``), missing first-party (its top-level name is first-party), or third-party.

Kinds propagate as the weakest link of the best chain: a third-party import is ``required`` only
if a chain of required edges reaches it from the entrypoint; reached only through a guarded import
it is ``optional``; only through a function body, ``lazy``; only under ``TYPE_CHECKING``,
``type_only``. Conditional markers are those of the import site itself.
"""

from __future__ import annotations

import heapq
import os
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from depmin.errors import DepminError
from depmin.manifest.fleet import Agent, Fleet
from depmin.scanning.cache import Sources
from depmin.scanning.extract import FileImports, ImportSite

__all__ = [
    "KINDS",
    "AgentScan",
    "ExternalImport",
    "Hop",
    "ImportRecord",
    "ModuleUse",
    "RecoveredFile",
    "Unresolved",
    "python_files",
    "scan_agent",
    "stdlib_modules",
    "why",
]

KINDS = ("required", "lazy", "optional", "type_only")
_PYTHONS = ("python", "python3")
# Modules in sys.modules before any user code runs (compiled in, frozen, or imported by `site` at
# start-up): a later sys.path edit cannot shadow them, whatever directories it adds.
_BUILTIN = frozenset(
    {
        "sys", "builtins", "marshal", "posix", "time", "zipimport", "_imp", "_io", "_thread", "_warnings",
        "_weakref", "_abc", "_codecs", "_signal", "_frozen_importlib", "_frozen_importlib_external",
        "abc", "codecs", "encodings", "io", "os", "stat", "posixpath", "genericpath", "_collections_abc",
        "_sitebuiltins", "site",
    }
)  # fmt: skip
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Hop:
    """One import on a chain: ``file:line`` imports ``module``."""

    file: str
    line: int
    module: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} imports {self.module}"


@dataclass(frozen=True, kw_only=True, slots=True)
class ModuleUse:
    """One dotted name under a third-party top-level (``google.cloud.storage``) and its own kind:
    namespace packages map each dotted name to its own distribution."""

    module: str
    kind: str
    marker: str | None
    dynamic: bool
    first: Hop


@dataclass(frozen=True, kw_only=True, slots=True)
class ExternalImport:
    """A third-party top-level module an agent reaches, with its propagated kind (the best of
    its dotted names)."""

    module: str
    kind: str
    marker: str | None
    dynamic: bool
    first: Hop
    modules: tuple[str, ...]
    sites: tuple[Hop, ...]
    uses: tuple[ModuleUse, ...] = ()

    def use(self, dotted: str) -> ModuleUse:
        """The use of ``dotted`` (one of ``modules``), or the top-level's own summary."""
        found = next((u for u in self.uses if u.module == dotted), None)
        if found is not None:
            return found
        return ModuleUse(module=dotted, kind=self.kind, marker=self.marker, dynamic=self.dynamic, first=self.first)


@dataclass(frozen=True, kw_only=True, slots=True)
class Unresolved:
    """An import that should be first-party but does not resolve, and why."""

    module: str
    kind: str
    site: Hop
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class RecoveredFile:
    file: str
    error: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportRecord:
    """Every import site in the closure, classified."""

    file: str
    line: int
    module: str
    level: int
    kind: str
    category: str  # first-party | stdlib | third-party | missing | unresolved
    recovered: bool
    target: str | None = None  # the first-party file it resolved to


@dataclass(frozen=True, kw_only=True, slots=True)
class AgentScan:
    """What ``depmin scan`` knows about one agent."""

    agent: str
    entrypoint: str
    python: str
    run_mode: str  # "script" (python path/to/file.py) or "module" (python -m, uvicorn pkg.mod:app)
    run_problems: tuple[str, ...]
    files: tuple[str, ...]
    third_party: tuple[ExternalImport, ...]
    stdlib: tuple[str, ...]
    missing: tuple[Unresolved, ...]
    unresolved: tuple[Unresolved, ...]
    recovered: tuple[RecoveredFile, ...]
    notes: tuple[str, ...]
    errors: tuple[str, ...]
    imports: tuple[ImportRecord, ...]
    via: Mapping[str, Hop] = field(repr=False)  # first-party file -> the import that brought it in

    @property
    def ok(self) -> bool:
        return not self.errors


@cache
def stdlib_modules(python: str) -> frozenset[str]:
    """Top-level standard-library modules of the *target* Python ("3.10" … "3.13")."""
    from stdlib_list import short_versions, stdlib_list  # noqa: PLC0415 - slow import, used once

    if python not in short_versions:
        known = ", ".join(v for v in short_versions if v.startswith("3."))
        raise DepminError(f"no standard-library list for Python {python}; use one of {known}")
    return frozenset(name.split(".")[0] for name in stdlib_list(python)) | _BUILTIN


def python_files(root: Path) -> list[Path]:
    """Every ``*.py`` under ``root``, skipping VCS, virtual-environment and cache directories."""
    found: list[Path] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        found.extend(Path(directory, name) for name in sorted(files) if name.endswith(".py"))
    return found


def why(scan: AgentScan, module: str) -> tuple[Hop, ...] | None:
    """The chain of imports from the entrypoint that brings ``module`` (a third-party or
    first-party module, or a first-party file) into the agent; None when it is not reachable."""
    for external in scan.third_party:
        if module == external.module or module in external.modules:
            return (*_chain(scan, external.first.file), external.first)
    if module in scan.files:
        return _chain(scan, module)
    for record in scan.imports:  # a module name: the file it resolved to, by its best chain
        if record.category == "first-party" and record.module == module and record.target is not None:
            return _chain(scan, record.target)
    return None


def _chain(scan: AgentScan, file: str) -> tuple[Hop, ...]:
    hops: list[Hop] = []
    seen = {file}
    while file in scan.via:
        hop = scan.via[file]
        hops.append(hop)
        if hop.file in seen:
            break
        seen.add(hop.file)
        file = hop.file
    return tuple(reversed(hops))


# -- resolution -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Module:
    name: str
    file: Path | None  # None for a namespace package
    search: tuple[Path, ...]  # where its submodules live (empty for a plain module)


class Finder:
    """Python's path finder over a fixed tree, with directory listings cached for the run."""

    def __init__(self) -> None:
        self._listings: dict[Path, tuple[frozenset[str], frozenset[str]]] = {}
        self._has_python: dict[Path, bool] = {}
        self._index: dict[Path, dict[str, str]] = {}
        self._found: dict[tuple[str, tuple[Path, ...]], _Module | None] = {}
        self.rels: dict[Path, str] = {}  # file -> path relative to the root, shared by the walks

    def listing(self, directory: Path) -> tuple[frozenset[str], frozenset[str]]:
        found = self._listings.get(directory)
        if found is None:
            files: set[str] = set()
            dirs: set[str] = set()
            try:
                with os.scandir(directory) as entries:
                    for entry in entries:
                        (dirs if entry.is_dir() else files).add(entry.name)
            except OSError:
                pass
            found = (frozenset(files), frozenset(dirs))
            self._listings[directory] = found
        return found

    def elsewhere(self, root: Path, name: str) -> str | None:
        """A first-party module or package called ``name`` anywhere under ``root``, if any."""
        index = self._index.get(root)
        if index is None:
            index = {}
            for path in python_files(root):
                stem = path.parent.name if path.name == "__init__.py" else path.stem
                index.setdefault(stem, path.relative_to(root).as_posix())
            self._index[root] = index
        return index.get(name)

    def holds_python(self, directory: Path) -> bool:
        known = self._has_python.get(directory)
        if known is None:
            files, dirs = self.listing(directory)
            known = any(name.endswith(".py") for name in files) or any(
                self.holds_python(directory / d) for d in sorted(dirs) if d not in _SKIP_DIRS
            )
            self._has_python[directory] = known
        return known

    def find(self, name: str, part: str, search: tuple[Path, ...]) -> _Module | None:
        """``part`` (the last component of ``name``) in ``search``, as CPython finds it; memoised
        for the run (the tree does not change while depmin reads it, and agents share packages)."""
        key = (name, search)
        if key in self._found:
            return self._found[key]
        found = self._find(name, part, search)
        self._found[key] = found
        return found

    def _find(self, name: str, part: str, search: tuple[Path, ...]) -> _Module | None:
        portions: list[Path] = []
        for directory in search:
            files, dirs = self.listing(directory)
            if part in dirs:
                package = directory / part
                if "__init__.py" in self.listing(package)[0]:
                    return _Module(name, package / "__init__.py", (package,))
            if f"{part}.py" in files:
                return _Module(name, directory / f"{part}.py", ())
            if part in dirs and self.holds_python(directory / part):
                portions.append(directory / part)
        if portions:
            return _Module(name, None, tuple(portions))
        return None

    def resolve(self, dotted: str, roots: tuple[Path, ...]) -> tuple[list[_Module], str | None]:
        """Each module along ``dotted`` that resolves, and the first name that does not."""
        found: list[_Module] = []
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


# -- the walk -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class _State:
    file: Path
    module: str  # dotted name it was imported as ("__main__" for a script entrypoint)
    roots: tuple[Path, ...]


@dataclass
class _Best:
    """The best (lowest-rank) sighting of a module so far."""

    rank: int
    marker: str | None
    dynamic: bool
    first: Hop

    def see(self, rank: int, marker: str | None, dynamic: bool, hop: Hop) -> None:
        if rank < self.rank:
            self.rank, self.marker, self.dynamic, self.first = rank, marker, dynamic, hop
        elif rank == self.rank:
            self.marker = None if marker is None else self.marker
            self.dynamic = self.dynamic and dynamic


@dataclass
class _Ext:
    """A third-party top-level module: its best sighting, and each dotted name's."""

    best: _Best
    modules: dict[str, _Best] = field(default_factory=dict)
    sites: set[Hop] = field(default_factory=set)


@dataclass
class _Walk:
    """Mutable accumulator of one agent's walk; frozen into an AgentScan at the end."""

    root: Path
    stdlib: frozenset[str]
    finder: Finder
    sources: Sources
    entry_dir: Path
    mode: str
    seq: int = 0
    heap: list[tuple[int, int, _State]] = field(default_factory=list)
    best: dict[_State, int] = field(default_factory=dict)
    done: set[_State] = field(default_factory=set)
    via: dict[str, Hop] = field(default_factory=dict)
    file_rank: dict[str, int] = field(default_factory=dict)
    externals: dict[str, _Ext] = field(default_factory=dict)
    stdlib_used: set[str] = field(default_factory=set)
    missing: dict[tuple[str, str, int], Unresolved] = field(default_factory=dict)
    unresolved: dict[tuple[str, str, int], Unresolved] = field(default_factory=dict)
    recovered: dict[str, RecoveredFile] = field(default_factory=dict)
    notes: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    records: dict[tuple[str, int, str, str], ImportRecord] = field(default_factory=dict)
    run_problems: list[str] = field(default_factory=list)
    first_party_names: set[str] = field(default_factory=set)
    edits: set[Path] = field(default_factory=set)  # every str directory the closure puts on sys.path
    base_roots: tuple[Path, ...] = ()  # the search path the entrypoint starts with
    rels: dict[Path, str] = field(default_factory=dict)

    def rel(self, path: Path) -> str:
        known = self.rels.get(path)
        if known is None:
            try:
                known = path.relative_to(self.root).as_posix()
            except ValueError:
                known = path.as_posix()
            self.rels[path] = known
        return known

    def push(self, state: _State, rank: int, hop: Hop | None) -> None:
        if state in self.done or self.best.get(state, 99) <= rank:
            return
        self.best[state] = rank
        rel = self.rel(state.file)
        if hop is not None and rank < self.file_rank.get(rel, 99):
            self.via[rel] = hop
        self.file_rank[rel] = min(rank, self.file_rank.get(rel, 99))
        self.seq += 1
        heapq.heappush(self.heap, (rank, self.seq, state))


def scan_agent(fleet: Fleet, agent: Agent, sources: Sources, *, finder: Finder | None = None) -> AgentScan:
    """Walk ``agent``'s imports from its entrypoint; never raises for problems in the sources.

    ``sys.path`` is global in a running program: once a module has inserted a directory, later
    imports anywhere can find modules there. The walk therefore runs again with every ``str``
    directory the closure adds appended to the search path, until no new directory appears.
    """
    finder = finder or Finder()
    extra: tuple[Path, ...] = ()
    for _ in range(4):
        walk = _walk(fleet, agent, sources, finder, extra)
        added = tuple(sorted(walk.edits - set(extra) - set(walk.base_roots)))
        if not added:
            break
        extra = (*extra, *added)
    return _freeze(walk, agent, fleet.target_python(agent), walk.mode)


def _walk(fleet: Fleet, agent: Agent, sources: Sources, finder: Finder, extra: tuple[Path, ...]) -> _Walk:
    root = fleet.project.root
    entry = root / agent.entrypoint
    mode, module_name = _run_mode(agent)
    source_roots = tuple((root / r).resolve() for r in fleet.project.source_roots)
    first = entry.parent if mode == "script" else root
    walk = _Walk(
        root=root,
        stdlib=stdlib_modules(fleet.target_python(agent)),
        finder=finder,
        sources=sources,
        entry_dir=entry.parent,
        mode=mode,
        rels=finder.rels,
    )
    roots = _unique((first, *source_roots, *extra))
    walk.base_roots = _unique((first, *source_roots))
    for directory in roots:
        walk.first_party_names.update(_top_names(walk.finder, directory))
    if not entry.is_file():
        walk.errors.append(f"entrypoint {agent.entrypoint} does not exist under {root}")
    else:
        walk.push(_State(entry, module_name or "__main__", roots), 0, None)
        if module_name and "." in module_name:  # `python -m pkg.app` imports pkg first
            parents, _ = walk.finder.resolve(module_name.rpartition(".")[0], roots)
            for parent in parents:
                if parent.file is not None:
                    walk.push(_State(parent.file, parent.name, roots), 0, None)
    while walk.heap:
        rank, _, state = heapq.heappop(walk.heap)
        if state in walk.done:
            continue
        walk.done.add(state)
        _visit(walk, state, rank, is_entry=state.file == entry)
    return walk


def _run_mode(agent: Agent) -> tuple[str, str | None]:
    """``("module", "pkg.app")`` for ``python -m pkg.app`` or ``uvicorn pkg.app:app``;
    ``("script", None)`` for ``python path/to/app.py`` (the default)."""
    dotted = posixpath.splitext(agent.entrypoint)[0].replace("/", ".")
    cmd = agent.cmd or ()
    if len(cmd) >= 3 and posixpath.basename(cmd[0]) in _PYTHONS and cmd[1] == "-m":
        return "module", cmd[2]
    if cmd and posixpath.basename(cmd[0]) not in _PYTHONS:
        for arg in cmd[1:]:
            if arg.partition(":")[0] == dotted:
                return "module", dotted
    return "script", None


def _visit(walk: _Walk, state: _State, rank: int, *, is_entry: bool) -> None:
    rel = walk.rel(state.file)
    try:
        found = walk.sources.get(state.file)
    except OSError as exc:
        walk.errors.append(f"{rel}: cannot read ({exc.strerror or type(exc).__name__})")
        return
    if found.syntax_error is not None:
        error = found.syntax_error
        walk.recovered[rel] = RecoveredFile(file=rel, error=error.message, line=error.line)
    walk.notes.update(f"{rel}: {note}" for note in found.notes)
    for site in found.sites:
        roots, ignored = _roots_at(walk, state, found, site.line)
        _classify(walk, state, rank, site, roots, ignored, is_entry=is_entry)
    _roots_at(walk, state, found, 1 << 30)  # edits after the last import still change sys.path


def _roots_at(walk: _Walk, state: _State, found: FileImports, line: int) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    roots = state.roots
    ignored: list[Path] = []
    for edit in found.path_edits:
        if edit.line >= line:
            break
        target = Path(posixpath.normpath((state.file.parent / edit.path).as_posix()))
        if not edit.str_entry:
            ignored.append(target)
        elif edit.position == "insert":
            roots = _unique((target, *roots))
        else:
            roots = _unique((*roots, target))
        if edit.str_entry:
            walk.edits.add(target)
            walk.first_party_names.update(_top_names(walk.finder, target))
    return roots, tuple(ignored)


def _site_rank(site: ImportSite) -> int:
    if site.type_only:
        return 3
    if site.optional:
        return 2
    return 1 if site.lazy else 0


def _classify(
    walk: _Walk,
    state: _State,
    rank: int,
    site: ImportSite,
    roots: tuple[Path, ...],
    ignored: tuple[Path, ...],
    *,
    is_entry: bool,
) -> None:
    eff = max(rank, _site_rank(site))
    hop = Hop(file=walk.rel(state.file), line=site.line, module=("." * site.level) + site.module)
    if site.level:
        _relative(walk, state, eff, site, hop, roots, is_entry=is_entry)
        return
    top = site.module.split(".")[0]
    if top in _BUILTIN:
        _record(walk, site, hop, eff, "stdlib")
        walk.stdlib_used.add(top)
        return
    modules, failed = walk.finder.resolve(site.module, roots)
    if modules:
        _first_party(walk, state, eff, site, hop, modules, failed, roots)
    elif top in walk.stdlib:
        _record(walk, site, hop, eff, "stdlib")
        walk.stdlib_used.add(top)
    elif any(walk.finder.find(top, top, (d,)) for d in ignored):
        reason = "resolves only through a sys.path entry that is a pathlib.Path, which Python ignores; wrap it in str()"
        _unresolved(walk, site, hop, eff, reason)
    elif is_entry and walk.mode == "module" and walk.finder.find(top, top, (walk.entry_dir,)):
        walk.run_problems.append(
            f"{hop.file}:{site.line}: `import {site.module}` finds a sibling file only when the "
            "entrypoint runs as a script (its directory is sys.path[0]); "
            "import it by its package path"
        )
        _missing(walk, site, hop, eff, "not on sys.path when run as a module")
    elif top in walk.first_party_names:
        _missing(walk, site, hop, eff, f"{top} is first-party but {site.module} does not exist")
    elif elsewhere := walk.finder.elsewhere(walk.root, top):
        reason = (
            f"not on this agent's sys.path, but first-party {elsewhere} has that name; "
            "add its directory to project.source_roots or fix the sys.path edit"
        )
        _unresolved(walk, site, hop, eff, reason)
    else:
        _external(walk, site, hop, eff, top)


def _first_party(
    walk: _Walk,
    state: _State,
    eff: int,
    site: ImportSite,
    hop: Hop,
    modules: list[_Module],
    failed: str | None,
    roots: tuple[Path, ...],
) -> None:
    target = _follow(walk, eff, site, hop, modules, roots, complete=failed is None)
    if failed is not None:  # the parent packages ran, then the import failed: one category, missing
        _missing(walk, site, hop, eff, f"{failed} does not exist")
    else:
        _record(walk, site, hop, eff, "first-party", target)


def _follow(
    walk: _Walk,
    eff: int,
    site: ImportSite,
    hop: Hop,
    modules: list[_Module],
    roots: tuple[Path, ...],
    *,
    complete: bool,
) -> str | None:
    """Push every module file along the import, and submodules named by ``from m import name``."""
    target: str | None = None
    for module in modules:
        if module.file is not None:
            walk.push(_State(module.file, module.name, roots), eff, hop)
            target = walk.rel(module.file)
    if not complete or not modules:
        return target
    last = modules[-1]
    for name in site.names:
        if name == "*" or not last.search:
            continue
        child = walk.finder.find(f"{last.name}.{name}", name, last.search)
        if child is not None and child.file is not None:
            walk.push(_State(child.file, child.name, roots), eff, hop)
            target = walk.rel(child.file)
        elif child is None and last.file is None:
            _missing(walk, site, hop, eff, f"{last.name}.{name} does not exist")
    return target


def _relative(
    walk: _Walk,
    state: _State,
    eff: int,
    site: ImportSite,
    hop: Hop,
    roots: tuple[Path, ...],
    *,
    is_entry: bool,
) -> None:
    module = state.module
    if module == "__main__":
        module = posixpath.splitext(walk.rel(state.file))[0].replace("/", ".")
        walk.run_problems.append(
            f"{hop.file}:{site.line}: relative import `from {hop.module} import ...` works only "
            f'with `python -m {module}`; set cmd = ["python", "-m", "{module}"] in agents.toml'
        )
    package = module if state.file.name == "__init__.py" else module.rpartition(".")[0]
    parts = package.split(".") if package else []
    if site.level - 1 > len(parts) or (site.level - 1 == len(parts) and not site.module):
        _unresolved(walk, site, hop, eff, "relative import beyond the top-level package")
        return
    base = ".".join(parts[: len(parts) - (site.level - 1)])
    dotted = ".".join(p for p in (base, site.module) if p)
    search = _unique((walk.root, *roots)) if is_entry else roots
    modules, failed = walk.finder.resolve(dotted, search)
    if failed is not None:
        _missing(walk, site, hop, eff, f"{failed} does not exist")
    target = _follow(walk, eff, site, hop, modules, search, complete=failed is None)
    _record(walk, site, hop, eff, "first-party" if failed is None else "missing", target)


def _record(walk: _Walk, site: ImportSite, hop: Hop, eff: int, category: str, target: str | None = None) -> None:
    key = (hop.file, site.line, hop.module, category)
    if key not in walk.records:
        walk.records[key] = ImportRecord(
            file=hop.file,
            line=site.line,
            module=hop.module,
            level=site.level,
            kind=KINDS[eff],
            category=category,
            recovered=site.recovered,
            target=target,
        )


def _missing(walk: _Walk, site: ImportSite, hop: Hop, eff: int, reason: str) -> None:
    walk.missing.setdefault(
        (hop.module, hop.file, site.line),
        Unresolved(module=hop.module, kind=KINDS[eff], site=hop, reason=reason),
    )
    _record(walk, site, hop, eff, "missing")


def _unresolved(walk: _Walk, site: ImportSite, hop: Hop, eff: int, reason: str) -> None:
    walk.unresolved.setdefault(
        (hop.module, hop.file, site.line),
        Unresolved(module=hop.module, kind=KINDS[eff], site=hop, reason=reason),
    )
    _record(walk, site, hop, eff, "unresolved")


def _external(walk: _Walk, site: ImportSite, hop: Hop, eff: int, top: str) -> None:
    _record(walk, site, hop, eff, "third-party")
    ext = walk.externals.get(top)
    if ext is None:
        ext = _Ext(best=_Best(rank=eff, marker=site.marker, dynamic=site.dynamic, first=hop))
        walk.externals[top] = ext
    ext.best.see(eff, site.marker, site.dynamic, hop)
    for dotted in {site.module} | {f"{site.module}.{n}" for n in site.names if n != "*"}:
        known = ext.modules.get(dotted)
        if known is None:
            ext.modules[dotted] = _Best(rank=eff, marker=site.marker, dynamic=site.dynamic, first=hop)
        else:
            known.see(eff, site.marker, site.dynamic, hop)
    ext.sites.add(hop)


def _freeze(walk: _Walk, agent: Agent, python: str, mode: str) -> AgentScan:
    externals = [
        ExternalImport(
            module=top,
            kind=KINDS[ext.best.rank],
            marker=ext.best.marker,
            dynamic=ext.best.dynamic,
            first=ext.best.first,
            modules=tuple(sorted(ext.modules)),
            sites=tuple(sorted(ext.sites, key=_hop_key)),
            uses=tuple(
                ModuleUse(module=name, kind=KINDS[b.rank], marker=b.marker, dynamic=b.dynamic, first=b.first)
                for name, b in sorted(ext.modules.items())
            ),
        )
        for top, ext in sorted(walk.externals.items())
    ]
    return AgentScan(
        agent=agent.name,
        entrypoint=agent.entrypoint,
        python=python,
        run_mode=mode,
        run_problems=tuple(dict.fromkeys(walk.run_problems)),
        files=tuple(sorted(walk.file_rank)),
        third_party=tuple(externals),
        stdlib=tuple(sorted(walk.stdlib_used)),
        missing=tuple(sorted(walk.missing.values(), key=lambda u: (u.module, _hop_key(u.site)))),
        unresolved=tuple(sorted(walk.unresolved.values(), key=lambda u: (u.module, _hop_key(u.site)))),
        recovered=tuple(sorted(walk.recovered.values(), key=lambda r: r.file)),
        notes=tuple(sorted(walk.notes)),
        errors=tuple(walk.errors),
        imports=tuple(sorted(walk.records.values(), key=lambda r: (r.file, r.line, r.module, r.category))),
        via=dict(sorted(walk.via.items())),
    )


def _hop_key(hop: Hop) -> tuple[str, int, str]:
    return (hop.file, hop.line, hop.module)


def _unique(paths: Iterable[Path]) -> tuple[Path, ...]:
    return tuple(dict.fromkeys(paths))


def _top_names(finder: Finder, directory: Path) -> set[str]:
    files, dirs = finder.listing(directory)
    names = {name[:-3] for name in files if name.endswith(".py")}
    names.update(d for d in dirs if d not in _SKIP_DIRS and finder.holds_python(directory / d))
    return names
