"""Third-party modules as the walk meets them: the best sighting of each top-level and dotted name.

A sighting is one import site reached with a rank (``depmin.scanning.kinds``: 0 is ``required``, the
strongest). The best sighting is the strongest; among equally strong ones the first site seen stays
first, a marker survives only while every one of them has a marker (an unconditional import makes
the module unconditional), and ``dynamic`` only while all of them are dynamic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

from depmin.scanning.kinds import IMPORT_KINDS
from depmin.scanning.results import ExternalImport, Hop, ModuleUse
from depmin.scanning.sites import ImportSite

__all__ = ["Sighting", "ThirdParty"]

_HOP_ORDER = attrgetter("file", "line", "module")  # the order of Hops, compared without a call to Hop.__lt__


@dataclass(kw_only=True, slots=True)
class Sighting:
    """The best (lowest-rank) sighting of a module so far; mutable while the walk runs."""

    rank: int
    marker: str | None
    dynamic: bool
    first: Hop
    # True once a site names it as a module (``import a.b``, ``from a.b import c``); a name seen only
    # as ``from a import b`` may be an attribute that ``a/__init__.py`` defines rather than a submodule
    module_form: bool = True

    def copy(self) -> Sighting:
        return Sighting(rank=self.rank, marker=self.marker, dynamic=self.dynamic, first=self.first)

    def merge(self, later: Sighting) -> None:
        """As if every site ``later`` aggregates had been seen here, in order, after this one's."""
        self.see(later.rank, later.marker, later.dynamic, later.first)

    def see(self, rank: int, marker: str | None, dynamic: bool, hop: Hop) -> None:
        if rank < self.rank:
            self.rank, self.marker, self.dynamic, self.first = rank, marker, dynamic, hop
        elif rank == self.rank:
            self.marker = None if marker is None else self.marker
            self.dynamic = self.dynamic and dynamic


@dataclass(kw_only=True, slots=True)
class ThirdParty:
    """A third-party top-level module: its best sighting, each dotted name's, and every site."""

    module: str
    best: Sighting
    modules: dict[str, Sighting] = field(default_factory=dict)
    sites: set[Hop] = field(default_factory=set)

    def see(self, site: ImportSite, hop: Hop, rank: int) -> None:
        """Count ``site`` (at ``hop``, reached with ``rank``) for the module and each name it imports."""
        self.best.see(rank, site.marker, site.dynamic, hop)
        named = {f"{site.module}.{n}" for n in site.names if n != "*"} - {site.module}
        for dotted in sorted({site.module} | named):
            form = dotted not in named
            known = self.modules.get(dotted)
            if known is None:
                self.modules[dotted] = Sighting(
                    rank=rank, marker=site.marker, dynamic=site.dynamic, first=hop, module_form=form
                )
            else:
                known.see(rank, site.marker, site.dynamic, hop)
                known.module_form = known.module_form or form
        self.sites.add(hop)

    def copy(self) -> ThirdParty:
        modules = {name: sighting.copy() for name, sighting in self.modules.items()}
        return ThirdParty(module=self.module, best=self.best.copy(), modules=modules, sites=set(self.sites))

    def merge(self, later: ThirdParty) -> None:
        """As if the sites ``later`` saw had been seen here, in the same order, after this one's:
        the best sighting's rank, first site, marker and dynamic flag aggregate in sequence."""
        self.best.merge(later.best)
        for name, sighting in later.modules.items():
            known = self.modules.get(name)
            if known is None:
                self.modules[name] = sighting.copy()
            else:
                known.merge(sighting)
        self.sites.update(later.sites)

    def freeze(self) -> ExternalImport:
        best = self.best
        # a name below one imported as a module makes that one a module too (``import a.b.c``: a.b)
        parents = {
            ".".join(n.split(".")[:end])
            for n, s in self.modules.items()
            if s.module_form
            for end in range(1, n.count(".") + 1)
        }
        return ExternalImport(
            module=self.module,
            kind=IMPORT_KINDS[best.rank],
            marker=best.marker,
            dynamic=best.dynamic,
            first=best.first,
            modules=tuple(sorted(self.modules)),
            sites=tuple(sorted(self.sites, key=_HOP_ORDER)),
            uses=tuple(
                ModuleUse(
                    module=name,
                    kind=IMPORT_KINDS[s.rank],
                    marker=s.marker,
                    dynamic=s.dynamic,
                    first=s.first,
                    attribute=not s.module_form and name not in parents,
                )
                for name, s in sorted(self.modules.items())
            ),
        )
