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

from depmin._lazy import exports

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
    "AgentRequirements": "depmin.requirements.generated",
    "BundledTable": "depmin.requirements.tables",
    "Constraints": "depmin.requirements.constraints",
    "Declared": "depmin.requirements.needs",
    "Generated": "depmin.requirements.fleetwide",
    "Mapper": "depmin.requirements.mapping",
    "NamespaceTable": "depmin.requirements.tables",
    "NeedsReport": "depmin.requirements.needs",
    "RequirementLine": "depmin.requirements.generated",
    "Resolution": "depmin.requirements.mapping",
    "fleet_needs": "depmin.requirements.fleetwide",
    "generate_fleet": "depmin.requirements.fleetwide",
    "map_imports": "depmin.requirements.generated",
    "parse_constraints": "depmin.requirements.constraints",
    "read_constraints": "depmin.requirements.constraints",
    "unclassified": "depmin.requirements.fleetwide",
    "write_requirements": "depmin.requirements.fleetwide",
}
__getattr__, __dir__ = exports(__name__, _WHERE)

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
