"""A fleet's scan kept across runs, and used again only when all it read of the tree reads the same.

A warm scan of an unchanged tree need not walk again. :func:`~depmin.scanning.fleet_scan.scan_fleet`
keeps the scan of a fleet and a choice of agents in the parse cache's file, under a digest of the
*question* (:func:`question`: depmin's own code, the project settings, and every field of each chosen
agent the walk reads, with its target Python's standard-library list, its resolved source roots and
whether its entrypoint exists), together with what the walks read of the tree (:class:`Reads`):

* each source file read, by its content (its parse-cache key) or why it could not be read;
* each directory listing the search made, with the paths it reports as skipped;
* each directory identity (``st_dev``, ``st_ino``) the search compared, to stop at symlink loops;
* each path the search checked against the root (a symlink out of it, a control character);
* the index of module names of the whole tree that the shadow warnings look names up in.

A later run asking the same question reads all of that again (no file is parsed) and uses the kept
scan only when every answer is the same; the walk is a function of those answers, so the scan is the
one the walk would make. Anything else (a changed file, a new file in a listed directory, an edited
``agents.toml``, another depmin) walks again, from the parse cache, and keeps the new scan.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import sys
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from depmin.manifest import Agent, Fleet
from depmin.scanning.cache import Sources
from depmin.scanning.finder import Finder, entry_roots, identity_of, run_mode, stdlib_modules
from depmin.scanning.kinds import IMPORT_KINDS
from depmin.scanning.results import (
    AgentScan,
    ExternalImport,
    Hop,
    ImportRecord,
    ModuleUse,
    RecoveredFile,
    Unresolved,
)
from depmin.scanning.tree import NotReadError

__all__ = ["Kept", "Reads", "decode", "decode_reads", "encode", "question", "reads_of"]

_FORMAT = "depmin scan record 1"  # change it when encode's layout changes


@cache
def _code() -> str:
    """A digest of depmin's own modules: a scan kept by other code is never used (nor any, when a
    module cannot be read: the digest is then new each run)."""
    digest = hashlib.blake2b(_FORMAT.encode(), digest_size=20)
    package = Path(__file__).resolve().parents[1]
    try:
        for path in sorted(package.rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    except OSError:
        digest.update(os.urandom(16))
    return digest.hexdigest()


def question(fleet: Fleet, chosen: Sequence[Agent]) -> str:
    """The key a scan of ``chosen`` is kept under: what the walk reads of the fleet, not the tree."""
    pythons = sorted({fleet.target_python(agent) for agent in chosen})
    asked: list[object] = [_code(), repr(fleet.project), {python: sorted(stdlib_modules(python)) for python in pythons}]
    for agent in chosen:
        mode, _ = run_mode(agent)
        entry = fleet.project.root / agent.entrypoint
        asked.append(
            [
                agent.name,
                agent.entrypoint,
                agent.cmd,
                agent.entry_modules,
                fleet.target_python(agent),
                [str(root) for root in entry_roots(fleet, agent, mode)],
                os.path.lexists(entry) and not entry.is_dir(),
            ]
        )
    return hashlib.blake2b(json.dumps(asked).encode(), digest_size=20).hexdigest()


@dataclass(frozen=True, slots=True)
class Reads:
    """What the walks of a scan read of the tree: the paths asked, in order, a digest of the answers
    about the tree, and each file's content key or read error (see the module docstring)."""

    files: tuple[str, ...]
    listings: tuple[str, ...]
    identities: tuple[str, ...]
    indexes: tuple[str, ...]
    checks: tuple[str, ...]
    answers: str
    keys: tuple[str, ...]  # of the files, in order
    # Of the files, in order: [st_mtime_ns, st_size] after the run, or None. Only a quick way to
    # tell a change (an edited file): the same stamps still have the files read and compared.
    stamps: tuple[object, ...] = ()

    def hold(self, finder: Finder, sources: Sources) -> bool:
        """Whether every path reads as it did, asked of a ``finder`` that has not searched yet (its
        index of names, built here, is the walk's if this says no). The files are read last, through
        ``sources``, which then count them as read (:meth:`~depmin.scanning.cache.Sources.verify`),
        and only until one reads otherwise: after an edit, the walk that follows reads them anyway."""
        if not len(self.keys) == len(self.stamps) == len(self.files):
            return False
        if any(_stamp(file) != stamp for file, stamp in zip(self.files, self.stamps, strict=True)):
            return False
        paths: dict[str, Path] = {}  # one Path per path: files, checks and listings share most

        def path(text: str) -> Path:
            found = paths.get(text)
            if found is None:
                found = paths[text] = Path(text)
            return found

        answers = [
            [_listing(finder.read_listing(path(d))) for d in self.listings],
            [identity_of(path(d)) for d in self.identities],
            [list(finder.index(Path(r)).items()) for r in self.indexes],
            [_refusal(finder.refusal(path(p))) for p in self.checks],
        ]
        if _digest(answers) != self.answers:
            return False
        return all(sources.verify(path(file)) == key for file, key in zip(self.files, self.keys, strict=True))


