"""One file's bytes -> its import sites, its ``sys.path`` edits and its parse problems.

The input is the raw content of one Python file, for example::

    import zmq
    try:
        import orjson as json
    except ImportError:
        import json
    if TYPE_CHECKING:
        from redis.asyncio import Redis
    if sys.version_info < (3, 11):
        import tomli
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

``extract`` reports ``zmq`` (required), ``orjson`` and ``json`` (optional), ``redis.asyncio``
(type_only), ``tomli`` (conditional, marker ``python_version < "3.11"``) and a ``PathEdit`` of
``".."``. Nothing is executed or imported: the module works on ``ast`` and text only.

Reading: a UTF-8 BOM is dropped, a PEP 263 coding cookie is honoured, undecodable bytes fall back
to latin-1, NUL bytes are removed, CRLF and lone CR become LF (each of these leaves a note).

Conditions: ``if`` tests over ``sys.platform``, ``os.name``, ``platform.system()`` /
``platform.machine()`` / ``platform.python_implementation()``, ``sys.implementation.name`` and
``sys.version_info`` become PEP 508 markers; ``else`` gets the negation, nested tests are joined with
``and``. A part of an ``and`` that is not expressible is dropped (the marker stays a necessary
condition); any other test that is not expressible gives no marker and the import counts as plain.

Files over ``LARGE_FILE`` characters are not parsed whole (``ast.parse`` runs at roughly 1 MB/s):
only the top-level statements that mention imports, ``sys.path``, ``__file__`` or a name bound by an
import are parsed, which yields the same sites; a syntax error elsewhere then goes unnoticed (a note
says so). Files that do not parse are recovered statement by statement, see ``depmin._recover``.
"""

from __future__ import annotations

import ast
import codecs
import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal, TypeAlias

from depmin import _recover

__all__ = [
    "LARGE_FILE",
    "FileImports",
    "ImportKind",
    "ImportSite",
    "PathEdit",
    "SyntaxProblem",
    "extract",
]

LARGE_FILE = 512 * 1024

ImportKind: TypeAlias = Literal["type_only", "optional", "lazy", "conditional", "dynamic", "required"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportSite:
    """One imported module, e.g. ``from redis.asyncio import Redis`` at line 12.

    ``module`` is written without leading dots (``""`` for ``from . import x``) and ``level`` counts
    them. ``names`` holds the imported names of a from-import (``("*",)`` for a star import) and is
    empty for ``import m``; ``alias`` is the ``as`` name of a plain ``import m as a``.
    """

    module: str
    level: int
    names: tuple[str, ...]
    line: int
    optional: bool
    lazy: bool
    type_only: bool
    dynamic: bool
    marker: str | None
    recovered: bool
    alias: str | None

    @property
    def kind(self) -> ImportKind:
        """The one word shown for the site: type_only > optional > lazy > conditional > dynamic."""
        if self.type_only:
            return "type_only"
        if self.optional:
            return "optional"
        if self.lazy:
            return "lazy"
        if self.marker is not None:
            return "conditional"
        if self.dynamic:
            return "dynamic"
        return "required"


@dataclass(frozen=True, kw_only=True, slots=True)
class PathEdit:
    """``sys.path.insert(0, str(ROOT / "lib"))``: ``path`` is relative to the file's directory.

    ``str_entry`` is False for a ``pathlib.Path`` entry, which the import system ignores.
    """

    line: int
    path: str
    position: Literal["insert", "append"]
    str_entry: bool
    lazy: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class SyntaxProblem:
    """Why the file does not parse: the parser's message and line (1 when it names none)."""

    message: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class FileImports:
    """Everything ``extract`` found in one file, sites in source order."""

    sites: tuple[ImportSite, ...]
    path_edits: tuple[PathEdit, ...]
    syntax_error: SyntaxProblem | None
    notes: tuple[str, ...]


def extract(source: bytes, *, filename: str = "<string>") -> FileImports:
    """Find the imports of one file's bytes; never raises, whatever the bytes."""
    text, notes = _decode(source)
    if len(text) <= LARGE_FILE:
        parsed = _recover.parse(text, filename=filename)
        if isinstance(parsed, ast.Module):
            return _collect(parsed.body, notes=notes, problem=None)
        pieces = _recover.recover(text, problem=parsed, only_relevant=False)
    else:
        pieces = _recover.recover(text, problem=None, only_relevant=True)
    problem = None
    if pieces.problem is not None:
        problem = SyntaxProblem(message=pieces.problem[0], line=pieces.problem[1])
    return _collect(pieces.body, notes=[*notes, *pieces.notes], problem=problem)


def _collect(body: Sequence[ast.stmt], *, notes: list[str], problem: SyntaxProblem | None) -> FileImports:
    collector = _Collector(recovered=problem is not None)
    collector.run(body)
    sites = tuple(site for *_, site in sorted(collector.sites, key=lambda item: item[:3]))
    return FileImports(
        sites=sites,
        path_edits=tuple(collector.edits),
        syntax_error=problem,
        notes=(*notes, *collector.notes),
    )


# --- reading bytes ---------------------------------------------------------------------------

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.ASCII)
_COMMENT_OR_BLANK = re.compile(rb"^[ \t\f]*(?:#.*)?$")
# Codecs that name a transformation rather than a source encoding, or that are slow on large input.
_UNUSABLE_CODECS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "utf-7"})


