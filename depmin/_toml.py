"""The one TOML reader import: ``tomllib`` from Python 3.11 on, its backport ``tomli`` before.

Every module reads TOML through here, so the interpreter branch (and the stubs mypy needs for each
side of it) is written once.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from tomllib import TOMLDecodeError, loads
else:  # pragma: no cover - Python 3.10
    from tomli import TOMLDecodeError, loads

__all__ = ["TOMLDecodeError", "loads"]
