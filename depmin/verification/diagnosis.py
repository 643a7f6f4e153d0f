"""Why a module does not import from its lock, and the fix: read from the error's last line alone.

``ModuleNotFoundError: No module named 'greenlet'`` while importing ``sqlalchemy.ext.asyncio`` is a
dependency the lock lacks (usually an extra); ``No module named 'plugp100.new'`` when ``plugp100``
itself imports is a submodule absent from the locked release; a missing top-level is a mapping to
the wrong distribution; ``libportaudio.so.2: cannot open shared object file`` (or ``PortAudio
library not found``) a missing shared library: the environment is on this machine, so a library the
image installs may still be missing here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from depmin.verification.model import ImportFailure

__all__ = ["classify"]

_NOT_FOUND = re.compile(r"^ModuleNotFoundError: No module named '([A-Za-z0-9_.]+)'")
_SHARED = re.compile(
    r"([A-Za-z0-9_+.-]+\.so[0-9.]*): cannot open shared object file|([A-Za-z0-9_+.-]+) library not found"
)


def classify(
    module: str, error: str, imported: Mapping[str, str | None], *, agent: str, family: str, in_image: bool = False
) -> ImportFailure:
    """The failure of ``module`` with the fix its error points to; ``imported`` holds every probed
    module's outcome (None: it imported), to tell a missing submodule from a missing package.
    ``in_image``: the check ran inside the built image, so a missing library is missing there."""
    top = module.split(".", maxsplit=1)[0]
    missing = _NOT_FOUND.match(error)
    library = _SHARED.search(error)
    if missing is not None:
        return ImportFailure(module=module, error=error, fix=_not_found(module, missing.group(1), imported, agent))
    if library is not None:
        name = library.group(1) or library.group(2)
        if in_image:
            fix = (
                f"the image lacks the shared library {name}: add the Debian package that ships it to "
                f"families.{family}.apt (depmin/data/apt_packages.toml maps distributions to packages), then "
                "`depmin dockerfiles`"
            )
            return ImportFailure(module=module, error=error, fix=fix)
        fix = (
            f"the shared library {name} is missing where the check ran: the image gets its Debian packages from "
            f"families.{family}.apt and depmin's table (depmin/data/apt_packages.toml); add the package that "
            f"ships it there, or, when the image has it already, install it on this machine too"
        )
        return ImportFailure(module=module, error=error, fix=fix)
    return ImportFailure(module=module, error=error, fix=f"`depmin why {agent} {top}` shows where it is imported")


def _not_found(module: str, absent: str, imported: Mapping[str, str | None], agent: str) -> str:
    top, absent_top = module.split(".", maxsplit=1)[0], absent.split(".", maxsplit=1)[0]
    if absent_top != top:
        return (
            f"{module} needs {absent_top}, which the lock does not install: add the extra that brings it "
            f"(or {absent_top} itself) to agents.{agent}.extra_requirements, then `depmin lock --agent {agent}`"
        )
    if absent == top:
        return (
            f"no locked distribution provides {top}: the import is mapped to the wrong distribution; set "
            f'[mapping] {top} = "<distribution>" in agents.toml, then `depmin lock --agent {agent}`'
        )
    where = f"{top} imports but " if top in imported and imported[top] is None else ""
    return (
        f"{where}the locked release has no {absent}: pin a release that provides it in project.constraints, "
        f"then `depmin lock --agent {agent}`, or change the import"
    )
