"""The ``ast`` walk that classifies every import of one file, for ``depmin.scanning.extraction``.

The input is the module-level statements of one file (parsed whole, or recovered piece by piece by
``depmin.scanning.recover``), for example::

    try:
        import orjson as json
    except ImportError:
        import json
    def handler():
        importlib.import_module("plugins.audio")
    ROOT = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(ROOT))

``collect`` gives ``orjson`` and ``json`` (optional: the handler neither re-raises nor exits),
``plugins.audio`` (lazy and dynamic) and a ``PathEdit`` of ``".."``. Each node is visited with the
context it sits in: inside a guarded ``try`` or ``with suppress(ImportError)`` (optional), a function
body (lazy), an ``if TYPE_CHECKING:`` block (type_only) and the platform conditions of the ``if``
tests around it (markers, from ``depmin.scanning.markers``), or an availability flag: a module-level
``HAS_NUMPY = True`` inside a guarded ``try`` makes the body of a later ``if HAS_NUMPY:`` (and the
``else`` of ``if not HAS_NUMPY:``) optional too, since it runs only when that import succeeded; so
does ``if "pkg_resources" in sys.modules:`` (pytest's monkeypatch), which runs only once something
else imported the module.
Names bound by imports are tracked, so
``import typing as t`` makes ``t.TYPE_CHECKING`` understood; module-level names bound to a path are
evaluated by ``depmin.scanning.syspath``. Nothing is executed.

Most of a file is function and class bodies that import nothing: a node none of whose lines names
``import``, ``sys`` or a name an import bound to an importlib/sys/builtins target is not visited
(``_Lines``), except the module-level assignments and the blocks that can hold one.
"""

from __future__ import annotations

import ast
import functools
import posixpath
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal, TypeAlias

from depmin.scanning import markers as _markers
from depmin.scanning import syspath as _paths
from depmin.scanning.markers import literal_str, literal_strs
from depmin.scanning.sites import UNEVALUABLE_EDIT, FileImports, ImportSite, PathEdit, PathPosition, SyntaxProblem

__all__ = ["collect"]


def collect(
    body: Sequence[ast.stmt],
    *,
    notes: Sequence[str],
    problem: SyntaxProblem | None,
    text: str | None = None,
    exact: Sequence[bool] | None = None,
) -> FileImports:
    """The imports of ``body``, sites in source order; ``notes`` (from reading the file) come first.

    With a ``problem`` the statements were recovered from text that does not parse, and every
    site says so (``recovered``). Given the file's ``text``, expressions are visited only when it
    names something that can hide an import or a path edit in one (:func:`needs_expressions`), and
    a node is skipped when none of its lines names one (:class:`_Lines`); ``exact`` says, per
    statement of ``body``, whether its lines are the text's (not for a repaired or rebuilt one).
    """
    collector = _Collector(
        recovered=problem is not None,
        statements_only=text is not None and not needs_expressions(text),
        lines=None if text is None else _Lines.of(text),
    )
    collector.run(body, [True] * len(body) if exact is None else exact)
    sites = tuple(site for *_, site in sorted(collector.sites, key=lambda item: item[:3]))
    return FileImports(
        sites=sites,
        path_edits=tuple(collector.edits),
        syntax_error=problem,
        notes=(*notes, *collector.notes),
    )


# Every call or assignment the collector acts on names one of these (through any alias: the alias is
# bound by an import that names it): ``import_module``, ``__import__``, ``sys.path``.
_EXPRESSION_WORDS = ("sys", "import_module", "__import__")
# The nodes that hold statements: without an expression word, only they can hold an import.
_HOLDERS: tuple[type[ast.AST], ...] = (
    ast.stmt,
    ast.excepthandler,
    *((ast.match_case,) if hasattr(ast, "match_case") else ()),
)


def needs_expressions(text: str) -> bool:
    """Whether a file's expressions can hold what the collector looks for: a dynamic import or a
    ``sys.path`` edit (a file without any of ``_EXPRESSION_WORDS`` has only import statements)."""
    return any(word in text for word in _EXPRESSION_WORDS)


