"""Stage 6, the build tree: pure rendering of family and service Dockerfiles, bake and compose files.

Takes the fleet, the scans and the plan; chooses nothing about layer membership and runs no tool.
Every value from agents.toml reaches the files through :mod:`depmin.dockerfiles.escape`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from depmin._lazy import exports

# The names below are imported on first use (depmin._lazy.exports): `depmin check` takes the digest of
# the tree's inputs (``tree``) but, while ``dockerfiles/tree.sha256`` vouches for the tree, renders nothing.
if TYPE_CHECKING:
    from depmin.dockerfiles.escape import registry_problem
    from depmin.dockerfiles.inputs import DEFAULT_REGISTRY
    from depmin.dockerfiles.tree import build_tree, context_root, no_wheel_warnings, tree_inputs, tree_sums, write_tree
    from depmin.dockerfiles.workflow import WORKFLOW_NAME, render_workflow

_WHERE = {
    "DEFAULT_REGISTRY": "depmin.dockerfiles.inputs",
    "WORKFLOW_NAME": "depmin.dockerfiles.workflow",
    "build_tree": "depmin.dockerfiles.tree",
    "context_root": "depmin.dockerfiles.tree",
    "no_wheel_warnings": "depmin.dockerfiles.tree",
    "registry_problem": "depmin.dockerfiles.escape",
    "render_workflow": "depmin.dockerfiles.workflow",
    "tree_inputs": "depmin.dockerfiles.tree",
    "tree_sums": "depmin.dockerfiles.tree",
    "write_tree": "depmin.dockerfiles.tree",
}

__getattr__, __dir__ = exports(__name__, _WHERE)

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
