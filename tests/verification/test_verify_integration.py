"""`depmin verify` with the real uv, pip and venv: tiny real wheels (tests/wheelhouse.py) locked
offline by `depmin lock`, then installed hash-checked into a fresh environment and imported.

Nothing leaves the machine: every pip and uv run is offline, proxies point at a closed local port.
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import pytest

from tests.offline import run, seal, write_fleet
from tests.wheelhouse import WHEELS, Wheel, build_wheelhouse

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        sys.platform != "linux" or platform.machine() != "x86_64", reason="installs manylinux x86_64 wheels"
    ),
]

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

FLEET = f"""\
[project]
root = "repo"
python = "{PYTHON}"
platform = "x86_64-manylinux_2_28"

[mapping]
widget = "py-widget"
alpha = "alpha"
needy = "needy"
tooly = "tooly"

[machines.M]

[families.cpu]
from = "python:{PYTHON}-slim"
find_links = ["wheels"]
"""

# `needy` imports a module no locked distribution provides (what a missing extra looks like).
NEEDY = Wheel("needy", "1.0", modules={"needy/__init__.py": "import helperlib\n"})
TOOLY = Wheel("tooly", "1.0", modules={"tooly/__init__.py": "def detect():\n    return 1\n"})


def make_fleet(root: Path, sources: dict[str, str]) -> Path:
    build_wheelhouse(root / "wheels", (*WHEELS, NEEDY, TOOLY))
    return write_fleet(root, FLEET, {name: ("cpu", source) for name, source in sources.items()})


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seal(monkeypatch, tmp_path)


def locked(config: Path, *agents: str) -> None:
    chosen = [word for agent in agents for word in ("--agent", agent)]
    code, out, err = run(config, "lock", "--offline", *chosen)
    assert code == 0, out + err


def verify(config: Path, *args: str) -> tuple[int, dict[str, dict[str, object]], str]:
    code, out, err = run(config, "verify", "--offline", "--python", sys.executable, "--format", "json", *args)
    assert out, err
    document = json.loads(out)
    assert document["schema"] == "depmin.verify/1"
    return code, {agent["agent"]: agent for agent in document["agents"]}, err


def test_a_complete_lock_verifies_and_the_second_run_reuses_the_environment(tmp_path: Path) -> None:
    source = (
        "import alpha\nimport widget.parts\nfrom tooly import detect\n\ndef later():\n    import beta\n    detect()\n"
    )
    config = make_fleet(tmp_path, {"A": source})
    locked(config, "A")
    code, agents, err = verify(config, "--agent", "A")
    assert code == 0, err
    agent = agents["A"]
    assert agent["ok"] is True
    # the lazy import is tried too; tooly.detect is a function, which `from tooly import detect` gets
    assert agent["modules"] == ["alpha", "beta", "tooly", "tooly.detect", "widget.parts"]
    assert agent["locks"] == ["locks/A/requirements.lock"]
    assert agent["reused"] is False
    assert agent["pip_check"] == [] and agent["failures"] == []
    code, again, _ = verify(config, "--agent", "A")
    assert code == 0
    assert again["A"]["reused"] is True
    assert again["A"]["environment"] == agent["environment"]


def test_a_submodule_absent_from_the_locked_release_fails_naming_it(tmp_path: Path) -> None:
    # py-widget 1.0 has widget.parts only. The lock refuses `import widget.gone` where it sees the wheel's
    # files; here the import comes after the lock, as a change the lock has not seen yet does.
    config = make_fleet(tmp_path, {"B": "import alpha\nimport widget\n"})
    locked(config, "B")
    (config.parent / "repo" / "agents" / "b.py").write_text("import alpha\nimport widget.gone\n", encoding="utf-8")
    code, agents, err = verify(config, "--agent", "B")
    assert code == 1
    [failure] = agents["B"]["failures"]  # type: ignore[misc]
    assert failure["module"] == "widget.gone"
    assert failure["error"] == "ModuleNotFoundError: No module named 'widget.gone'"
    assert "the locked release has no widget.gone" in failure["fix"]
    assert "error: B: widget.gone: ModuleNotFoundError: No module named 'widget.gone'; " in err


def test_a_dependency_the_lock_lacks_names_it_and_the_extra_to_add(tmp_path: Path) -> None:
    config = make_fleet(tmp_path, {"C": "import needy\n"})
    locked(config, "C")
    code, agents, _ = verify(config, "--agent", "C")
    assert code == 1
    [failure] = agents["C"]["failures"]  # type: ignore[misc]
    assert failure["error"] == "ModuleNotFoundError: No module named 'helperlib'"
    assert "needy needs helperlib" in failure["fix"] and "agents.C.extra_requirements" in failure["fix"]


def test_after_a_plan_the_family_lock_and_the_service_lock_are_installed(tmp_path: Path) -> None:
    config = make_fleet(tmp_path, {"A": "import alpha\nimport widget.parts\n", "D": "import alpha\n"})
    locked(config, "A", "D")
    code, out, err = run(config, "plan")
    assert code == 0, out + err
    code, agents, err = verify(config, "--agent", "A", "--agent", "D")
    assert code == 0, err
    assert agents["A"]["locks"] == ["locks/_families/cpu/requirements.lock", "locks/A/service.lock"]
    assert agents["A"]["ok"] is True and agents["D"]["ok"] is True
    # like the images: one environment of the family's lock, and A's service lock as a layer on top
    cache = tmp_path / "depmin-cache" / "verify"
    assert len(list((cache / "venvs").iterdir())) == 1
    [layer] = (cache / "services").iterdir()
    assert agents["A"]["environment"] == layer.name
    assert sorted(p.name for p in layer.glob("*.dist-info")) == ["gamma-1.0.dist-info", "py_widget-1.0.dist-info"]


def test_the_text_report_names_the_interpreter_and_the_locks(tmp_path: Path) -> None:
    config = make_fleet(tmp_path, {"A": "import alpha\n"})
    locked(config, "A")
    code, out, err = run(config, "verify", "--offline", "--python", sys.executable, "--agent", "A")
    assert code == 0, err
    assert out.startswith(f"A: ok: 1 module imported from locks/A/requirements.lock (python {PYTHON}, environment ")


def test_a_lock_that_does_not_install_fails_and_leaves_no_environment_behind(tmp_path: Path) -> None:
    config = make_fleet(tmp_path, {"A": "import alpha\n"})
    locked(config, "A")
    wheel = next((tmp_path / "wheels").glob("alpha-1.0-*.whl"))
    kept = wheel.read_bytes()
    wheel.unlink()
    code, agents, err = verify(config, "--agent", "A")
    assert code == 1
    assert str(agents["A"]["install_error"]).startswith("requirements.lock: ")
    assert "alpha" in str(agents["A"]["install_error"])
    assert agents["A"]["modules"] == ["alpha"] and agents["A"]["failures"] == []
    assert "error: A: locks do not install: requirements.lock: " in err
    assert list((tmp_path / "depmin-cache" / "verify" / "venvs").iterdir()) == []
    wheel.write_bytes(kept)
    code, agents, err = verify(config, "--agent", "A")
    assert code == 0, err
    assert agents["A"]["reused"] is False


# 2 MB of text in one module: above --max-mb 1 once installed (the wheel itself compresses it).
BULKY = Wheel("bulky", "1.0", modules={"bulky/__init__.py": "BLOB = '" + "0123456789abcdef" * 131072 + "'\n"})
LEANING = Wheel("leaning", "1.0", requires=("bulky",), modules={"leaning/__init__.py": "import bulky\n"})


def test_max_mb_skips_the_heavy_distribution_and_says_which_imports_were_not_checked(tmp_path: Path) -> None:
    config = make_fleet(tmp_path, {"H": "import alpha\nimport bulky\nimport leaning\n"})
    build_wheelhouse(tmp_path / "wheels", (BULKY, LEANING))
    text = config.read_text().replace('tooly = "tooly"\n', 'tooly = "tooly"\nbulky = "bulky"\nleaning = "leaning"\n')
    config.write_text(text)
    locked(config, "H")
    code, agents, err = verify(config, "--agent", "H", "--max-mb", "1")
    assert code == 0, err
    agent = agents["H"]
    assert agent["heavy_skipped"] == ["bulky==1.0"]
    assert agent["unchecked"] == ["bulky", "leaning"]  # leaning requires bulky: it cannot import without it
    assert agent["modules"] == ["alpha"] and agent["ok"] is True
    assert agent["pip_check"] == []  # "leaning requires bulky, which is not installed" is about the skipped one
    environment = tmp_path / "depmin-cache" / "verify" / "venvs" / str(agent["environment"])
    site = next(environment.glob("lib/python*/site-packages"))
    assert (site / "leaning").is_dir() and not (site / "bulky").exists()
    code, out, _ = run(config, "verify", "--offline", "--python", sys.executable, "--agent", "H", "--max-mb", "1")
    assert code == 0
    assert "H: skipped as too heavy: bulky==1.0; not imported therefore: bulky, leaning\n" in out
    code, agents, err = verify(config, "--agent", "H", "--max-mb", "5")  # 2 MB is not too heavy
    assert code == 0, err
    assert agents["H"]["heavy_skipped"] == [] and agents["H"]["modules"] == ["alpha", "bulky", "leaning"]
