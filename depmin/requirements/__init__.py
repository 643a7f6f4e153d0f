"""Stage 3, requirements: import names mapped to distributions, and each agent's minimal set.

``mapping`` is the ordered resolution chain with provenance (and the bundled tables); ``constraints``
reads ``project.constraints``; ``generated`` decides what an agent installs and renders
``requirements.generated.txt``; ``hints`` reads the repository's own requirement files and
``declared`` notes where they disagree with it; ``needs`` infers GPU, web, audio and vision needs;
``fleetwide`` does both for a whole scan and writes the files.
May import :mod:`depmin.manifest` and :mod:`depmin.scanning`.
"""

from depmin.requirements.constraints import Constraints, parse_constraints, read_constraints
from depmin.requirements.fleetwide import Generated, fleet_needs, generate_fleet, unclassified, write_requirements
from depmin.requirements.generated import AgentRequirements, RequirementLine, map_imports
from depmin.requirements.mapping import Mapper, Resolution
from depmin.requirements.needs import Declared, NeedsReport
from depmin.requirements.tables import BundledTable, NamespaceTable

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