def reads_of(finder: Finder, sources: Sources) -> Reads:
    """What ``finder`` and ``sources`` read in this run, as :class:`Reads` records it."""
    answers = [
        [_listing(listed) for listed in finder.lists.values()],
        list(finder.identities.values()),
        [list(index.items()) for index in finder.indexes().values()],
        [_refusal(refused) for refused in finder.escapes().values()],
    ]
    return Reads(
        files=tuple(map(str, sources.seen)),
        listings=tuple(map(str, finder.lists)),
        identities=tuple(map(str, finder.identities)),
        indexes=tuple(map(str, finder.indexes())),
        checks=tuple(map(str, finder.escapes())),
        answers=_digest(answers),
        keys=tuple(sources.seen.values()),
        stamps=tuple(_stamp(str(path)) for path in sources.seen),
    )


def _stamp(path: str) -> list[int] | None:
    """``[st_mtime_ns, st_size]`` of ``path`` (followed, as a read follows it), None if it has none."""
    try:
        info = os.stat(path)  # noqa: PTH116 - a string, as the record holds it: no Path for 5,000 files
    except (OSError, ValueError):  # ValueError: a NUL in a path read from a damaged record
        return None
    return [info.st_mtime_ns, info.st_size]


def _listing(listed: tuple[Any, dict[Path, str]]) -> list[object]:
    found, skips = listed
    return [
        sorted(found.files),
        sorted(found.dirs),
        sorted(found.refused),
        sorted((str(p), m) for p, m in skips.items()),
    ]


def _refusal(refused: NotReadError | None) -> list[str] | None:
    return None if refused is None else [refused.reason, refused.fix]


def _digest(answers: list[Any]) -> str:
    """A digest of the answers (JSON: a tuple and a list are the same)."""
    return hashlib.blake2b(json.dumps(answers).encode(), digest_size=20).hexdigest()


@dataclass(frozen=True, slots=True)
class Kept:
    """A kept scan: the agents' scans, what the search reported skipped, and what it all read."""

    agents: tuple[AgentScan, ...]
    skipped: tuple[str, ...]
    reads: Reads


