"""Files are parsed when a walk reaches them: what no agent imports is never parsed, only checked."""

from __future__ import annotations

import os
from pathlib import Path

from depmin import api

FLEET = """\
[project]
max_file_mb = 2
[machines.M]
[families.f]
from = "python:3.11-slim"
[agents.A]
entrypoint = "a.py"
machines = ["M"]
family = "f"
[agents.B]
entrypoint = "b.py"
machines = ["M"]
family = "f"
"""


def _fleet(tmp_path: Path) -> Path:
    (tmp_path / "a.py").write_text("import shared\nimport zmq\n")
    (tmp_path / "b.py").write_text("import shared\n")
    (tmp_path / "shared.py").write_text("import redis\n")
    (tmp_path / "tools").mkdir()
    for index in range(5):  # nobody imports these; two are byte-identical to a reached file
        (tmp_path / "tools" / f"unused_{index}.py").write_text(f"import never_{index}\n")
    (tmp_path / "tools" / "copy.py").write_text("import redis\n")
    config = tmp_path / "agents.toml"
    config.write_text(FLEET)
    return config


def test_only_the_files_the_agents_reach_are_parsed(tmp_path: Path) -> None:
    fleet = api.load_fleet(_fleet(tmp_path))
    result = api.scan(fleet, use_cache=False)
    assert result.files_parsed == 3  # a.py, b.py, shared.py: not the six files under tools/
    assert result.cache_hits == 0
    assert [e.module for e in result.agent("A").third_party] == ["redis", "zmq"]


def test_a_second_run_reads_the_reached_files_from_the_cache(tmp_path: Path) -> None:
    fleet = api.load_fleet(_fleet(tmp_path))
    cache = tmp_path / "cache"
    assert api.scan(fleet, cache_dir=cache).files_parsed == 3
    warm = api.scan(fleet, cache_dir=cache)
    assert (warm.files_parsed, warm.cache_hits) == (0, 3)


def test_an_unreached_file_that_cannot_be_read_is_still_reported(tmp_path: Path) -> None:
    config = _fleet(tmp_path)
    os.mkfifo(tmp_path / "tools" / "pipe.py")
    big = tmp_path / "tools" / "big.py"
    big.write_bytes(b"#" * 2_000_001)
    fleet = api.load_fleet(config)
    result = api.scan(fleet, use_cache=False)
    assert result.files_parsed == 3
    assert result.skipped == (
        "tools/big.py: skipped: 2,000,001 bytes, over project.max_file_mb = 2; "
        "raise project.max_file_mb in agents.toml, or make the file smaller",
        "tools/pipe.py: skipped: a FIFO (named pipe), not a regular file; remove it or replace it with a regular file",
    )