def _decode(source: bytes) -> tuple[str, list[str]]:
    """Bytes -> text with LF line endings, plus notes on whatever had to be repaired."""
    notes: list[str] = []
    encoding = None
    if source.startswith(codecs.BOM_UTF8):
        source = source[len(codecs.BOM_UTF8) :]
        notes.append("BOM removed")
    else:
        encoding = _coding_cookie(source)
    text = _decode_with(source, encoding, notes) if encoding else None
    if text is None:
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError:
            text = source.decode("latin-1")
            notes.append("not UTF-8: decoded as latin-1")
    if "\0" in text:
        text = text.replace("\0", "")
        notes.append("null bytes removed")
    return text.replace("\r\n", "\n").replace("\r", "\n"), notes


def _coding_cookie(source: bytes) -> str | None:
    """The PEP 263 cookie of line 1, or of line 2 when line 1 is blank or a comment."""
    first, _, rest = source.partition(b"\n")
    found = _COOKIE.match(first)
    if found is None and _COMMENT_OR_BLANK.match(first.rstrip(b"\r")):
        found = _COOKIE.match(rest.partition(b"\n")[0])
    return found.group(1).decode("ascii") if found else None


def _decode_with(source: bytes, encoding: str, notes: list[str]) -> str | None:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        notes.append(f"unknown coding cookie {encoding!r}: ignored")
        return None
    if name in _UNUSABLE_CODECS or name.startswith(("utf-16", "utf-32")):
        notes.append(f"coding cookie {encoding!r} is not a source encoding: ignored")
        return None
    try:
        return source.decode(name)
    except (LookupError, ValueError):
        notes.append(f"not {encoding}: coding cookie ignored")
        return None


# --- markers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Atom:
    var: str
    op: str
    value: str


@dataclass(frozen=True, slots=True)
class _AllOf:
    parts: tuple[_Marker, ...]


@dataclass(frozen=True, slots=True)
class _AnyOf:
    parts: tuple[_Marker, ...]


_Marker: TypeAlias = "_Atom | _AllOf | _AnyOf"

_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_MIRRORED = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_ENV_ATTRS = {
    "sys.platform": "sys_platform",
    "os.name": "os_name",
    "sys.implementation.name": "implementation_name",
}
_ENV_CALLS = {
    "platform.system": "platform_system",
    "platform.machine": "platform_machine",
    "platform.python_implementation": "platform_python_implementation",
}
# sys.platform.startswith(prefix) -> the one value sys.platform then has.
_PLATFORM_PREFIXES = {
    "linux": "linux",
    "win": "win32",
    "win32": "win32",
    "darwin": "darwin",
    "cygwin": "cygwin",
    "aix": "aix",
    "emscripten": "emscripten",
    "wasi": "wasi",
}

_Resolve: TypeAlias = Callable[[ast.expr], "str | None"]


def _negate(marker: _Marker) -> _Marker:
    if isinstance(marker, _Atom):
        return _Atom(marker.var, _NEGATED[marker.op], marker.value)
    parts = tuple(_negate(part) for part in marker.parts)
    return _AnyOf(parts) if isinstance(marker, _AllOf) else _AllOf(parts)


