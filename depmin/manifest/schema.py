"""Typed reading of a parsed TOML document that collects every problem with its key path.

Private to :mod:`depmin.manifest.load`. A :class:`Checker` never raises on bad values: it records a
:class:`~depmin.errors.Problem` located as ``agents.toml:57: agents.NLUAgent.family`` and returns a
default, so that one run reports everything that is wrong.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import types
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TypeVar

from depmin import _toml
from depmin.errors import Problem
from depmin.manifest.bounds import MAX_CONFIG_BYTES, MAX_KEY_PARTS, deep_key

T = TypeVar("T")
S = TypeVar("S", bound=str)  # a closed set of strings, such as a Literal
KeyPath = tuple[str, ...]
Rule = Callable[[str], "str | None"]  # a value's problem as a message, None when it is valid

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
# Every pattern is linear on any line (the old header pattern was quadratic on "[" and spaces) and
# applied with fullmatch or an explicit end: "$" would also accept a trailing newline.
_HEADER = re.compile(r"\s*\[\[?([^\]]*)\]\]?\s*(?:#.*)?")
_KEY = re.compile(r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=")
_BARE = re.compile(r"[A-Za-z0-9_.-]+")
_EMPTY: Mapping[str, str] = types.MappingProxyType({})
_MAX_HINTED = 100  # longer names get no "did you mean" (difflib is quadratic in the lengths)
_MAX_OPTIONS = 1000  # nor do names among more options
_MAX_HINTS = 100  # nor unknown keys after this many problems


def did_you_mean(name: str, options: Collection[str]) -> str:
    """`` (did you mean 'cpu'?)`` when an option is close to ``name``, else an empty string."""
    if len(name) > _MAX_HINTED or len(options) > _MAX_OPTIONS:  # bounded work on a hostile file
        return ""
    close = difflib.get_close_matches(name, sorted(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _split_key(text: str) -> KeyPath:
    parts = re.findall(r"\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+", text)
    return tuple(_key_part(part) for part in parts)


def _key_part(part: str) -> str:
    """A key part as the parser reads it: ``"Evil\\n"`` is ``Evil`` and a newline (JSON escapes
    are TOML's, but for ``\\U`` and ``\\e``, which then only cost the line number)."""
    if part.startswith('"'):
        try:
            decoded = json.loads(part)
        except ValueError:
            return part.strip('"')
        return decoded if isinstance(decoded, str) else part.strip('"')
    return part.strip("'")


def _key_lines(text: str) -> dict[KeyPath, int]:
    """Line of each table header and key: ``{("agents", "NLUAgent", "ports"): 58}`` (first wins)."""
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    for number, line in enumerate(text.split("\n"), start=1):
        header = _HEADER.fullmatch(line)
        if header:
            table = _split_key(header.group(1))
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*table, *_split_key(key.group(1))), number)
    return lines


