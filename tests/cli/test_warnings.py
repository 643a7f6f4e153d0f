"""Warnings at fleet scale: the first few and a count on stderr; every one with -v."""

from __future__ import annotations

import io
import os
from pathlib import Path

from depmin.cli.entry import main
from depmin.cli.output import SHOWN_WARNINGS, shortened

AGENT = """
[agents.A{n}]
entrypoint = "a{n}.py"
machines = ["M"]
family = "f"
"""


def _fleet(tmp_path: Path, agents: int, fifos: int) -> Path:
    text = '[project]\n[machines.M]\n[families.f]\nfrom = "python:3.11-slim"\n'
    for n in range(agents):
        (tmp_path / f"a{n}.py").write_text("import jwt\n")  # pyjwt and jwt both provide it
        text += AGENT.format(n=n)
    for n in range(fifos):
        os.mkfifo(tmp_path / f"pipe{n:02d}.py")
    config = tmp_path / "agents.toml"
    config.write_text(text)
    return config


def _stderr(*argv: str) -> list[str]:
    out, err = io.StringIO(), io.StringIO()
    main(list(argv), out=out, err=err)
    return err.getvalue().splitlines()


def test_many_skipped_files_show_the_first_few_and_a_count(tmp_path: Path) -> None:
    config = str(_fleet(tmp_path, agents=2, fifos=SHOWN_WARNINGS + 5))
    brief = _stderr("--config", config, "scan", "--no-cache")
    assert len(brief) == SHOWN_WARNINGS + 1
    assert brief[0].startswith("warning: pipe00.py: skipped: a FIFO")
    assert brief[-1] == (
        f"warning: ... and 5 more like these ({SHOWN_WARNINGS + 5} in all); -v prints every one, --format json lists them"
    )
    every = _stderr("--config", config, "-v", "scan", "--no-cache")
    assert [line for line in every if "skipped" in line] == [
        f"warning: pipe{n:02d}.py: skipped: a FIFO (named pipe), not a regular file; "
        "remove it or replace it with a regular file"
        for n in range(SHOWN_WARNINGS + 5)
    ]


def test_generate_names_the_first_agents_of_a_long_warning(tmp_path: Path) -> None:
    config = str(_fleet(tmp_path, agents=5, fifos=0))
    brief = [line for line in _stderr("--config", config, "generate", "--no-cache") if "several" in line]
    assert brief == [
        "warning: 5 import(s) are provided by several distributions and were picked by depmin's rule "
        "(A0: jwt -> pyjwt (of pyjwt, jwt); A1: jwt -> pyjwt (of pyjwt, jwt); A2: jwt -> pyjwt (of pyjwt, jwt); "
        "and 2 more agents: -v or --format json lists all); to confirm or choose another, set it under [mapping] in "
        'agents.toml (e.g. jwt = "jwt") for every agent, or under agents.<agent>.mapping for one agent'
    ]
    every = [line for line in _stderr("--config", config, "-v", "generate", "--no-cache") if "several" in line]
    assert len(every) == 1 and "A4: jwt -> pyjwt" in every[0] and "agents.A4.mapping" in every[0]


def test_a_warning_without_a_listing_is_left_as_it_is() -> None:
    assert shortened("cache moved aside (it was damaged); a new one is used") == (
        "cache moved aside (it was damaged); a new one is used"
    )
