"""Throw-away virtual environments built from locks, and the imports tried inside them.

Every program runs with a timeout, ``-I`` (no PYTHONPATH, no user site, no working directory on
``sys.path``) and an empty working directory, so nothing of the scanned monorepo is ever imported
or executed: only the locked distributions are.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from depmin._backend.interpreters import last_line
from depmin._secrets import redact
from depmin.errors import ToolError

__all__ = ["PROBE", "create_venv", "find_python", "pip_check", "pip_install", "probe_imports", "python_version"]

_VERSION = re.compile(r"^\d+\.\d+$")

# Runs inside the verified environment with -I in an empty directory: imports each dotted name it
# is given (after putting the directories of its first argument, a JSON list, in front of sys.path,
# as the image's PYTHONPATH puts /opt/service), one at a time, and prints {name: null | "the
# error's last line"} as JSON.
PROBE = """\
import importlib, json, sys, traceback
sys.path[0:0] = json.loads(sys.argv[1])
found = {}

def attribute(name, exc):
    # `from pkg import detect` is scanned as pkg.detect: a function or class of pkg is what that
    # import gets when no submodule has the name, as the import system itself does.
    parent, _, leaf = name.rpartition(".")
    if not parent or not isinstance(exc, ModuleNotFoundError) or exc.name != name:
        return False
    try:
        return hasattr(importlib.import_module(parent), leaf)
    except BaseException:
        return False

for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
        found[name] = None
    except BaseException as exc:
        if attribute(name, exc):
            found[name] = None
            continue
        lines = traceback.format_exception_only(type(exc), exc)
        found[name] = (lines[-1] if lines else type(exc).__name__).strip()
sys.stdout.write("\\n" + json.dumps(found) + "\\n")
"""


def _clean_env(paths: Sequence[Path] = (), indexes: Sequence[str] = ()) -> dict[str, str]:
    """The environment for pip and the probe: no PIP_* or PYTHON* setting of the caller leaks in.
    Indexes go in ``PIP_EXTRA_INDEX_URL``, not the command line, where any local user could read a
    token in the process list."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if indexes:
        env["PIP_EXTRA_INDEX_URL"] = " ".join(indexes)
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(map(str, paths))
    return env


def _run(
    command: Sequence[str],
    *,
    what: str,
    timeout: float,
    cwd: Path | None = None,
    paths: Sequence[Path] = (),
    indexes: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    env = _clean_env(paths, indexes)
    try:
        return subprocess.run(
            list(command), capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd, env=env
        )
    except FileNotFoundError:
        raise ToolError(f"cannot run {command[0]}: no such file ({what})") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{what} did not finish within {timeout:g}s; rerun, or raise the timeout") from None
    except OSError as exc:
        raise ToolError(f"cannot run {command[0]} ({what}): {exc.strerror or exc}") from None


def python_version(python: Path, *, timeout: float = 30.0) -> str:
    """``"3.11"`` for the interpreter at ``python``."""
    done = _run(
        [str(python), "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        what=f"asking {python} its version",
        timeout=timeout,
    )
    version = done.stdout.strip()
    if done.returncode != 0 or not _VERSION.match(version):
        raise ToolError(f"{python} is not a working Python ({redact(last_line(done.stderr))}); pass another one")
    return version


def find_python(version: str) -> Path | None:
    """An interpreter of ``version`` ("3.11") on PATH (``python3.11``, then ``python3``), or None."""
    for name in (f"python{version}", "python3"):
        found = shutil.which(name)
        if found is not None:
            try:
                if python_version(Path(found)) == version:
                    return Path(found)
            except ToolError:
                continue
    return None


def create_venv(python: Path, directory: Path, *, timeout: float = 300.0) -> Path:
    """A fresh virtual environment of ``python`` at ``directory`` (with pip); returns its interpreter."""
    done = _run([str(python), "-m", "venv", str(directory)], what=f"{python} -m venv", timeout=timeout)
    if done.returncode != 0:
        raise ToolError(
            f"{python} -m venv failed ({redact(last_line(done.stderr))}); install the venv module "
            "(Debian: python3.N-venv) or pass --python with another interpreter"
        )
    return directory / "bin" / "python"


def pip_install(
    python: Path,
    locks: Sequence[Path],
    *,
    find_links: Sequence[Path] = (),
    indexes: Sequence[str] = (),
    offline: bool = False,
    target: Path | None = None,
    timeout: float = 1800.0,
) -> str | None:
    """``pip install --require-hashes --no-deps -r LOCK`` for each lock in order, as the images do
    (into the directory ``target`` when given, as a service image's ``--target /opt/service``);
    None when all installed, else pip's last error line (credentials redacted)."""
    options = ["--no-index"] if offline else []
    options += [f"--find-links={path}" for path in find_links]
    options += [f"--target={target}"] if target is not None else []
    for lock in locks:
        command = [str(python), "-I", "-m", "pip", "install", "--require-hashes", "--no-deps", "--no-input"]
        done = _run(
            [*command, *options, "-r", str(lock)],
            what=f"pip install -r {lock.name}",
            timeout=timeout,
            indexes=() if offline else indexes,
        )
        if done.returncode != 0:
            return f"{lock.name}: " + redact(last_line(done.stderr or done.stdout))
    return None


def pip_check(python: Path, *, paths: Sequence[Path] = (), timeout: float = 300.0) -> tuple[str, ...]:
    """``pip check``'s complaints (a locked distribution whose requirement is missing), one per line;
    ``paths`` (a service layer) are on its ``PYTHONPATH``, so pip sees them as the image's Python does."""
    with tempfile.TemporaryDirectory(prefix="depmin-verify-") as empty:
        flags = [] if paths else ["-I"]  # -I would drop PYTHONPATH
        command = [str(python), *flags, "-m", "pip", "check"]
        done = _run(command, what="pip check", timeout=timeout, cwd=Path(empty), paths=paths)
    if done.returncode == 0:
        return ()
    return tuple(redact(line.strip()) for line in done.stdout.splitlines() if line.strip()) or (last_line(done.stderr),)


def probe_imports(
    python: Path, modules: Sequence[str], *, paths: Sequence[Path] = (), timeout: float = 600.0
) -> Mapping[str, str | None]:
    """Import each of ``modules`` with the environment's ``python -I`` in an empty directory:
    ``{module: None}`` when it imports, else the error's last line. A module that kills the
    interpreter (a crash, ``os._exit``) is then tried alone, so it is the only one blamed. ``paths``
    go in front of ``sys.path``."""
    if not modules:
        return {}
    with tempfile.TemporaryDirectory(prefix="depmin-verify-") as empty:
        found = _probe(python, modules, paths, Path(empty), timeout)
        if found is not None:
            return found
        alone: dict[str, str | None] = {}
        for module in modules:
            one = _probe(python, [module], paths, Path(empty), timeout)
            alone[module] = one[module] if one is not None else "the interpreter died while importing it"
        return alone


def _probe(
    python: Path, modules: Sequence[str], paths: Sequence[Path], cwd: Path, timeout: float
) -> dict[str, str | None] | None:
    front = json.dumps([str(path) for path in paths])
    done = _run([str(python), "-I", "-c", PROBE, front, *modules], what="the import check", timeout=timeout, cwd=cwd)
    lines = done.stdout.strip().splitlines()
    try:
        found = json.loads(lines[-1]) if done.returncode == 0 and lines else None
    except json.JSONDecodeError:
        found = None
    if not isinstance(found, dict) or set(found) != set(modules):
        return None
    return {str(k): None if v is None else redact(str(v)) for k, v in found.items()}