class _Tables:
    """The rows :func:`encode` writes once each, by value (agents share most of them); each object
    is looked up by its identity first, as the walks share objects too and a value's hash is slow."""

    def __init__(self) -> None:
        self.texts: dict[str, int] = {}
        self.seen: dict[int, int] = {}  # id of a hop, record, import or problem -> its row
        tables = ("hops", "records", "externals", "unresolved", "recovered")
        self.known: dict[str, dict[Any, int]] = {table: {} for table in tables}  # a value -> its row
        self.rows: dict[str, list[list[object]]] = {table: [] for table in tables}

    def text(self, value: str) -> int:
        return self.texts.setdefault(value, len(self.texts))

    def many(self, values: Sequence[str]) -> list[int]:
        found: list[int | None] = list(map(self.texts.get, values))
        if None in found:
            for position in [k for k, index in enumerate(found) if index is None]:
                found[position] = self.text(values[position])
        return found  # type: ignore[return-value]

    def _index(self, value: Any, table: str, row: Callable[[Any], list[object]], key: object = None) -> int:
        index = self.seen.get(id(value))
        if index is None:
            rows = self.rows[table]
            known = self.known[table]
            key = value if key is None else key
            index = known.get(key)
            if index is None:
                index = known[key] = len(rows)
                rows.append(row(value))
            self.seen[id(value)] = index  # kept.agents holds every value while encode runs
        return index

    def all(self, values: Sequence[Any], one: Callable[[Any], int]) -> list[int]:
        """``[one(value) for value in values]``, the values seen before found by identity in one pass."""
        found: list[int | None] = list(map(self.seen.get, map(id, values)))
        if None in found:
            for position in [k for k, index in enumerate(found) if index is None]:
                found[position] = one(values[position])
        return found  # type: ignore[return-value]

    def hop(self, value: Hop) -> int:
        return self._index(value, "hops", lambda h: [self.text(h.file), h.line, self.text(h.module)])

    def record(self, value: ImportRecord) -> int:
        return self._index(value, "records", self._record)

    def _record(self, value: ImportRecord) -> list[object]:
        target = -1 if value.target is None else self.text(value.target)
        row = [self.text(value.file), value.line, self.text(value.module), value.level, value.kind]
        return [*row, value.category, value.recovered, target]

    def external(self, value: ExternalImport) -> int:
        # By all its fields: its hash leaves the sites out, and agents share a module's first site.
        key = (
            value.module,
            value.kind,
            value.marker,
            value.dynamic,
            value.first,
            value.modules,
            value.sites,
            value.uses,
        )
        return self._index(value, "externals", self._external, key)

    def _external(self, value: ExternalImport) -> list[object]:
        uses = [[self.text(u.module), u.kind, u.marker, u.dynamic, self.hop(u.first), u.attribute] for u in value.uses]
        row = [self.text(value.module), value.kind, value.marker, value.dynamic, self.hop(value.first)]
        return [*row, self.many(value.modules), [self.hop(h) for h in value.sites], uses]

    def problem(self, value: Unresolved) -> int:
        return self._index(
            value,
            "unresolved",
            lambda u: [self.text(u.module), u.kind, self.hop(u.site), self.text(u.reason)],
        )

    def recovery(self, value: RecoveredFile) -> int:
        return self._index(value, "recovered", lambda r: [self.text(r.file), self.text(r.error), r.line])

    def agent(self, scan: AgentScan) -> list[object]:
        """The agent's strings, then its lists of indexes packed in one string (:func:`_pack`)."""
        return [scan.agent, scan.entrypoint, scan.python, scan.run_mode, _pack(self._lists(scan))]

    def _lists(self, scan: AgentScan) -> list[list[int]]:
        return [
            self.many(scan.run_problems),
            self.many(scan.files),
            self.all(scan.third_party, self.external),
            self.many(scan.stdlib),
            [self.problem(value) for value in scan.missing],
            [self.problem(value) for value in scan.unresolved],
            [self.recovery(value) for value in scan.recovered],
            self.many(scan.notes),
            self.many(scan.errors),
            self.all(scan.imports, self.record),
            self.many(tuple(scan.via)),
            self.all(tuple(scan.via.values()), self.hop),
            self.many(scan.shadow_warnings),
        ]


def encode(kept: Kept) -> str:
    """The JSON text of ``kept``: each string, hop, record, import and problem once, in a table,
    and each agent's scan as lists of indexes into the tables."""
    tables = _Tables()
    agents = [tables.agent(scan) for scan in kept.agents]
    reads = kept.reads
    head: list[object] = [_FORMAT, list(reads.files), list(reads.listings), list(reads.identities)]
    head += [list(reads.indexes), list(reads.checks), reads.answers, list(reads.keys), list(reads.stamps)]
    body = {"skipped": list(kept.skipped), "texts": list(tables.texts), **tables.rows, "agents": agents}
    # Two lines (JSON escapes a newline in a string): the reads are checked before the scan is decoded.
    return f"{json.dumps(head, separators=(',', ':'))}\n{json.dumps(body, separators=(',', ':'))}"


_KINDS = frozenset(IMPORT_KINDS)
_CATEGORIES = frozenset({"first-party", "stdlib", "third-party", "missing", "unresolved"})
_MODES = frozenset({"script", "module"})
_INT = frozenset({int})
_STR = frozenset({str})


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise ValueError("not a list")
    return value


def _texts(value: Any) -> tuple[str, ...]:
    if type(value) is not list or not _STR.issuperset(map(type, value)):
        raise ValueError("not a list of strings")
    return tuple(value)


def _types(*columns: type | tuple[type, ...]) -> frozenset[tuple[type, ...]]:
    """Every tuple of types a row of ``columns`` may have (a tuple: one of those)."""
    rows: list[tuple[type, ...]] = [()]
    for column in columns:
        rows = [(*row, kind) for row in rows for kind in (column if isinstance(column, tuple) else (column,))]
    return frozenset(rows)


