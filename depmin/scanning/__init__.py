"""Stage 2, the scan: each file's imports, then each agent's first-party closure from its entrypoint.

One file: ``extraction`` (``extract``) turns its bytes into the values of ``sites``; ``collector`` is
the ``ast`` walk that classifies each site, with ``markers`` for ``if`` tests over the platform and
``syspath`` for static ``sys.path`` edits; text that does not parse goes through ``recover``
(``lexer`` cuts it, ``sanitize`` repairs a statement, ``skeleton`` rebuilds a chunk, ``parsing`` is
``ast.parse`` without exceptions). ``cache`` is the content-keyed parse cache.

One agent: ``walk`` (``scan_agent``) follows the closure, resolving each import with ``finder`` the
way CPython's path finder would and propagating the ``kinds`` along it (``sightings`` keeps the best
of each third-party module), into the values of ``results`` (``AgentScan``, and ``why`` for the chain
behind an import).

The fleet: ``fleet_scan`` (``scan_fleet``) walks every chosen agent over one shared parse cache, into a
``FleetScan``. ``tree`` is the one reader of the scanned tree (regular files inside the root, under the
size cap; what it refuses is reported) and ``cache_file`` the checked SQLite file behind ``cache``.
May import :mod:`depmin.manifest`.
"""

from typing import TYPE_CHECKING

from depmin._lazy import exports
from depmin.scanning.cache import Sources, default_cache_dir
from depmin.scanning.finder import Finder, python_files
from depmin.scanning.fleet_scan import FleetScan, scan_fleet
from depmin.scanning.kinds import IMPORT_KINDS, ImportKind, kind_rank
from depmin.scanning.results import (
    AgentScan,
    ExternalImport,
    Hop,
    ImportRecord,
    ModuleUse,
    RecoveredFile,
    Unresolved,
    why,
)
from depmin.scanning.sites import FileImports, ImportSite, PathEdit, SyntaxProblem
from depmin.scanning.tree import NotReadError, SourceFiles, Tree, has_control, printable, source_files
from depmin.scanning.walk import scan_agent

# The parser (extraction and the recovery, lexer and collector behind it) is imported when a file is
# first parsed: a warm scan answers every file from the cache and loads none of it.
if TYPE_CHECKING:
    from depmin.scanning.extraction import extract
    from depmin.scanning.markers import rendered
_WHERE = {"extract": "depmin.scanning.extraction", "rendered": "depmin.scanning.markers"}
__getattr__, __dir__ = exports(__name__, _WHERE)

__all__ = [
    "IMPORT_KINDS",
    "AgentScan",
    "ExternalImport",
    "FileImports",
    "Finder",
    "FleetScan",
    "Hop",
    "ImportKind",
    "ImportRecord",
    "ImportSite",
    "ModuleUse",
    "NotReadError",
    "PathEdit",
    "RecoveredFile",
    "SourceFiles",
    "Sources",
    "SyntaxProblem",
    "Tree",
    "Unresolved",
    "default_cache_dir",
    "extract",
    "has_control",
    "kind_rank",
    "printable",
    "python_files",
    "rendered",
    "scan_agent",
    "scan_fleet",
    "source_files",
    "why",
]