class Checker:
    """Reads values out of a TOML document, recording a problem for each one that is wrong."""

    def __init__(self, filename: str, data: bytes) -> None:
        self.filename = filename
        self.data = data
        self.problems: list[Problem] = []
        self._lines: dict[KeyPath, int] = {}

    # -- locating and recording -------------------------------------------------------------

    def where(self, path: KeyPath) -> str:
        dotted = ".".join(part if _BARE.fullmatch(part) else json.dumps(part) for part in path)
        for end in range(len(path), 0, -1):
            line = self._lines.get(path[:end])
            if line is not None:
                return f"{self.filename}:{line}: {dotted}"
        return f"{self.filename}: {dotted}" if path else self.filename

    def error(self, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.where(path), message))

    def rule(self, path: KeyPath, value: str | None, rule: Rule) -> bool:
        """Record the problem ``rule`` finds in ``value`` (None: nothing to check); True when valid."""
        problem = None if value is None else rule(value)
        if problem is not None:
            self.error(path, problem)
        return problem is None

    def rules(self, path: KeyPath, values: Iterable[str] | None, rule: Rule) -> bool:
        """:meth:`rule` for each item of a list, located at the list's key; True when all are valid."""
        valid = [self.rule(path, value, rule) for value in values or ()]  # every item, not up to the first
        return all(valid)

    # -- the document -------------------------------------------------------------------------

    def parse_toml(self) -> dict[str, object] | None:
        """The parsed document, or None with the syntax problems recorded."""
        if len(self.data) > MAX_CONFIG_BYTES:
            message = f"is larger than {MAX_CONFIG_BYTES} bytes (1 MiB), the most depmin reads; shorten it"
            self.problems.append(Problem(self.filename, message))
            return None
        try:
            text = self.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems.append(
                Problem(
                    self.filename,
                    f"not UTF-8 (byte {exc.start}); TOML files must be UTF-8, re-save it as UTF-8",
                )
            )
            return None
        deep = deep_key(text)
        if deep is not None:
            parts, line = deep
            message = f"a key of {parts} dotted parts, more than {MAX_KEY_PARTS}; no key of agents.toml has more than 4"
            self.problems.append(Problem(f"{self.filename}:{line}", message))
            return None
        self._lines = _key_lines(text)
        duplicates = self._duplicate_agents(text)
        try:
            document: dict[str, object] = _toml.loads(text)
            return document
        except _toml.TOMLDecodeError as exc:
            message = str(exc)
            if not (duplicates and "Cannot declare" in message):
                self.problems.append(self._syntax_problem(message))
            return None
        except (RecursionError, ValueError) as exc:  # absurd nesting, odd numbers
            self.problems.append(Problem(self.filename, f"invalid TOML ({type(exc).__name__}); simplify the document"))
            return None

    def _syntax_problem(self, message: str) -> Problem:
        found = _AT.search(message)
        reason = _AT.sub("", message).strip().rstrip(".")
        if found is None:
            return Problem(self.filename, f"invalid TOML: {reason}; fix the syntax")
        line, column = found.groups()
        return Problem(f"{self.filename}:{line}:{column}", f"invalid TOML: {reason}; fix the syntax there")

    def _duplicate_agents(self, text: str) -> bool:
        seen: dict[KeyPath, int] = {}
        found = False
        for number, line in enumerate(text.split("\n"), start=1):
            header = _HEADER.fullmatch(line)
            if header is None or line.lstrip().startswith("[["):
                continue
            path = _split_key(header.group(1))
            if len(path) != 2 or path[0] != "agents":
                continue
            if path in seen:
                found = True
                self.problems.append(
                    Problem(
                        f"{self.filename}:{number}: agents.{path[1]}",
                        f"duplicate agent name (first defined on line {seen[path]}); rename or merge one",
                    )
                )
            seen.setdefault(path, number)
        return found

    # -- typed getters: `path[-1]` is the key inside `container`, `path` the full key path ---------

    def known_keys(self, table: Mapping[str, object], path: KeyPath, allowed: Collection[str]) -> None:
        for key in table:
            if key not in allowed:
                hint = did_you_mean(key, allowed) if len(self.problems) < _MAX_HINTS else ""
                self.error((*path, key), f"unknown key{hint}; remove it or see docs/agents-toml.md")

    def table(self, container: Mapping[str, object], path: KeyPath, *, required: bool = False) -> Mapping[str, object]:
        value = container.get(path[-1])
        if value is None:
            if required:
                self.error(path, f"missing table; add [{'.'.join(path)}]")
            return {}
        if not isinstance(value, dict):
            self.error(path, f"expected a table, got {_kind(value)}; write it as [{'.'.join(path)}]")
            return {}
        return value

    def _get(
        self,
        container: Mapping[str, object],
        path: KeyPath,
        expected: type | tuple[type, ...],
        what: str,
    ) -> object:
        value = container.get(path[-1])
        if value is None:
            return None
        if isinstance(value, bool) and bool not in (expected if isinstance(expected, tuple) else (expected,)):
            self.error(path, f"expected {what}, got a boolean")
            return None
        if not isinstance(value, expected):
            self.error(path, f"expected {what}, got {_kind(value)}")
            return None
        return value

    def optional_string(self, container: Mapping[str, object], path: KeyPath) -> str | None:
        value = self._get(container, path, str, "a string")
        return value if isinstance(value, str) else None

    def string(self, container: Mapping[str, object], path: KeyPath, *, default: T) -> str | T:
        value = self.optional_string(container, path)
        if value is not None:
            return value
        if default is None and path[-1] not in container:
            self.error(path, "missing required key; add it")
        return default

    def boolean(self, container: Mapping[str, object], path: KeyPath, *, default: bool) -> bool:
        value = self._get(container, path, bool, "true or false")
        return value if isinstance(value, bool) else default

    def choice(
        self,
        container: Mapping[str, object],
        path: KeyPath,
        options: tuple[S, ...],
        *,
        default: S,
    ) -> S:
        """The value if it is one of ``options`` (typed as the option it equals), else ``default``."""
        value = self.optional_string(container, path)
        if value is None:
            return default
        if value not in options:
            self.error(
                path,
                f"{value!r} is not one of {', '.join(map(repr, options))}{did_you_mean(value, options)}",
            )
            return default
        return options[options.index(value)]

    def strings(self, container: Mapping[str, object], path: KeyPath, *, default: T) -> tuple[str, ...] | T:
        value = self._get(container, path, list, "a list of strings")
        if value is None:
            if default is None and path[-1] not in container:
                self.error(path, "missing required key; add it")
            return default
        assert isinstance(value, list)
        if not all(isinstance(item, str) for item in value):
            self.error(path, "expected a list of strings; quote every item")
            return default
        return tuple(value)

    def str_map(
        self,
        container: Mapping[str, object],
        path: KeyPath,
        *,
        key_rule: Rule | None = None,
        value_rule: Rule | None = None,
    ) -> Mapping[str, str]:
        """A table of strings; each key and value checked by its rule, when given."""
        table = self.table(container, path)
        result: dict[str, str] = {}
        for key, value in table.items():
            if not isinstance(value, str):
                self.error((*path, key), f"expected a string, got {_kind(value)}; quote the value")
                continue
            if key_rule is not None:
                self.rule((*path, key), key, key_rule)
            if value_rule is not None:
                self.rule((*path, key), value, value_rule)
            result[key] = value
        return types.MappingProxyType(dict(sorted(result.items()))) if result else _EMPTY

    def number(
        self,
        container: Mapping[str, object],
        path: KeyPath,
        *,
        default: float,
        low: float,
        high: float,
        what: str,
        open_low: bool = False,
    ) -> float:
        """A finite number in ``[low, high]`` (``(low, high]`` with ``open_low``), else ``default``."""
        value = container.get(path[-1], default)
        bounds = f"{'(' if open_low else '['}{_number(low)}, {_number(high)}]"
        expected = f"expected a number in {bounds} ({what})"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error(path, f"{expected}, got {_kind(value)}; write a number")
            return default
        above_low = low < value if open_low else low <= value
        if math.isfinite(value) and above_low and value <= high:
            return float(value)
        self.error(path, f"{expected}, got {value!r}; write a finite number in that range")
        return default

    def port(self, container: Mapping[str, object], path: KeyPath) -> int | None:
        value = self._get(container, path, int, "a port number")
        if not isinstance(value, int):
            return None
        return value if self._port_ok(value, path) else None

    def ports(self, container: Mapping[str, object], path: KeyPath) -> tuple[int, ...]:
        value = self._get(container, path, list, "a list of port numbers")
        if not isinstance(value, list):
            return ()
        ports: list[int] = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int):
                self.error(path, f"expected port numbers, got {_kind(item)}; write ports = [5709, 5710]")
            elif self._port_ok(item, path):
                if item in ports:
                    self.error(path, f"port {item} is listed twice; remove one")
                else:
                    ports.append(item)
        return tuple(ports)

    def _port_ok(self, port: int, path: KeyPath) -> bool:
        if 1 <= port <= 65535:
            return True
        self.error(path, f"port {port} is outside 1-65535; use a valid TCP port")
        return False


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _kind(value: object) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)