def _render(marker: _Marker, *, inside_and: bool = False) -> str:
    """``_AllOf((_Atom("os_name", "==", "nt"), ...))`` -> ``os_name == "nt" and ...``."""
    if isinstance(marker, _Atom):
        quote = "'" if '"' in marker.value else '"'
        return f"{marker.var} {marker.op} {quote}{marker.value}{quote}"
    if isinstance(marker, _AllOf):
        return " and ".join(_render(part, inside_and=True) for part in marker.parts)
    text = " or ".join(_render(part) for part in marker.parts)
    return f"({text})" if inside_and else text


def _implied(test: ast.expr, positive: bool, resolve: _Resolve) -> _Marker | None:
    """A marker implied by ``test`` being ``positive``; None when nothing expressible is implied.

    ``A and B`` implies whatever A and B each imply, so an inexpressible part is dropped;
    ``A or B`` implies something only when every part does.
    """
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _implied(test.operand, not positive, resolve)
    if isinstance(test, ast.BoolOp):
        parts = [_implied(value, positive, resolve) for value in test.values]
        if isinstance(test.op, ast.And) == positive:
            known = tuple(part for part in parts if part is not None)
            return _AllOf(known) if known else None
        if any(part is None for part in parts):
            return None
        return _AnyOf(tuple(part for part in parts if part is not None))
    atom = _condition(test, resolve)
    if atom is None or positive:
        return atom
    return _negate(atom)


def _condition(test: ast.expr, resolve: _Resolve) -> _Marker | None:
    if isinstance(test, ast.Call):
        return _startswith(test, resolve)
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    left, right, op = test.left, test.comparators[0], test.ops[0]
    if isinstance(op, ast.In | ast.NotIn):
        return _membership(left, right, isinstance(op, ast.In), resolve)
    symbol = _OPS.get(type(op))
    if symbol is None:
        return None
    if isinstance(left, ast.Constant):
        left, right, symbol = right, left, _MIRRORED[symbol]
    return _version(left, symbol, right, resolve) or _env_compare(left, symbol, right, resolve)


def _env_var(node: ast.expr, resolve: _Resolve) -> str | None:
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        return _ENV_CALLS.get(resolve(node.func) or "")
    return _ENV_ATTRS.get(resolve(node) or "")


def _env_compare(left: ast.expr, op: str, right: ast.expr, resolve: _Resolve) -> _Marker | None:
    var = _env_var(left, resolve)
    value = _literal_str(right)
    if var is None or value is None or op not in ("==", "!=") or not _quotable([value]):
        return None
    return _Atom(var, op, value)


def _membership(left: ast.expr, right: ast.expr, positive: bool, resolve: _Resolve) -> _Marker | None:
    """``sys.platform in ("win32", "cygwin")`` -> ``(sys_platform == "win32" or ...)``."""
    var = _env_var(left, resolve)
    values = _literal_strs(right)
    if var is None or not values or not _quotable(values):
        return None
    atoms = tuple(_Atom(var, "==" if positive else "!=", value) for value in values)
    return atoms[0] if len(atoms) == 1 else (_AnyOf(atoms) if positive else _AllOf(atoms))


def _startswith(call: ast.Call, resolve: _Resolve) -> _Marker | None:
    """``sys.platform.startswith("win")`` -> ``sys_platform == "win32"``."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr != "startswith" or len(call.args) != 1:
        return None
    if resolve(func.value) != "sys.platform":
        return None
    prefixes = _literal_strs(call.args[0])
    values = [_PLATFORM_PREFIXES.get(prefix) for prefix in prefixes]
    if not values or None in values:
        return None
    atoms = tuple(_Atom("sys_platform", "==", value) for value in values if value)
    return atoms[0] if len(atoms) == 1 else _AnyOf(atoms)


def _version(left: ast.expr, op: str, right: ast.expr, resolve: _Resolve) -> _Marker | None:
    """``sys.version_info >= (3, 11)`` -> ``python_version >= "3.11"``.

    Compared whole, ``version_info`` is longer than the literal: ``> (3, 11)`` holds on 3.11.0
    already, so ``>`` reads as ``>=`` and ``<=`` as ``<``; ``==`` never holds. ``[:2]`` compares as is.
    """
    if not isinstance(right, ast.Tuple):
        return None
    numbers = [e.value for e in right.elts if isinstance(e, ast.Constant) and type(e.value) is int]
    if not 1 <= len(numbers) == len(right.elts) <= 3:
        return None
    value = ".".join(str(number) for number in numbers)
    var = "python_version" if len(numbers) <= 2 else "python_full_version"
    if resolve(left) == "sys.version_info":
        widened = {">": ">=", ">=": ">=", "<": "<", "<=": "<"}.get(op)
        return _Atom(var, widened, value) if widened else None
    if _is_first_two(left, resolve) and len(numbers) == 2:
        return _Atom(var, op, value)
    return None


def _is_first_two(node: ast.expr, resolve: _Resolve) -> bool:
    """``sys.version_info[:2]``."""
    if not isinstance(node, ast.Subscript) or resolve(node.value) != "sys.version_info":
        return False
    cut = node.slice
    return (
        isinstance(cut, ast.Slice)
        and cut.lower is None
        and cut.step is None
        and isinstance(cut.upper, ast.Constant)
        and cut.upper.value == 2
    )


def _quotable(values: list[str]) -> bool:
    """PEP 508 strings are quoted with ' or ", never escaped."""
    return not any('"' in value and "'" in value for value in values)


