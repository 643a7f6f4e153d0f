"""The ``depmin`` command: arguments, rendering (tables, JSON, progress) and the exit-code table.

It calls only :mod:`depmin.api` and the value types of the stages; no pipeline logic lives here.
"""

from depmin.cli.entry import main

__all__ = ["main"]
