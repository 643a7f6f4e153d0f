"""The build tree as text: family and service Dockerfiles, the probes, ``.dockerignore``,
``docker-bake.hcl`` and one compose file per machine. Pure: no file is read or written here.

The shape is the proposal's section E with its mistakes fixed (see ``docs/dockerfiles.md``):

* every image runs a virtual environment at ``/opt/venv`` created in the family base, so a base
  whose Python belongs to the distribution (Debian's, on CUDA images) is never pip-installed into
  (PEP 668) and no ``/usr/local/lib/python3.11`` path is assumed;
* a service's delta lock is installed with ``pip --target /opt/service`` in a ``deps`` stage and only
  that directory is copied into the runtime stage, so the family's packages are never copied again;
* ``HEALTHCHECK`` runs a probe script in exec form with the port and path as arguments (a heredoc
  is not valid there, and pasted Python source would run whatever the path holds).

Each target language has its module (``dockerfile``, ``bake``, ``compose``, ``probes``), and every
value from agents.toml or the scan reaches them through :mod:`depmin.dockerfiles.escape`: a value
either stays one token of the place it lands, or rendering raises ConfigError naming its key.
Paths in the generated files are relative to the build context: the directory of agents.toml, where
the ``.dockerignore`` goes (:data:`CONTEXT_IGNORE`).
"""

from __future__ import annotations

import posixpath
import re

from depmin._files import MARKER
from depmin.dockerfiles.bake import bake_file
from depmin.dockerfiles.compose import compose_file
from depmin.dockerfiles.dockerfile import family_dockerfile, service_dockerfile
from depmin.dockerfiles.escape import file_name, key
from depmin.dockerfiles.inputs import DEFAULT_REGISTRY, IMAGE_PREFIX, IMAGE_TAG, BuildInputs, service_files
from depmin.dockerfiles.probes import GPU_PROBE, HEALTH_PROBE
from depmin.dockerfiles.workflow import WORKFLOW_NAME, workflow_file
from depmin.layers.plan import Plan
from depmin.manifest import Fleet

__all__ = ["CONTEXT_IGNORE", "DEFAULT_REGISTRY", "IMAGE_PREFIX", "IMAGE_TAG", "BuildInputs", "render_tree"]

CONTEXT_IGNORE = "../.dockerignore"
"""The ``.dockerignore`` at the build context's root (the directory of agents.toml), where Docker,
BuildKit and buildah read it, relative to ``dockerfiles/`` like every other path of the tree."""


def render_tree(fleet: Fleet, plan: Plan, inputs: BuildInputs) -> dict[str, str]:
    """``{path relative to dockerfiles/: text}`` for the whole tree; deterministic.

    Raises ConfigError (exit 2) naming the key of the first value that cannot be written safely.
    """
    config = fleet.path.name
    files: dict[str, str] = {}
    for name in sorted(fleet.families):
        file_name(name, key(config, "families", name))
        files[f"base/{name}.Dockerfile"] = family_dockerfile(fleet, name, inputs)
    files["base/health_probe.py"] = HEALTH_PROBE
    if any(f.gpu for f in fleet.families.values()):
        files["base/gpu_ready.py"] = GPU_PROBE
    for agent, machine in service_files(fleet):
        file_name(agent.name, key(config, "agents", agent.name))
        suffix = "" if machine is None else f".{file_name(machine, key(config, 'machines', machine))}"
        files[f"agents/{agent.name}{suffix}.Dockerfile"] = service_dockerfile(fleet, plan, agent, machine, inputs)
    files[CONTEXT_IGNORE] = _dockerignore(fleet, inputs)
    files["docker-bake.hcl"] = bake_file(fleet, inputs)
    files[WORKFLOW_NAME] = workflow_file(fleet, inputs)
    for machine in sorted(fleet.machines):
        file_name(machine, key(config, "machines", machine))
        files[f"compose/{machine}.yaml"] = compose_file(fleet, fleet.machines[machine], inputs)
    return files


# Directory names kept out of the build context; a file an image needs below one is let back in.
_IGNORED_DIRECTORIES = frozenset(
    (".git", "__pycache__", ".venv", "venv", "node_modules", "models", "model_cache", "checkpoints", "data",
     "datasets", "logs", "artifacts", "build", "dist", ".pytest_cache", ".mypy_cache", ".ruff_cache")
)  # fmt: skip


def _dockerignore(fleet: Fleet, inputs: BuildInputs) -> str:
    """The context's ``.dockerignore``: the patterns, then an exception (``!path``) for every file an
    image copies that a pattern would hide (a declared ``files`` entry always: it may be a model)."""
    keep: set[str] = set()
    for agent in fleet.agents.values():
        for path in agent.files:
            clean = posixpath.normpath(path)
            if clean != ".":
                keep.update(_ignore_word(posixpath.join(inputs.root, clean)) + suffix for suffix in ("", "/**"))
    for paths in inputs.files.values():
        for path in paths:
            if _IGNORED_DIRECTORIES.intersection(path.split("/")[:-1]) or not path.endswith(".py"):
                keep.add(_ignore_word(posixpath.join(inputs.root, path)))
    exceptions = "".join(f"!{word}\n" for word in sorted(keep))
    return _DOCKERIGNORE + (f"# Needed by the images: let back in\n{exceptions}" if exceptions else "")


def _ignore_word(path: str) -> str:
    """``path`` as a .dockerignore line: its pattern characters escaped (Go's filepath.Match)."""
    return re.sub(r"([*?\[\\])", r"\\\1", path)


_DOCKERIGNORE = f"""# {MARKER}. Do not edit: run `depmin dockerfiles`.
# Keeps models, data, logs and build artifacts out of the build context (this directory, the one of
# agents.toml), where Docker, BuildKit and buildah read .dockerignore.
**/.git
**/__pycache__
**/*.py[cod]
**/.venv
**/venv
**/node_modules
**/models
**/model_cache
**/checkpoints
**/*.pt
**/*.bin
**/*.safetensors
**/*.onnx
**/data
**/datasets
**/logs
**/*.log
**/artifacts
**/build
**/dist
**/.pytest_cache
**/.mypy_cache
**/.ruff_cache
"""
