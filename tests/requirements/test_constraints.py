"""project.constraints: read once for generate and lock; bad files are located config errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from depmin.cli.entry import main
from depmin.errors import ConfigError
from depmin.requirements.constraints import read_constraints
from tests.conftest import MINIMAL, WriteFleet


def test_a_binary_constraints_file_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "constraints.txt"
    path.write_bytes(b"numpy<2\n\xff\xfe\x00\x9c\n")
    with pytest.raises(ConfigError) as caught:
        read_constraints(path)
    [problem] = [str(p) for p in caught.value.problems]
    assert problem.startswith(f"project.constraints: cannot read {path} (")
    assert problem.endswith("); fix the path")


def test_generate_with_a_binary_constraints_file_exits_2_in_one_line(write_fleet: WriteFleet, tmp_path: Path) -> None:
    (tmp_path / "constraints.txt").write_bytes(b"\x00\xff" * 64)
    config = write_fleet(MINIMAL.replace('root = "repo"', 'root = "repo"\nconstraints = "constraints.txt"'))
    err = io.StringIO()
    assert main(["--config", str(config), "generate", "--no-cache"], out=io.StringIO(), err=err) == 2
    [line] = err.getvalue().splitlines()
    assert line.startswith("error: project.constraints: cannot read ")
    assert not (tmp_path / "locks").exists()  # refused before anything was written
