"""Python text -> logical statements and top-level chunks, whatever damage it holds; for ``depmin.scanning.recover``.

A small lexer of our own, because ``tokenize`` raises at EOF on unbalanced brackets::

    import os
    x = foo(1,            <- never closed: the bracket is dropped at the next line that starts
    import sys               with import/from/def/class/return/... (at any indentation) or with
    <<<<<<< HEAD             if/for/else/@ (at most as indented as the statement that opened it)
    print "x"

1. Masking: comments become spaces and string literals ``~`` (same length, so offsets agree), so
   nothing inside a string, docstring, f-string or comment is ever read as code. A triple-quoted
   string that is never closed ends at the end of its line.
2. Splitting: newlines and ``;`` outside brackets end a statement; a statement after ``;`` takes
   the indentation of its line. Statements group into top-level chunks (a statement at the first
   one's indentation that is not ``else``/``elif``/``except``/``finally`` and does not follow a
   decorator). For a large file ``Source.top_level_spans`` is a cheaper cut that finds the
   top-level lines first.

Each ``Statement`` keeps its first word (``import``, ``if``, ``@``, ``MERGE`` for a merge-conflict
marker line), which is what ``depmin.scanning.recover`` goes by when it repairs or rebuilds a chunk.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from typing import NamedTuple

_MASKABLE = re.compile(
    r"""
    \#[^\n]*
    | \"\"\"[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*\"\"\"
    | '''[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*'''
    | \"\"\"[^\n]* | '''[^\n]*
    | "[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*"?
    | '[^'\\\n]*(?:\\[\s\S][^'\\\n]*)*'?
    """,
    re.VERBOSE,
)
_STRUCTURE = re.compile(r"\\\n|[()\[\]{};\n]")
_TOP_LINE = re.compile(r"^[^\s)\]}]", re.M)
_BLANK = re.compile(r"(?:[ \t\f\n]|\\\n)*")
WORD = re.compile(r"@|[^\W\d]\w*")
# Lines met inside brackets that start a new statement: these keywords can never begin a line
# inside brackets in valid code, so they reset at any indentation ...
_ALWAYS_RESET = re.compile(
    r"[ \t\f]*(?:(?:import|def|class|try|except|finally|elif|while|with|return|raise|del|pass|global"
    r"|nonlocal)\b|from\s*\.*\s*[^\W\d][\w.]*\s+import\b|from\s*\.+\s*import\b)"
)
# ... these can (comprehensions, conditional expressions, `@`, a call on a dotted name such as
# `sys.path.insert(`), so only at the statement's level, where an unclosed bracket left them.
_RESET = re.compile(r"([ \t\f]*)(?:(?:if|for|async|else)\b|@|[^\W\d]\w*(?:\.[^\W\d]\w*)+\s*\()")
MERGE = "<merge>"  # the word of a merge-conflict marker line
MERGE_LINE = re.compile(r"[ \t]*(?:<{7}|={7}|>{7}|\|{7})(?=\s|$)")
# A line that is one whole statement, in one match: its leading spaces (group 1), any other blanks
# (group 2), a merge marker (group 3, empty) or its first word (group 4), then code without ';' or
# a backslash whose brackets close on the line, nested at most two deep (95% of the statements of
# the standard library). The code is written as runs of plain characters between bracketed groups,
# which the regex engine takes fastest.
_PLAIN = r"[^()\[\]{};\n\\]*+"
_INNER = rf"{_PLAIN}(?:(?:\({_PLAIN}\)|\[{_PLAIN}\]|\{{{_PLAIN}\}}){_PLAIN})*+"
_SIMPLE = re.compile(
    r"(?>( *+)((?:[ \t\f]|\\\n)*+)(?:(?:<{7}|={7}|>{7}|\|{7})(?=\s|$)()|(@|[^\W\d]\w*+))?)"
    rf"{_PLAIN}(?:(?:\({_INNER}\)|\[{_INNER}\]|\{{{_INNER}\}}){_PLAIN})*+\n"
)

CLAUSES = frozenset({"else", "elif", "except", "finally"})
_CONTINUING = CLAUSES | {MERGE}  # words of a statement that belongs to the chunk before it


class Statement(NamedTuple):
    """One logical statement (a NamedTuple: a large span holds hundreds of thousands)."""

    start: int  # offset of its first code character
    end: int  # offset of the newline or ';' that ends it
    line: int
    last: int  # its last line
    indent: int
    same_line: bool  # follows a ';'
    word: str  # its first word ("import", "if", "@", MERGE, ...)


class Chunk(NamedTuple):
    """A top-level statement with its clauses, body and decorators."""

    statements: tuple[Statement, ...]
    start: int  # offset of the start of its first line
    end: int
    line: int
    indented: bool


def _mask(text: str) -> str:
    """The text with comments blanked and string literals replaced by ``~``, same length."""

    def blank(found: re.Match[str]) -> str:
        token = found.group()
        return (" " if token[0] == "#" else "~") * len(token)

    return _MASKABLE.sub(blank, text)


def _width(prefix: str) -> int:
    """Indentation width of ``prefix`` the way Python counts it (tabs to multiples of 8)."""
    if "\t" not in prefix and "\f" not in prefix:
        return len(prefix)
    column = 0
    for char in prefix:
        column = (column // 8 + 1) * 8 if char == "\t" else (0 if char == "\f" else column + 1)
    return column


class Source:
    """The text, its masked twin and where its lines start."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.masked = _mask(text)
        self.newlines = [found.start() for found in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        return bisect_left(self.newlines, offset) + 1

    def line_start(self, offset: int) -> int:
        return self.text.rfind("\n", 0, offset) + 1

    def raw(self, statement: Statement) -> str:
        return self.text[statement.start : statement.end]

    def code(self, statement: Statement) -> str:
        return self.masked[statement.start : statement.end]

    def word(self, first: int) -> str:
        if MERGE_LINE.match(self.masked, first):
            return MERGE
        found = WORD.match(self.masked, first)
        return found.group() if found else ""

    def top_level_spans(self) -> list[tuple[int, int]]:
        """Cheap cut of a large text at lines that start a top-level statement.

        Works line by line on the masked text, counting brackets with ``str.count``; the same rules
        as ``chunks`` (clauses, decorators, merge markers, the bracket reset) in a fraction of the
        time of ``split``.
        """
        masked, starts = self.masked, [0]
        depth, previous, decorated = 0, 0, False
        for found in _TOP_LINE.finditer(masked):
            here = found.start()
            segment = masked[previous:here]
            previous = here
            opened = segment.count("(") + segment.count("[") + segment.count("{")
            closed = segment.count(")") + segment.count("]") + segment.count("}")
            depth = max(depth + opened - closed, 0)
            resets = _ALWAYS_RESET.match(masked, here) or _RESET.match(masked, here)
            if masked.startswith("\\\n", here - 2) or (depth and not resets):
                continue
            depth = 0
            word = self.word(here)
            if word in CLAUSES or word == MERGE:
                continue
            if not decorated and here:
                starts.append(here)
            decorated = word == "@"
        ends = [*starts[1:], len(masked)]
        return [(start, end) for start, end in zip(starts, ends, strict=True) if start < end]

    def split(self, start: int, end: int) -> list[Statement]:
        """The logical statements between two offsets (see the module docstring).

        Most lines are a whole statement whose brackets close on the line: ``_SIMPLE`` takes such
        a line in one match; any other line (a ``;``, a backslash, a bracket left open, brackets
        nested deeper, the text's last line without a newline) goes through ``_logical_line``,
        bracket by bracket. Both give the same statements; this runs over every file that does
        not parse, so the lines most files are made of cost one match each.
        """
        statements: list[Statement] = []
        position = start
        if start != self.line_start(start):  # (recovery always starts at a line)
            position = self._logical_line(statements, start, end)
        line = self.line_of(position)  # the line at ``position``
        while position < end:
            found = _SIMPLE.match(self.masked, position, end)
            if found is None:
                position = self._logical_line(statements, position, end)
                line = self.line_of(position)
                continue
            spaces, other, merge, word = found.groups()
            first, stop = position + len(spaces) + len(other), found.end() - 1
            position = stop + 1
            if other:  # a tab, a form feed or a backslash continuation: the general way
                line, indent = self.line_of(first), self._indent_at(first, False, statements)
            else:
                indent = len(spaces)
            last = line + self.text.count("\n", first, stop)  # a string's newlines are masked
            if first < stop:
                word = MERGE if merge is not None else word or ""
                statements.append(Statement(first, stop, line, last, indent, False, word))
            line = last + 1
        return statements

    def _logical_line(self, statements: list[Statement], begin: int, end: int) -> int:
        """Cut the statements from ``begin`` to the first that ends at a newline; its end.

        Counts brackets one by one: a newline inside brackets ends the statement only on a line
        that resets (see the module docstring), ``;`` outside brackets starts a same-line one.
        """
        depth, same_line, indent = 0, False, -1
        for found in _STRUCTURE.finditer(self.masked, begin, end):
            char = found.group()
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth = max(depth - 1, 0)
            elif char == "\n" or (char == ";" and not depth):
                if depth:
                    if indent < 0:
                        first = self._first(begin, found.start())
                        indent = self._indent_at(first, same_line, statements)
                    if not self._resets(found.end(), indent):
                        continue
                    depth = 0
                self._emit(statements, begin, found.start(), same_line)
                if char == "\n":
                    return found.end()
                begin, same_line, indent = found.end(), True, -1
        self._emit(statements, begin, end, same_line)
        return end

    def _first(self, begin: int, end: int) -> int:
        blank = _BLANK.match(self.masked, begin, end)
        return blank.end() if blank else begin

    def _indent_at(self, first: int, same_line: bool, before: list[Statement]) -> int:
        if same_line and before:
            return before[-1].indent
        return _width(self.text[self.line_start(first) : first])

    def _resets(self, line_start: int, indent: int) -> bool:
        """Does this line, met inside brackets, start a new statement (see module docstring)?"""
        if _ALWAYS_RESET.match(self.masked, line_start):
            return True
        found = _RESET.match(self.masked, line_start)
        return found is not None and _width(found.group(1)) <= indent

    def _emit(self, statements: list[Statement], begin: int, end: int, same_line: bool) -> None:
        first = self._first(begin, end)
        if first >= end:
            return
        line = self.line_of(first)
        statement = Statement(
            start=first,
            end=end,
            line=line,
            last=line + self.text.count("\n", first, end),
            indent=self._indent_at(first, same_line, statements),
            same_line=same_line,
            word=self.word(first),
        )
        statements.append(statement)


def chunks(source: Source, statements: list[Statement], end: int) -> Iterator[Chunk]:
    """Group statements into top-level chunks, each with its clauses, body and decorators.

    A statement starts a chunk when it is at most as indented as the chunk's first, not after a
    ``;``, not a clause or merge marker (``_CONTINUING``) and not decorated.
    """
    if not statements:
        return
    begin, level, decorated = 0, statements[0].indent, statements[0].word == "@"
    for k, (start, _, _, _, indent, same_line, word) in enumerate(statements):
        if k == 0 or same_line or indent > level or word in _CONTINUING:
            continue
        if not decorated:
            yield _chunk(source, statements[begin:k], source.line_start(start))
            begin, level = k, indent
        decorated = word == "@"
    yield _chunk(source, statements[begin:], end)


def _chunk(source: Source, statements: list[Statement], end: int) -> Chunk:
    head = statements[0]
    start = source.line_start(head.start)
    return Chunk(tuple(statements), start, end, head.line, head.indent > 0)
