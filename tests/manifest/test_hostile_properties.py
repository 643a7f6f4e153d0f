"""Hypothesis: a hostile string in any string-valued key of agents.toml is refused or harmless.

Each example puts one string (newlines, quotes, ``$()``, backslashes, control and non-ASCII
characters, around the key's neutral value) in one key of an otherwise valid fleet. The loader
either returns a Fleet, in which no name, path, image, tag, apt, environment, mapping or
requirement value holds a control character, or raises ConfigError whose messages are one line
each without a control character. Any other exception fails the property.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depmin.errors import ConfigError
from depmin.manifest import Fleet, parse_fleet, slug

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc
KEY = object()  # a slot that is the key of a table rather than a value

Path_ = tuple[object, ...]


def _base() -> dict[str, object]:
    """A fleet that loads, with every string-valued key set to a neutral value."""
    return {
        "project": {
            "name": "demo",
            "root": "repo",
            "python": "3.11",
            "platform": "x86_64-manylinux_2_28",
            "source_roots": ["."],
            "constraints": "constraints.txt",
        },
        "mapping": {"cv2": "opencv-python-headless"},
        "machines": {"M": {"description": "a box", "cuda_arch": "8.9", "env": {"A": "1"}, "notes": "n"}},
        "families": {
            "cpu": {
                "from": "python:3.11-slim",
                "machine": "M",
                "tag": "cpu-py311",
                "apt": ["curl"],
                "indexes": ["https://user:token@pypi.example/simple"],
                "find_links": ["wheels"],
                "description": "d",
                "notes": "n",
                "uncertain": {"apt": "q"},
                "always": ["numpy"],
                "never": ["torch"],
            },
            "web": {"extends": "cpu"},
        },
        "agents": {
            "A": {
                "entrypoint": "agents/a.py",
                "machines": ["M"],
                "family": "web",
                "health": "http:/health",
                "python": "3.12",
                "cmd": ["python", "agents/a.py"],
                "files": ["data"],
                "extra_requirements": ["uvicorn[standard]>=0.30"],
                "include_optional": ["yaml"],
                "ignore_imports": ["internal"],
                "mapping": {"yaml": "PyYAML"},
                "requirements": ["requirements.txt"],
                "notes": "n",
                "uncertain": {"needs": "q"},
            }
        },
    }


def _slots(value: object, path: Path_ = ()) -> Iterator[Path_]:
    """Every string-valued slot of the document: values, list items and the keys of tables."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _slots(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            if path:  # top-level table names are fixed
                yield (*path, key, KEY)
            yield from _slots(item, (*path, key))


SLOTS = list(_slots(_base()))


def _neutral(path: Path_) -> str:
    node: object = _base()
    for part in path:
        if part is KEY:
            return str(path[-2])
        node = node[part]  # type: ignore[index]
    assert isinstance(node, str)
    return node


def _put(document: dict[str, object], path: Path_, text: str) -> None:
    node: object = document
    for part in path[:-2] if path[-1] is KEY else path[:-1]:
        node = node[part]  # type: ignore[index]
    last = path[-1]
    if last is KEY:
        assert isinstance(node, dict)
        node[text] = node.pop(path[-2])
    elif isinstance(last, int):
        assert isinstance(node, list)
        node[last] = text
    else:
        assert isinstance(node, dict)
        node[last] = text


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped, the rest as is."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif CONTROL.match(char) or char in "\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _value(value: object) -> str:
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{ " + ", ".join(f"{_string(k)} = {_value(v)}" for k, v in value.items()) + " }"


def _toml(document: dict[str, object]) -> str:
    lines: list[str] = []
    for section, body in document.items():
        assert isinstance(body, dict)
        if section in ("machines", "families", "agents"):
            for name, table in body.items():
                lines.append(f"[{section}.{_string(name)}]")
                lines += [f"{_string(k)} = {_value(v)}" for k, v in table.items()]
        else:
            lines.append(f"[{section}]")
            lines += [f"{_string(k)} = {_value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


HOSTILE_CHARS = [*"\n\r\t\x00\x1b\x7f\x85\u2028\u202e\"'\\$()`;# {}[]=,/.-_:@%?*~+", "é", "中", "a", "Z", "1"]
FRAGMENTS = ["$(id)", "\nRUN id", '"; id; "', "\\n", "${HOME}", "../..", "/etc/passwd", " output = [", "--index-url x"]
DANGEROUS = ["\n", "\r", "\x00", "\x1b", "\x85", "\t", "\x7f"]  # at least one of them in every example
pieces = st.lists(st.sampled_from(HOSTILE_CHARS) | st.sampled_from(FRAGMENTS), max_size=4).map("".join)
hostile = st.tuples(pieces, st.sampled_from(DANGEROUS), pieces).map("".join)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the base fleet names, under a directory that holds agents.toml."""
    base = tmp_path_factory.mktemp("hostile")
    for name in ("repo/agents/a.py", "repo/requirements.txt", "repo/data/x.json", "constraints.txt"):
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_text("\n", encoding="utf-8")
    (base / "wheels").mkdir()
    return base


def test_the_base_fleet_loads(tree: Path) -> None:
    fleet = parse_fleet(_toml(_base()).encode(), path=tree / "agents.toml")
    assert set(fleet.agents) == {"A"}
    assert len(SLOTS) == 83


def _accepted_values(fleet: Fleet) -> Iterator[str]:
    """Every string of a loaded fleet that reaches a generated file."""
    project = fleet.project
    yield from (project.python, project.platform, *project.source_roots)
    yield from (*fleet.mapping, *fleet.mapping.values())
    for machine in fleet.machines.values():
        yield from (machine.name, machine.cuda_arch or "", *machine.env, *machine.env.values())
    for family in fleet.families.values():
        yield from (family.name, family.from_image or "", family.extends or "", family.machine or "", family.tag)
        yield from (*family.apt, *family.indexes, *family.find_links, *family.always, *family.never)
    for agent in fleet.agents.values():
        yield from (agent.name, agent.entrypoint, agent.family, agent.health, agent.python or "", *agent.machines)
        yield from (*(agent.cmd or ()), *agent.files, *agent.extra_requirements, *agent.requirements)
        yield from (*agent.include_optional, *agent.ignore_imports, *agent.mapping, *agent.mapping.values())


def _slot_id(slot: Path_) -> str:
    return ".".join("<key>" if part is KEY else str(part) for part in slot)


@pytest.mark.slow
@pytest.mark.parametrize("slot", SLOTS, ids=_slot_id)
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=hostile, where=st.sampled_from(["replace", "append", "prepend"]))
def test_hostile_string_in_any_key_is_refused_or_harmless(tree: Path, slot: Path_, text: str, where: str) -> None:
    neutral = _neutral(slot)
    value = {"replace": text, "append": neutral + text, "prepend": text + neutral}[where]
    document = _base()
    _put(document, slot, value)
    try:
        fleet = parse_fleet(_toml(document).encode(), path=tree / "agents.toml")
    except ConfigError as exc:
        assert exc.problems
        assert [str(p) for p in exc.problems if CONTROL.search(str(p))] == []
        return
    assert [v for v in _accepted_values(fleet) if CONTROL.search(v)] == []
    for names in (fleet.agents, fleet.machines, fleet.families):
        assert len({slug(name) for name in names}) == len(names)
