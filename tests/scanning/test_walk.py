"""The source graph on a fixture monorepo whose whole scan is written down in expected.toml."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from depmin import api
from depmin.cli.entry import main
from depmin.scanning.finder import stdlib_modules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MINI = Path(__file__).parent.parent / "fixtures" / "mini"
EXPECTED = tomllib.loads((MINI / "expected.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mini_scan() -> api.FleetScan:
    fleet = api.load_fleet(MINI / "agents.toml")
    return api.scan(fleet, use_cache=False)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_scan_matches_expected(mini_scan: api.FleetScan, name: str) -> None:
    want = EXPECTED[name]
    got = mini_scan.agent(name)
    assert got.run_mode == want["run_mode"]
    assert list(got.files) == want["files"]
    assert [r.file for r in got.recovered] == want["recovered"]
    assert [m.module for m in got.missing] == want["missing"]
    assert [u.module for u in got.unresolved] == want["unresolved"]
    assert {e.module: e.kind for e in got.third_party} == want["third_party"]


def test_recovered_file_reports_the_parser_error(mini_scan: api.FleetScan) -> None:
    broken = mini_scan.agent("Broken")
    entry = next(r for r in broken.recovered if r.file == "app/does_not_parse.py")
    assert entry.line >= 2
    assert entry.error


def test_why_gives_the_chain_with_file_and_line(mini_scan: api.FleetScan) -> None:
    chain = api.why(mini_scan.agent("Main"), "redis")
    assert chain is not None
    assert [str(hop) for hop in chain] == [
        "app/main.py:8 imports pkg.mod",
        "pkg/mod.py:6 imports redis",
    ]
    grpc_chain = api.why(mini_scan.agent("Main"), "grpc")
    assert grpc_chain is not None
    assert [str(hop) for hop in grpc_chain] == [
        "app/main.py:9 imports helper",
        "lib/helper.py:1 imports grpc",
    ]
    assert api.why(mini_scan.agent("Tool"), "grpc") is None


def test_package_wins_over_same_named_module(mini_scan: api.FleetScan) -> None:
    main_scan = mini_scan.agent("Main")
    assert "pkg.py" not in main_scan.files
    assert "shadowed_by_the_package" not in {e.module for e in main_scan.third_party}


def test_docstring_text_and_undeclared_names_are_not_imports(mini_scan: api.FleetScan) -> None:
    modules = {e.module for agent in mini_scan.agents for e in agent.third_party}
    assert "not_a_real_import" not in modules
    assert "fake_in_string" not in modules
    assert "np" not in modules


def test_relative_import_in_script_entrypoint_is_a_run_mode_problem(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "app.py").write_text("from .core import run\n")
    (tmp_path / "svc" / "core.py").write_text("import zmq\n")
    config = tmp_path / "agents.toml"
    config.write_text(
        '[project]\n[machines.M]\n[families.f]\nfrom = "x"\n'
        '[agents.A]\nentrypoint = "svc/app.py"\nmachines = ["M"]\nfamily = "f"\n'
    )
    result = api.scan(api.load_fleet(config), use_cache=False).agent("A")
    assert result.run_problems == (
        "svc/app.py:1: relative import `from .core import ...` works only with `python -m svc.app`; "
        'set cmd = ["python", "-m", "svc.app"] in agents.toml',
    )
    assert {e.module for e in result.third_party} == {"zmq"}


def test_stdlib_follows_the_target_python() -> None:
    assert "tomllib" in stdlib_modules("3.11")
    assert "tomllib" not in stdlib_modules("3.10")
    assert "distutils" in stdlib_modules("3.11")
    assert "distutils" not in stdlib_modules("3.12")
    assert "asynchat" not in stdlib_modules("3.12")
    assert "_interpreters" in stdlib_modules("3.13")


def test_scan_command_json_and_exit_code(tmp_path: Path) -> None:
    out = io.StringIO()
    code = main(["--config", str(MINI / "agents.toml"), "scan", "--no-cache", "--format", "json"], out=out)
    assert code == 0
    data = json.loads(out.getvalue())
    assert data["schema"] == "depmin.scan/2"
    names = [agent["agent"] for agent in data["agents"]]
    assert names == sorted(EXPECTED, key=names.index)
    main_agent = next(a for a in data["agents"] if a["agent"] == "Main")
    zmq = next(t for t in main_agent["third_party"] if t["module"] == "zmq")
    assert zmq["first_site"] == {"file": "app/main.py", "line": 6, "module": "zmq"}


def test_one_agent_failing_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import zmq\n")
    (tmp_path / "b.py").write_text("import redis\n")
    config = tmp_path / "agents.toml"
    config.write_text(
        '[project]\n[machines.M]\n[families.f]\nfrom = "x"\n'
        '[agents.A]\nentrypoint = "a.py"\nmachines = ["M"]\nfamily = "f"\n'
        '[agents.B]\nentrypoint = "b.py"\nmachines = ["M"]\nfamily = "f"\n'
    )
    fleet = api.load_fleet(config)
    (tmp_path / "a.py").unlink()  # vanishes after validation, before the scan
    result = api.scan(fleet, use_cache=False)
    assert not result.ok
    assert result.agent("A").errors == (f"entrypoint a.py does not exist under {tmp_path.resolve()}",)
    assert [e.module for e in result.agent("B").third_party] == ["redis"]


def test_why_command(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["--config", str(MINI / "agents.toml"), "why", "Main", "redis", "--no-cache"], out=out) == 0
    assert out.getvalue() == (
        "Main reaches redis (required):\n  app/main.py:8 imports pkg.mod\n  pkg/mod.py:6 imports redis\n"
    )
    out = io.StringIO()
    assert main(["--config", str(MINI / "agents.toml"), "why", "Tool", "zmq", "--no-cache"], out=out) == 1
    assert out.getvalue() == "zmq is not reachable from Tool (tools/run_tool)\n"


def test_global_options_work_after_the_command() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["scan", "--config", str(MINI / "agents.toml"), "--agent", "Tool", "-q", "--no-cache"],
        out=out,
        err=err,
    )
    assert code == 0
    assert out.getvalue().startswith("Tool  (tools/run_tool, run as script, Python 3.11)")


def test_unknown_agent_is_a_one_line_error_with_a_suggestion() -> None:
    err = io.StringIO()
    assert main(["--config", str(MINI / "agents.toml"), "scan", "--agent", "Mian"], out=io.StringIO(), err=err) == 2
    assert (
        err.getvalue()
        == "error: agents.toml: no agent named 'Mian' (did you mean 'Main'?); `depmin fleet` lists the agents\n"
    )


def test_sys_path_edit_cannot_shadow_a_module_loaded_at_start_up(tmp_path: Path) -> None:
    """`io` is in sys.modules before the script runs: lib/io/ is never imported (found by the benchmark)."""
    (tmp_path / "svc").mkdir()
    (tmp_path / "lib" / "io").mkdir(parents=True)
    (tmp_path / "svc" / "app.py").write_text(
        'import os, sys\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))\nimport io\nimport json\n'
    )
    (tmp_path / "lib" / "io" / "__init__.py").write_text("import numpy\n")
    (tmp_path / "lib" / "json.py").write_text("import orjson\n")  # not loaded at start-up: this one does shadow
    config = tmp_path / "agents.toml"
    config.write_text(
        '[project]\n[machines.M]\n[families.f]\nfrom = "x"\n[agents.A]\nentrypoint = "svc/app.py"\nmachines = ["M"]\nfamily = "f"\n'
    )
    result = api.scan(api.load_fleet(config), use_cache=False).agent("A")
    assert result.files == ("lib/json.py", "svc/app.py")
    assert [e.module for e in result.third_party] == ["orjson"]


def test_streamed_scan_json_equals_the_whole_document() -> None:
    from depmin.cli import output as _render  # noqa: PLC0415

    out = io.StringIO()
    assert main(["--config", str(MINI / "agents.toml"), "scan", "--no-cache", "--format", "json"], out=out) == 0
    text = out.getvalue()
    assert text.endswith("}\n")
    assert _render.dumps(json.loads(text)) + "\n" == text


def test_python_m_package_runs_its_main_with_relative_imports(tmp_path: Path) -> None:
    # `python -m tool` runs tool/__main__.py as tool.__main__: `from .cli import main` is tool.cli, and
    # tool/__init__.py is imported first (as in flask 3.1's src/flask/__main__.py).
    (tmp_path / "tool").mkdir()
    (tmp_path / "tool" / "__init__.py").write_text("import yaml\n", encoding="utf-8")
    (tmp_path / "tool" / "__main__.py").write_text("from .cli import main\nmain()\n", encoding="utf-8")
    (tmp_path / "tool" / "cli.py").write_text("import click\n", encoding="utf-8")
    (tmp_path / "agents.toml").write_text(
        '[project]\nroot = "."\npython = "3.11"\n\n[machines.Box]\n\n[families.cpu]\nfrom = "python:3.11-slim"\n\n'
        '[agents.Tool]\nentrypoint = "tool/__main__.py"\ncmd = ["python", "-m", "tool"]\nmachines = ["Box"]\n'
        'family = "cpu"\nports = [9000]\n',
        encoding="utf-8",
    )
    got = api.scan(api.load_fleet(tmp_path / "agents.toml"), use_cache=False).agent("Tool")
    assert sorted(got.files) == ["tool/__init__.py", "tool/__main__.py", "tool/cli.py"]
    assert [u.module for u in got.unresolved] == []
    assert [m.module for m in got.missing] == []
    assert sorted(e.module for e in got.third_party) == ["click", "yaml"]


def test_a_file_importing_its_own_name_means_the_dependency(tmp_path: Path) -> None:
    # mkdocs/utils/yaml.py does `import yaml`: under Python 3 that is PyYAML, not the file itself. A
    # different file beside it importing the same name stays unclassified (the gRPC `import x_pb2` case).
    (tmp_path / "tool" / "utils").mkdir(parents=True)
    (tmp_path / "tool" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "tool" / "utils" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "tool" / "__main__.py").write_text("from .utils import yaml, meta\n", encoding="utf-8")
    (tmp_path / "tool" / "utils" / "yaml.py").write_text("import yaml\n", encoding="utf-8")
    (tmp_path / "tool" / "utils" / "meta.py").write_text("import yaml\n", encoding="utf-8")
    (tmp_path / "agents.toml").write_text(
        '[project]\nroot = "."\npython = "3.11"\n\n[machines.Box]\n\n[families.cpu]\nfrom = "python:3.11-slim"\n\n'
        '[agents.Tool]\nentrypoint = "tool/__main__.py"\ncmd = ["python", "-m", "tool"]\nmachines = ["Box"]\n'
        'family = "cpu"\nports = [9000]\n',
        encoding="utf-8",
    )
    got = api.scan(api.load_fleet(tmp_path / "agents.toml"), use_cache=False).agent("Tool")
    assert [(e.module, [s.file for s in e.sites]) for e in got.third_party] == [("yaml", ["tool/utils/yaml.py"])]
    assert [(u.module, u.site.file) for u in got.unresolved] == [("yaml", "tool/utils/meta.py")]


def _plugin_fleet(tmp_path: Path, patterns: str) -> api.FleetScan:
    repo = tmp_path / "repo"
    for path, text in {
        "host.py": "import importlib\nimportlib.import_module(NAME)\n",
        "app/__init__.py": "import attrs\n",
        "app/components/light/__init__.py": "",
        "app/components/light/config_flow.py": "import voluptuous\n",
        "app/components/light/sensor.py": "import numpy\n",
        "app/components/fan/config_flow.py": "import zeroconf\n",  # a namespace package: no __init__.py
        "app/components/README.md": "",
    }.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text, encoding="utf-8")
    (tmp_path / "agents.toml").write_text(
        '[project]\nroot = "repo"\npython = "3.11"\n[machines.M]\n[families.cpu]\nfrom = "python:3.11-slim"\n'
        f'[agents.Host]\nentrypoint = "host.py"\nmachines = ["M"]\nfamily = "cpu"\nentry_modules = {patterns}\n',
        encoding="utf-8",
    )
    fleet = api.load_fleet(tmp_path / "agents.toml")
    return api.scan(fleet, use_cache=False)


def test_entry_modules_walk_what_a_host_loads_by_name_lazily(tmp_path: Path) -> None:
    """Home Assistant's shape: each integration's config_flow.py is loaded by computed name."""
    scan = _plugin_fleet(tmp_path, '["app.components.*.config_flow"]').agent("Host")
    assert scan.errors == ()
    # the packages above run first (app/__init__.py); sensor.py is not named by the pattern
    assert {e.module: e.kind for e in scan.third_party} == {"attrs": "lazy", "voluptuous": "lazy", "zeroconf": "lazy"}
    assert "app/components/light/config_flow.py" in scan.files
    assert "app/components/light/sensor.py" not in scan.files


def test_an_entry_module_pattern_that_names_nothing_is_an_error(tmp_path: Path) -> None:
    scan = _plugin_fleet(tmp_path, '["app.widgets.*"]').agent("Host")
    assert scan.errors == ("entry_modules 'app.widgets.*' names no module on this agent's sys.path",)