_IMPORT_MODULE = frozenset({"importlib.import_module"})
_DUNDER_IMPORT = frozenset({"__import__", "builtins.__import__", "importlib.__import__"})
_PathMethod: TypeAlias = Literal["insert", "append", "extend"]
_PATH_CALLS: dict[str, _PathMethod] = {
    "sys.path.insert": "insert",
    "sys.path.append": "append",
    "sys.path.extend": "extend",
}
_TYPE_CHECKING = frozenset({"TYPE_CHECKING", "typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_SUPPRESS = frozenset({"contextlib.suppress", "suppress"})
_EXITS = frozenset({"sys.exit", "exit", "quit", "os._exit", "os.abort"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_TRY_TYPES: tuple[type[ast.stmt], ...] = tuple(
    kind for kind in (ast.Try, getattr(ast, "TryStar", None)) if isinstance(kind, type)
)
_LEAVES = (ast.Constant, ast.Name, ast.alias, ast.expr_context, ast.operator, ast.cmpop)
# The module-level statements that can bind a name in ``env`` or an availability flag (or hold one
# that does), whatever their lines name: the walk never skips them at module level.
_BINDING: tuple[type[ast.AST], ...] = (
    ast.Assign,
    ast.AnnAssign,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.excepthandler,
    *_TRY_TYPES,
    *(kind for kind in (getattr(ast, "Match", None),) if isinstance(kind, type)),
)


# Without one of these on its lines, a node and its children hold no import statement and no call or
# assignment the collector acts on, unless through a name an import bound to one of ``_TARGETS``.
_LINE_WORDS = ("import", "sys")
# What a name bound by an import must stand for (or lead to) for a call or assignment through it to
# matter to ``_call`` and ``_assign``: the collector then looks for that name on each line too.
_TARGETS = (*sorted(_IMPORT_MODULE | _DUNDER_IMPORT), *_PATH_CALLS, "sys.path")
# Every name a target is or starts with (``sys``, ``sys.path``, ``sys.path.insert`` ...).
_TARGET_PREFIXES = frozenset(
    ".".join(parts[:end]) for parts in (target.split(".") for target in _TARGETS) for end in range(1, len(parts) + 1)
)


class _Lines:
    """The lines of a file that name an import, ``sys`` or a name bound to one of ``_TARGETS``.

    A node none of whose lines (from its first decorator to its ``end_lineno``) is one of these can
    only matter through the names it binds at module level (``env``, availability flags), so the
    walk skips it, unless it is a module-level assignment or a block that can hold one. The
    parser reads names NFKC-folded (``sys`` in fullwidth letters is ``sys``), so a non-ASCII text is
    folded first.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.words: set[str] = set()
        self.found: list[int] = []

    @classmethod
    def of(cls, text: str) -> _Lines | None:
        if not text.isascii():
            folded = unicodedata.normalize("NFKC", text)
            if folded.count("\n") != text.count("\n"):
                return None  # the lines would not be the parser's: visit everything
            text = folded
        lines = cls(text)
        lines.add(_LINE_WORDS)
        return lines

    def add(self, words: Iterable[str]) -> None:
        """Count the lines naming any of ``words`` too (a name bound to an importlib/sys target)."""
        fresh = sorted(set(words) - self.words)
        if not fresh:
            return
        self.words.update(fresh)
        found, line, position = set(self.found), 1, 0
        # One match a line: the rest of the line goes with the first word found on it.
        for match in re.finditer(f"(?:{'|'.join(map(re.escape, fresh))})[^\n]*", self.text):
            line += self.text.count("\n", position, match.start())
            position = match.start()
            found.add(line)
        self.found = sorted(found)

    def hold(self, first: int, last: int) -> bool:
        """Whether a line between ``first`` and ``last`` names one of the words."""
        index = bisect_left(self.found, first)
        return index < len(self.found) and self.found[index] <= last


@dataclass(frozen=True, kw_only=True, slots=True)
class _Context:
    optional: bool = False
    lazy: bool = False
    type_only: bool = False
    markers: tuple[_markers.Marker, ...] = ()
    module_scope: bool = True
    exact: bool = True  # the node's lines are the file's text (see _Lines)

    def with_marker(self, marker: _markers.Marker | None) -> _Context:
        if marker is None:
            return self
        parts = marker.parts if isinstance(marker, _markers.AllOf) else (marker,)
        fresh = tuple(part for part in parts if part not in self.markers)
        return replace(self, markers=self.markers + tuple(dict.fromkeys(fresh)))

    def marker(self) -> str | None:
        return _markers.render(_markers.AllOf(self.markers)) if self.markers else None


_Visit: TypeAlias = "list[tuple[ast.AST, _Context]]"


def _dotted(aliases: dict[str, str], node: ast.expr) -> str | None:
    """The dotted name ``node`` spells, through the module's import ``aliases``."""
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([aliases.get(node.id, node.id), *reversed(attrs)])


class _Collector:
    """Walks statement bodies without recursion, carrying the context each node sits in."""

    def __init__(self, *, recovered: bool, statements_only: bool = False, lines: _Lines | None = None) -> None:
        self.recovered = recovered
        self.statements_only = statements_only
        self.lines = lines
        self.aliases: dict[str, str] = {}
        self.env: dict[str, _paths.PathValue] = {}
        self.sites: list[tuple[int, int, int, ImportSite]] = []
        self.edits: list[PathEdit] = []
        self.notes: list[str] = []
        # Given the alias table, not a method: a bound method would make the collector a reference cycle.
        self.paths = _paths.PathEvaluator(self.env, functools.partial(_dotted, self.aliases))
        self.flags: set[str] = set()  # module-level names set True only where a guarded import succeeded

    def run(self, body: Sequence[ast.stmt], exact: Sequence[bool]) -> None:
        pairs = zip(reversed(body), reversed(exact), strict=True)
        stack: _Visit = [(node, _Context(exact=flag)) for node, flag in pairs]
        holders = _HOLDERS if self.statements_only else ast.AST
        lines = self.lines
        while stack:
            node, ctx = stack.pop()
            if isinstance(node, holders) and (lines is None or not ctx.exact or self._may_matter(node, ctx, lines)):
                stack.extend(reversed(self._visit(node, ctx)))

    def _may_matter(self, node: ast.AST, ctx: _Context, lines: _Lines) -> bool:
        """Whether visiting ``node`` can record or bind anything (see ``_Lines``)."""
        first = getattr(node, "lineno", None)
        last = getattr(node, "end_lineno", None)
        if first is None or last is None or (ctx.module_scope and isinstance(node, _BINDING)):
            return True
        decorators = getattr(node, "decorator_list", None)
        if decorators:  # a decorated definition's lineno is its ``def`` line
            first = min(first, *(decorator.lineno for decorator in decorators))
        return lines.hold(first, last)

    def resolve(self, node: ast.expr) -> str | None:
        """``t.TYPE_CHECKING`` after ``import typing as t`` -> ``typing.TYPE_CHECKING``."""
        return _dotted(self.aliases, node)

    def _visit(self, node: ast.AST, ctx: _Context) -> _Visit:
        if isinstance(node, ast.Import | ast.ImportFrom):
            self._import(node, ctx)
            return []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return self._function(node, ctx)
        if isinstance(node, ast.ClassDef):
            inner = replace(ctx, module_scope=False)
            return _children(node, ctx, {"body": inner})
        if isinstance(node, ast.If):
            return self._if(node, ctx)
        if isinstance(node, _TRY_TYPES):
            return self._try(node, ctx)
        if isinstance(node, ast.With | ast.AsyncWith):
            suppressing = any(self._suppresses(item.context_expr) for item in node.items)
            return _children(node, ctx, {"body": replace(ctx, optional=True)} if suppressing else {})
        if isinstance(node, ast.Call):
            self._call(node, ctx)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            self._assign(node, ctx)
        return _children(node, ctx, {})

    def _import(self, node: ast.Import | ast.ImportFrom, ctx: _Context) -> None:
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = tuple(alias.name for alias in node.names)
            self._add(node, ctx, module=module, level=node.level, names=names)
            for alias in node.names:
                if node.level == 0 and alias.name != "*":
                    self._alias(alias.asname or alias.name, f"{module}.{alias.name}")
            return
        for alias in node.names:
            self._add(node, ctx, module=alias.name, alias=alias.asname)
            bound = alias.asname or alias.name.partition(".")[0]
            self._alias(bound, alias.name if alias.asname else bound)

    def _alias(self, name: str, value: str) -> None:
        self.aliases[name] = value
        if self.lines is not None and value in _TARGET_PREFIXES:
            self.lines.add((name,))

    def _add(
        self,
        node: ast.stmt | ast.expr,
        ctx: _Context,
        *,
        module: str,
        level: int = 0,
        names: tuple[str, ...] = (),
        alias: str | None = None,
        dynamic: bool = False,
    ) -> None:
        site = ImportSite(
            module=module,
            level=level,
            names=names,
            line=node.lineno,
            optional=ctx.optional,
            lazy=ctx.lazy,
            type_only=ctx.type_only,
            dynamic=dynamic,
            marker=ctx.marker(),
            recovered=self.recovered,
            alias=alias,
        )
        self.sites.append((node.lineno, node.col_offset, len(self.sites), site))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, ctx: _Context) -> _Visit:
        """Only the body runs later: decorators, defaults and annotations run at definition."""
        inner = replace(ctx, lazy=True, optional=False, module_scope=False)
        return _children(node, ctx, {"body": inner})

    def _if(self, node: ast.If, ctx: _Context) -> _Visit:
        checking = self._type_checking(node.test)
        available = self._availability(node.test)
        if checking is not None:
            flagged = replace(ctx, type_only=True)
            body, orelse = (flagged, ctx) if checking else (ctx, flagged)
        elif available is not None:
            guarded = replace(ctx, optional=True)
            body, orelse = (guarded, ctx) if available else (ctx, guarded)
        else:
            try:
                body = ctx.with_marker(_markers.implied(node.test, True, self.resolve))
                orelse = ctx.with_marker(_markers.implied(node.test, False, self.resolve))
            except RecursionError:
                body = orelse = ctx
        return [(node.test, ctx), *_each(node.body, body), *_each(node.orelse, orelse)]

    def _type_checking(self, test: ast.expr) -> bool | None:
        """True for ``if TYPE_CHECKING:``, False for ``if not TYPE_CHECKING:``, else None."""
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        target = test.operand if isinstance(test, ast.UnaryOp) and negated else test
        if self.resolve(target) in _TYPE_CHECKING:
            return not negated
        return None

    def _availability(self, test: ast.expr) -> bool | None:
        """True for ``if HAS_X:`` (or ``if HAS_X and ...:``) on an availability flag or for ``if "x"
        in sys.modules:``, False for ``if not HAS_X:`` or ``if "x" not in sys.modules:``, else None."""
        loaded = self._loaded_test(test)
        if loaded is not None:
            return loaded
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return False if isinstance(test.operand, ast.Name) and test.operand.id in self.flags else None
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            return True if any(isinstance(v, ast.Name) and v.id in self.flags for v in test.values) else None
        return True if isinstance(test, ast.Name) and test.id in self.flags else None

    def _loaded_test(self, test: ast.expr) -> bool | None:
        """``"x" in sys.modules`` -> True, ``"x" not in sys.modules`` -> False, else None."""
        if not isinstance(test, ast.Compare) or len(test.ops) != 1 or literal_str(test.left) is None:
            return None
        if self.resolve(test.comparators[0]) != "sys.modules":
            return None
        if isinstance(test.ops[0], ast.In):
            return True
        return False if isinstance(test.ops[0], ast.NotIn) else None

    def _try(self, node: ast.stmt, ctx: _Context) -> _Visit:
        handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])
        body = replace(ctx, optional=True) if self._guards(handlers) else ctx
        fallback = replace(ctx, optional=True)
        return [
            *_each(getattr(node, "body", []), body),
            *_each(handlers, fallback),
            *_each(getattr(node, "orelse", []), ctx),
            *_each(getattr(node, "finalbody", []), ctx),
        ]

    def _guards(self, handlers: list[ast.ExceptHandler]) -> bool:
        """The handler a missing module lands in exists and neither re-raises nor exits."""
        for handler in handlers:
            if handler.type is None or self._catches(handler.type):
                return not self._escapes(handler.body)
        return False

    def _catches(self, node: ast.expr) -> bool:
        elements = node.elts if isinstance(node, ast.Tuple) else [node]
        names = {(self.resolve(element) or "").removeprefix("builtins.") for element in elements}
        return not names.isdisjoint(_IMPORT_ERRORS)

    def _escapes(self, body: list[ast.stmt]) -> bool:
        stack: list[ast.AST] = list(body)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Raise):
                return True
            if isinstance(node, ast.Call) and self.resolve(node.func) in _EXITS:
                return True
            if not isinstance(node, _SCOPES):
                stack.extend(ast.iter_child_nodes(node))
        return False

    def _suppresses(self, node: ast.expr) -> bool:
        """``contextlib.suppress(ImportError)``."""
        if not isinstance(node, ast.Call) or self.resolve(node.func) not in _SUPPRESS:
            return False
        return any(self._catches(arg) for arg in node.args)

    def _call(self, node: ast.Call, ctx: _Context) -> None:
        name = self.resolve(node.func)
        if name in _IMPORT_MODULE:
            self._import_module(node, ctx)
        elif name in _DUNDER_IMPORT:
            self._dunder_import(node, ctx)
        elif (method := _PATH_CALLS.get(name or "")) is not None:
            self._path_call(node, ctx, method)

    def _import_module(self, node: ast.Call, ctx: _Context) -> None:
        """``import_module(".x", package="p")`` -> ``p.x``; ``package=__package__`` stays relative."""
        name = literal_str(_argument(node, 0, "name"))
        if name is None or not _is_dotted(name.lstrip(".")):
            self.notes.append(f"line {node.lineno}: dynamic import of a computed name not followed")
            return
        module = name.lstrip(".")
        level = len(name) - len(module)
        package_node = _argument(node, 1, "package")
        package = literal_str(package_node)
        if level and package is not None:
            parts = package.split(".")
            keep = len(parts) - (level - 1)
            if keep <= 0 or not _is_dotted(package):
                self.notes.append(f"line {node.lineno}: relative dynamic import beyond its package")
                return
            module, level = ".".join([*parts[:keep], *([module] if module else [])]), 0
        elif level and not (isinstance(package_node, ast.Name) and package_node.id == "__package__"):
            self.notes.append(f"line {node.lineno}: relative dynamic import without a package")
            return
        self._add(node, ctx, module=module, level=level, dynamic=True)

    def _dunder_import(self, node: ast.Call, ctx: _Context) -> None:
        """``__import__("a.b", globals(), locals(), ["c"], 0)``."""
        name = literal_str(_argument(node, 0, "name"))
        level_node = _argument(node, 4, "level")
        level = level_node.value if isinstance(level_node, ast.Constant) else 0
        if name is None or not _is_dotted(name) or type(level) is not int or level < 0:
            self.notes.append(f"line {node.lineno}: dynamic import of a computed name not followed")
            return
        fromlist = _argument(node, 3, "fromlist")
        names = tuple(literal_strs(fromlist)) if fromlist is not None else ()
        self._add(node, ctx, module=name, level=level, names=names, dynamic=True)

    def _path_call(self, node: ast.Call, ctx: _Context, method: _PathMethod) -> None:
        if method == "insert":
            self._path_edit(_argument(node, 1, "object"), node.lineno, "insert", ctx)
        elif method == "append":
            self._path_edit(_argument(node, 0, "object"), node.lineno, "append", ctx)
        else:
            self._extend(_argument(node, 0, "iterable"), node.lineno, ctx)

    def _extend(self, argument: ast.expr | None, line: int, ctx: _Context) -> None:
        if isinstance(argument, ast.List | ast.Tuple):
            for element in argument.elts:
                self._path_edit(element, line, "append", ctx)
        else:
            self.notes.append(f"line {line}: {UNEVALUABLE_EDIT}")

    def _assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, ctx: _Context) -> None:
        """Track ``ROOT = Path(__file__).parent`` and catch ``sys.path[0:0] = [...]``, ``+=``."""
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if value is None:
            return
        if isinstance(node, ast.AugAssign):
            if isinstance(node.op, ast.Add) and self.resolve(node.target) == "sys.path":
                self._extend(value, node.lineno, ctx)
            return
        for target in targets:
            if isinstance(target, ast.Subscript) and self.resolve(target.value) == "sys.path":
                if not _is_front(target.slice):
                    self.notes.append(f"line {node.lineno}: {UNEVALUABLE_EDIT}")
                    continue
                elements = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
                for element in elements:
                    self._path_edit(element, node.lineno, "insert", ctx)
            elif isinstance(target, ast.Name) and ctx.module_scope:
                self._flag(target.id, value, ctx)
                known = self._evaluate(value)
                if known is None:
                    self.env.pop(target.id, None)
                else:
                    self.env[target.id] = known

    def _flag(self, name: str, value: ast.expr, ctx: _Context) -> None:
        """``HAS_NUMPY = True`` where a guarded import succeeded makes an availability flag; a
        ``True`` set anywhere else (``DEBUG = True``) ends it, a ``False`` (the handler's) keeps it."""
        constant = value.value if isinstance(value, ast.Constant) else None
        if constant is True and ctx.optional:
            self.flags.add(name)
        elif constant is not False:
            self.flags.discard(name)

    def _evaluate(self, node: ast.expr) -> _paths.PathValue | None:
        try:
            return self.paths.evaluate(node)
        except RecursionError:
            return None

    def _path_edit(
        self,
        node: ast.expr | None,
        line: int,
        position: PathPosition,
        ctx: _Context,
    ) -> None:
        value = None if node is None else self._evaluate(node)
        path = posixpath.normpath(value.path) if value else ""
        if value is None or not value.anchored or _paths.FILE in path:
            self.notes.append(f"line {line}: {UNEVALUABLE_EDIT}")
            return
        edit = PathEdit(line=line, path=path, position=position, str_entry=not value.is_path, lazy=ctx.lazy)
        self.edits.append(edit)


def _children(node: ast.AST, ctx: _Context, by_field: dict[str, _Context]) -> _Visit:
    """The node's children in source order, with the context of their field (``body`` ...)."""
    visits: _Visit = []
    for name, value in ast.iter_fields(node):
        inner = by_field.get(name, ctx)
        items = value if isinstance(value, list) else [value]
        visits.extend(_each(items, inner))
    return visits


def _each(items: Sequence[object], ctx: _Context) -> Iterator[tuple[ast.AST, _Context]]:
    return ((item, ctx) for item in items if isinstance(item, ast.AST) and not _is_leaf(item))


def _is_leaf(node: ast.AST) -> bool:
    return isinstance(node, _LEAVES)


def _argument(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for given in call.keywords:
        if given.arg == keyword:
            return given.value
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[index]
    return None


def _is_front(node: ast.expr) -> bool:
    """The slice ``[0:0]`` or ``[:0]``."""
    if not isinstance(node, ast.Slice) or node.step is not None:
        return False
    bounds = [node.upper] if node.lower is None else [node.lower, node.upper]
    return all(isinstance(bound, ast.Constant) and bound.value == 0 for bound in bounds)


def _is_dotted(name: str) -> bool:
    return all(part.isidentifier() for part in name.split("."))
