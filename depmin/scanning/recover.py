"""Module-level ``ast`` statements of Python text that does not parse, or is too large to parse whole.

Private to ``depmin.scanning.extraction``. The text is cut into logical statements by ``depmin.scanning.lexer``, a small
tolerant lexer of our own (``tokenize`` raises at EOF on unbalanced brackets)::

    import os
    x = foo(1,            <- never closed: the bracket is dropped at the next line that starts
    import sys               with import/from/def/class/return/... (at any indentation) or with
    <<<<<<< HEAD             if/for/else/@ (at most as indented as the statement that opened it)
    print "x"             <- merge markers are blanked; a Python 2 print becomes ``pass``

1. Masking (``depmin.scanning.lexer``): comments and string literals are blanked, so nothing inside a
   string, docstring, f-string or comment is ever read as code.
2. Splitting (``depmin.scanning.lexer``): newlines and ``;`` outside brackets end a statement; statements
   group into top-level chunks with their clauses, bodies and decorators. Every chunk is parsed
   alone with ``ast.parse``, so damage stays inside its chunk.
   For a large file a cheaper cut finds the top-level lines first and only the spans that mention
   imports, ``sys.path``, ``__file__`` or a from-imported name of importlib/sys/builtins are parsed.
3. Repair (here; one statement is sanitized by ``depmin.scanning.sanitize``): a chunk that does
   not parse is re-parsed a bounded number of times, every line kept in place: merge markers are
   blanked; the statement at the reported line becomes a sanitized form (an import rebuilt from
   its tokens, a broken header a generic header of the same kind, anything else ``pass``); an
   empty block gets ``pass`` after its header; a ``try`` left without handlers becomes
   ``if True``. The kinds (optional/lazy/type_only/markers) of the rest stay exact.
4. Skeleton (``depmin.scanning.skeleton``): if repair does not converge, the chunk is rebuilt from
   its indentation as a tree of headers (kept as written when they are conditions or
   ``with suppress`` and parse, generic otherwise) and the statements that matter (imports,
   dynamic-import calls, ``sys.path``/``__file__`` statements), rendered only where something
   matters; empty blocks get ``pass``, orphan ``except``/``else`` clauses a synthetic
   ``try``/``if``. The skeleton parses by construction and its line numbers are mapped back to
   the original lines.

Known limits: an inserted or deleted triple quote pairs with the next one, as it does for Python,
and hides what lies between; a bracket that never closes hides the following lines up to a reset
line (see above); a broken ``def`` header loses its decorators and arguments (irrelevant here);
alias names (``TC`` for ``TYPE_CHECKING``, ``im`` for ``import_module``) are understood only when
their import survived, and a dynamic import in a broken statement only under its usual names.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass

from depmin.scanning.lexer import MERGE, Chunk, Source, chunks
from depmin.scanning.parsing import ParseFailure, parse
from depmin.scanning.sanitize import HEADERS, sanitized
from depmin.scanning.skeleton import rebuild

__all__ = ["Pieces", "recover"]

_REPAIRS = 12  # re-parses per chunk
_REPAIR_CHARS = 2_000_000  # and at most this much text re-parsed per chunk

_LINE_IN_MESSAGE = re.compile(r"(\bline )(\d+)")
_RELEVANT = re.compile(r"\b(?:import|__import__|import_module|path|Path|__file__|suppress)\b")
# Modules whose from-imports rename something the import scan looks for (import_module, path).
_RENAMING_MODULES = frozenset({"importlib", "sys", "builtins"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Pieces:
    """Module-level statements with their original line numbers, from chunks parsed one by one."""

    body: tuple[ast.stmt, ...]
    problem: ParseFailure | None
    notes: tuple[str, ...]
    # Per statement of ``body``: it was parsed from the file's own text, so its nodes' lines hold
    # what the parser read there (False for a repaired or rebuilt chunk, whose text was changed).
    exact: tuple[bool, ...]


def recover(text: str, *, problem: ParseFailure | None, only_relevant: bool) -> Pieces:
    """Parse ``text`` piece by piece, repairing or rebuilding the pieces that do not parse.

    ``problem`` is what parsing the whole text reported (then every piece is examined); without
    it (``only_relevant``, a large file) only the top-level spans that can hold imports are parsed
    and the first that fails provides the problem.
    """
    source = Source(text)
    spans = source.top_level_spans() if only_relevant else [(0, len(text))]
    parsed: dict[int, list[ast.stmt] | ParseFailure] = {}
    if only_relevant:
        _parse_spans(source, spans, parsed, _RELEVANT)
        _parse_spans(source, spans, parsed, _renaming_names(parsed.values()))
    else:
        parsed[0] = problem or ("", 0)
    body: list[ast.stmt] = []
    exact: list[bool] = []
    notes: list[str] = []
    for k in sorted(parsed):
        piece = parsed[k]
        if isinstance(piece, tuple):
            problem = problem or piece
            _recover_span(source, *spans[k], notes, body, exact)
        else:
            body.extend(piece)
            exact.extend([True] * len(piece))
    if only_relevant:
        notes.insert(0, f"large file: parsed {len(parsed)} of {len(spans)} top-level statements")
    if problem is not None and problem[1] == 0:
        problem = (problem[0], 1)
    return Pieces(body=tuple(body), problem=problem, notes=tuple(notes), exact=tuple(exact))


def _parse_spans(
    source: Source,
    spans: list[tuple[int, int]],
    parsed: dict[int, list[ast.stmt] | ParseFailure],
    wanted: re.Pattern[str] | None,
) -> None:
    for k, (start, end) in enumerate(spans):
        if k not in parsed and wanted is not None and wanted.search(source.masked, start, end):
            parsed[k] = _parse_piece(source.text[start:end], source.line_of(start), indented=False)


def _recover_span(
    source: Source, start: int, end: int, notes: list[str], body: list[ast.stmt], exact: list[bool]
) -> None:
    """Cut a span that does not parse into chunks; parse, repair or rebuild each (into ``body``)."""
    for chunk in chunks(source, source.split(start, end), end):
        text = source.text[chunk.start : chunk.end]
        piece = _parse_piece(text, chunk.line, indented=chunk.indented)
        parsed = not isinstance(piece, tuple)
        if isinstance(piece, tuple):
            piece = _recover_chunk(source, chunk, piece, notes)
        body.extend(piece)
        exact.extend([parsed] * len(piece))


def _renaming_names(pieces: Iterable[list[ast.stmt] | ParseFailure]) -> re.Pattern[str] | None:
    """Names from-imported out of importlib, sys or builtins (``import_module as im``, ...)."""
    names: set[str] = set()
    statements = [node for piece in pieces if not isinstance(piece, tuple) for node in piece]
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                root = node.module.partition(".")[0]
                names.update(a.asname or a.name for a in node.names if root in _RENAMING_MODULES)
    names.discard("*")
    if not names:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(name) for name in sorted(names)) + r")\b")


# --- parsing chunks ----------------------------------------------------------------------------


def _parse_piece(text: str, line: int, *, indented: bool) -> list[ast.stmt] | ParseFailure:
    """Parse a piece of the file starting at ``line``; line numbers come out as in the file.

    The piece is parsed after ``line - 1`` blank lines, so the parser numbers its nodes and its
    messages as in the file: that costs the tokenizer a newline a line, where moving every node of
    the tree afterwards (``ast.increment_lineno``) cost more than the parse itself.
    """
    first = line
    shift = line - 1 - indented
    piece = f"if 1:\n{text}" if indented else text
    result = parse("\n" * shift + piece if shift > 0 else piece)
    moved = shift if shift < 0 else 0  # only an indented piece at line 1 is parsed above its place
    if isinstance(result, tuple):
        message, line = result
        if moved:  # messages name lines too ("... after 'if' statement on line 3")
            message = _LINE_IN_MESSAGE.sub(lambda m: f"{m[1]}{int(m[2]) + moved}", message)
        return (message, max(line + moved, first) if line else first)
    body = result.body
    if indented and isinstance(body[0], ast.If):
        body = body[0].body
    if moved:
        for statement in body:
            ast.increment_lineno(statement, moved)
    return list(body)


def _recover_chunk(source: Source, chunk: Chunk, problem: ParseFailure, notes: list[str]) -> list[ast.stmt]:
    lines = f"lines {chunk.line}-{chunk.statements[-1].last}"
    repair = _Repair(source, chunk)
    repaired = repair.run(problem)
    if repaired is not None:
        notes.append(f"{lines}: parsed after repairing {len(repair.replaced)} statement(s)")
        return repaired
    notes.append(f"{lines}: imports recovered from the indentation structure")
    return rebuild(source, chunk)


class _Repair:
    """Re-parse a chunk after replacing, one at a time, the statements the parser points at."""

    def __init__(self, source: Source, chunk: Chunk) -> None:
        self.source = source
        self.chunk = chunk
        self.statements = chunk.statements
        self.replaced: dict[int, str] = {}

    def run(self, problem: ParseFailure) -> list[ast.stmt] | None:
        for index, statement in enumerate(self.statements):
            if statement.word == MERGE:
                self._replace(index, "")
        size = max(self.chunk.end - self.chunk.start, 1)
        for _ in range(min(_REPAIRS, _REPAIR_CHARS // size)):
            if self.replaced:
                result = _parse_piece(self._text(), self.chunk.line, indented=self.chunk.indented)
                if not isinstance(result, tuple):
                    return result
                problem = result
            if not self._step(problem):
                return None
        return None

    def _text(self) -> str:
        parts, position = [], self.chunk.start
        for index in sorted(self.replaced):
            statement = self.statements[index]
            parts += [self.source.text[position : statement.start], self.replaced[index]]
            position = statement.end
        parts.append(self.source.text[position : self.chunk.end])
        return "".join(parts)

    def _current(self, index: int) -> str:
        return self.replaced.get(index, self.source.raw(self.statements[index]))

    def _replace(self, index: int, new: str) -> bool:
        """Replace a statement, padding with newlines so every later line stays where it was."""
        missing = self.source.raw(self.statements[index]).count("\n") - new.count("\n")
        new += "\n" * missing
        if missing < 0 or new == self._current(index):
            return False
        self.replaced[index] = new
        return True

    def _step(self, problem: ParseFailure) -> bool:
        message, line = problem
        if message.startswith("expected an indented block"):
            found = re.search(r"on line (\d+)", message)
            return self._fill_block(int(found.group(1)) if found else line - 1)
        if message.startswith("expected 'except' or 'finally' block"):
            return self._untry(line)
        return any(self._replace(index, sanitized(self.source, self.statements[index])) for index in self._at(line))

    def _at(self, line: int) -> list[int]:
        indexes = range(len(self.statements))
        inside = [k for k in indexes if self.statements[k].line <= line <= self.statements[k].last]
        return inside or [k for k in indexes if self.statements[k].line <= line][-1:]

    def _fill_block(self, line: int) -> bool:
        """``if x:`` with nothing under it -> ``if x: pass`` (a trailing comment is dropped)."""
        for index, statement in enumerate(self.statements):
            if statement.line == line and statement.word in HEADERS:
                if index in self.replaced:
                    code = self.replaced[index].rstrip("\n")
                else:
                    code = self.source.raw(statement)[: len(self.source.code(statement).rstrip())]
                return self._replace(index, f"{code} pass")
        return False

    def _untry(self, line: int) -> bool:
        """A ``try`` that lost its handlers guards nothing: make it ``if True``."""
        for index in reversed(range(len(self.statements))):
            statement = self.statements[index]
            if statement.line < line and statement.word == "try" and not statement.same_line:
                return self._replace(index, "if True" + self._current(index)[3:])
        return False
