"""The one place depmin runs other programs (interpreters, uv, pip-compile) and fetches files.

Each function takes typed arguments, runs one subprocess with a timeout, parses its output and
turns every failure into a one-line :class:`~depmin.errors.ToolError` that names the program and
the fix. ``interpreters`` asks a user's Python what it has installed, ``resolvers`` runs uv and
pip-compile, ``downloads`` fetches locked files, ``environments`` makes virtual
environments from locks and tries imports in them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from depmin._lazy import exports

# The names below are imported on first use (depmin._lazy.exports): `depmin check` asks the resolver
# for its version (``resolvers``) and downloads nothing, so it does not pay for ``downloads``
# (http.client, ssl, email).
if TYPE_CHECKING:
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

_WHERE = {
    "BACKENDS": "depmin._backend.resolvers",
    "Backend": "depmin._backend.resolvers",
    "Compile": "depmin._backend.resolvers",
    "PipTools": "depmin._backend.resolvers",
    "UnsatisfiableError": "depmin._backend.resolvers",
    "Uv": "depmin._backend.resolvers",
    "backend": "depmin._backend.resolvers",
    "check_host": "depmin._backend.resolvers",
    "fetch": "depmin._backend.downloads",
    "installed_modules": "depmin._backend.interpreters",
    "uv_cache_dir": "depmin._backend.resolvers",
}
__getattr__, __dir__ = exports(__name__, _WHERE)

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
