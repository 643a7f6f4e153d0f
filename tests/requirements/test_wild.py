"""The fixture monorepo tests/fixtures/wild, run through the CLI and compared with its expected.toml.

Each agent reproduces a class of issue 13: namespace packages mapped to the parent's distribution,
``why`` on dotted names, forks that reuse an import name, stub-only names, hand-written requirement
files that know the answer and the pins, a same-named file off sys.path, a submodule that needs an
extra, a "cuda:0" string in data, an import depmin cannot classify, a plugin host whose modules are
loaded by computed name (``entry_modules``).
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


AGENTS = sorted(name for name in EXPECTED if name != "fleet")


def test_generate_exit_code_and_fleet_warnings(generated: tuple[Path, int, str]) -> None:
    _, code, err = generated
    fleet = EXPECTED["fleet"]
    assert code == fleet["generate_exit"]
    warnings = [line.removeprefix("warning: ") for line in err.splitlines() if line.startswith("warning: ")]
    assert [w for w in warnings if "cannot be classified" in w] == fleet["unclassified"]
    assert [w for w in warnings if "is not on this agent's sys.path" in w] == fleet["shadow_warnings"]
    assert [line for line in err.splitlines() if line.startswith("note: ")] == fleet["notes"]


def test_needs_infer_from_code_not_data(tmp_path: Path) -> None:
    import json  # noqa: PLC0415

    out = io.StringIO()
    main(["--config", str(WILD / "agents.toml"), "needs", "--no-cache", "--format", "json"], out=out, err=io.StringIO())
    inferred = {a["agent"]: sorted(a["inferred"]) for a in json.loads(out.getvalue())["agents"]}
    assert {name: EXPECTED[name]["needs"]["inferred"] for name in AGENTS if "needs" in EXPECTED[name]} == {
        name: inferred[name] for name in AGENTS if "needs" in EXPECTED[name]
    }


@pytest.mark.parametrize("agent", AGENTS)
def test_generated_requirements_match_expected(generated: tuple[Path, int, str], agent: str) -> None:
    tree, _, _ = generated
    text = (tree / "locks" / agent / "requirements.generated.txt").read_text(encoding="utf-8")
    assert requirement_tags(text) == EXPECTED[agent]["requirements"]


@pytest.mark.parametrize(
    ("agent", "module"), [(agent, module) for agent in AGENTS for module in EXPECTED[agent].get("why", {})]
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
