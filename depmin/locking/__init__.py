"""Stage 4, locking: hashed, fleet-consistent, cross-target locks per agent.

``model`` holds the values (inputs, outcomes); ``engine`` decides what is stale and which scopes to
resolve, ``resolve`` runs the resolutions through :mod:`depmin._backend`; ``files`` is the one reader and
writer of requirements.lock and pylock.toml, ``wheels`` picks the wheel a target installs, ``verify``
checks imports against wheel contents. The edges on disk: ``store`` (current locks, the mutex, local
wheels), ``runs`` (one lock run) and ``wheelhouse`` (downloads). May import the stages before it.
"""

from depmin.locking.engine import lock_fleet, lock_inputs
from depmin.locking.files import Pinned, Target
from depmin.locking.model import AgentLock, Conflict, FleetLock, LockInput, LockState, Options
from depmin.locking.runs import LockRun, check_targets, lock_status, run_lock, wheelhouses
from depmin.locking.store import Locked, read_existing, read_locks
from depmin.locking.verify import Check
from depmin.locking.wheelhouse import WheelhouseResult, fill_wheelhouse

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
