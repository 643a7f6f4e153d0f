"""Where everything depmin reads and writes lives on disk: the one place that knows the tree.

Every path is relative to the directory that holds ``agents.toml``::

    agents.toml
    locks/
        .depmin.lock                     the mutex of lock runs
        plan.json, plan.md               the layer plan and its report
        plan.sha256                      the digest of the plan's inputs, the sha256 of its files
        _families/<family>/requirements.lock
        <Agent>/requirements.generated.txt, requirements.lock, pylock.toml, service.lock
    dockerfiles/                         the build tree (docker-bake.hcl, compose, Dockerfiles)
        tree.sha256                      the digest of the tree's inputs, the sha256 of its files
    wheelhouse/<label>-<digest>/         wheels downloaded by ``depmin wheelhouse``

Stages take a :class:`Layout` (``Layout.beside(fleet.path)``) instead of spelling these names out;
renderers that return ``{relative path: text}`` use the ``*_NAME`` constants and :func:`family_lock`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = [
    "FAMILIES_DIR",
    "GENERATED_NAME",
    "LOCK_NAME",
    "PLAN_JSON",
    "PLAN_MD",
    "PLAN_SUMS",
    "PYLOCK_NAME",
    "SERVICE_LOCK_NAME",
    "TREE_SUMS",
    "Layout",
    "family_lock",
]

GENERATED_NAME = "requirements.generated.txt"
LOCK_NAME = "requirements.lock"
PYLOCK_NAME = "pylock.toml"
SERVICE_LOCK_NAME = "service.lock"
FAMILIES_DIR = "_families"
PLAN_JSON = "plan.json"
PLAN_MD = "plan.md"
PLAN_SUMS = "plan.sha256"  # the plan's inputs digest and the sha256 of each of its files (depmin/_digest.py)
TREE_SUMS = "tree.sha256"  # the same for the build tree under dockerfiles/
MUTEX_NAME = ".depmin.lock"
BAKE_NAME = "docker-bake.hcl"


def family_lock(family: str) -> PurePosixPath:
    """A family's lock relative to ``locks/``: ``_families/<family>/requirements.lock``."""
    return PurePosixPath(FAMILIES_DIR, family, LOCK_NAME)


@dataclass(frozen=True, kw_only=True, slots=True)
class Layout:
    """The generated tree beside one ``agents.toml``; ``locks`` may be moved elsewhere (``plan(locks_dir=)``)."""

    base: Path
    locks: Path

    @classmethod
    def beside(cls, config: Path, *, locks: Path | None = None) -> Layout:
        """The layout of the tree next to the ``agents.toml`` at ``config``."""
        return cls(base=config.parent, locks=locks if locks is not None else config.parent / "locks")

    def agent_dir(self, agent: str) -> Path:
        return self.locks / agent

    def generated(self, agent: str) -> Path:
        return self.locks / agent / GENERATED_NAME

    def lock(self, agent: str) -> Path:
        return self.locks / agent / LOCK_NAME

    def pylock(self, agent: str) -> Path:
        return self.locks / agent / PYLOCK_NAME

    @property
    def plan_json(self) -> Path:
        return self.locks / PLAN_JSON

    @property
    def plan_sums(self) -> Path:
        return self.locks / PLAN_SUMS

    @property
    def tree_sums(self) -> Path:
        return self.dockerfiles / TREE_SUMS

    @property
    def mutex(self) -> Path:
        return self.locks / MUTEX_NAME

    @property
    def dockerfiles(self) -> Path:
        return self.base / "dockerfiles"

    @property
    def bake(self) -> Path:
        return self.dockerfiles / BAKE_NAME

    @property
    def workflow(self) -> Path:
        """Where ``depmin workflow`` writes the GitHub Actions workflow (the repository beside agents.toml)."""
        return self.base / ".github" / "workflows" / "depmin.yml"

    @property
    def wheelhouses(self) -> Path:
        return self.base / "wheelhouse"
