"""A small, careful Dockerfile reader: the instructions ``depmin init`` uses, with their line numbers.

No Dockerfile parser is a runtime dependency, so this module reads the subset the draft needs and
refuses the rest rather than guessing: the ``# escape=`` parser directive, line continuations (comment
lines inside one are dropped, as BuildKit does), heredocs (``RUN <<EOF`` … ``EOF`` skipped whole), JSON
(exec) and shell forms. Only the last build stage is the image that runs; ``FROM`` of an earlier stage's
name resolves to that stage's base. tests/drafting/test_dockerfile.py checks it against
dockerfile-parse on every fixture Dockerfile.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

__all__ = ["Instruction", "instructions", "last_stage"]

_DIRECTIVE = re.compile(r"#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*")
_HEREDOC = re.compile(r"<<-?[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?")
_MAX_INSTRUCTIONS = 10_000


@dataclass(frozen=True, kw_only=True, slots=True)
class Instruction:
    """One instruction: its upper-case name, its argument text, its words when in JSON form, its line."""

    name: str
    value: str
    line: int
    json: tuple[str, ...] | None = None


def _escape_char(lines: list[str]) -> str:
    """The escape character of the parser directives at the top (`\\` unless ``# escape=```)."""
    escape = "\\"
    for line in lines:
        match = _DIRECTIVE.fullmatch(line.strip())
        if match is None:
            break
        if match.group(1).lower() == "escape" and match.group(2) in ("\\", "`"):
            escape = match.group(2)
    return escape


def _json_words(value: str) -> tuple[str, ...] | None:
    if not value.startswith("["):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    if isinstance(parsed, list) and all(isinstance(word, str) for word in parsed):
        return tuple(parsed)
    return None


def instructions(text: str) -> list[Instruction]:
    """Every instruction of ``text`` in order."""
    lines = text.splitlines()
    escape = _escape_char(lines)
    found: list[Instruction] = []
    index = 0
    while index < len(lines) and len(found) < _MAX_INSTRUCTIONS:
        start = index
        raw = lines[index].strip()
        index += 1
        if not raw or raw.startswith("#"):
            continue
        parts = [raw]
        while parts[-1].endswith(escape) and index < len(lines):
            parts[-1] = parts[-1][: -len(escape)]
            following = lines[index].strip()
            index += 1
            if following.startswith("#"):
                parts.append(escape)  # a comment inside a continuation is dropped; the continuation goes on
                continue
            parts.append(following)
        joined = " ".join(part for part in parts if part != escape).strip()
        if joined.endswith(escape):
            joined = joined[: -len(escape)].rstrip()
        name, _, value = joined.partition(" ")
        value = value.strip()
        for marker in _HEREDOC.finditer(value) if name.upper() in ("RUN", "COPY", "ADD") else ():
            word = marker.group(1)
            while index < len(lines) and lines[index].strip() != word:
                index += 1
            index += 1
        found.append(Instruction(name=name.upper(), value=value, line=start + 1, json=_json_words(value)))
    return found


def last_stage(found: list[Instruction]) -> tuple[str | None, list[Instruction]]:
    """The base image of the last stage (an earlier stage's name followed to its image) and the
    instructions of that stage, those of the stages it is built from first."""
    bases: dict[str, tuple[str, list[Instruction]]] = {}
    base: str | None = None
    stage: list[Instruction] = []
    for instruction in found:
        if instruction.name == "FROM":
            words = [word for word in instruction.value.split() if not word.startswith("--")]
            image = words[0] if words else ""
            # A stage built FROM an earlier one inherits its image and its settings (CMD, EXPOSE, ...).
            base, inherited = bases.get(image.lower(), (image, []))
            stage = list(inherited)
            if len(words) == 3 and words[1].lower() == "as":
                bases[words[2].lower()] = (base, stage)
        else:
            stage.append(instruction)
    return base, stage
