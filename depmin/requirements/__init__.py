"""Stage 3, requirements: import names mapped to distributions, and each agent's minimal set.

``mapping`` is the ordered resolution chain with provenance (and the bundled tables); ``constraints``
reads ``project.constraints``; ``generated`` decides what an agent installs and renders
``requirements.generated.txt``; ``hints`` reads the repository's own requirement files and
``declared`` notes where they disagree with it; ``needs`` infers GPU, web, audio and vision needs;
``fleetwide`` does both for a whole scan and writes the files.
May import :mod:`depmin.manifest` and :mod:`depmin.scanning`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The names below are imported on first use (PEP 562): `depmin scan` maps imports (``mapping``,
# ``generated``, ``hints``) but never generates a fleet, so it does not pay for ``fleetwide``,
# ``declared``, ``entry_points``, ``needs`` and ``constraints``.
if TYPE_CHECKING:
    from depmin.requirements.constraints import Constraints, parse_constraints, read_constraints
    from depmin.requirements.fleetwide import Generated, fleet_needs, generate_fleet, unclassified, write_requirements
    from depmin.requirements.generated import AgentRequirements, RequirementLine, map_imports
    from depmin.requirements.mapping import Mapper, Resolution
    from depmin.requirements.needs import Declared, NeedsReport
    from depmin.requirements.tables import BundledTable, NamespaceTable

_WHERE = {
    "AgentRequirements": "generated",
    "BundledTable": "tables",
    "Constraints": "constraints",
    "Declared": "needs",
    "Generated": "fleetwide",
    "Mapper": "mapping",
    "NamespaceTable": "tables",
    "NeedsReport": "needs",
    "RequirementLine": "generated",
    "Resolution": "mapping",
    "fleet_needs": "fleetwide",
    "generate_fleet": "fleetwide",
    "map_imports": "generated",
    "parse_constraints": "constraints",
    "read_constraints": "constraints",
    "unclassified": "fleetwide",
    "write_requirements": "fleetwide",
}


def __getattr__(name: str) -> object:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib  # noqa: PLC0415 - only when a name is first used

    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AgentRequirements",
    "BundledTable",
    "Constraints",
    "Declared",
    "Generated",
    "Mapper",
    "NamespaceTable",
    "NeedsReport",
    "RequirementLine",
    "Resolution",
    "fleet_needs",
    "generate_fleet",
    "map_imports",
    "parse_constraints",
    "read_constraints",
    "unclassified",
    "write_requirements",
]
