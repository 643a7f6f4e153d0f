"""Stage 1, the manifest: ``agents.toml`` read and validated into a frozen :class:`~depmin.manifest.model.Fleet`.

``model`` holds the frozen model and the closed sets of values (``Need``, ``Inclusion``), ``load`` the
loader and its validation, ``schema`` the typed TOML reader that collects every problem with its key path.
Imports nothing of depmin but :mod:`depmin.errors`.
"""

from depmin.manifest.load import find_config, load_fleet, parse_fleet
from depmin.manifest.model import (
    CONFIG_NAME,
    INCLUSIONS,
    NEEDS,
    NETWORKS,
    SEVERITIES,
    Agent,
    Audit,
    AuditIgnore,
    Ci,
    Family,
    Fleet,
    Inclusion,
    Layers,
    Machine,
    Need,
    Network,
    Policy,
    Project,
    Resources,
    Severity,
    slug,
)

__all__ = [
    "CONFIG_NAME",
    "INCLUSIONS",
    "NEEDS",
    "NETWORKS",
    "SEVERITIES",
    "Agent",
    "Audit",
    "AuditIgnore",
    "Ci",
    "Family",
    "Fleet",
    "Inclusion",
    "Layers",
    "Machine",
    "Need",
    "Network",
    "Policy",
    "Project",
    "Resources",
    "Severity",
    "find_config",
    "load_fleet",
    "parse_fleet",
    "slug",
]
