"""depmin.requirements.hints: the repository's hand-written requirement files as a mapping source."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from depmin import api
from depmin.cli.entry import main
from depmin.requirements.hints import Declaration, Hints, declarations_in, read_hints

WILD = Path(__file__).parent.parent / "fixtures" / "wild"


def names(found: list[Declaration]) -> list[tuple[str, str, int]]:
    return [(d.distribution, d.specifier, d.line) for d in found]


def test_requirements_lines_skip_options_comments_urls_and_junk() -> None:
    text = "# hand-written\n-r base.txt\nPyYAML>=6  # config\nnot a requirement!\nx @ https://e.invalid/x.whl\nzmq\n"
    assert names(declarations_in("requirements.in", "r.in", text)) == [("pyyaml", ">=6", 3), ("zmq", "", 6)]


def test_pyproject_dependencies_with_their_lines() -> None:
    text = '[project]\nname = "x"\ndependencies = [\n  "traceloop-sdk==0.33.9",\n  "httpx",\n]\n'
    assert names(declarations_in("pyproject.toml", "p", text)) == [("traceloop-sdk", "==0.33.9", 4), ("httpx", "", 5)]


def test_setup_cfg_install_requires() -> None:
    text = "[options]\ninstall_requires =\n    pysnmp-lextudio>=5\n    requests\n"
    assert names(declarations_in("setup.cfg", "s", text)) == [("pysnmp-lextudio", ">=5", 3), ("requests", "", 4)]


def test_extras_are_declarations_of_their_extra() -> None:
    pyproject = (
        '[project]\nname = "flask"\ndependencies = ["werkzeug>=3"]\n\n[project.optional-dependencies]\n'
        'dotenv = ["python-dotenv"]\nasync = ["asgiref>=3.2"]\n'
    )
    found = declarations_in("pyproject.toml", "p", pyproject)
    assert [(d.distribution, d.specifier, d.line, d.extra) for d in found] == [
        ("werkzeug", ">=3", 3, None), ("asgiref", ">=3.2", 7, "async"), ("python-dotenv", "", 6, "dotenv")]  # fmt: skip
    hints = Hints(declarations=tuple(found))
    assert hints.required("asgiref") is None and hints.declared("asgiref") is not None
    assert hints.required("Werkzeug") == found[0]
    setup_cfg = "[options]\ninstall_requires =\n    kombu\n[options.extras_require]\nauth =\n    cryptography==42\n"
    found = declarations_in("setup.cfg", "s", setup_cfg)
    assert [(d.distribution, d.specifier, d.line, d.extra) for d in found] == [
        ("kombu", "", 3, None), ("cryptography", "==42", 6, "auth")]  # fmt: skip


def test_setup_py_literal_lists_are_read_never_run() -> None:
    text = (
        "import os\nfrom setuptools import setup\nos.system('never run')\nDEPS = compute()\nsetup(\n"
        "    name='datasette',\n    install_requires=['asgi-csrf>=0.9', 'click>=7.1.1'],\n"
        "    extras_require={'docs': ['sphinx'], 'rich': ['rich']},\n    tests_require=['pytest'],\n)\n"
        "setuptools.setup(install_requires=DEPS)\n"
    )
    found = declarations_in("setup.py", "setup.py", text)
    assert [(d.distribution, d.specifier, d.line, d.extra) for d in found] == [
        ("asgi-csrf", ">=0.9", 7, None), ("click", ">=7.1.1", 7, None), ("sphinx", "", 8, "docs"),
        ("rich", "", 8, "rich")]  # fmt: skip
    assert declarations_in("setup.py", "setup.py", "setup(install_requires=[\n") == []  # does not parse


def test_a_requirements_directory_declares_run_time_files_and_extras(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "requirements" / "extras").mkdir(parents=True)
    (repo / "requirements" / "default.txt").write_text("kombu>=5.3\n", encoding="utf-8")
    (repo / "requirements" / "test.txt").write_text("pytest==8.3.3\n", encoding="utf-8")
    (repo / "requirements" / "extras" / "eventlet.txt").write_text("eventlet>=0.32\n", encoding="utf-8")
    (repo / "app.py").write_text("import kombu\n", encoding="utf-8")
    (tmp_path / "agents.toml").write_text(
        '[project]\nroot = "repo"\npython = "3.11"\n[machines.M]\n[families.cpu]\nfrom = "python:3.11-slim"\n'
        '[agents.A]\nentrypoint = "app.py"\nmachines = ["M"]\nfamily = "cpu"\n',
        encoding="utf-8",
    )
    fleet = api.load_fleet(tmp_path / "agents.toml")
    (hints,) = read_hints(fleet, [fleet.agent("A")]).values()
    assert [(d.distribution, d.file, d.extra) for d in hints.declarations] == [
        ("kombu", "requirements/default.txt", None), ("pytest", "requirements/test.txt", "test"),
        ("eventlet", "requirements/extras/eventlet.txt", "eventlet")]  # fmt: skip
    # a development file's pin is no version preference; a run-time file's and an extra's range are
    assert sorted(hints.ranges()) == ["eventlet", "kombu"]


def test_pipfile_packages_star_means_any_version() -> None:
    text = '[packages]\nprotobuf = "==4.25.3"\ngrpcio = {version = ">=1.60"}\nrequests = "*"\n'
    assert names(declarations_in("Pipfile", "P", text)) == [
        ("protobuf", "==4.25.3", 2),
        ("grpcio", ">=1.60", 3),
        ("requests", "", 4),
    ]


@pytest.mark.parametrize("name", ["pyproject.toml", "Pipfile", "setup.cfg"])
def test_a_file_that_does_not_parse_declares_nothing(name: str) -> None:
    assert declarations_in(name, name, "[[[ not = valid\n") == []


@pytest.mark.parametrize(
    ("module", "declared"),
    [
        ("traceloop.sdk", "traceloop-sdk"),
        ("nmap", "python-nmap"),
        ("yaml", "pyyaml"),
        ("stripe", "stripe-python"),
        ("weaviate", "weaviate-client"),
        ("opentelemetry.instrumentation.httpx", "opentelemetry-instrumentation-httpx"),
    ],
)
def test_name_rules(module: str, declared: str) -> None:
    hints = Hints(declarations=(Declaration(distribution=declared, specifier="", file="r.txt", line=1),))  # type: ignore[arg-type]
    found = hints.for_import(module)
    assert found is not None and found.distribution == declared


def test_a_namespace_name_never_matches_a_module_under_it() -> None:
    hints = Hints(declarations=(Declaration(distribution="google", specifier="", file="r.txt", line=1),))  # type: ignore[arg-type]
    assert hints.for_import("google.cloud.newthing") is None


def test_repository_hints_false_turns_them_off(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(WILD, tree)
    config = tree / "agents.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('python = "3.11"', 'python = "3.11"\nrepository_hints = false'),
        encoding="utf-8",
    )
    fleet = api.load_fleet(config)
    trace = api.generate(fleet, api.scan(fleet, use_cache=False)).agent("Trace")
    assert [line.requirement for line in trace.install] == [
        "grpcio-health-checking",
        "opentelemetry-instrumentation-httpx",
        "orjson",
        "traceloop",
    ]
    assert trace.install[-1].resolution is not None and trace.install[-1].resolution.guessed


def test_hinted_requirement_lines_are_valid_for_pip(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(WILD, tree)
    code = main(["--config", str(tree / "agents.toml"), "generate", "--no-cache"], out=io.StringIO(), err=io.StringIO())
    assert code == 1  # Hub's unclassified import (expected.toml [fleet]); every file is still written
    text = (tree / "locks" / "Trace" / "requirements.generated.txt").read_text(encoding="utf-8")
    lines = [line.split("  #", 1)[0] for line in text.splitlines() if line and not line.startswith("#")]
    assert [str(Requirement(line)) for line in lines] == lines


def test_needs_proposes_the_mapping_line_for_a_declared_name_beside_a_guess(tmp_path: Path) -> None:
    import json  # noqa: PLC0415

    tree = tmp_path / "repo"
    shutil.copytree(WILD, tree)
    config = tree / "agents.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('python = "3.11"', 'python = "3.11"\nrepository_hints = false'),
        encoding="utf-8",
    )
    out = io.StringIO()
    assert main(["--config", str(config), "needs", "--no-cache", "--format", "json"], out=out, err=io.StringIO()) == 0
    [trace] = [a for a in json.loads(out.getvalue())["agents"] if a["agent"] == "Trace"]
    [declared] = trace["declared_files"]
    assert declared["file"] == "services/trace/requirements.in"
    assert declared["used_not_declared"] == ["orjson", "traceloop"]
    assert declared["proposed_mapping"] == [
        '[mapping] traceloop = "traceloop-sdk" (the code imports traceloop, mapped to traceloop; traceloop-sdk is declared)'
    ]


def test_a_requirement_file_outside_the_root_is_not_read(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(WILD, tree)
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("orjson==3.0.0\n", encoding="utf-8")
    (tree / "services" / "trace" / "requirements-extra.txt").symlink_to(outside)
    fleet = api.load_fleet(tree / "agents.toml")
    trace = api.generate(fleet, api.scan(fleet, use_cache=False)).agent("Trace")
    assert [line.requirement for line in trace.install if line.distribution == "orjson"] == ["orjson"]


def test_a_declaration_does_not_replace_a_bundled_answer(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(WILD, tree)
    # `grpc-health` matches `grpc_health` by the exact-name rule, but the bundled table knows the answer
    (tree / "services" / "trace" / "requirements-dev.txt").write_text("grpc-health\n", encoding="utf-8")
    fleet = api.load_fleet(tree / "agents.toml")
    trace = api.generate(fleet, api.scan(fleet, ["Trace"], use_cache=False)).agent("Trace")
    names = {line.distribution for line in trace.install}
    assert "grpcio-health-checking" in names
    assert "grpc-health" not in names


def test_a_declared_distribution_no_agent_imports_is_noted_once_every_reader_was_generated(tmp_path: Path) -> None:
    """``pip`` run as ``python -m pip`` is no import: the root file declares it, no agent lists it."""
    repo = tmp_path / "repo"
    (repo / "a").mkdir(parents=True)
    (repo / "b").mkdir()
    (repo / "requirements.txt").write_text("requests>=2\npip\npytest; python_version < '3'\n", encoding="utf-8")
    (repo / "a" / "main.py").write_text("import requests\n", encoding="utf-8")
    (repo / "b" / "main.py").write_text("import subprocess\n", encoding="utf-8")
    agents = "".join(
        f'[agents.{name}]\nentrypoint = "{name.lower()}/main.py"\nmachines = ["M"]\nfamily = "cpu"\n' for name in "AB"
    )
    (tmp_path / "agents.toml").write_text(
        '[project]\nroot = "repo"\npython = "3.11"\n[machines.M]\n[families.cpu]\nfrom = "python:3.11-slim"\n' + agents,
        encoding="utf-8",
    )
    fleet = api.load_fleet(tmp_path / "agents.toml")
    generated = api.generate(fleet, api.scan(fleet, use_cache=False))
    assert generated.unreached == (
        "1 distribution(s) that the repository's own requirement files declare are imported by no agent that reads "
        "them (requirements.txt: pip (requirements.txt:2)); depmin lists none of them: if an agent needs one at run "
        "time (a plugin loaded by name, a `python -m` subprocess, data files), add it to "
        "agents.<Name>.extra_requirements (A, B)"
    )  # pytest's marker is false for 3.11: not a run-time declaration here
    only_b = api.generate(fleet, api.scan(fleet, ["B"], use_cache=False))
    assert only_b.unreached is None  # A reads the file too and was not generated: requests is not blamed


def test_the_lazy_note_knows_a_declared_name_under_a_chosen_fork_and_skips_other_platforms(tmp_path: Path) -> None:
    """The file declares opencv-python, [mapping] picks the headless wheel for cv2: declared. A lazy
    import under a win32 test is not installed in the container: nothing to say. An undeclared one is."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text("opencv-python\n", encoding="utf-8")
    (repo / "main.py").write_text(
        "import sys\n\ndef snap():\n    import cv2\n    if sys.platform == 'win32':\n        import winreg_helpers\n"
        "    import orjson\n",
        encoding="utf-8",
    )
    (tmp_path / "agents.toml").write_text(
        '[project]\nroot = "repo"\npython = "3.11"\n[mapping]\ncv2 = "opencv-python-headless"\n[machines.M]\n'
        '[families.cpu]\nfrom = "python:3.11-slim"\n[agents.A]\nentrypoint = "main.py"\nmachines = ["M"]\n'
        'family = "cpu"\n',
        encoding="utf-8",
    )
    fleet = api.load_fleet(tmp_path / "agents.toml")
    generated = api.generate(fleet, api.scan(fleet, use_cache=False))
    assert "winreg-helpers" in {line.distribution for line in generated.agent("A").install}  # with its marker
    assert generated.undeclared is not None
    assert generated.undeclared.startswith(
        "1 lazy import(s) are installed that the repository's own requirement files do not declare "
        "(A: orjson (main.py:7)); "
    )


