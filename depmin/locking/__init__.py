"""Stage 4, locking: hashed, fleet-consistent, cross-target locks per agent.

``model`` holds the values (inputs, outcomes); ``engine`` decides what is stale and which scopes to
resolve, ``resolve`` runs the resolutions through :mod:`depmin._backend`; ``files`` is the one reader and
writer of requirements.lock and pylock.toml, ``wheels`` picks the wheel a target installs, ``verify``
checks imports against wheel contents. The edges on disk: ``store`` (current locks, the mutex, local
wheels), ``runs`` (one lock run) and ``wheelhouse`` (downloads). May import the stages before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from depmin._lazy import exports

# The names below are imported on first use (depmin._lazy.exports): `depmin check` reads the locks
# (``store``) and their input hashes (``engine``) but resolves and downloads nothing, so it does not
# pay for ``runs``, ``releases`` and ``wheelhouse`` (and the network modules of ``_backend`` behind them).
if TYPE_CHECKING:
    from depmin.locking.engine import lock_fleet, lock_inputs
    from depmin.locking.files import Pinned, Target
    from depmin.locking.model import AgentLock, Conflict, FleetLock, LockInput, LockState, Options
    from depmin.locking.runs import LockRun, check_targets, lock_status, run_lock, wheelhouses
    from depmin.locking.store import Locked, read_existing, read_locks
    from depmin.locking.verify import Check
    from depmin.locking.wheelhouse import WheelhouseResult, fill_wheelhouse

_WHERE = {
    "AgentLock": "depmin.locking.model",
    "Check": "depmin.locking.verify",
    "Conflict": "depmin.locking.model",
    "FleetLock": "depmin.locking.model",
    "LockInput": "depmin.locking.model",
    "LockRun": "depmin.locking.runs",
    "LockState": "depmin.locking.model",
    "Locked": "depmin.locking.store",
    "Options": "depmin.locking.model",
    "Pinned": "depmin.locking.files",
    "Target": "depmin.locking.files",
    "WheelhouseResult": "depmin.locking.wheelhouse",
    "check_targets": "depmin.locking.runs",
    "fill_wheelhouse": "depmin.locking.wheelhouse",
    "lock_fleet": "depmin.locking.engine",
    "lock_inputs": "depmin.locking.engine",
    "lock_status": "depmin.locking.runs",
    "read_existing": "depmin.locking.store",
    "read_locks": "depmin.locking.store",
    "run_lock": "depmin.locking.runs",
    "wheelhouses": "depmin.locking.runs",
}
__getattr__, __dir__ = exports(__name__, _WHERE)

__all__ = [
    "AgentLock",
    "Check",
    "Conflict",
    "FleetLock",
    "LockInput",
    "LockRun",
    "LockState",
    "Locked",
    "Options",
    "Pinned",
    "Target",
    "WheelhouseResult",
    "check_targets",
    "fill_wheelhouse",
    "lock_fleet",
    "lock_inputs",
    "lock_status",
    "read_existing",
    "read_locks",
    "run_lock",
    "wheelhouses",
]
