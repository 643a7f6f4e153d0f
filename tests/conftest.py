"""Shared fixtures: small fleets written to a temporary directory."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO / "agents.toml"

# Marks: `integration` (the test starts another program: uv, pip, hadolint, pre-commit, an
# interpreter, `python -m depmin`) and `slow` (more than a few seconds), set in each test file.
# Plain `python -m pytest` leaves both out (addopts in pyproject.toml); tests/run.sh runs everything.


MINIMAL = """\
[project]
root = "repo"

[machines.MainPC]
cuda_arch = "8.9"

[families.cpu]
from = "python:3.11-slim"

[agents.NLUAgent]
entrypoint = "agents/nlu.py"
machines = ["MainPC"]
family = "cpu"
ports = [5709]
health_port = 6709
"""

WriteFleet = Callable[..., Path]


@pytest.fixture
def write_fleet(tmp_path: Path) -> WriteFleet:
    """Write an agents.toml (and the entrypoint files it names) under tmp_path; return its path."""

    def write(text: str = MINIMAL, *, files: tuple[str, ...] = ("agents/nlu.py",)) -> Path:
        root = tmp_path / "repo"
        for name in files:
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("import os\n", encoding="utf-8")
        root.mkdir(exist_ok=True)
        config = tmp_path / "agents.toml"
        config.write_text(textwrap.dedent(text), encoding="utf-8")
        return config

    return write
