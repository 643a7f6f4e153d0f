"""Stage 5, layers: which locked distributions go into each family base image and which stay in services.

``plan`` is the decision under the objective of ``docs/layers.md``; ``render`` turns a plan into the
family and delta locks, ``plan.json``, ``plan.md`` and the ``--explain`` text; ``store`` reads the locks
into the planner's input and writes the plan's files; ``explain`` finds the import chain behind a GPU
error; ``cuda`` checks each family's CUDA against its wheels; ``suggest`` proposes sub-families.
May import the stages before it.
"""

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
