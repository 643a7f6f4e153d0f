"""depmin.scanning.finder: CPython's path-finder rules, checked on small trees and against importlib."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from depmin.scanning.finder import Finder, absolute_name, roots_at
from depmin.scanning.sites import PathEdit


@pytest.mark.parametrize(
    ("package", "name"),
    [("a", ".x"), ("a.b", ".x"), ("a.b", "..x"), ("a.b", ".."), ("a.b.c", "...x.y"), ("a.b.c", "."), ("a", ".")],
)
def test_relative_names_resolve_as_importlib_resolves_them(package: str, name: str) -> None:
    module = name.lstrip(".")
    level = len(name) - len(module)
    assert absolute_name(package, level, module) == importlib.util.resolve_name(name, package)


@pytest.mark.parametrize(("package", "level", "module"), [("a", 3, "x"), ("a.b", 4, ""), ("", 2, "x"), ("a", 2, "")])
def test_dots_beyond_the_top_level_package_resolve_to_nothing(package: str, level: int, module: str) -> None:
    assert absolute_name(package, level, module) is None


def test_sys_path_edits_apply_from_their_line_on(tmp_path: Path) -> None:
    file = tmp_path / "app" / "main.py"
    edits = [
        PathEdit(line=3, path="..", position="insert", str_entry=True, lazy=False),
        PathEdit(line=5, path="../lib", position="append", str_entry=True, lazy=False),
        PathEdit(line=7, path="../vendor", position="insert", str_entry=False, lazy=False),
    ]
    start = (tmp_path / "app",)
    assert roots_at(file, start, edits, 3).roots == start
    at_six = roots_at(file, start, edits, 6)
    assert at_six.roots == (tmp_path, tmp_path / "app", tmp_path / "lib")
    assert at_six.added == (tmp_path, tmp_path / "lib")
    at_end = roots_at(file, start, edits, 100)
    assert at_end.roots == at_six.roots  # a pathlib.Path entry is skipped by the import system
    assert at_end.ignored == (tmp_path / "vendor",)


def test_package_wins_over_module_wins_over_namespace_portion(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "pkg").mkdir(parents=True)
    (first / "pkg" / "helpers.py").write_text("")  # a namespace portion in the first root
    (second / "pkg").mkdir(parents=True)
    (second / "pkg" / "__init__.py").write_text("")  # a regular package in the second
    (second / "solo.py").write_text("")
    (second / "both").mkdir()
    (second / "both" / "__init__.py").write_text("")
    (second / "both.py").write_text("")  # beside a package of the same name: never imported
    (first / "solo").mkdir()
    (first / "solo" / "part.py").write_text("")  # a portion earlier on the path loses to solo.py
    (second / "docs").mkdir()
    (second / "docs" / "index.md").write_text("")  # no Python file: not a namespace package
    finder = Finder()
    package = finder.find("pkg", "pkg", (first, second))
    assert package is not None and package.file == second / "pkg" / "__init__.py"
    portion = finder.find("pkg", "pkg", (first,))
    assert portion is not None and portion.file is None and portion.search == (first / "pkg",)
    both = finder.find("both", "both", (second,))
    assert both is not None and both.file == second / "both" / "__init__.py"
    solo = finder.find("solo", "solo", (first, second))
    assert solo is not None and solo.file == second / "solo.py"
    assert finder.find("docs", "docs", (second,)) is None
    modules, failed = finder.resolve("solo.missing", (first, second))
    assert [m.file for m in modules] == [second / "solo.py"] and failed == "solo.missing"


def test_a_path_resolves_as_realpath_resolves_it(tmp_path: Path) -> None:
    """A finder (and a Sources) resolves each directory once; every path still resolves to
    os.path.realpath's answer, through directory and file symlinks, dangling and looping ones, and
    '..', and the finder refuses what the tree refuses."""
    import os  # noqa: PLC0415 - this test only

    from depmin.scanning.tree import RealPaths, Tree  # noqa: PLC0415 - this test only

    root = tmp_path / "root"
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "sub" / "mod.py").write_text("")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.py").write_text("")
    (root / "linked").symlink_to(root / "pkg")
    (root / "pkg" / "out").symlink_to(tmp_path / "outside")
    (root / "pkg" / "file.py").symlink_to(tmp_path / "outside" / "secret.py")
    (root / "pkg" / "dangling.py").symlink_to(root / "missing.py")
    (root / "pkg" / "loop.py").symlink_to(root / "pkg" / "loop.py")
    paths = [
        root / "pkg" / "sub" / "mod.py",
        root / "linked" / "sub" / "mod.py",
        root / "linked" / "out" / "secret.py",
        root / "pkg" / "out" / "secret.py",
        root / "pkg" / "file.py",
        root / "linked" / "file.py",
        root / "pkg" / "dangling.py",
        root / "pkg" / "loop.py",
        root / "pkg" / "sub" / ".." / "file.py",
        root / "pkg" / "sub" / "..",
        root / "pkg" / "absent" / "x.py",
    ]
    finder = Finder(Tree.at(root))
    real = RealPaths()
    assert [real(path) for path in paths * 2] == [os.path.realpath(path) for path in paths * 2]
    outside = [path for path in paths if finder.tree.escape(path) is not None]  # realpath'd by the tree itself
    refused = []
    for path in paths:
        try:
            finder.checked(path)
        except OSError:
            refused.append(path)
    assert refused == outside
    assert [p.relative_to(root).as_posix() for p in refused] == [
        "linked/out/secret.py",
        "pkg/out/secret.py",
        "pkg/file.py",
        "linked/file.py",
        "pkg/sub/../file.py",
    ]