def _rows(value: Any, types: frozenset[tuple[type, ...]]) -> list[list[Any]]:
    """``value`` when it is a list of rows, each a list of values of one of the tuples of ``types``
    (exactly: a bool is not an int)."""
    rows = _list(value)
    for row in rows:
        if type(row) is not list or tuple(map(type, row)) not in types:
            raise ValueError(f"not a row of the expected types: {row!r}")
    return rows


_STR_OR_NONE = (str, type(None))
_READS = _types(list, list, list, list, list, str, list, list)
_HOP = _types(int, int, int)
_RECORD = _types(int, int, int, int, str, str, bool, int)
_EXTERNAL = _types(int, str, _STR_OR_NONE, bool, int, list, list, list)
_USE = _types(int, str, _STR_OR_NONE, bool, int, bool)
_UNRESOLVED = _types(int, str, int, int)
_RECOVERED = _types(int, int, int)
_AGENT = _types(str, str, str, str, str)
_LISTS = 13  # the lists of indexes of an agent's row


def _pack(lists: list[list[int]]) -> str:
    """Lists of indexes as one string: base64 of little-endian 32-bit unsigned integers, the length
    of each list first. A scan holds about a million indexes; JSON writes and reads them slowly."""
    packed = array("I", [len(values) for values in lists])
    for values in lists:
        packed.extend(values)
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def _unpack(text: str, count: int) -> list[array[int]]:
    """The ``count`` lists :func:`_pack` wrote into ``text``; raises ValueError for any other text."""
    try:
        packed = array("I", base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error) as exc:  # bytes not a whole number of integers, or not base64
        raise ValueError(f"not packed indexes ({exc})") from None
    if sys.byteorder == "big":
        packed.byteswap()
    lengths = packed[:count]
    if len(lengths) != count or sum(lengths) != len(packed) - count:
        raise ValueError("packed indexes of the wrong lengths")
    lists: list[array[int]] = []
    start = count
    for length in lengths:
        lists.append(packed[start : start + length])
        start += length
    return lists


def _one(value: str, allowed: frozenset[str]) -> Any:
    if value not in allowed:
        raise ValueError(f"not one of {sorted(allowed)}: {value!r}")
    return value


def _picks(table: Sequence[Any], indexes: Any) -> tuple[Any, ...]:
    """The rows of ``table`` at ``indexes``, a list of indexes into it (or an array of unsigned ones)."""
    if type(indexes) is not array and (type(indexes) is not list or not _INT.issuperset(map(type, indexes))):
        raise ValueError("not a list of indexes")
    if indexes and not (min(indexes) >= 0 and max(indexes) < len(table)):
        raise ValueError(f"not indexes of a table of {len(table)}")
    return tuple(map(table.__getitem__, indexes))


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def decode_reads(text: str) -> Reads:
    """The :class:`Reads` of what :func:`encode` wrote, without decoding the scan; raises ValueError
    for any other text or shape."""
    head = _loads(text.partition("\n")[0])
    if type(head) is not list or not head or head[0] != _FORMAT:
        raise ValueError("not a kept scan of this format")
    (files, listings, identities, indexes, checks, answers, keys, stamps) = _rows([head[1:]], _READS)[0]
    paths = (_texts(files), _texts(listings), _texts(identities), _texts(indexes), _texts(checks))
    return Reads(*paths, answers=answers, keys=_texts(keys), stamps=tuple(stamps))


_BODY = frozenset({"skipped", "texts", "hops", "records", "externals", "unresolved", "recovered", "agents"})


_COUNT = None  # a column rule of _table: a count, at least 0


def _table(
    value: Any,
    types: frozenset[tuple[type, ...]],
    columns: dict[int, int | frozenset[str] | None],
    *,
    optional: int = -1,
) -> list[list[Any]]:
    """The rows of a table (:func:`_rows`), each ruled column checked at once: ``columns`` maps a
    column to the size of the table its values index, to :data:`_COUNT`, or to the strings allowed.
    The ``optional`` column's index may also be -1 (none)."""
    rows = _rows(value, types)
    for column, rule in columns.items():
        values = [row[column] for row in rows]
        if column == optional:
            values = [v for v in values if v != -1]
        if isinstance(rule, frozenset):
            if not rule.issuperset(values):
                raise ValueError(f"not one of {sorted(rule)}: {sorted(set(values) - rule)!r}")
        elif values and min(values) < 0:
            raise ValueError(f"a negative count or index: {min(values)}")
        elif values and rule is not None and max(values) >= rule:
            raise ValueError(f"not an index of a table of {rule}: {max(values)}")
    return rows


