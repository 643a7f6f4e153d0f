"""Stage 6, the build tree: pure rendering of family and service Dockerfiles, bake and compose files.

Takes the fleet, the scans and the plan; chooses nothing about layer membership and runs no tool.
Every value from agents.toml reaches the files through :mod:`depmin.dockerfiles.escape`.
"""

from depmin.dockerfiles.escape import registry_problem
from depmin.dockerfiles.render import DEFAULT_REGISTRY
from depmin.dockerfiles.tree import build_tree, context_root, no_wheel_warnings, tree_inputs, tree_sums, write_tree
from depmin.dockerfiles.workflow import WORKFLOW_NAME, render_workflow

__all__ = [
    "DEFAULT_REGISTRY",
    "WORKFLOW_NAME",
    "build_tree",
    "context_root",
    "no_wheel_warnings",
    "registry_problem",
    "render_workflow",
    "tree_inputs",
    "tree_sums",
    "write_tree",
]
