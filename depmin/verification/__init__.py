"""Stage 7, verification: each agent's environment built from its locks the way its image installs
them, and every required and lazy third-party module of its scan imported there (``depmin verify``).

``plan`` decides what to install and import from the files alone, ``diagnosis`` turns an import
error into its fix, ``model`` holds the results; ``runs`` is the edge that makes (and caches) the
environments through :mod:`depmin._backend`. Nothing of the scanned monorepo is imported or run:
the imports happen with ``python -I`` in an empty directory. May import the stages before it.
"""

from depmin._backend.images import Builder
from depmin.verification.diagnosis import classify
from depmin.verification.heavy import Heavy
from depmin.verification.images import ImageBuild, image_build, verify_images
from depmin.verification.model import AgentVerification, ImportFailure, Verification
from depmin.verification.plan import Modules, environment_key, install_locks, modules_to_import, sdist_only
from depmin.verification.runs import Sources, choose_python, verify_agents

__all__ = [
    "AgentVerification",
    "Builder",
    "Heavy",
    "ImageBuild",
    "ImportFailure",
    "Modules",
    "Sources",
    "Verification",
    "choose_python",
    "classify",
    "environment_key",
    "image_build",
    "install_locks",
    "modules_to_import",
    "sdist_only",
    "verify_agents",
    "verify_images",
]
