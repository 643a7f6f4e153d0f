"""The ``depmin`` command: arguments, rendering (tables, JSON, progress) and the exit-code table.

It calls only :mod:`depmin.api` and the value types of the stages; no pipeline logic lives here.
:mod:`~depmin.cli.entry` assembles the parser and runs a command; each command group has its module
(``scan_commands``, ``lock_commands``, ``build_commands``), every JSON document is built in
:mod:`~depmin.cli.documents`, and :mod:`~depmin.cli.output` holds the streams and text helpers.
"""

from depmin.cli.entry import main

__all__ = ["main"]
