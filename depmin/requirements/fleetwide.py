"""The fleet's requirement sets: every scanned agent's, the one-line warnings, the writer, and needs.

:func:`generate_fleet` is pure over the scan; :func:`write_requirements` and :func:`fleet_needs` are the
stage's edges on disk (``locks/<Agent>/requirements.generated.txt``; the agents' first-party files,
read through the scan's :class:`~depmin.scanning.tree.Tree`, regular files inside the root under the
size cap, and hand-written requirement files, all read as text, never run).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from depmin import _files
from depmin._names import NormalizedName
from depmin.errors import ConfigError, DepminError, Problem
from depmin.layout import Layout
from depmin.manifest import Agent, Fleet
from depmin.requirements.constraints import Constraints
from depmin.requirements.declared import elsewhere_note, undeclared_note, unloaded_note, unreached_note
from depmin.requirements.entry_points import read_entry_points
from depmin.requirements.generated import AgentRequirements, agent_requirements, render
from depmin.requirements.hints import Hints, read_hints
from depmin.requirements.mapping import Mapper, Resolution, ambiguities_warning, guesses_warning
from depmin.scanning import AgentScan, Tree, printable

if TYPE_CHECKING:  # needs (and the parser it reads code with) is imported by fleet_needs, which alone uses it
    from depmin.requirements.needs import NeedsReport

__all__ = [
    "Generated",
    "fleet_needs",
    "generate_fleet",
    "unclassified",
    "write_requirements",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Generated:
    """The requirement sets of scanned agents, and the one-line warnings about them."""

    agents: tuple[AgentRequirements, ...]
    guesses: str | None  # every guessed import → distribution, naming the agents.toml key that fixes it
    ambiguities: str | None
    # one line per import that is neither first-party, stdlib nor third-party and not acknowledged
    unclassified: tuple[str, ...] = ()
    # installed lazy imports that the agents' own hand-written requirement files do not declare
    undeclared: str | None = None
    # imports installed everywhere that those files declare only for another platform or Python
    elsewhere: str | None = None
    # distributions those files declare that no agent reading them imports
    unreached: str | None = None
    # first-party modules the repository's entry points name that no agent's scan reaches
    unloaded: str | None = None

    @property
    def notes(self) -> tuple[str, ...]:
        """What the repository's own requirement files say that the generated files do not."""
        return tuple(note for note in (self.elsewhere, self.undeclared, self.unreached, self.unloaded) if note)

    def agent(self, name: str) -> AgentRequirements:
        for result in self.agents:
            if result.agent == name:
                return result
        raise DepminError(f"agent {name!r} was not generated; include it in the scan")


def generate_fleet(
    fleet: Fleet,
    scans: Iterable[AgentScan],
    chain: Mapper,
    constraints: Constraints,
    hints: Mapping[str, Hints] | None = None,
) -> Generated:
    """Each scanned agent's minimal requirement set (nothing is written). ``hints`` default to the
    repository's hand-written requirement files (:func:`~depmin.requirements.hints.read_hints`, which
    reads them as text and returns none when ``project.repository_hints`` is false)."""
    scans = tuple(scans)
    if hints is None:
        hints = read_hints(fleet, (fleet.agent(s.agent) for s in scans))
    results = tuple(
        agent_requirements(fleet, fleet.agent(s.agent), s, chain, constraints.ranges, hints.get(s.agent)) for s in scans
    )
    pairs: list[tuple[str, Resolution]] = [(r.agent, res) for r in results for res in r.resolutions]
    return Generated(
        agents=results,
        guesses=guesses_warning(pairs),
        ambiguities=ambiguities_warning(pairs),
        unclassified=unclassified(fleet, scans),
        undeclared=undeclared_note(results, hints, fleet.project.python),
        elsewhere=elsewhere_note(results, hints, fleet.project.python),
        unreached=unreached_note(fleet, results, hints),
        unloaded=unloaded_note(fleet, scans, read_entry_points(fleet, (fleet.agent(s.agent) for s in scans))),
    )