def _literal_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _literal_strs(node: ast.expr) -> list[str]:
    """``"a"`` or ``("a", "b")`` -> the strings; [] when any element is not a literal string."""
    elements = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    values = [_literal_str(element) for element in elements]
    return [] if None in values else [value for value in values if value is not None]


# --- path values -------------------------------------------------------------------------------

_FILE = "\0"  # stands for __file__; decoded text never holds a NUL, so no literal can collide


@dataclass(frozen=True, slots=True)
class _PathValue:
    """A statically known path: relative to the file's directory when ``anchored`` and not absolute.

    ``anchored`` is False for a relative literal (``"lib"``), which depends on the working directory.
    """

    path: str
    anchored: bool
    is_path: bool


def _parent(path: str) -> str:
    norm = posixpath.normpath(path)
    if norm == ".":
        return ".."
    if norm.rsplit("/", 1)[-1] == "..":
        return f"{norm}/.."
    return posixpath.dirname(norm) or "."


def _join(base: _PathValue, part: _PathValue, *, is_path: bool) -> _PathValue:
    if part.path.startswith("/"):
        return _PathValue(part.path, True, is_path)
    return _PathValue(posixpath.join(base.path, part.path), base.anchored, is_path)


_DIRNAME = frozenset({"os.path.dirname", "posixpath.dirname"})
_JOIN = frozenset({"os.path.join", "posixpath.join"})
_AS_STR = frozenset({"str", "os.fspath", "os.path.abspath", "os.path.realpath", "os.path.normpath"})
_PATH_TYPES = frozenset(
    {"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath", "Path"}
)
_CONSTANTS = {"os.pardir": "..", "os.curdir": "."}


