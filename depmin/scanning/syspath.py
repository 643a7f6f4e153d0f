"""Static evaluation of the paths put on ``sys.path``, relative to the file's directory.

Private to ``depmin.scanning.collector``, which hands over each expression assigned to a module-level
name or passed to ``sys.path.insert``/``append``/``extend``, for example::

    ROOT = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(ROOT / "lib"))

``PathEvaluator.evaluate`` gives ``PathValue("..", anchored=True, is_path=True)`` for ``ROOT``
(the collector keeps it in ``env``), then ``PathValue("../lib", anchored=True, is_path=False)`` for
the argument. ``__file__`` itself is ``FILE``, a placeholder that only a parent removes; the
collector rejects a value that still holds it.

Understood: ``__file__``, string literals, ``os.pardir``/``os.curdir``, module-level names bound
earlier, ``os.path.dirname``/``join``/``abspath``/``realpath``/``normpath``, ``str``/``os.fspath``,
``pathlib.Path(...)`` with ``.parent``, ``.parents[n]``, ``/``, ``.joinpath``, ``.resolve()``,
``.absolute()`` and ``.as_posix()``, and ``+`` or f-strings gluing ``"/..."`` text onto a path.
Anything else evaluates to None. Nothing touches the file system.
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass, replace

from depmin.scanning.markers import Resolve, literal_str

FILE = "\0"  # stands for __file__; decoded text never holds a NUL, so no literal can collide


@dataclass(frozen=True, slots=True)
class PathValue:
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


def _join(base: PathValue, part: PathValue, *, is_path: bool) -> PathValue:
    if part.path.startswith("/"):
        return PathValue(part.path, True, is_path)
    return PathValue(posixpath.join(base.path, part.path), base.anchored, is_path)


_DIRNAME = frozenset({"os.path.dirname", "posixpath.dirname"})
_JOIN = frozenset({"os.path.join", "posixpath.join"})
_AS_STR = frozenset({"str", "os.fspath", "os.path.abspath", "os.path.realpath", "os.path.normpath"})
_PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath", "Path"})
_CONSTANTS = {"os.pardir": "..", "os.curdir": "."}


class PathEvaluator:
    """Evaluates the expressions people pass to ``sys.path.insert`` (see the module docstring)."""

    def __init__(self, env: dict[str, PathValue], resolve: Resolve) -> None:
        self.env = env
        self.resolve = resolve

    def evaluate(self, node: ast.expr) -> PathValue | None:
        """``Path(__file__).resolve().parents[1] / "lib"`` -> ``PathValue("../lib", ...)``."""
        if isinstance(node, ast.Constant):
            text = literal_str(node)
            return None if text is None else PathValue(text, text.startswith("/"), False)
        if isinstance(node, ast.Name) and node.id == "__file__":
            return PathValue(FILE, True, False)
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
            return PathValue(_parent(base.path), base.anchored, True) if base else None
        constant = _CONSTANTS.get(self.resolve(node) or "")
        return PathValue(constant, False, False) if constant else None

    def _call(self, node: ast.Call) -> PathValue | None:
        name = self.resolve(node.func) or ""
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            return None
        args = [self.evaluate(arg) for arg in node.args]
        known = [arg for arg in args if arg is not None]
        if len(known) != len(args):
            return None
        if name in _DIRNAME and len(known) == 1:
            return PathValue(_parent(known[0].path), known[0].anchored, False)
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

    def _method(self, func: ast.Attribute, args: list[PathValue]) -> PathValue | None:
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

    def _binop(self, node: ast.BinOp) -> PathValue | None:
        if isinstance(node.op, ast.Add):
            return self._concat([node.left, node.right])
        left, right = self.evaluate(node.left), self.evaluate(node.right)
        if not isinstance(node.op, ast.Div) or left is None or right is None:
            return None
        return _join(left, right, is_path=True) if left.is_path or right.is_path else None

    def _parents(self, node: ast.Subscript) -> PathValue | None:
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
        return PathValue(path, base.anchored, True)

    def _concat(self, pieces: list[ast.expr]) -> PathValue | None:
        """``HERE + "/../lib"`` and ``f"{HERE}/lib"``: text glued onto a path must start with /."""
        result: PathValue | None = None
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
                result = _join(result, PathValue(value.path[1:], False, False), is_path=False)
            else:
                result = PathValue(result.path + value.path, result.anchored, False)
        return result

    def _piece(self, piece: ast.expr) -> PathValue | None:
        if isinstance(piece, ast.FormattedValue):
            if piece.format_spec or piece.conversion not in (-1, ord("s")):
                return None
            value = self.evaluate(piece.value)
            return replace(value, is_path=False) if value else None  # f"{path}" is str(path)
        value = self.evaluate(piece)
        return None if value is None or value.is_path else value
