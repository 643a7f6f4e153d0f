"""The backend's pip runs, seen from the program they start: a stand-in `python` that records its
command line and environment (the port's other side), so no real pip is needed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from depmin._backend.environments import pip_install

pytestmark = pytest.mark.integration  # starts /bin/sh

RECORDER = """#!/bin/sh
printf '%s\\n' "$@" > "{out}/argv"
printf '%s' "$PIP_EXTRA_INDEX_URL" > "{out}/index"
printf '%s' "$PYTHONPATH" > "{out}/pythonpath"
"""


def _recorder(tmp_path: Path) -> Path:
    script = tmp_path / "python"
    script.write_text(RECORDER.format(out=tmp_path))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_an_index_token_never_reaches_the_command_line(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("alpha==1.0 --hash=sha256:" + "0" * 64 + "\n")
    index = "https://user:s3cr3t-token@pypi.example/simple"
    assert pip_install(_recorder(tmp_path), [lock], indexes=[index], find_links=[tmp_path]) is None
    argv = (tmp_path / "argv").read_text().splitlines()
    assert "s3cr3t-token" not in json.dumps(argv)
    assert argv[:7] == ["-I", "-m", "pip", "install", "--require-hashes", "--no-deps", "--no-input"]
    assert argv[-2:] == ["-r", str(lock)]
    assert (tmp_path / "index").read_text() == index
    assert (tmp_path / "pythonpath").read_text() == ""  # the caller's PYTHONPATH never leaks in


def test_offline_uses_no_index_at_all(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("alpha==1.0 --hash=sha256:" + "0" * 64 + "\n")
    pip_install(_recorder(tmp_path), [lock], indexes=["https://pypi.example/simple"], offline=True)
    assert "--no-index" in (tmp_path / "argv").read_text().splitlines()
    assert (tmp_path / "index").read_text() == ""