class _PathEvaluator:
    """Evaluates the expressions people pass to ``sys.path.insert`` (see ``_evaluate``)."""

    def __init__(self, env: dict[str, _PathValue], resolve: _Resolve) -> None:
        self.env = env
        self.resolve = resolve

    def evaluate(self, node: ast.expr) -> _PathValue | None:
        """``Path(__file__).resolve().parents[1] / "lib"`` -> ``_PathValue("../lib", ...)``."""
        if isinstance(node, ast.Constant):
            text = _literal_str(node)
            return None if text is None else _PathValue(text, text.startswith("/"), False)
        if isinstance(node, ast.Name) and node.id == "__file__":
            return _PathValue(_FILE, True, False)
        if isinstance(node, ast.Name) and node.id in self.env:
            return self.env[node.id]
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.JoinedStr):
            return self._concat(list(node.values))
        if isinstance(node, ast.Subscript):
            return self._parents(node)
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            base = self.evaluate(node.value)
            return _PathValue(_parent(base.path), base.anchored, True) if base else None
        constant = _CONSTANTS.get(self.resolve(node) or "")
        return _PathValue(constant, False, False) if constant else None

    def _call(self, node: ast.Call) -> _PathValue | None:
        name = self.resolve(node.func) or ""
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            return None
        args = [self.evaluate(arg) for arg in node.args]
        known = [arg for arg in args if arg is not None]
        if len(known) != len(args):
            return None
        if name in _DIRNAME and len(known) == 1:
            return _PathValue(_parent(known[0].path), known[0].anchored, False)
        if name in _AS_STR and len(known) == 1:
            return replace(known[0], is_path=False)
        if (name in _JOIN or name in _PATH_TYPES) and known:
            joined = known[0]
            for part in known[1:]:
                joined = _join(joined, part, is_path=False)
            return replace(joined, is_path=name in _PATH_TYPES)
        if isinstance(node.func, ast.Attribute):
            return self._method(node.func, known)
        return None

    def _method(self, func: ast.Attribute, args: list[_PathValue]) -> _PathValue | None:
        base = self.evaluate(func.value)
        if base is None or not base.is_path:
            return None
        if func.attr in ("resolve", "absolute") and not args:
            return base
        if func.attr == "as_posix" and not args:
            return replace(base, is_path=False)
        if func.attr == "joinpath":
            for part in args:
                base = _join(base, part, is_path=True)
            return base
        return None

    def _binop(self, node: ast.BinOp) -> _PathValue | None:
        if isinstance(node.op, ast.Add):
            return self._concat([node.left, node.right])
        left, right = self.evaluate(node.left), self.evaluate(node.right)
        if not isinstance(node.op, ast.Div) or left is None or right is None:
            return None
        return _join(left, right, is_path=True) if left.is_path or right.is_path else None

    def _parents(self, node: ast.Subscript) -> _PathValue | None:
        """``X.parents[1]`` -> the parent of X's parent."""
        owner, index = node.value, node.slice
        if not isinstance(owner, ast.Attribute) or owner.attr != "parents":
            return None
        if not (isinstance(index, ast.Constant) and type(index.value) is int and 0 <= index.value < 64):
            return None
        base = self.evaluate(owner.value)
        if base is None or not base.is_path:
            return None
        path = base.path
        for _ in range(index.value + 1):
            path = _parent(path)
        return _PathValue(path, base.anchored, True)

    def _concat(self, pieces: list[ast.expr]) -> _PathValue | None:
        """``HERE + "/../lib"`` and ``f"{HERE}/lib"``: text glued onto a path must start with /."""
        result: _PathValue | None = None
        for piece in pieces:
            value = self._piece(piece)
            if value is None:
                return None
            if result is None:
                result = value
            elif value.anchored and not value.path.startswith("/"):
                return None  # something derived from __file__ glued after text
            elif result.anchored and not result.path.startswith("/"):
                if not value.path.startswith("/"):
                    return None  # "." + "lib" would really be "/the/dirlib"
                result = _join(result, _PathValue(value.path[1:], False, False), is_path=False)
            else:
                result = _PathValue(result.path + value.path, result.anchored, False)
        return result

    def _piece(self, piece: ast.expr) -> _PathValue | None:
        if isinstance(piece, ast.FormattedValue):
            if piece.format_spec or piece.conversion not in (-1, ord("s")):
                return None
            value = self.evaluate(piece.value)
            return replace(value, is_path=False) if value else None  # f"{path}" is str(path)
        value = self.evaluate(piece)
        return None if value is None or value.is_path else value


# --- the collector -----------------------------------------------------------------------------