def decode(text: str) -> Kept:
    """What :func:`encode` wrote; raises ValueError for any other text or shape."""
    reads = decode_reads(text)
    raw = _loads(text.partition("\n")[2])
    if type(raw) is not dict or raw.keys() != _BODY:
        raise ValueError("not a kept scan")
    texts = _texts(raw["texts"])
    size = len(texts)
    hops = [
        Hop(file=texts[file], line=line, module=texts[module])
        for file, line, module in _table(raw["hops"], _HOP, {0: size, 1: _COUNT, 2: size})
    ]
    records = [
        ImportRecord(
            file=texts[file],
            line=line,
            module=texts[module],
            level=level,
            kind=kind,
            category=category,
            recovered=recovered,
            target=None if target == -1 else texts[target],
        )
        for file, line, module, level, kind, category, recovered, target in _table(
            raw["records"],
            _RECORD,
            {0: size, 1: _COUNT, 2: size, 3: _COUNT, 4: _KINDS, 5: _CATEGORIES, 7: size},
            optional=7,
        )
    ]
    rows = _table(raw["externals"], _EXTERNAL, {0: size, 1: _KINDS, 4: len(hops)})
    uses = [_table(row[7], _USE, {0: size, 1: _KINDS, 4: len(hops)}) for row in rows]
    externals = [
        ExternalImport(
            module=texts[module],
            kind=kind,
            marker=marker,
            dynamic=dynamic,
            first=hops[first],
            modules=_picks(texts, modules),
            sites=_picks(hops, sites),
            uses=tuple(
                ModuleUse(module=texts[m], kind=k, marker=mk, dynamic=d, first=hops[f], attribute=a)
                for m, k, mk, d, f, a in used
            ),
        )
        for (module, kind, marker, dynamic, first, modules, sites, _), used in zip(rows, uses, strict=True)
    ]
    problems = [
        Unresolved(module=texts[module], kind=kind, site=hops[site], reason=texts[reason])
        for module, kind, site, reason in _table(
            raw["unresolved"], _UNRESOLVED, {0: size, 1: _KINDS, 2: len(hops), 3: size}
        )
    ]
    recovered = [
        RecoveredFile(file=texts[file], error=texts[error], line=line)
        for file, error, line in _table(raw["recovered"], _RECOVERED, {0: size, 1: size, 2: _COUNT})
    ]
    tables = (texts, hops, records, externals, problems, recovered)
    agents = tuple(_agent(row, *tables) for row in _rows(raw["agents"], _AGENT))
    return Kept(agents=agents, skipped=_texts(raw["skipped"]), reads=reads)


def _agent(
    row: list[Any],
    texts: tuple[str, ...],
    hops: list[Hop],
    records: list[ImportRecord],
    externals: list[ExternalImport],
    problems: list[Unresolved],
    recovered: list[RecoveredFile],
) -> AgentScan:
    agent, entrypoint, python, mode, packed = row
    (run_problems, files, third, stdlib, missing, unresolved, recoveries, notes, errors, imports, via_files, via_hops,
     shadows) = _unpack(packed, _LISTS)  # fmt: skip
    if len(via_files) != len(via_hops):
        raise ValueError("not as many hops as files in via")
    return AgentScan(
        agent=agent,
        entrypoint=entrypoint,
        python=python,
        run_mode=_one(mode, _MODES),
        run_problems=_picks(texts, run_problems),
        files=_picks(texts, files),
        third_party=_picks(externals, third),
        stdlib=_picks(texts, stdlib),
        missing=_picks(problems, missing),
        unresolved=_picks(problems, unresolved),
        recovered=_picks(recovered, recoveries),
        notes=_picks(texts, notes),
        errors=_picks(texts, errors),
        imports=_picks(records, imports),
        via=dict(zip(_picks(texts, via_files), _picks(hops, via_hops), strict=True)),
        shadow_warnings=_picks(texts, shadows),
    )
