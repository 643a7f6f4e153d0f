"""The one place depmin runs other programs (interpreters, uv, pip-compile) and fetches files.

Each function takes typed arguments, runs one subprocess with a timeout, parses its output and
turns every failure into a one-line :class:`~depmin.errors.ToolError` that names the program and
the fix. ``interpreters`` asks a user's Python what it has installed, ``resolvers`` runs uv and
pip-compile, ``downloads`` fetches locked files, ``environments`` makes virtual
environments from locks and tries imports in them.
"""

from depmin._backend.downloads import fetch
from depmin._backend.interpreters import installed_modules
from depmin._backend.resolvers import (
    BACKENDS,
    Backend,
    Compile,
    PipTools,
    UnsatisfiableError,
    Uv,
    backend,
    check_host,
    uv_cache_dir,
)

__all__ = [
    "BACKENDS",
    "Backend",
    "Compile",
    "PipTools",
    "UnsatisfiableError",
    "Uv",
    "backend",
    "check_host",
    "fetch",
    "installed_modules",
    "uv_cache_dir",
]
