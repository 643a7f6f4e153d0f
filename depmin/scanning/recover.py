"""Module-level ``ast`` statements of Python text that does not parse, or is too large to parse whole.

Private to ``depmin.scanning.extract``. The text is cut into logical statements by ``depmin.scanning.lexer``, a small
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
3. Repair: a chunk that does not parse is re-parsed a bounded number of times, every line kept in
   place: merge markers are blanked; the statement at the reported line becomes a sanitized form
   (an import rebuilt from its tokens, a broken header a generic header of the same kind, anything
   else ``pass``); an empty block gets ``pass`` after its header; a ``try`` left without handlers
   becomes ``if True``. The kinds (optional/lazy/type_only/markers) of the rest stay exact.
4. Skeleton: if repair does not converge, the chunk is rebuilt from its indentation as a tree of
   headers (kept as written when they are conditions or ``with suppress`` and parse, generic
   otherwise) and the statements that matter (imports, dynamic-import calls, ``sys.path``/
   ``__file__`` statements), rendered only where something matters; empty blocks get ``pass``,
   orphan ``except``/``else`` clauses a synthetic ``try``/``if``. The skeleton parses by
   construction and its line numbers are mapped back to the original lines.

Known limits: an inserted or deleted triple quote pairs with the next one, as it does for Python,
and hides what lies between; a bracket that never closes hides the following lines up to a reset
line (see above); a broken ``def`` header loses its decorators and arguments (irrelevant here);
alias names (``TC`` for ``TYPE_CHECKING``, ``im`` for ``import_module``) are understood only when
their import survived, and a dynamic import in a broken statement only under its usual names.
"""

from __future__ import annotations

import ast
import keyword
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from depmin.scanning.lexer import CLAUSES, MERGE, MERGE_LINE, WORD, Chunk, Source, Statement, chunks

Problem: TypeAlias = tuple[str, int]  # the parser's message and line (0 when it names none)

_REPAIRS = 12  # re-parses per chunk
_REPAIR_CHARS = 2_000_000  # and at most this much text re-parsed per chunk

_LINE_IN_MESSAGE = re.compile(r"(\bline )(\d+)")
_RELEVANT = re.compile(r"\b(?:import|__import__|import_module|path|Path|__file__|suppress)\b")
_RELEVANT_SIMPLE = re.compile(r"\b(?:__import__|import_module|path|Path|__file__)\b")
_DYNAMIC_CALL = re.compile(r"(?:[^\W\d]\w*\s*\.\s*)*(?:import_module|__import__)\s*\(")
_BRACKETS = re.compile(r"[()\[\]{}]")
_HEADER_COLON = re.compile(r"[()\[\]{}]|:(?!=)")
_FROM = re.compile(r"from\s*(\.*)\s*([^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*)*\b)?\s*import\b(.*)", re.S)
_IMPORT = re.compile(r"import\b(.*)", re.S)
_NAME_TOKEN = re.compile(r"\*|[^\W\d]\w*|[\s(),]+|\S")
_MODULE_TOKEN = re.compile(r"([^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*)*)(?:\s+as\s+([^\W\d]\w*))?|[\s,]+|(\S)")

