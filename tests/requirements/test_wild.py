"""The fixture monorepo tests/fixtures/wild, run through the CLI and compared with its expected.toml.

Each agent reproduces a class of issue 13: namespace packages mapped to the parent's distribution,
``why`` on dotted names, forks that reuse an import name, stub-only names.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
from pathlib import Path

import pytest

from depmin.cli.entry import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

WILD = Path(__file__).parent.parent / "fixtures" / "wild"
EXPECTED = tomllib.loads((WILD / "expected.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    tree = tmp_path_factory.mktemp("wild") / "repo"
    shutil.copytree(WILD, tree)
    err = io.StringIO()
    code = main(["--config", str(tree / "agents.toml"), "generate", "--no-cache"], out=io.StringIO(), err=err)
    return tree, code, err.getvalue()


def requirement_tags(text: str) -> dict[str, list[str]]:
    """``{"av": ["ambiguous: av, ha-av"]}`` from the lines of a requirements.generated.txt."""
    found = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        requirement, comment = line.split("  # ", 1)
        found[requirement] = re.findall(r" \[([^\]]+)\]", comment)
    return found


@pytest.mark.parametrize("agent", sorted(EXPECTED))
def test_generated_requirements_match_expected(generated: tuple[Path, int, str], agent: str) -> None:
    tree, _, _ = generated
    text = (tree / "locks" / agent / "requirements.generated.txt").read_text(encoding="utf-8")
    assert requirement_tags(text) == EXPECTED[agent]["requirements"]


@pytest.mark.parametrize(
    ("agent", "module"), [(agent, module) for agent in sorted(EXPECTED) for module in EXPECTED[agent].get("why", {})]
)
def test_why_follows_dotted_names(agent: str, module: str) -> None:
    out = io.StringIO()
    code = main(["--config", str(WILD / "agents.toml"), "why", agent, module, "--no-cache"], out=out, err=io.StringIO())
    assert code == 0
    site = EXPECTED[agent]["why"][module]
    last = out.getvalue().strip().splitlines()[-1].strip()
    assert last.startswith(f"{site} imports {module}")


def test_each_ambiguous_fork_is_flagged_with_the_key_that_settles_it(generated: tuple[Path, int, str]) -> None:
    _, _, err = generated
    [line] = [line for line in err.splitlines() if "several distributions" in line]
    assert "atomicwrites, atomicwrites-homeassistant" in line
    assert "python-nmap, netmap" in line
    assert "ha-av" not in line  # the repository's own pyproject.toml chose it
    assert "agents.Forks.mapping" in line
    assert '[mapping] in agents.toml (e.g. atomicwrites = "atomicwrites-homeassistant")' in line
