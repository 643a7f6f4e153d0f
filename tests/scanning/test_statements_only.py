"""A file that names none of ``sys``, ``import_module`` and ``__import__`` is collected from its
statements alone (its expressions can hold no dynamic import and no ``sys.path`` edit): the result is
the one the full visit gives, on every file of the bundled example, the fixtures and a synthetic tree
(parseable and unparseable files alike)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from depmin.scanning import collector
from depmin.scanning.extraction import extract
from tests.synthetic_trees import synthetic

REPO = Path(__file__).resolve().parents[2]


def _full(data: bytes, monkeypatch: pytest.MonkeyPatch) -> object:
    with monkeypatch.context() as patch:
        patch.setattr(collector, "needs_expressions", lambda text: True)
        return extract(data)


def _files(tmp_path: Path) -> list[Path]:
    synthetic().generate(tmp_path / "syn", files=300, agents=10, broken=0.3, seed=7)
    roots = (REPO / "examples", REPO / "tests" / "fixtures", tmp_path / "syn")
    return [path for root in roots for path in sorted(root.rglob("*.py"))]


def test_statements_only_gives_what_the_full_visit_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _files(tmp_path)
    shallow = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            data = path.read_bytes()
            shallow += not collector.needs_expressions(data.decode("utf-8", "replace"))
            assert extract(data) == _full(data, monkeypatch), path
    assert shallow > len(files) // 2  # the fast path is what most of these files take


def test_an_expression_word_keeps_the_full_visit() -> None:
    text = "import importlib as il\nX = [il.import_module('plugins.audio')]\n"
    assert collector.needs_expressions(text)
    assert [s.module for s in extract(text.encode()).sites] == ["importlib", "plugins.audio"]
    assert not collector.needs_expressions("import os\nX = [f(y) for y in z]\n")