def test_entry_points_no_agent_reaches_are_noted_until_entry_modules_names_them(tmp_path: Path) -> None:
    """keyring's shape: the host finds its backends through its own entry points, never by an import."""
    repo = tmp_path / "repo"
    (repo / "host" / "backends").mkdir(parents=True)
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "host"\ndependencies = ["secretstorage"]\n\n'
        '[project.scripts]\nhost = "host.cli:main"\n\n'
        '[project.entry-points."host.backends"]\nsecret = "host.backends.secret:Backend"\n'
        'elsewhere = "other_package.plugin"\n',
        encoding="utf-8",
    )
    (repo / "host" / "__init__.py").write_text("", encoding="utf-8")
    (repo / "host" / "cli.py").write_text("import importlib.metadata\n", encoding="utf-8")
    (repo / "host" / "backends" / "__init__.py").write_text("", encoding="utf-8")
    (repo / "host" / "backends" / "secret.py").write_text("import secretstorage\n", encoding="utf-8")
    agent = '[agents.Host]\nentrypoint = "host/cli.py"\ncmd = ["python", "-m", "host.cli"]\nmachines = ["M"]\nfamily = "cpu"\n'
    head = '[project]\nroot = "repo"\npython = "3.11"\n[machines.M]\n[families.cpu]\nfrom = "python:3.11-slim"\n'
    (tmp_path / "agents.toml").write_text(head + agent, encoding="utf-8")
    fleet = api.load_fleet(tmp_path / "agents.toml")
    generated = api.generate(fleet, api.scan(fleet, use_cache=False))
    assert generated.unloaded == (
        "1 module(s) that the repository's own entry points name are reached by no agent that reads them "
        "(pyproject.toml: host.backends.secret (pyproject.toml:9, group host.backends)); a plugin host loads them "
        "by name, so what they import is not in the requirements: name them in the hosting agent's "
        'agents.<Name>.entry_modules (e.g. ["pkg.plugins.*"])'
    )  # the script is an agent, not a plugin; other_package is not first-party
    assert "secretstorage" not in {line.distribution for line in generated.agent("Host").install}
    (tmp_path / "agents.toml").write_text(head + agent + 'entry_modules = ["host.backends.*"]\n', encoding="utf-8")
    fleet = api.load_fleet(tmp_path / "agents.toml")
    generated = api.generate(fleet, api.scan(fleet, use_cache=False))
    assert generated.unloaded is None
    assert "secretstorage" in {line.distribution for line in generated.agent("Host").install}
