"""``benchmarks/synthetic.py``, the generator of synthetic fleets, loaded for the tests that scan its trees."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def synthetic() -> ModuleType:
    """The generator module (``synthetic.generate(outdir, files=..., agents=..., ...)``), executed anew."""
    spec = importlib.util.spec_from_file_location("synthetic", REPO / "benchmarks" / "synthetic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["synthetic"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module
