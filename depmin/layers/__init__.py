"""Stage 5, layers: which locked distributions go into each family base image and which stay in services.

``plan`` is the decision under the objective of ``docs/layers.md``; ``render`` turns a plan into the
family and delta locks, ``plan.json``, ``plan.md`` and the ``--explain`` text; ``store`` reads the locks
into the planner's input and writes the plan's files; ``inputs`` digests what they are made from;
``explain`` finds the import chain behind a GPU error; ``cuda`` checks each family's CUDA against its
wheels; ``suggest`` proposes sub-families.
May import the stages before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from depmin._lazy import exports

# The names below are imported on first use (depmin._lazy.exports): `depmin check` reads the plan's
# input digest (``store``) and each family's CUDA (``cuda``) but, while the sums files vouch for the
# plan and the build tree, plans and renders nothing.
if TYPE_CHECKING:
    from depmin.layers.cuda import BaseDuplicate, CudaCheck, cuda_checks
    from depmin.layers.explain import gpu_chain
    from depmin.layers.plan import (
        Decision,
        FamilyLayer,
        MachineBytes,
        Package,
        Plan,
        PlanProblem,
        ServiceImage,
        closure,
        plan_layers,
    )
    from depmin.layers.store import PlanResult, lock_packages, plan_from_locks, read_committed_plan, write_plan
    from depmin.layers.suggest import Suggestion, suggest_families

_WHERE = {
    "BaseDuplicate": "depmin.layers.cuda",
    "CudaCheck": "depmin.layers.cuda",
    "Decision": "depmin.layers.plan",
    "FamilyLayer": "depmin.layers.plan",
    "MachineBytes": "depmin.layers.plan",
    "Package": "depmin.layers.plan",
    "Plan": "depmin.layers.plan",
    "PlanProblem": "depmin.layers.plan",
    "PlanResult": "depmin.layers.store",
    "ServiceImage": "depmin.layers.plan",
    "Suggestion": "depmin.layers.suggest",
    "closure": "depmin.layers.plan",
    "cuda_checks": "depmin.layers.cuda",
    "gpu_chain": "depmin.layers.explain",
    "lock_packages": "depmin.layers.store",
    "plan_from_locks": "depmin.layers.store",
    "plan_layers": "depmin.layers.plan",
    "read_committed_plan": "depmin.layers.store",
    "suggest_families": "depmin.layers.suggest",
    "write_plan": "depmin.layers.store",
}

__getattr__, __dir__ = exports(__name__, _WHERE)

__all__ = [
    "BaseDuplicate",
    "CudaCheck",
    "Decision",
    "FamilyLayer",
    "MachineBytes",
    "Package",
    "Plan",
    "PlanProblem",
    "PlanResult",
    "ServiceImage",
    "Suggestion",
    "closure",
    "cuda_checks",
    "gpu_chain",
    "lock_packages",
    "plan_from_locks",
    "plan_layers",
    "read_committed_plan",
    "suggest_families",
    "write_plan",
]
