"""``extract`` gives, file for file, what it gave before the extraction was made cheaper (issue 14).

``golden/extraction.json.gz`` was written by this module (``python tests/scanning/test_extraction_golden.py``)
BEFORE the collector learnt to skip the statements that cannot hold anything it records and the
recovery learnt to parse the undamaged chunks of a file together. It holds the full result (every
site with its kind and marker, every ``sys.path`` edit, the notes, the syntax problem) of:

- every ``.py`` under ``examples/`` and ``tests/fixtures/``;
- two small trees of ``benchmarks/synthetic.py`` (fleet and plugin shape, 30% unparseable files);
- every string literal of the test suite that holds an import (the snippets other tests feed to the
  scan: broken brackets, Python 2, merge markers, aliases, guards ...);
- ``_CASES`` below: what the two shortcuts must get right (aliases bound far from their use, flags,
  backslash continuations and ``barry_as_FLUFL`` across chunks, non-ASCII names, decorators).

Any difference names the file or the snippet and shows both results.
"""

from __future__ import annotations

import ast
import dataclasses
import gc
import gzip
import json
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from depmin.scanning.extraction import extract
from tests.synthetic_trees import synthetic

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden" / "extraction.json.gz"
_TREES = {  # name -> synthetic.generate arguments
    "syn-fleet": {"files": 800, "agents": 40, "broken": 0.3, "seed": 3},
    "syn-plugin": {"files": 500, "agents": 50, "broken": 0.3, "seed": 5, "shape": "plugin"},
}

_CASES = [
    # aliases bound at module level and used deep inside functions and classes
    "import importlib as il\n\ndef f():\n    x = 1\n    return il.import_module('a.b')\n",
    "from sys import path\nimport os\n\ndef f():\n    path.insert(0, os.path.dirname(__file__))\n",
    "from importlib import import_module as load\nclass A:\n    def m(self):\n        load('plugins.x')\n",
    "import sys as s\nimport os\ndef f():\n    if True:\n        s.path.append(os.path.dirname(__file__))\n",
    "from builtins import __import__ as imp\ndef f():\n    return imp('q.r')\n",
    "def early():\n    return il.import_module('before.binding')\nimport importlib as il\n",
    "import foo as sys\ndef f():\n    sys.path.insert(0, 'x')\n",
    "from sys.path import insert as put\ndef f():\n    put(0, __file__ + '/..')\n",
    # availability flags and module-level names changed by statements holding no import
    "try:\n    import numpy\n    HAS = True\nexcept ImportError:\n    HAS = False\nHAS = compute()\nif HAS:\n    import scipy\n",
    "try:\n    HAS = True\nexcept ImportError:\n    pass\nif HAS:\n    import x\nif not HAS:\n    import y\n",
    "from contextlib import suppress\nwith suppress(ImportError):\n    OK = True\nfor i in range(3):\n    OK = i\n"
    "if OK:\n    import z\n",
    "import os, sys\nROOT = os.path.dirname(__file__)\nfor _ in ():\n    ROOT = other()\nsys.path.insert(0, ROOT)\n",
    "import os, sys\nROOT = os.path.dirname(__file__)\nclass C:\n    ROOT = 'x'\nsys.path.insert(0, ROOT)\n",
    # expressions: lambdas, decorators, bases, defaults, multi-line calls, comprehensions
    "import importlib\nf = lambda: __import__('lam.x')\n@deco(importlib.import_module('dec.x'))\n"
    "def g(a=importlib.import_module('default.x')):\n    pass\nclass K(importlib.import_module('base.x').B):\n    pass\n",
    "import importlib\nx = (\n    importlib\n    .import_module(\n        'multi.line'))\ny = [importlib.import_module(n) for n in names]\n",
    "import sys, os\nsys.path[0:0] = [os.path.dirname(__file__)]\nsys.path += [os.path.join(os.path.dirname(__file__), 'lib')]\n"
    "def f():\n    sys.path[:0] = ['/opt']\n    sys.path.extend(dirs)\n",
    "import typing as t\nif t.TYPE_CHECKING:\n    import a\ndef f():\n    if t.TYPE_CHECKING:\n        pass\n    else:\n        import b\n",
    "import sys\nif 'pkg_resources' in sys.modules:\n    import pkg_resources\ndef f():\n    if sys.platform == 'win32':\n        import winreg\n",
    # non-ASCII names: the parser folds them (NFKC) to the ASCII ones
    "import sys, os\n\uff53\uff59\uff53.path.insert(0, os.path.dirname(__file__))\n",
    "import importlib as \uff49\uff4c\ndef f():\n    # caf\u00e9\n    return \uff49\uff4c.import_module('wide.name')\n",
    "import importlib\ndef f():\n    return importlib.\uff49\uff4d\uff50\uff4f\uff52\uff54_module('wide.attr')\n",
    # recovery: undamaged chunks beside damaged ones
    "import a\nx = (1,\nimport b\ny = 2\n\\\nimport c\nprint 'x'\nimport d\n",
    "from __future__ import barry_as_FLUFL\nx = (\nimport os\nif 1 <> 2:\n    import a\nimport b\n",
    "    import a\n  import b\nimport c\nx = (\nimport d\n",
    "x = (\n@dec\ndef f():\n    import a\nimport b\n@dec2\nclass C:\n    import c\n",
    "if 1:\n\timport a\nx = (\nif 1:\n        import b\nprint 'y'\nimport c\n",
    "x = [a\nfor a in b]\nimport os\ny = (\nimport sys\n",
    "def f(:\n    import a\ndef g():\n    import b\nclass C(:\n    import c\nimport d\nz = ]\nimport e\n",
    "import a\n'''never closed\nimport b\nimport c\n",
    "match x:\n    case 1:\n        import a\nx = (\nmatch y:\n    case _:\n        import b\n",
    "<<<<<<< HEAD\nimport a\n=======\nimport b\n>>>>>>> branch\nimport c\n",
    "try:\n    import a\nexcept ImportError, e:\n    import b\nimport c\nx = {\nimport d\n",
    "import a;import b; x = (\nimport c\nimport d; y = 1\n",
    "import a\n\n\n\n# trailing comment \\\n\nx = (\nimport b\n",
    "import a\n\n# c \\\nimport b\nif x\n    import c\n",
    "".join(f"import m{k}\ndef f{k}():\n    import n{k}\n" for k in range(40)) + "x = (\n" + "import tail\n",
    "".join(f"import m{k}\nx{k} = (\n" for k in range(30)),
]


