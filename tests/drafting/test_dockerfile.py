"""depmin's own Dockerfile reader agrees with dockerfile-parse, instruction by instruction."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from depmin.drafting.dockerfile import instructions, last_stage
from tests.conftest import REPO

DOCKERFILES = sorted(
    [*(REPO / "tests" / "fixtures").glob("init-*/**/Dockerfile*"), *(REPO / "examples").rglob("Dockerfile*")]
)

TRICKY = """\
# escape=`
FROM python:3.11-slim AS base
FROM base
WORKDIR C:/app
# a comment between instructions
ENV A=1 `
    B=2
COPY <<EOF /app/conf.ini
[section]
CMD ["not", "an", "instruction"]
EOF
EXPOSE 8080 `
# a comment inside the continuation
  8081
CMD ["python", "-u", "main.py"]
"""


def _theirs(text: str, tmp_path: Path) -> list[tuple[str, int, tuple[str, ...] | None]]:
    parser = DockerfileParser(path=str(tmp_path / "Dockerfile"))
    parser.content = text
    found = []
    for item in parser.structure:
        if item["instruction"] == "COMMENT":
            continue
        value = item["value"]
        try:
            words = json.loads(value)
        except ValueError:
            words = None
        found.append((item["instruction"], item["startline"] + 1, tuple(words) if isinstance(words, list) else None))
    return found


def _heredoc_body(text: str) -> set[int]:
    """Lines inside heredocs, which dockerfile-parse (no BuildKit heredoc support) reads as instructions."""
    body: set[int] = set()
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        match = re.search(r"<<-?[\"']?(\w+)", lines[number]) if not lines[number].lstrip().startswith("#") else None
        number += 1
        if match is None:
            continue
        while number < len(lines) and lines[number].strip() != match.group(1):
            body.add(number + 1)
            number += 1
        body.add(number + 1)
        number += 1
    return body


def _comparable(text: str, tmp_path: Path) -> list[tuple[str, int, tuple[str, ...] | None]]:
    inside = _heredoc_body(text)
    return [row for row in _theirs(text, tmp_path) if row[1] not in inside]


def _ours(text: str) -> list[tuple[str, int, tuple[str, ...] | None]]:
    return [(i.name, i.line, i.json) for i in instructions(text)]


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_fixture_dockerfile_reads_as_dockerfile_parse_reads_it(path: Path, tmp_path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _ours(text) == _comparable(text, tmp_path)


def test_directives_continuations_and_heredocs(tmp_path: Path) -> None:
    ours = _ours(TRICKY)
    assert [name for name, _, _ in ours] == ["FROM", "FROM", "WORKDIR", "ENV", "COPY", "EXPOSE", "CMD"]
    assert ours == _comparable(TRICKY, tmp_path)
    expose = next(i for i in instructions(TRICKY) if i.name == "EXPOSE")
    assert expose.value.split() == ["8080", "8081"]
    base, stage = last_stage(instructions(TRICKY))
    assert base == "python:3.11-slim"
    assert stage[-1].json == ("python", "-u", "main.py")


def test_a_stage_built_from_another_inherits_its_command() -> None:
    text = 'FROM python:3.12-slim AS app\nEXPOSE 80\nCMD ["python", "a.py"]\nFROM app\nEXPOSE 81\n'
    base, stage = last_stage(instructions(text))
    assert base == "python:3.12-slim"
    assert [(i.name, i.value) for i in stage] == [("EXPOSE", "80"), ("CMD", '["python", "a.py"]'), ("EXPOSE", "81")]
