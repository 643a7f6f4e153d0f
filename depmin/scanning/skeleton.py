"""A chunk that repair could not make parse -> a tree rebuilt from its indentation, for ``depmin.scanning.recover``.

The input is the statements of one top-level chunk, as ``depmin.scanning.lexer`` cut them, that
repair could not make parse, for example::

    def load(text):
            print "loading"     <- deeper than the lines below: "unindent does not match"
        try:
            import yaml
        except ImportError:
            import json

``rebuild`` nests the statements by indentation into a tree of headers and the statements that
matter (imports, dynamic-import calls, ``sys.path``/``__file__`` statements, see
``depmin.scanning.sanitize``), then renders only the compound statements that hold something that
matters: ``def _():`` holding ``try: import yaml`` / ``except ImportError: import json``. Headers
stay as written when they are conditions or ``with suppress`` and parse, generic otherwise; empty
blocks get ``pass``, orphan ``except``/``else`` clauses a synthetic ``try``/``if``, a ``try`` without
a handler ``finally: pass``. The text parses by construction and every node gets its original line
back (``yaml`` stays at line 4).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from depmin.scanning.lexer import CLAUSES, MERGE, WORD, Chunk, Source, Statement
from depmin.scanning.parsing import parse
from depmin.scanning.sanitize import split_header, worth_keeping

__all__ = ["rebuild"]

# Where the rendering of a compound statement stands, to mend a clause that lost its opening.
_State: TypeAlias = Literal["try", "if", "loop", "handled", "try-else"]

_HAS_LINENO = (ast.stmt, ast.expr, ast.excepthandler, ast.arg, ast.keyword, ast.alias)
_OPENING_STATE: dict[str, _State] = {"try": "try", "if": "if", "for": "loop", "while": "loop"}
_CONTINUES: dict[str, tuple[_State, ...]] = {
    "except": ("try", "handled"),
    "finally": ("try", "handled", "try-else"),
    "else": ("if", "loop", "handled"),
    "elif": ("if",),
}
_NEXT_STATE: dict[str, _State | None] = {"except": "handled", "finally": None, "elif": "if"}


@dataclass(slots=True)
class _Node:
    """A statement of the skeleton tree (mutable while the tree is built)."""

    text: str
    line: int
    word: str  # the header's keyword; "" for a simple statement
    children: list[_Node]
    kept: bool  # a simple statement that matters


def rebuild(source: Source, chunk: Chunk) -> list[ast.stmt]:
    """The chunk's statements that matter, in their blocks, with their original line numbers."""
    try:
        lines = _Lines()
        lines.render(_tree(source, chunk.statements), 0)
    except RecursionError:  # absurdly deep indentation
        return _flat_imports(source, chunk)
    tree = parse(lines.text())
    if isinstance(tree, tuple):
        return _flat_imports(source, chunk)
    for node in ast.walk(tree):
        if isinstance(node, _HAS_LINENO):
            node.lineno = lines.origin[node.lineno - 1]
            if node.end_lineno is not None:
                node.end_lineno = lines.origin[node.end_lineno - 1]
    return tree.body


def _flat_imports(source: Source, chunk: Chunk) -> list[ast.stmt]:
    """Last resort: every import statement on its own, with no context."""
    body: list[ast.stmt] = []
    for statement in chunk.statements:
        if statement.word in ("import", "from"):
            text = worth_keeping(source.raw(statement), source.code(statement))
            tree = parse(text) if text else None
            if isinstance(tree, ast.Module):
                body.extend(ast.increment_lineno(node, statement.line - 1) for node in tree.body)
    return body


def _tree(source: Source, statements: Sequence[Statement]) -> list[_Node]:
    """Nest statements by indentation: a header owns what follows it indented deeper."""
    root: list[_Node] = []
    open_headers: list[tuple[int, _Node]] = []
    inline: _Node | None = None  # a header with its body on its own line, for `; more`
    for statement in statements:
        if statement.word in ("@", MERGE):
            continue
        if not (statement.same_line and inline is not None):
            inline = None
            while open_headers and open_headers[-1][0] >= statement.indent:
                open_headers.pop()
        siblings = inline.children if inline else (open_headers[-1][1].children if open_headers else root)
        header = split_header(source, statement)
        if header is None:
            text = worth_keeping(source.raw(statement), source.code(statement))
            if text is not None:
                siblings.append(_Node(text, statement.line, "", [], True))
            continue
        head, inline_raw, inline_code = header
        found = WORD.match(head)
        node = _Node(head, statement.line, found.group() if found else "if", [], False)
        siblings.append(node)
        if inline_code:
            body = worth_keeping(inline_raw, inline_code)
            if body is not None:
                node.children.append(_Node(body, statement.line, "", [], True))
            inline = node
        else:
            open_headers.append((statement.indent, node))
    return root


def _matters(node: _Node) -> bool:
    return node.kept or any(_matters(child) for child in node.children)


def _constructs(nodes: list[_Node]) -> Iterator[list[_Node]]:
    """Siblings grouped into compound statements: ``try`` with its handlers, ``if`` with its elifs."""
    group: list[_Node] = []
    for node in nodes:
        if not (node.word in CLAUSES and group and group[0].word):
            if group:
                yield group
            group = []
        group.append(node)
    if group:
        yield group


class _Lines:
    """The skeleton's text, and the original line of each of its lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.origin: list[int] = []

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def emit(self, depth: int, text: str, line: int) -> None:
        for offset, part in enumerate(text.split("\n")):
            self.lines.append("    " * depth + part if offset == 0 else part)
            self.origin.append(line + offset)

    def render(self, nodes: list[_Node], depth: int) -> None:
        """Emit the compound statements that hold something that matters; skip the rest."""
        for group in _constructs(nodes):
            if any(_matters(node) for node in group):
                self._construct(group, depth)

    def _construct(self, group: list[_Node], depth: int) -> None:
        """Emit one compound statement, mending clauses that lost what they belong to."""
        state: _State | None = None
        for node in group:
            if not node.word:
                self.emit(depth, node.text, node.line)
                continue
            text = node.text
            if node.word in CLAUSES and state not in _CONTINUES[node.word]:
                self._settle(state, depth, node.line)
                state = None
                if node.word in ("except", "finally"):
                    self.emit(depth, "try:", node.line)
                    self.emit(depth + 1, "pass", node.line)
                    state = "try"
                else:
                    text = "if True:" if node.word == "else" else "if" + text[4:]
            if node.word in _CONTINUES and state in _CONTINUES[node.word]:
                state = _NEXT_STATE.get(node.word, "try-else" if state == "handled" else None)
            else:
                state = _OPENING_STATE.get(text.split(None, 1)[0].rstrip(":"))
            self.emit(depth, text, node.line)
            before = len(self.lines)
            self.render(node.children, depth + 1)
            if len(self.lines) == before:
                self.emit(depth + 1, "pass", node.line)
        self._settle(state, depth, group[-1].line)

    def _settle(self, state: _State | None, depth: int, line: int) -> None:
        """A ``try`` that got no handler gets ``finally: pass``."""
        if state == "try":
            self.emit(depth, "finally:", line)
            self.emit(depth + 1, "pass", line)