_HEADERS = CLAUSES | {"if", "try", "for", "while", "with", "def", "class", "async", "match", "case"}
_GENERIC_HEADERS = {
    "if": "if True:",
    "elif": "elif True:",
    "while": "while True:",
    "for": "for _ in ():",
    "with": "with _:",
    "def": "def _():",
    "class": "class _:",
    "try": "try:",
    "else": "else:",
    "finally": "finally:",
}
_HEADER_CONTEXT = {
    "elif": ("if 1:\n pass\n", "\n pass"),
    "else": ("if 1:\n pass\n", "\n pass"),
    "except": ("try:\n pass\n", "\n pass"),
    "finally": ("try:\n pass\n", "\n pass"),
    "try": ("", "\n pass\nfinally:\n pass"),
}
_CAUGHT = ("ModuleNotFoundError", "ImportError", "BaseException", "Exception")
# Modules whose from-imports rename something the import scan looks for (import_module, path).
_RENAMING_MODULES = frozenset({"importlib", "sys", "builtins"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Pieces:
    """Module-level statements with their original line numbers, from chunks parsed one by one."""

    body: tuple[ast.stmt, ...]
    problem: Problem | None
    notes: tuple[str, ...]


def parse(text: str, *, filename: str = "<string>") -> ast.Module | Problem:
    """``ast.parse`` that returns the problem instead of raising, and never warns."""
    with warnings.catch_warnings():
        # Invalid escape sequences warn at parse time; under -W error that would be an exception.
        warnings.simplefilter("ignore")
        try:
            return ast.parse(text, filename=filename)
        except SyntaxError as exc:
            return (exc.msg or "invalid syntax", exc.lineno or 0)
        except (RecursionError, MemoryError):
            # CPython's parser reports absurdly nested expressions as one of these.
            return ("too deeply nested for the parser", 0)
        except ValueError as exc:
            return (str(exc), 0)


def _parses(source: str) -> bool:
    return isinstance(parse(source), ast.Module)


def recover(text: str, *, problem: Problem | None, only_relevant: bool) -> Pieces:
    """Parse ``text`` piece by piece, repairing or rebuilding the pieces that do not parse.

    ``problem`` is what parsing the whole text reported (then every piece is examined); without
    it (``only_relevant``, a large file) only the top-level spans that can hold imports are parsed
    and the first that fails provides the problem.
    """
    source = Source(text)
    spans = source.top_level_spans() if only_relevant else [(0, len(text))]
    parsed: dict[int, list[ast.stmt] | Problem] = {}
    if only_relevant:
        _parse_spans(source, spans, parsed, _RELEVANT)
        _parse_spans(source, spans, parsed, _renaming_names(parsed.values()))
    else:
        parsed[0] = problem or ("", 0)
    body: list[ast.stmt] = []
    notes: list[str] = []
    for k in sorted(parsed):
        piece = parsed[k]
        if isinstance(piece, tuple):
            problem = problem or piece
            piece = _recover_span(source, *spans[k], notes)
        body.extend(piece)
    if only_relevant:
        notes.insert(0, f"large file: parsed {len(parsed)} of {len(spans)} top-level statements")
    if problem is not None and problem[1] == 0:
        problem = (problem[0], 1)
    return Pieces(body=tuple(body), problem=problem, notes=tuple(notes))


def _parse_spans(
    source: Source,
    spans: list[tuple[int, int]],
    parsed: dict[int, list[ast.stmt] | Problem],
    wanted: re.Pattern[str] | None,
) -> None:
    for k, (start, end) in enumerate(spans):
        if k not in parsed and wanted is not None and wanted.search(source.masked, start, end):
            parsed[k] = _parse_piece(source.text[start:end], source.line_of(start), indented=False)


def _recover_span(source: Source, start: int, end: int, notes: list[str]) -> list[ast.stmt]:
    """Cut a span that does not parse into chunks; parse, repair or rebuild each."""
    body: list[ast.stmt] = []
    for chunk in chunks(source, source.split(start, end), end):
        text = source.text[chunk.start : chunk.end]
        piece = _parse_piece(text, chunk.line, indented=chunk.indented)
        if isinstance(piece, tuple):
            piece = _recover_chunk(source, chunk, piece, notes)
        body.extend(piece)
    return body


def _renaming_names(pieces: Iterable[list[ast.stmt] | Problem]) -> re.Pattern[str] | None:
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


def _parse_piece(text: str, line: int, *, indented: bool) -> list[ast.stmt] | Problem:
    """Parse a piece of the file starting at ``line``; line numbers come out as in the file."""
    first = line
    shift = line - 1 - indented
    result = parse(f"if 1:\n{text}" if indented else text)
    if isinstance(result, tuple):
        message, line = result
        # Messages name lines too ("... after 'if' statement on line 3"): make those absolute.
        message = _LINE_IN_MESSAGE.sub(lambda m: f"{m[1]}{int(m[2]) + shift}", message)
        return (message, max(line + shift, first) if line else first)
    body = result.body
    if indented and isinstance(body[0], ast.If):
        body = body[0].body
    if shift:
        for statement in body:
            ast.increment_lineno(statement, shift)
    return list(body)


def _recover_chunk(source: Source, chunk: Chunk, problem: Problem, notes: list[str]) -> list[ast.stmt]:
    lines = f"lines {chunk.line}-{chunk.statements[-1].last}"
    repair = _Repair(source, chunk)
    repaired = repair.run(problem)
    if repaired is not None:
        notes.append(f"{lines}: parsed after repairing {len(repair.replaced)} statement(s)")
        return repaired
    notes.append(f"{lines}: imports recovered from the indentation structure")
    return _skeleton_body(source, chunk)


class _Repair:
    """Re-parse a chunk after replacing, one at a time, the statements the parser points at."""

    def __init__(self, source: Source, chunk: Chunk) -> None:
        self.source = source
        self.chunk = chunk
        self.statements = chunk.statements
        self.replaced: dict[int, str] = {}

    def run(self, problem: Problem) -> list[ast.stmt] | None:
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

    def _step(self, problem: Problem) -> bool:
        message, line = problem
        if message.startswith("expected an indented block"):
            found = re.search(r"on line (\d+)", message)
            return self._fill_block(int(found.group(1)) if found else line - 1)
        if message.startswith("expected 'except' or 'finally' block"):
            return self._untry(line)
        return any(self._replace(index, _sanitized(self.source, self.statements[index])) for index in self._at(line))

    def _at(self, line: int) -> list[int]:
        indexes = range(len(self.statements))
        inside = [k for k in indexes if self.statements[k].line <= line <= self.statements[k].last]
        return inside or [k for k in indexes if self.statements[k].line <= line][-1:]

    def _fill_block(self, line: int) -> bool:
        """``if x:`` with nothing under it -> ``if x: pass`` (a trailing comment is dropped)."""
        for index, statement in enumerate(self.statements):
            if statement.line == line and statement.word in _HEADERS:
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


# --- sanitizing one statement ------------------------------------------------------------------


def _sanitized(source: Source, statement: Statement) -> str:
    """A form of the statement that parses on its own, on one line where it had to change."""
    if statement.word == MERGE:
        return ""
    header = _header(source, statement)
    if header is not None:
        head, inline_raw, inline_code = header
        if not inline_code:
            return head
        return f"{head} {_simple(inline_raw, inline_code) or 'pass'}"
    return _simple(source.raw(statement), source.code(statement)) or "pass"


def _header(source: Source, statement: Statement) -> tuple[str, str, str] | None:
    """(header ending in ':', inline body, its masked twin) of a compound statement, else None."""
    if statement.word not in _HEADERS:
        return None
    raw, code = source.raw(statement), source.code(statement)
    colon = _header_colon(code)
    if colon is None:
        return None if statement.word in ("match", "case") else (_generic(code), "", "")
    head = _head(statement.word, raw[: colon + 1], code[: colon + 1])
    rest = code[colon + 1 :]
    lead = colon + 1 + len(rest) - len(rest.lstrip())
    return head, raw[lead:], code[lead:].rstrip()


def _header_colon(code: str) -> int | None:
    depth = 0
    for found in _HEADER_COLON.finditer(code):
        char = found.group()
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif not depth:
            return found.start()
    return None


def _head(word: str, raw: str, code: str) -> str:
    """The header as written when its text matters to the scan and it parses, else a generic one.

    Only conditions (markers, TYPE_CHECKING) and ``with suppress(...)`` matter; the caught types
    of an ``except`` are read by ``_generic``. Validating every ``def`` would cost a parse each.
    """
    if word in ("if", "elif") or (word == "with" and "suppress" in code):
        return raw if _valid_header(word, raw) else _generic(code)
    return _generic(code)


def _valid_header(word: str, head: str) -> bool:
    before, after = _HEADER_CONTEXT.get(word, ("", "\n pass"))
    return _parses(before + head + after)


def _generic(code: str) -> str:
    """A header of the same kind that always parses: ``except ImportError, e:`` -> ``except ImportError:``."""
    found = WORD.match(code.lstrip())
    word = found.group() if found else ""
    if word == "except":
        if re.fullmatch(r"except\s*:", code.strip()):
            return "except:"
        caught = next((name for name in _CAUGHT if re.search(rf"\b{name}\b", code)), "ValueError")
        return f"except {caught}:"
    if word == "async":
        return "async def _():" if re.match(r"async\s+def\b", code) else "if True:"
    return _GENERIC_HEADERS.get(word, "if True:")


def _simple(raw: str, code: str) -> str | None:
    """A simple statement worth keeping (imports, dynamic imports, path edits), or None."""
    if re.match(r"(?:import|from)\b", code):
        return raw if _parses(raw) else _tolerant_import(code)
    if not _RELEVANT_SIMPLE.search(code):
        return None
    if _parses(raw):
        return raw
    return "; ".join(_dynamic_calls(raw, code)) or None


def _dynamic_calls(raw: str, code: str) -> Iterator[str]:
    """``importlib.import_module("x")`` calls that parse on their own, from a broken statement.

    A call whose parenthesis never closes is tried closed at the end of the statement.
    """
    for found in _DYNAMIC_CALL.finditer(code):
        close = _matching(code, found.end() - 1)
        call = raw[found.start() : len(raw) if close is None else close + 1]
        call = call.replace("\\\n", " ").replace("\n", " ") + ("" if close is not None else ")")
        if _parses(call):
            yield call


def _matching(code: str, opening: int) -> int | None:
    depth = 0
    for found in _BRACKETS.finditer(code, opening):
        depth += 1 if found.group() in "([{" else -1
        if depth == 0:
            return found.start()
    return None


def _tolerant_import(code: str) -> str | None:
    """Rebuild a broken import from its tokens: ``from x import (a,\\n b`` -> ``from x import a, b``."""
    kept = [line for line in code.split("\n") if not MERGE_LINE.match(line)]
    flat = " ".join(kept).replace("\\", " ")
    found = _FROM.match(flat)
    if found:
        dots, module = found.group(1), re.sub(r"\s+", "", found.group(2) or "")
        names = _names(found.group(3))
        if names:
            return _checked(f"from {dots}{module} import {', '.join(names)}")
        return _checked(f"import {module}") if module and not dots else None
    found = _IMPORT.match(flat)
    modules = _modules(found.group(1)) if found else []
    return _checked(f"import {', '.join(modules)}") if modules else None


def _names(part: str) -> list[str]:
    names: list[str] = []
    alias_next = False
    for found in _NAME_TOKEN.finditer(part):
        token = found.group()
        if token == "*":
            return ["*"]
        if token[0].isspace() or token[0] in "(),":
            continue
        if not token.isidentifier() or (keyword.iskeyword(token) and token != "as"):
            break
        if token == "as":
            alias_next = True
        elif alias_next:
            alias_next = False
        else:
            names.append(token)
    return names


def _modules(part: str) -> list[str]:
    modules: list[str] = []
    for found in _MODULE_TOKEN.finditer(part):
        if found.group(3):
            break
        if found.group(1):
            dotted = re.sub(r"\s+", "", found.group(1))
            if any(keyword.iskeyword(piece) for piece in dotted.split(".")):
                break
            alias = found.group(2)
            modules.append(f"{dotted} as {alias}" if alias else dotted)
    return modules


def _checked(source: str) -> str | None:
    return source if _parses(source) else None


# --- the skeleton ------------------------------------------------------------------------------


_HAS_LINENO = (ast.stmt, ast.expr, ast.excepthandler, ast.arg, ast.keyword, ast.alias)
_OPENING_STATE = {"try": "try", "if": "if", "for": "loop", "while": "loop"}
_CONTINUES = {
    "except": ("try", "handled"),
    "finally": ("try", "handled", "try-else"),
    "else": ("if", "loop", "handled"),
    "elif": ("if",),
}
_NEXT_STATE = {"except": "handled", "finally": None, "elif": "if"}


@dataclass(slots=True)
class _Node:
    """A statement of the skeleton tree (mutable while the tree is built)."""

    text: str
    line: int
    word: str  # the header's keyword; "" for a simple statement
    children: list[_Node]
    kept: bool  # a simple statement that matters


def _skeleton_body(source: Source, chunk: Chunk) -> list[ast.stmt]:
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
            text = _simple(source.raw(statement), source.code(statement))
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
        header = _header(source, statement)
        if header is None:
            text = _simple(source.raw(statement), source.code(statement))
            if text is not None:
                siblings.append(_Node(text, statement.line, "", [], True))
            continue
        head, inline_raw, inline_code = header
        found = WORD.match(head)
        node = _Node(head, statement.line, found.group() if found else "if", [], False)
        siblings.append(node)
        if inline_code:
            body = _simple(inline_raw, inline_code)
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
        state: str | None = None
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

    def _settle(self, state: str | None, depth: int, line: int) -> None:
        """A ``try`` that got no handler gets ``finally: pass``."""
        if state == "try":
            self.emit(depth, "finally:", line)
            self.emit(depth + 1, "pass", line)
