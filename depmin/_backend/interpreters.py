"""The interpreter of a user's environment, asked which distributions provide which modules.

It runs one small script under ``python -I`` that imports only ``sys``, ``json`` and
``importlib.metadata``, never the packages it lists.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

from depmin._secrets import redact
from depmin.errors import ToolError

__all__ = ["installed_modules", "last_line"]

# Runs inside the user's interpreter: it imports only sys, json and importlib.metadata, never the
# packages it lists. With -I the interpreter ignores PYTHONPATH, the user site and the working
# directory; site-packages (and its .pth files) are processed as on any start of that interpreter.
# It computes what packages_distributions() returns on Python 3.12+ rather than calling it: on
# 3.10 that function reads only top_level.txt, which hatchling, flit, poetry and pdm do not write.
_LIST_DISTRIBUTIONS = """\
import sys
sys.path[0:0] = sys.argv[1:]
import json
from importlib import metadata

def inferred(files):
    for path in files:
        if len(path.parts) > 1:
            yield path.parts[0]
        elif path.suffix in (".py", ".so", ".pyd"):
            yield path.name.split(".")[0]

found = {}
for dist in metadata.distributions():
    name = dist.metadata["Name"]
    tops = (dist.read_text("top_level.txt") or "").split() or inferred(dist.files or ())
    for top in sorted(set(tops)):
        if name and top.isidentifier() and top != "__pycache__":
            if name not in found.setdefault(top, []):
                found[top].append(name)
json.dump(found, sys.stdout)
"""

_FIX = "pass the path of the environment's Python interpreter, e.g. .venv/bin/python"


def installed_modules(
    python: Path, *, extra_paths: Sequence[Path] = (), timeout: float = 60.0
) -> dict[str, tuple[str, ...]]:
    """Top-level import name -> distributions installed in the environment of ``python``.

    Runs ``[python, "-I", "-c", SCRIPT, *extra_paths]``; the script puts ``extra_paths`` in front
    of ``sys.path`` and prints, as JSON, what ``importlib.metadata.packages_distributions()``
    returns on Python 3.12+, e.g. ``{"yaml": ["PyYAML"], "cv2": ["opencv-python",
    "opencv-python-headless"]}``: each distribution's ``top_level.txt`` or, where it is missing,
    the top-level names of the paths in its ``RECORD``. Namespace packages therefore appear
    only as their root (``google``). Works with any Python 3.8+ interpreter.
    """
    command = [str(python), "-I", "-c", _LIST_DISTRIBUTIONS, *map(str, extra_paths)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise ToolError(f"cannot run {python}: no such file; {_FIX}") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{python} did not list its distributions within {timeout:g}s; {_FIX}") from None
    except OSError as exc:
        raise ToolError(f"cannot run {python}: {exc.strerror or exc}; {_FIX}") from None
    if done.returncode != 0:
        raise ToolError(f"{python} failed to list its distributions ({redact(last_line(done.stderr))}); {_FIX}")
    return _parse(python, done.stdout)


def _parse(python: Path, stdout: str) -> dict[str, tuple[str, ...]]:
    try:
        found = json.loads(stdout)
    except json.JSONDecodeError:
        found = None
    if not isinstance(found, dict) or not all(
        isinstance(names, list) and all(isinstance(name, str) for name in names) for names in found.values()
    ):
        raise ToolError(f"{python} did not print a distribution listing (is it Python?); {_FIX}")
    return {str(top): tuple(names) for top, names in found.items()}


def last_line(text: str) -> str:
    """The last non-blank line of a program's output: the one that says what went wrong."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
