"""The scanning package's surface: the one order of import kinds, and no attribute hiding a module."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import depmin.scanning
from depmin.scanning import IMPORT_KINDS, kind_rank


def test_import_kinds_run_from_strongest_to_weakest() -> None:
    assert IMPORT_KINDS == ("required", "lazy", "optional", "type_only")
    assert [kind_rank(kind) for kind in IMPORT_KINDS] == [0, 1, 2, 3]


@pytest.mark.parametrize("name", sorted(m.name for m in pkgutil.iter_modules(depmin.scanning.__path__)))
def test_no_package_attribute_shadows_a_module(name: str) -> None:
    """``from depmin.scanning import X`` must give the module X whenever a module X exists."""
    module = importlib.import_module(f"depmin.scanning.{name}")
    assert getattr(depmin.scanning, name) is module
