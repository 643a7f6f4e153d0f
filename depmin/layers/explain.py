"""Why an agent's lock holds a GPU stack: the import chain that pulls it in, for the plan's errors.

A plan error such as ``TieredResponder: family cpu has no GPU, but its lock holds torch`` is only
actionable with the line of code responsible; :func:`gpu_chain` finds the first requirement of the
agent whose dependency closure reaches a GPU distribution and returns the import chain that brings
that requirement in. It needs the agent's scan, so the caller asks for it explicitly: a plan itself
reads only the locks.
"""

from __future__ import annotations

from collections.abc import Mapping

from depmin._names import NormalizedName
from depmin.layers.plan import Package, closure
from depmin.requirements.generated import AgentRequirements
from depmin.requirements.tables import heavy_kind
from depmin.scanning import AgentScan, Hop, why

__all__ = ["gpu_chain"]


def gpu_chain(
    wanted: AgentRequirements, scanned: AgentScan, lock: Mapping[NormalizedName, Package]
) -> tuple[Hop, ...] | None:
    """The import chain of the first requirement that pulls a GPU distribution into ``lock``."""
    for line in wanted.install:
        pulled = closure([line.distribution], lock)
        if any(heavy_kind(name) == "gpu" for name in pulled) and line.site is not None:
            found = why(scanned, line.imports[0]) if line.imports else None
            return found or (line.site,)
    return None