def _result(data: bytes) -> dict[str, Any]:
    return dataclasses.asdict(extract(data))


def _files(scratch: Path) -> Iterator[tuple[str, bytes]]:
    for root in (REPO / "examples", REPO / "tests" / "fixtures"):
        for path in sorted(root.rglob("*.py")):
            yield path.relative_to(REPO).as_posix(), path.read_bytes()
    generator = synthetic()
    for name, arguments in _TREES.items():
        generator.generate(scratch / name, **arguments)
        for path in sorted((scratch / name).rglob("*.py")):
            yield f"{name}/{path.relative_to(scratch / name).as_posix()}", path.read_bytes()


def _snippets() -> list[str]:
    """Every string literal of the test suite with an import on one of two or more lines (as written
    and dedented), and _CASES."""
    found: set[str] = set()
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and "import" in text and "\n" in text.strip():
                found.update((text, textwrap.dedent(text)))
    return [*sorted(found), *_CASES]


def _record(scratch: Path) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = {name: _result(data) for name, data in _files(scratch)}
        snippets = [{"source": text, "result": _result(text.encode("utf-8"))} for text in _snippets()]
    return {"files": files, "snippets": snippets}


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    return loaded


def test_every_file_extracts_as_recorded(golden: dict[str, Any], tmp_path: Path) -> None:
    want = golden["files"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = {name: _result(data) for name, data in _files(tmp_path)}
    assert sorted(got) == sorted(want)
    for name in sorted(want):
        assert json.loads(json.dumps(got[name])) == want[name], name
    assert sum(1 for result in want.values() if result["syntax_error"]) > 300  # recovery is exercised


def test_every_snippet_extracts_as_recorded(golden: dict[str, Any]) -> None:
    recorded = {entry["source"]: entry["result"] for entry in golden["snippets"]}
    assert set(_CASES) <= set(recorded)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for source, want in recorded.items():
            assert json.loads(json.dumps(_result(source.encode("utf-8")))) == want, source
    assert len(recorded) > 200


def test_extract_leaves_the_garbage_collector_as_it_found_it() -> None:
    """``extract`` pauses the cyclic collector while it builds trees, and only while it does."""
    assert gc.isenabled()
    extract(b"import os\nx = (\n")
    assert gc.isenabled()
    gc.disable()
    try:
        extract(b"import os\n")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_no_parse_of_a_damaged_file_warns() -> None:
    """Warnings are silenced once per file, around every parse of its recovery: under -W error an
    invalid escape sequence that warned would fail its chunk's parse and cost a repair."""
    source = b'import re\np = "\\d+"\nimport a\nx = (\nimport b\n'
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = extract(source)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert extract(source) == want
    assert [site.module for site in want.sites] == ["re", "a", "b"]
    assert want.notes == ("lines 4-4: parsed after repairing 1 statement(s)",)  # not line 2


if __name__ == "__main__":  # record the golden file (only ever from the code the tests compare against)
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        document = json.dumps(_record(Path(scratch)), sort_keys=True, separators=(",", ":"))
    GOLDEN.write_bytes(gzip.compress(document.encode("utf-8"), mtime=0))
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size} bytes)")