def unclassified(fleet: Fleet, scans: Iterable[AgentScan]) -> tuple[str, ...]:
    """One line per import depmin cannot classify (a first-party name that does not resolve, a
    module missing under a first-party package) that ``agents.<Name>.accept_unresolved`` does not
    acknowledge, naming its site and the key; ``generate`` and ``check`` exit 1 on any."""
    lines = []
    for scan in scans:
        agent = fleet.agent(scan.agent)
        for item in (*scan.missing, *scan.unresolved):
            if any(item.module == key or item.module.startswith(key + ".") for key in agent.accept_unresolved):
                continue
            name = printable(agent.name)
            lines.append(
                f"{name}: {printable(item.site.file)}:{item.site.line}: `{printable(item.module)}` cannot be "
                f"classified ({printable(item.reason)}); nothing is installed for it. Fix the import, or acknowledge "
                f'it in agents.toml: agents.{name}.accept_unresolved = {{ "{printable(item.module)}" = "<why>" }}'
            )
    return tuple(lines)


def write_requirements(layout: Layout, generated: Generated, *, config_name: str, force: bool) -> dict[Path, bool]:
    """Write each agent's ``requirements.generated.txt`` atomically; ``{path: changed}``. Refuses
    (DepminError) to replace a file depmin did not write unless ``force``, before writing anything."""
    planned = {layout.generated(r.agent): render(r, config_name=config_name) for r in generated.agents}
    return _files.write_all(planned, base=layout.base, force=force)


def fleet_needs(fleet: Fleet, scans: Iterable[AgentScan], generated: Generated) -> tuple[NeedsReport, ...]:
    """Inferred needs and mismatches per agent, answers to agents.toml's ``uncertain`` questions,
    and hand-written requirement files compared with what each agent uses. ``needs`` is imported here:
    it parses code (depmin.scanning.parsing), which a check or a generate from a warm cache never does."""
    from depmin.requirements.needs import code_evidence, compare_declared, infer_needs  # noqa: PLC0415

    reports = []
    for result in scans:
        agent = fleet.agent(result.agent)
        wanted = generated.agent(agent.name)
        declared = [compare_declared(shown, names, wanted) for shown, names in _declared_files(fleet, agent)]
        reports.append(infer_needs(fleet, agent, wanted, code_evidence(_texts(fleet, result)), declared))
    return tuple(reports)


def _texts(fleet: Fleet, result: AgentScan) -> dict[str, str]:
    """The agent's first-party files as text; one the tree refuses or cannot read is left out (the
    scan reported it)."""
    tree = Tree.of(fleet.project)
    texts = {}
    for file in result.files:
        try:
            text = tree.read(fleet.project.root / file).decode("utf-8", errors="replace")
        except OSError:
            continue
        texts[file] = text.replace("\r\n", "\n").replace("\r", "\n")  # as read_text's universal newlines
    return texts


def _declared_files(fleet: Fleet, agent: Agent) -> list[tuple[str, set[NormalizedName]]]:
    """The agent's hand-written requirement files: agents.toml's list, or the nearest
    ``requirements.txt`` (or ``requirements.in``) from the entrypoint's directory up to the root."""
    from depmin.requirements.needs import parse_declared  # noqa: PLC0415 - see fleet_needs

    root = fleet.project.root
    tree = Tree.of(fleet.project)
    candidates = [root / path for path in agent.requirements] or _nearest(root, (root / agent.entrypoint).parent)
    found = []
    for path in candidates:
        try:
            text = tree.read(path).decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            where = f"agents.{printable(agent.name)}.requirements"
            raise ConfigError([Problem(where, f"cannot read {tree.shown(path)} ({exc}); fix the path")]) from None
        found.append((tree.rel(path), parse_declared(text)[0]))
    return found


def _nearest(root: Path, directory: Path) -> list[Path]:
    while True:
        for name in ("requirements.txt", "requirements.in"):
            if (directory / name).is_file():
                return [directory / name]
        if directory == root or root not in directory.parents:
            return []
        directory = directory.parent