_IMPORT_MODULE = frozenset({"importlib.import_module"})
_DUNDER_IMPORT = frozenset({"__import__", "builtins.__import__", "importlib.__import__"})
_PATH_CALLS = frozenset({"sys.path.insert", "sys.path.append", "sys.path.extend"})
_TYPE_CHECKING = frozenset({"TYPE_CHECKING", "typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_SUPPRESS = frozenset({"contextlib.suppress", "suppress"})
_EXITS = frozenset({"sys.exit", "exit", "quit", "os._exit", "os.abort"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_TRY_TYPES: tuple[type[ast.stmt], ...] = tuple(
    kind for kind in (ast.Try, getattr(ast, "TryStar", None)) if isinstance(kind, type)
)
_LEAVES = (ast.Constant, ast.Name, ast.alias, ast.expr_context, ast.operator, ast.cmpop)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Context:
    optional: bool = False
    lazy: bool = False
    type_only: bool = False
    markers: tuple[_Marker, ...] = ()
    module_scope: bool = True

    def with_marker(self, marker: _Marker | None) -> _Context:
        if marker is None:
            return self
        parts = marker.parts if isinstance(marker, _AllOf) else (marker,)
        fresh = tuple(part for part in parts if part not in self.markers)
        return replace(self, markers=self.markers + tuple(dict.fromkeys(fresh)))

    def marker(self) -> str | None:
        return _render(_AllOf(self.markers)) if self.markers else None


_Visit: TypeAlias = "list[tuple[ast.AST, _Context]]"


class _Collector:
    """Walks statement bodies without recursion, carrying the context each node sits in."""

    def __init__(self, *, recovered: bool) -> None:
        self.recovered = recovered
        self.aliases: dict[str, str] = {}
        self.env: dict[str, _PathValue] = {}
        self.sites: list[tuple[int, int, int, ImportSite]] = []
        self.edits: list[PathEdit] = []
        self.notes: list[str] = []
        self.paths = _PathEvaluator(self.env, self.resolve)

    def run(self, body: Sequence[ast.stmt]) -> None:
        stack: _Visit = [(node, _Context()) for node in reversed(body)]
        while stack:
            node, ctx = stack.pop()
            stack.extend(reversed(self._visit(node, ctx)))

    def resolve(self, node: ast.expr) -> str | None:
        """``t.TYPE_CHECKING`` after ``import typing as t`` -> ``typing.TYPE_CHECKING``."""
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        return ".".join([self.aliases.get(node.id, node.id), *reversed(attrs)])

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
                    self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
            return
        for alias in node.names:
            self._add(node, ctx, module=alias.name, alias=alias.asname)
            bound = alias.asname or alias.name.partition(".")[0]
            self.aliases[bound] = alias.name if alias.asname else bound

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
        if checking is not None:
            flagged = replace(ctx, type_only=True)
            body, orelse = (flagged, ctx) if checking else (ctx, flagged)
        else:
            try:
                body = ctx.with_marker(_implied(node.test, True, self.resolve))
                orelse = ctx.with_marker(_implied(node.test, False, self.resolve))
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
        elif name in _PATH_CALLS:
            self._path_call(node, ctx, name.rpartition(".")[2])

    def _import_module(self, node: ast.Call, ctx: _Context) -> None:
        """``import_module(".x", package="p")`` -> ``p.x``; ``package=__package__`` stays relative."""
        name = _literal_str(_argument(node, 0, "name"))
        if name is None or not _is_dotted(name.lstrip(".")):
            self.notes.append(f"line {node.lineno}: dynamic import of a computed name not followed")
            return
        module = name.lstrip(".")
        level = len(name) - len(module)
        package_node = _argument(node, 1, "package")
        package = _literal_str(package_node)
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
        name = _literal_str(_argument(node, 0, "name"))
        level_node = _argument(node, 4, "level")
        level = level_node.value if isinstance(level_node, ast.Constant) else 0
        if name is None or not _is_dotted(name) or type(level) is not int or level < 0:
            self.notes.append(f"line {node.lineno}: dynamic import of a computed name not followed")
            return
        fromlist = _argument(node, 3, "fromlist")
        names = tuple(_literal_strs(fromlist)) if fromlist is not None else ()
        self._add(node, ctx, module=name, level=level, names=names, dynamic=True)

    def _path_call(self, node: ast.Call, ctx: _Context, method: str) -> None:
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
            self.notes.append(f"line {line}: sys.path edit not statically evaluable")

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
                    self.notes.append(f"line {node.lineno}: sys.path edit not statically evaluable")
                    continue
                elements = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
                for element in elements:
                    self._path_edit(element, node.lineno, "insert", ctx)
            elif isinstance(target, ast.Name) and ctx.module_scope:
                known = self._evaluate(value)
                if known is None:
                    self.env.pop(target.id, None)
                else:
                    self.env[target.id] = known

    def _evaluate(self, node: ast.expr) -> _PathValue | None:
        try:
            return self.paths.evaluate(node)
        except RecursionError:
            return None

    def _path_edit(
        self,
        node: ast.expr | None,
        line: int,
        position: Literal["insert", "append"],
        ctx: _Context,
    ) -> None:
        value = None if node is None else self._evaluate(node)
        path = posixpath.normpath(value.path) if value else ""
        if value is None or not value.anchored or _FILE in path:
            self.notes.append(f"line {line}: sys.path edit not statically evaluable")
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
