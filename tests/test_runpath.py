"""The scanned tree never stands in for depmin's own imports, whichever documented way depmin is run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import packaging
import pytest

from depmin._runpath import check_imports_outside
from depmin.errors import ConfigError
from tests.conftest import MINIMAL

EVIL = 'open(__file__ + ".ran", "w").close()\nraise SystemExit("the scanned tree\'s packaging/ was imported")\n'


@pytest.mark.integration
def test_python_m_depmin_from_a_monorepo_root_with_a_packaging_dir_does_not_import_it(tmp_path: Path) -> None:
    (tmp_path / "packaging").mkdir()
    planted = tmp_path / "packaging" / "__init__.py"
    planted.write_text(EVIL)
    (tmp_path / "repo" / "agents").mkdir(parents=True)
    (tmp_path / "repo" / "agents" / "nlu.py").write_text("import packaging\n")
    (tmp_path / "agents.toml").write_text(MINIMAL)
    done = subprocess.run(
        [sys.executable, "-m", "depmin", "scan"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "packaging" in done.stdout  # scanned as the agent's import: data, not code
    assert not Path(str(planted) + ".ran").exists()


def test_a_dependency_imported_from_inside_the_root_is_refused() -> None:
    site = Path(packaging.__file__).resolve().parents[1]
    with pytest.raises(ConfigError) as caught:
        check_imports_outside(site)
    [problem] = [str(p) for p in caught.value.problems if "packaging from" in str(p)]
    assert problem.startswith(f"sys.path: depmin's dependency packaging from {site / 'packaging'}")
    assert problem.endswith("and run `depmin`")


def test_dependencies_outside_the_root_pass(tmp_path: Path) -> None:
    check_imports_outside(tmp_path)  # raises ConfigError otherwise
