"""The library surface: `import depmin` alone drives the pipeline; public names stay public."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import shutil
import typing
from pathlib import Path

import pytest

import depmin
import depmin.api

PUBLIC = {
    "load_fleet", "scan", "why", "generate", "infer_needs", "mapper", "plan", "check", "lock", "wheelhouse",
    "render_dockerfiles", "write_dockerfiles", "LockResult", "WheelhouseResult",
    "write_requirements", "write_plan", "Fleet", "Agent", "Family", "Machine", "Project", "Policy",
    "Layers", "FleetScan", "AgentScan", "ExternalImport", "ModuleUse", "Hop", "Generated",
    "AgentRequirements", "RequirementLine", "NeedsReport", "PlanResult", "Stale", "DepminError",
    "ConfigError", "ToolError", "Problem", "__version__",
}  # fmt: skip

MINI = Path(__file__).parent / "fixtures" / "mini"


def test_no_public_name_disappears() -> None:
    missing = sorted(name for name in PUBLIC if not hasattr(depmin, name))
    assert missing == []
    assert set(depmin.__all__) >= PUBLIC


def test_all_lists_every_facade_function_and_only_names_that_exist() -> None:
    assert sorted(name for name in depmin.api.__all__ if name not in depmin.__all__) == []
    assert sorted(name for name in depmin.__all__ if not hasattr(depmin, name)) == []


def _depmin_types(hint: object, seen: set[type]) -> None:
    """Every depmin class reachable from a type hint, through generics and dataclass fields."""
    for arg in typing.get_args(hint):
        _depmin_types(arg, seen)
    if isinstance(hint, type) and hint.__module__.startswith("depmin.") and hint not in seen:
        seen.add(hint)
        if dataclasses.is_dataclass(hint):
            for field_hint in typing.get_type_hints(hint).values():
                _depmin_types(field_hint, seen)


def test_every_type_a_public_result_carries_is_exported() -> None:
    reachable: set[type] = set()
    for name in depmin.__all__:
        value = getattr(depmin, name)
        if inspect.isfunction(value):
            _depmin_types(typing.get_type_hints(value).get("return"), reachable)
        elif isinstance(value, type):
            _depmin_types(value, reachable)
    exported = {id(getattr(depmin, name)) for name in depmin.__all__}
    assert sorted(f"{t.__module__}.{t.__qualname__}" for t in reachable if id(t) not in exported) == []


def test_no_package_attribute_shadows_one_of_its_modules() -> None:
    """`import depmin.x.y as m` must bind the module, whatever the package exports."""
    shadowed = []
    for info in pkgutil.walk_packages(depmin.__path__, "depmin."):
        if info.name.endswith(".__main__"):  # runs the command when imported
            continue
        module = importlib.import_module(info.name)
        parent_name, _, leaf = info.name.rpartition(".")
        if getattr(importlib.import_module(parent_name), leaf) is not module:
            shadowed.append(info.name)
    assert shadowed == []


LAZY = ["depmin", "depmin.requirements", "depmin.locking", "depmin._backend", "depmin.scanning"]


@pytest.mark.parametrize("package", LAZY)
def test_a_package_that_imports_its_names_on_first_use_has_every_name_it_exports(package: str) -> None:
    """Its ``__getattr__`` (PEP 562) finds each name of ``__all__`` in the module it says, and ``dir`` lists it;
    the modules it names are the ones its ``TYPE_CHECKING`` imports (what mypy checks) name."""
    module = importlib.import_module(package)
    assert sorted(name for name in module.__all__ if not hasattr(module, name)) == []
    assert sorted(set(module.__all__) - set(dir(module))) == []
    source = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    checked = {
        alias.asname or alias.name: statement.module
        for node in source.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for statement in node.body
        if isinstance(statement, ast.ImportFrom)
        for alias in statement.names
    }
    assert checked == module._WHERE


def test_pipeline_through_import_depmin_alone(tmp_path: Path) -> None:
    work = tmp_path / "mini"
    shutil.copytree(MINI, work)
    fleet = depmin.load_fleet(work / "agents.toml")
    scanned = depmin.scan(fleet, use_cache=False)
    assert isinstance(scanned.agent("Main"), depmin.AgentScan)
    chain = depmin.why(scanned.agent("Main"), "redis")
    assert chain is not None and chain[-1] == depmin.Hop(file="pkg/mod.py", line=6, module="redis")
    generated = depmin.generate(fleet, scanned)
    assert [line.distribution for line in generated.agent("Modular").install] == ["numpy", "psutil", "pyyaml", "redis"]
    assert len(depmin.check(fleet, use_cache=False)) == 4  # nothing generated yet: every file is missing
    written = depmin.write_requirements(fleet, generated)
    assert all(written.values())
    assert depmin.check(fleet, use_cache=False) == ()
    (work / "pkg" / "sub.py").write_text("from . import mod\nimport numpy as np\nimport scipy\n")
    [stale] = [s for s in depmin.check(fleet, use_cache=False) if s.path.parent.name == "Modular"]
    assert stale.reason == "+scipy"
    assert stale.command == "depmin generate --agent Modular"


def test_errors_are_depmin_errors_not_exits(tmp_path: Path) -> None:
    with pytest.raises(depmin.ConfigError) as caught:
        depmin.load_fleet(tmp_path / "missing.toml")
    assert isinstance(caught.value, depmin.DepminError)
    fleet = depmin.load_fleet(MINI / "agents.toml")
    with pytest.raises(depmin.DepminError):
        depmin.plan(fleet, locks_dir=tmp_path)


@pytest.mark.integration
def test_docs_api_examples_run(tmp_path: Path) -> None:
    """Every Python example in docs/api.md runs, against a copy of the fixture fleet."""
    import re  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    work = tmp_path / "mini"
    shutil.copytree(MINI, work)
    text = (Path(__file__).parent.parent / "docs" / "api.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    first = subprocess.run([sys.executable, "-c", blocks[0]], cwd=work, capture_output=True, text=True, check=True)
    assert (
        "Main adds ['docker', 'grpcio', 'numpy', 'psutil', 'pyyaml', 'pyzmq', 'redis', 'requests'] drops []"
        in first.stdout
    )
    second = subprocess.run([sys.executable, "-c", blocks[1]], cwd=work, capture_output=True, text=True, check=False)
    assert second.returncode == 1
    assert "locks/Main/requirements.generated.txt: missing; run `depmin generate --agent Main`" in second.stderr


def test_the_facade_default_registry_is_the_build_stage_one() -> None:
    """``depmin.api`` spells the default registry out so that importing it loads no build stage."""
    from depmin import dockerfiles  # noqa: PLC0415

    assert depmin.api.DEFAULT_REGISTRY == dockerfiles.DEFAULT_REGISTRY


def test_a_scan_runs_none_of_the_later_stages_imports(tmp_path: Path) -> None:
    """``depmin scan`` pays for the stages it runs only: the later ones are not imported."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = (
        "import sys, runpy\n"
        f"sys.argv = ['depmin', '--config', {str(Path(__file__).resolve().parents[1] / 'agents.toml')!r}, 'scan', '-q', '--no-cache']\n"
        "try:\n    runpy.run_module('depmin', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "stages = ('locking', 'layers', 'auditing', 'verification', 'dockerfiles', 'staleness', '_backend')\n"
        "print('loaded:', *(s for s in stages if 'depmin.' + s in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert done.stdout.strip().splitlines()[-1] == "loaded:"
    # and a later stage still loads when used: the facade's types resolve
    assert typing.get_type_hints(depmin.api.plan)["return"] is depmin.PlanResult
