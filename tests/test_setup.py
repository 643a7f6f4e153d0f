"""The test command's set-up is reproducible: every tool and library it installs is pinned."""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in (ROOT / "tests" / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{line}: constraints pin exact versions"
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def test_every_requirement_of_the_test_command_is_pinned_to_a_version_it_allows() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins()
    for line in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is installed by tests/run.sh but not pinned in tests/constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} violates {line}"


def test_run_sh_installs_with_the_constraints_and_type_checks_both_ends_of_requires_python() -> None:
    script = (ROOT / "tests" / "run.sh").read_text(encoding="utf-8")
    assert "-c tests/constraints.txt" in script
    assert "mypy --python-version 3.10" in script
    assert "mypy --python-version 3.13" in script
    assert 'python3 -m pytest -m "" "$@"' in script, "CI must run every test, whatever addopts deselects"
