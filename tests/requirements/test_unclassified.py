"""An import depmin cannot classify makes generate and check exit 1 naming its site, unless
agents.<Name>.accept_unresolved acknowledges it with a reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from depmin import api
from depmin.cli.entry import main
from depmin.errors import ConfigError

FLEET = """[project]
root = "."
python = "3.11"
[machines.Box]
[families.cpu]
from = "python:3.11-slim"
[agents.A]
entrypoint = "app/main.py"
machines = ["Box"]
family = "cpu"
ports = [9000]
"""


def repo(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "main.py").write_text("import yaml\nfrom app.gone import thing\n", encoding="utf-8")
    config = tmp_path / "agents.toml"
    config.write_text(FLEET + extra, encoding="utf-8")
    return config


def run(config: Path, *argv: str) -> tuple[int, str]:
    err = io.StringIO()
    code = main(["--config", str(config), *argv, "--no-cache"], out=io.StringIO(), err=err)
    return code, err.getvalue()


def test_generate_and_check_exit_1_naming_the_site_and_the_key(tmp_path: Path) -> None:
    config = repo(tmp_path)
    code, err = run(config, "generate")
    assert code == 1
    [line] = [line for line in err.splitlines() if "cannot be classified" in line]
    assert line.startswith("warning: A: app/main.py:2: `app.gone` cannot be classified")
    assert 'agents.A.accept_unresolved = { "app.gone" = "<why>" }' in line
    assert (tmp_path / "locks" / "A" / "requirements.generated.txt").is_file()  # the rest is still written
    code, err = run(config, "check")
    assert code == 1
    assert "`app.gone` cannot be classified" in err


def test_an_acknowledged_import_passes(tmp_path: Path) -> None:
    config = repo(tmp_path, 'accept_unresolved = { app = "app.gone was removed; see the changelog" }\n')
    assert run(config, "generate")[0] == 0
    assert run(config, "check")[0] == 0


@pytest.mark.parametrize(
    ("table", "message"),
    [('{ "app.gone" = " " }', "is empty"), ('{ "not a module" = "x" }', "accept_unresolved"),
     ('{ "app.gone" = "a\\u001b[31m" }', "control character")],
)  # fmt: skip
def test_accept_unresolved_is_validated_at_load(tmp_path: Path, table: str, message: str) -> None:
    config = repo(tmp_path, f"accept_unresolved = {table}\n")
    with pytest.raises(ConfigError, match=message):
        api.load_fleet(config)
