"""The lock stage driven as ``depmin lock`` drives it (:func:`depmin.locking.runs.run_lock`), over a
fake resolver (:class:`tests.locking.fake_uv.FakeUv`) so that no program runs.

:func:`lock` reads the existing locks beside ``root/agents.toml``, locks the selected agents (every
one by default) and, with ``write=True``, writes each lock through the real sink
(:func:`depmin._files.write_generated`) as soon as it is made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from depmin import _files
from depmin.layout import Layout
from depmin.locking import AgentLock, FleetLock, LockInput, Options, lock_fleet
from depmin.locking.engine import Exists
from depmin.locking.store import read_existing
from depmin.locking.verify import Contents
from tests.locking.fake_uv import FakeUv

__all__ = ["lock"]


def lock(
    root: Path,
    backend: FakeUv,
    inputs: Mapping[str, LockInput],
    selected: Iterable[str] | None = None,
    *,
    contents: Contents | None = None,
    exists: Exists | None = None,
    write: bool = False,
    workers: int = 1,
    **options: bool,
) -> FleetLock:
    """Lock ``selected`` of ``inputs`` (the whole fleet, whose union fixes the versions); the wheel
    contents come from ``backend`` unless ``contents`` is given."""
    layout = Layout.beside(root / "agents.toml")

    def sink(result: AgentLock) -> None:
        if write:
            for name, text in result.texts.items():
                _files.write_generated(layout.agent_dir(result.agent) / name, text, base=layout.base)

    return lock_fleet(
        inputs,
        sorted(inputs) if selected is None else list(selected),
        backend,
        read_existing(layout, inputs),
        options=Options(workers=workers, **options),
        contents=backend.contents if contents is None else contents,
        root=layout.base,
        directory=layout.agent_dir,
        sink=sink,
        exists=exists,
    )
