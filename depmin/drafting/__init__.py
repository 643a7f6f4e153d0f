"""Drafting: ``depmin init`` reads what a monorepo already says about its services (Dockerfiles,
compose files, Kubernetes manifests, Procfiles, pyproject scripts, ``__main__`` blocks, startup
configuration YAML) and drafts an agents.toml that the manifest loader accepts as written.

``model`` holds what a source says (each value with its :class:`Source`), ``dockerfile`` the small
Dockerfile reader, ``commands`` reads a command line for the file it starts, ``sources`` has one reader
per kind, ``draft`` merges, checks, renders and validates. May import :mod:`depmin.manifest`,
:mod:`depmin.scanning` and :mod:`depmin.requirements` (the family suggestion is ``depmin needs``'s inference).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from depmin.drafting.draft import Agent, Draft, render, suggest_families, survey, toml_string, validate
from depmin.drafting.model import KINDS, Found, Kind, Service, Source
from depmin.manifest import Fleet
from depmin.requirements import fleet_needs, generate_fleet, read_constraints
from depmin.requirements.mapping import Mapper
from depmin.scanning import scan_fleet

__all__ = [
    "KINDS",
    "Agent",
    "Draft",
    "Found",
    "Kind",
    "Service",
    "Source",
    "infer_families",
    "render",
    "suggest_families",
    "survey",
    "toml_string",
    "validate",
    "yaml_loader",
]


def yaml_loader() -> Callable[[str], object] | None:
    """The documents of a YAML text, read with PyYAML's safe loader (no tags, no objects), when the
    ``depmin[init]`` extra is installed; else None."""
    try:
        module = importlib.import_module("yaml")
    except ImportError:
        return None
    load_all: Callable[[str], Iterable[object]] = module.safe_load_all

    def documents(text: str) -> object:
        return list(load_all(text))

    return documents


def infer_families(result: Draft, fleet: Fleet, *, use_cache: bool = True) -> None:
    """Scan the drafted fleet (statically: nothing is run) and set each agent's needs and family."""
    scanned = scan_fleet(fleet, use_cache=use_cache)
    generated = generate_fleet(fleet, scanned.agents, Mapper(mapping=fleet.mapping), read_constraints(None))
    reports = fleet_needs(fleet, scanned.agents, generated)
    suggest_families(result, {report.agent: report.inferred for report in reports})
