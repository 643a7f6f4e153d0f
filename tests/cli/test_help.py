"""``depmin --help`` and each command's ``--help`` print exactly what they printed when every command's
module was imported to build the parser (tests/cli/help/, recorded from that parser at 80 columns): the
parser now imports a command's module only when that command is parsed, and must not lose or reorder
an option, a default or a line of an epilog on the way."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import pytest

from depmin.cli.entry import COMMANDS, main

HELP = Path(__file__).resolve().parent / "help"
RECORDED = sorted(path.stem for path in HELP.glob("*.txt"))


def _help(argv: list[str]) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), pytest.raises(SystemExit) as exited:
        main([*argv, "--help"], out=io.StringIO(), err=io.StringIO())
    assert exited.value.code == 0
    return printed.getvalue()


def test_every_command_has_its_recorded_help() -> None:
    assert sorted(["depmin", *(f"depmin-{command.name}" for command in COMMANDS)]) == RECORDED


# argparse lays help out differently from one Python to another (3.13 joins `-o, --output FILE`); the
# files were recorded with 3.11, the Python of tests/run.sh and CI.
@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="help recorded with Python 3.11's argparse")
@pytest.mark.parametrize("name", RECORDED)
def test_help_is_byte_identical_to_the_recorded(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps at the terminal's width
    argv = name.split("-")[1:]  # depmin-scan -> ["scan"]
    assert _help(argv) == (HELP / f"{name}.txt").read_text(encoding="utf-8")
