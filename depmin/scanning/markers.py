"""``if`` tests over the running platform or Python -> PEP 508 markers, for ``depmin.scanning.collector``.

The input is the test of one ``if`` statement, for example::

    if sys.platform.startswith("win") and sys.version_info < (3, 11):

``render(implied(test, True, resolve))`` is ``sys_platform == "win32" and python_version < "3.11"``
and the ``else`` branch gets the negation, ``sys_platform != "win32" or python_version >= "3.11"``.
A part of an ``and`` that is not expressible is dropped (the marker stays a necessary condition);
an ``or`` with such a part gives no marker. ``resolve`` turns a name or attribute chain into its
dotted origin (``p.system`` after ``import platform as p``), so aliased imports are understood.

Understood: ``sys.platform``, ``os.name``, ``sys.implementation.name`` and ``platform.system()`` /
``platform.machine()`` / ``platform.python_implementation()`` compared with ``==``/``!=``/``in`` to
string literals, ``sys.platform.startswith(...)`` with a known prefix, and ``sys.version_info``
(whole or ``[:2]``) compared with a tuple of one to three ints. ``literal_str`` and ``literal_strs``
read string literals and are shared with ``depmin.scanning.collector`` and ``depmin.scanning.syspath``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias, get_args

# The PEP 508 environment markers an ``if`` test can become, and the comparisons between them.
MarkerVar: TypeAlias = Literal[
    "sys_platform",
    "os_name",
    "implementation_name",
    "platform_system",
    "platform_machine",
    "platform_python_implementation",
    "python_version",
    "python_full_version",
]
Comparison: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True, slots=True)
class Atom:
    var: MarkerVar
    op: Comparison
    value: str


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Marker, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Marker, ...]


Marker: TypeAlias = "Atom | AllOf | AnyOf"

_NEGATED: dict[Comparison, Comparison] = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_MIRRORED: dict[Comparison, Comparison] = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
# Compared whole, sys.version_info is longer than the literal it is compared with (see _version).
_WIDENED: dict[Comparison, Comparison] = {">": ">=", ">=": ">=", "<": "<", "<=": "<"}
_OPS: dict[type[ast.cmpop], Comparison] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_ENV_ATTRS: dict[str, MarkerVar] = {
    "sys.platform": "sys_platform",
    "os.name": "os_name",
    "sys.implementation.name": "implementation_name",
}
_ENV_CALLS: dict[str, MarkerVar] = {
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

Resolve: TypeAlias = Callable[[ast.expr], "str | None"]


def _negate(marker: Marker) -> Marker:
    if isinstance(marker, Atom):
        return Atom(marker.var, _NEGATED[marker.op], marker.value)
    parts = tuple(_negate(part) for part in marker.parts)
    return AnyOf(parts) if isinstance(marker, AllOf) else AllOf(parts)


def render(marker: Marker, *, inside_and: bool = False) -> str:
    """``AllOf((Atom("os_name", "==", "nt"), ...))`` -> ``os_name == "nt" and ...``."""
    if isinstance(marker, Atom):
        quote = "'" if '"' in marker.value else '"'
        return f"{marker.var} {marker.op} {quote}{marker.value}{quote}"
    if isinstance(marker, AllOf):
        return " and ".join(render(part, inside_and=True) for part in marker.parts)
    text = " or ".join(render(part) for part in marker.parts)
    return f"({text})" if inside_and else text


# The tokens render() writes: an atom, a parenthesis, or the space-delimited "and" / "or" between two.
_TOKEN = re.compile(
    rf"(?:{'|'.join(get_args(MarkerVar))}) (?:==|!=|<=|>=|<|>) (?:\"[^\"\\\x00-\x1f\x7f]*\"|'[^'\\\x00-\x1f\x7f]*')"
    r"|\(|\)| and | or "
)


def rendered(text: str) -> bool:
    """True when ``text`` has the grammar :func:`render` writes (atoms over these variables, joined by
    ``and`` and ``or``, with parentheses), with no backslash or control character in a value: a PEP 508
    marker, which packaging's parser reads without error. False says nothing: the text may still be a
    marker, for the caller to ask packaging."""
    if text.count("(") > 50:  # deeper than any if test; and no recursion here runs out of stack
        return False
    tokens: list[str] = []
    end = 0
    for match in _TOKEN.finditer(text):
        if match.start() != end:
            return False
        tokens.append(match.group())
        end = match.end()
    if end != len(text):
        return False
    return _any_of(tokens, 0) == len(tokens)


def _any_of(tokens: list[str], at: int) -> int:
    """The index after an ``or`` of ``and``s starting at ``at``, or -1."""
    at = _all_of(tokens, at)
    while at >= 0 and at < len(tokens) and tokens[at] == " or ":
        at = _all_of(tokens, at + 1)
    return at


def _all_of(tokens: list[str], at: int) -> int:
    at = _operand(tokens, at)
    while at >= 0 and at < len(tokens) and tokens[at] == " and ":
        at = _operand(tokens, at + 1)
    return at


def _operand(tokens: list[str], at: int) -> int:
    if at >= len(tokens) or tokens[at] in (")", " and ", " or "):
        return -1
    if tokens[at] != "(":
        return at + 1
    at = _any_of(tokens, at + 1)
    return at + 1 if at >= 0 and at < len(tokens) and tokens[at] == ")" else -1


def implied(test: ast.expr, positive: bool, resolve: Resolve) -> Marker | None:
    """A marker implied by ``test`` being ``positive``; None when nothing expressible is implied.

    ``A and B`` implies whatever A and B each imply, so an inexpressible part is dropped;
    ``A or B`` implies something only when every part does.
    """
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return implied(test.operand, not positive, resolve)
    if isinstance(test, ast.BoolOp):
        parts = [implied(value, positive, resolve) for value in test.values]
        if isinstance(test.op, ast.And) == positive:
            known = tuple(part for part in parts if part is not None)
            return AllOf(known) if known else None
        if any(part is None for part in parts):
            return None
        return AnyOf(tuple(part for part in parts if part is not None))
    atom = _condition(test, resolve)
    if atom is None or positive:
        return atom
    return _negate(atom)


def _condition(test: ast.expr, resolve: Resolve) -> Marker | None:
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


def _env_var(node: ast.expr, resolve: Resolve) -> MarkerVar | None:
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        return _ENV_CALLS.get(resolve(node.func) or "")
    return _ENV_ATTRS.get(resolve(node) or "")


def _env_compare(left: ast.expr, op: Comparison, right: ast.expr, resolve: Resolve) -> Marker | None:
    var = _env_var(left, resolve)
    value = literal_str(right)
    if var is None or value is None or op not in ("==", "!=") or not _quotable([value]):
        return None
    return Atom(var, op, value)


def _membership(left: ast.expr, right: ast.expr, positive: bool, resolve: Resolve) -> Marker | None:
    """``sys.platform in ("win32", "cygwin")`` -> ``(sys_platform == "win32" or ...)``."""
    var = _env_var(left, resolve)
    values = literal_strs(right)
    if var is None or not values or not _quotable(values):
        return None
    atoms = tuple(Atom(var, "==" if positive else "!=", value) for value in values)
    return atoms[0] if len(atoms) == 1 else (AnyOf(atoms) if positive else AllOf(atoms))


def _startswith(call: ast.Call, resolve: Resolve) -> Marker | None:
    """``sys.platform.startswith("win")`` -> ``sys_platform == "win32"``."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr != "startswith" or len(call.args) != 1:
        return None
    if resolve(func.value) != "sys.platform":
        return None
    prefixes = literal_strs(call.args[0])
    values = [_PLATFORM_PREFIXES.get(prefix) for prefix in prefixes]
    if not values or None in values:
        return None
    atoms = tuple(Atom("sys_platform", "==", value) for value in values if value)
    return atoms[0] if len(atoms) == 1 else AnyOf(atoms)


def _version(left: ast.expr, op: Comparison, right: ast.expr, resolve: Resolve) -> Marker | None:
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
    var: MarkerVar = "python_version" if len(numbers) <= 2 else "python_full_version"
    if resolve(left) == "sys.version_info":
        widened = _WIDENED.get(op)
        return Atom(var, widened, value) if widened else None
    if _is_first_two(left, resolve) and len(numbers) == 2:
        return Atom(var, op, value)
    return None


def _is_first_two(node: ast.expr, resolve: Resolve) -> bool:
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


def literal_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def literal_strs(node: ast.expr) -> list[str]:
    """``"a"`` or ``("a", "b")`` -> the strings; [] when any element is not a literal string."""
    elements = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    values = [literal_str(element) for element in elements]
    return [] if None in values else [value for value in values if value is not None]
